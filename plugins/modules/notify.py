#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/notify.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: notify
short_description: Tell stakeholders about an incident through Slack, SNS and webhooks
version_added: 0.1.0
description:
  - Runs on the controller. Sends one O(payload) to every channel in O(channels) - a Slack
    incoming webhook, an AWS SNS topic, a generic JSON webhook - at the same time, so the
    task takes about O(timeout) seconds however many channels there are.
  - A notification is best effort. A channel that fails (a status other than 2xx, a refused
    connection, a timeout, a DNS error, a bad configuration) is reported in
    RV(notifications) and as a warning, and the task carries on; it fails only with
    O(fail_on_error=true), after every channel was tried.
  - A channel's configuration is checked before anything is sent. A channel of unknown
    type, or without its O(channels[].url) or O(channels[].topic_arn), is reported as a
    failed channel, named by its index and name; the other channels are still sent.
  - Secrets stay secret - a webhook URL is shown as C(scheme://host[:port]) only (its path
    and query may hold a token, as Slack's does), header values and AWS keys are never
    shown, and every error text is scrubbed of them.
options:
  channels:
    description: Where to send the notification.
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description:
          - The kind of channel - C(slack), C(sns) or C(webhook). Required; a channel
            without a known type is reported as failed, not sent.
        type: str
      name:
        description: A label for the channel in the results; default C(<type>-<index>).
        type: str
      url:
        description:
          - The incoming webhook URL of a C(slack) channel, or the URL a C(webhook) channel
            posts to; required for those types. A secret.
          - A C(user:password@) in it is sent as basic authentication.
        type: str
      headers:
        description:
          - HTTP headers of a C(webhook) channel (for example C(Authorization)). Their values
            are secrets. A redirect is not followed (it would take them elsewhere).
        type: dict
      topic_arn:
        description: The SNS topic of an C(sns) channel; required for that type.
        type: str
      region:
        description: AWS region of an C(sns) channel; default, the region in O(channels[].topic_arn).
        type: str
      profile:
        description: AWS profile of an C(sns) channel.
        type: str
      endpoint_url:
        description: SNS endpoint of an C(sns) channel (a VPC endpoint, or a test server).
        type: str
      aws_access_key_id:
        description:
          - AWS access key of an C(sns) channel; default, boto3's credential chain (environment,
            profile, instance role).
        type: str
      aws_secret_access_key:
        description: AWS secret key, with O(channels[].aws_access_key_id).
        type: str
      aws_session_token:
        description: AWS session token for temporary credentials.
        type: str
  payload:
    description:
      - What happened, as JSON values. A C(webhook) channel posts exactly this as JSON; an
        C(sns) channel publishes it as JSON in the Message; a C(slack) channel shows every
        field - C(incident_id), C(reason), C(actor), C(done) and C(failed) first, as
        lines and bullet lists, then any other field.
    type: dict
    required: true
  summary:
    description:
      - One line heading the Slack message, and the SNS Subject (cut to 100 ASCII
        characters on one line).
      - "Default, built from the payload: C(Kiro incident <incident_id>: <reason>)."
    type: str
  timeout:
    description:
      - Seconds each channel has to deliver; the channels are sent concurrently, so this
        also bounds the whole task (plus half a second).
    type: float
    default: 5
  fail_on_error:
    description: Fail the task when any channel failed (after trying every channel).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Nothing is sent; each channel is checked and reported with RV(notifications[].would_send).
  diff_mode:
    support: none
    description: No diff is shown.
  action:
    support: full
    description: Runs on the controller.
notes:
  - An SNS channel needs the boto3 Python package on the controller, and C(sns:Publish) on the topic.
  - A channel that does not answer within O(timeout) is reported as failed, although its
    message may still arrive later.
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Tell everyone the kill switch was pulled
  kiro.platform.notify:
    channels:
      - type: slack
        name: oncall-slack
        url: "{{ vault_slack_webhook_url }}"
      - type: webhook
        url: https://hooks.example/incident
        headers:
          Authorization: "Bearer {{ vault_incident_token }}"
      - type: sns
        topic_arn: arn:aws:sns:us-east-1:123456789012:kiro-incidents
    payload:
      event: kiro.emergency_rollback
      incident_id: INC-42
      reason: agent deleting pods
      actor: alice
      done: ["locked down 5 of 6 hosts", "IAM deny on 2 roles"]
      failed: ["staging-runner-1 unreachable"]
    timeout: 5
  register: notified

- name: A notification that must arrive
  kiro.platform.notify:
    channels:
      - type: webhook
        url: https://pager.example/v1/events
    payload:
      incident_id: INC-42
      reason: override cleared
    summary: "INC-42: the manual override was cleared"
    fail_on_error: true
"""

RETURN = r"""
notifications:
  description: One entry per channel, in the order of O(channels).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The channel's name.
      type: str
    type:
      description: The channel's type as given (null when none was).
      type: str
    target:
      description:
        - Where it went - C(scheme://host[:port]) of a webhook URL, or the SNS topic ARN; null
          for a bad configuration.
      type: str
    ok:
      description:
        - Whether the channel delivered (a 2xx answer, or an SNS MessageId); null in check mode
          for a valid channel.
      type: bool
    status:
      description: The HTTP status answered, or null (no answer, bad configuration, check mode).
      type: int
    error:
      description: What went wrong, on one line, free of secrets; null when delivered.
      type: str
    elapsed:
      description: Seconds the channel took.
      type: float
    message_id:
      description: The SNS MessageId.
      returned: for sns channels
      type: str
    would_send:
      description: Whether the channel would be sent (its configuration is valid).
      returned: in check mode
      type: bool
  sample:
    - {name: oncall-slack, type: slack, target: "https://hooks.slack.com", ok: true, status: 200, error: null,
       elapsed: 0.412}
    - {name: webhook-1, type: webhook, target: "https://hooks.example", ok: false, status: 500,
       error: "HTTP 500 Internal Server Error: database down", elapsed: 0.208}
sent:
  description: How many channels delivered.
  returned: always
  type: int
  sample: 1
failed_channels:
  description: How many channels failed, bad configurations included.
  returned: always
  type: int
  sample: 1
summary:
  description: The summary line used.
  returned: always
  type: str
  sample: "Kiro incident INC-42: agent deleting pods"
"""
