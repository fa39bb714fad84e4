"""kiro.platform.notify run for real by ansible-playbook -vvv, against local receivers and moto SNS."""

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from conftest import ROOT, ansible_env

sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures.receivers import Receiver  # noqa: E402

PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
SLACK_TOKEN = "SlackTok3n-Integ-r8Vq2Lm5"
HOOK_TOKEN = "hook-S3cret-Integ-w3Zp6Kd1"
AWS_SECRET = "aws-S3cret-Integ-Tn4Bx7Hs"
INCIDENT = {
    "event": "kiro.emergency_rollback",
    "incident_id": "INC-42",
    "reason": "agent deleting pods",
    "actor": "alice",
    "done": ["locked down 5 of 6 hosts", "IAM deny on 2 roles"],
    "failed": ["staging-runner-1 unreachable"],
}

TASKS = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Tell every channel
      kiro.platform.notify:
        channels:
          - {type: slack, name: oncall-slack, url: "{{ vault_slack_webhook_url }}"}
          - type: webhook
            url: "{{ hook_url }}/incident"
            headers: {Authorization: "Bearer {{ vault_hook_token }}", X-Kiro-Incident: "{{ incident.incident_id }}"}
          - type: sns
            name: pager
            topic_arn: "{{ topic_arn }}"
            endpoint_url: "{{ moto_url }}"
            aws_access_key_id: AKIAKIROINTEG0000001
            aws_secret_access_key: "{{ vault_aws_secret }}"
        payload: "{{ incident }}"
        timeout: 5
      register: everyone

    - name: A channel answering 500 does not fail the task
      kiro.platform.notify:
        channels: &with_broken
          - {type: slack, url: "{{ vault_slack_webhook_url }}"}
          - {type: webhook, name: broken, url: "{{ broken_url }}/{{ vault_hook_token }}",
             headers: {X-Api-Key: "{{ vault_hook_token }}"}}
        payload: "{{ incident }}"
        timeout: 2
      register: lenient

    - name: Unless fail_on_error is set
      kiro.platform.notify:
        channels: *with_broken
        payload: "{{ incident }}"
        timeout: 2
        fail_on_error: true
      register: strict
      ignore_errors: true

    - name: Check mode sends nothing
      kiro.platform.notify:
        channels: *with_broken
        payload: "{{ incident }}"
      check_mode: true
      register: dry

    - name: A payload that is not a mapping fails the task
      kiro.platform.notify:
        channels: *with_broken
        payload: [not, a, mapping]
      register: bad
      ignore_errors: true

    - ansible.builtin.assert:
        that:
          - everyone is changed and everyone is not failed
          - everyone.sent == 3 and everyone.failed_channels == 0
          - everyone.notifications | map(attribute='name') | list == ['oncall-slack', 'webhook-1', 'pager']
          - everyone.notifications | map(attribute='ok') | list == [true, true, true]
          - everyone.notifications[2].message_id | length > 0
          - "everyone.summary == 'Kiro incident INC-42: agent deleting pods'"
          - lenient is changed and lenient is not failed
          - lenient.sent == 1 and lenient.failed_channels == 1
          - lenient.notifications[1].status == 500 and lenient.notifications[1].error is search('HTTP 500')
          - strict is failed and strict.sent == 1 and strict.msg is search('failed. broken')
          - dry is not changed and dry is not failed
          - dry.notifications | map(attribute='would_send') | list == [true, true]
          - dry.notifications | map(attribute='ok') | list == [none, none]
          - bad is failed and bad.msg is search('payload')
"""


@pytest.fixture
def receivers():
    servers = {"slack": Receiver().start(), "hook": Receiver().start(),
               "broken": Receiver(status=500, echo=True).start()}
    yield servers
    for server in servers.values():
        server.stop()


def test_notify_from_a_playbook_sends_everywhere_and_never_prints_a_secret(tmp_path, moto, receivers):
    name = "kiro-incidents-%s" % uuid.uuid4().hex[:8]
    topic_arn = moto.client("sns").create_topic(Name=name)["TopicArn"]
    queue = moto.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    queue_arn = moto.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    moto.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    slack, hook, broken = receivers["slack"], receivers["hook"], receivers["broken"]
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({
        "vault_slack_webhook_url": "%s/services/T0KIRO/B0KIRO/%s" % (slack.url, SLACK_TOKEN),
        "vault_hook_token": HOOK_TOKEN, "vault_aws_secret": AWS_SECRET, "hook_url": hook.url,
        "broken_url": broken.url, "topic_arn": topic_arn, "moto_url": moto.url, "incident": INCIDENT}))
    playbook = tmp_path / "notify.yml"
    playbook.write_text(textwrap.dedent(TASKS))
    audit = tmp_path / "audit"
    proc = subprocess.run([PLAYBOOK, str(playbook), "-vvv", "-e", "@%s" % variables],
                          cwd=ROOT, env=ansible_env({"KIRO_AUDIT_DIR": str(audit), "KIRO_RUN_ID": "notify"}),
                          capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "ok=6" in output and "failed=0" in output and "ignored=2" in output, output
    assert "[WARNING]: notify: channel 1 'broken' (webhook, %s) failed: HTTP 500" % broken.url in output

    # What arrived: the Slack text, the webhook's exact payload and headers, the SNS message.
    assert len(slack.requests) == 3 and len(hook.requests) == 1 and len(broken.requests) == 2
    text = slack.bodies[0]["text"]
    for value in ("INC-42", "agent deleting pods", "alice", "locked down 5 of 6 hosts", "IAM deny on 2 roles",
                  "staging-runner-1 unreachable"):
        assert value in text
    assert hook.bodies == [INCIDENT]
    assert hook.requests[0]["path"] == "/incident"
    assert hook.requests[0]["headers"]["authorization"] == "Bearer %s" % HOOK_TOKEN
    assert hook.requests[0]["headers"]["x-kiro-incident"] == "INC-42"
    messages = moto.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    [envelope] = [json.loads(m["Body"]) for m in messages]
    assert json.loads(envelope["Message"]) == INCIDENT
    assert envelope["Subject"] == "Kiro incident INC-42: agent deleting pods"

    # The secrets went where they belong and nowhere else: not in -vvv output, not in the audit log.
    assert broken.requests[0]["headers"]["x-api-key"] == HOOK_TOKEN
    with open(audit / "notify.jsonl") as handle:
        logged = handle.read()
    for secret in (SLACK_TOKEN, HOOK_TOKEN, AWS_SECRET, "/services/T0KIRO"):
        assert secret not in output, "%s printed:\n%s" % (secret, output)
        assert secret not in logged


WRONG_TYPE = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: An argument that cannot be converted fails the task, naming it, URLs cut to their origin
      kiro.platform.notify:
        channels: [{type: webhook, url: "{{ hook_url }}/{{ vault_hook_token }}"}]
        payload: {incident_id: INC-42}
        timeout: "{{ hook_url }}/{{ vault_hook_token }}"
"""


def test_an_argument_of_the_wrong_type_fails_naming_it_without_the_secret(tmp_path):
    playbook = tmp_path / "wrong.yml"
    playbook.write_text(textwrap.dedent(WRONG_TYPE))
    proc = subprocess.run([PLAYBOOK, str(playbook), "-e", "hook_url=http://127.0.0.1:9", "-e",
                           "vault_hook_token=%s" % HOOK_TOKEN], cwd=ROOT, env=ansible_env(), capture_output=True,
                          text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "kiro.platform.notify: argument 'timeout' is of type str" in output, output
    assert HOOK_TOKEN not in output, output
