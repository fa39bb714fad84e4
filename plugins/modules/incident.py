#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/incident.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: incident
short_description: Write an emergency rollback's summary, pre-filled post-mortem and evidence bundle
version_added: 0.1.0
description:
  - An action that runs on the controller. It takes the summary the C(kiro.platform.emergency_summary)
    filter made, adds the notification results, and writes three files in a new directory
    C(<dest>/<incident_id>/<UTC time>/) - an existing one is never reused, so nothing is overwritten.
  - C(summary.json) - what was done, what failed, each host's status, what still covers the hosts not reached.
  - C(postmortem.md) - the pre-filled post-mortem - the facts, the hosts, what could not be done, the timeline
    from the ledgers, the recovery commands, and TODO sections for the incident owner.
  - C(evidence.tar.gz) (mode 0600) - the summary, each host's lockdown result (what it turned off in each file - the hooks,
    servers, agents and workflows that could act before -, the snapshot of the bytes before the lockdown,
    and the configuration after, as M(kiro.platform.kiro_facts) describes it), every
    environment's ledger, and the last gate report of each environment; C(manifest.json) inside holds the
    sha256 of every member.
  - Env values, headers and URL credentials are masked in every file, as in facts and diffs.
options:
  summary:
    description: The output of the C(kiro.platform.emergency_summary) filter.
    type: dict
    required: true
  hosts:
    description: The hosts the lockdown targeted; each one's registered M(kiro.platform.lockdown) result
      (the host variable O(result_var)) goes in the evidence.
    type: list
    elements: str
    default: []
  result_var:
    description: The host variable holding each host's lockdown result.
    type: str
    default: emergency_lockdown
  notifications:
    description: The C(notifications) that M(kiro.platform.notify) returned; a failed one makes the record
      incomplete.
    type: list
    elements: dict
    default: []
  notify_error:
    description: Why the M(kiro.platform.notify) task itself failed, if it did (for example an undefined
      webhook variable); the record is then incomplete.
    type: str
  ledgers:
    description: Environment to its ledger entries (M(kiro.platform.ledger) C(operation=read)), for the
      timeline and the evidence.
    type: dict
    default: {}
  reports_dir:
    description: The gate reports directory (C(<reports_dir>/<environment>/phaseN-*.json)).
    type: path
  dest:
    description: The incidents directory; relative paths are relative to the playbook.
    type: path
    required: true
  inventory:
    description: The inventory to name in the post-mortem's recovery commands.
    type: str
attributes:
  check_mode:
    support: full
    description: Returns the summary and writes nothing.
  diff_mode:
    support: none
    description: Writes new files only.
  action:
    support: full
    description: Runs on the controller.
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Write the post-mortem and the evidence
  kiro.platform.incident:
    summary: "{{ emergency_summary }}"
    hosts: "{{ targets }}"
    notifications: "{{ emergency_notify_result.notifications | default([]) }}"
    ledgers: "{{ dict(ledger_reads.results | map(attribute='item') | zip(ledger_reads.results | map(attribute='entries'))) }}"
    reports_dir: "{{ playbook_dir }}/../reports"
    dest: "{{ playbook_dir }}/../incidents"
  register: incident_record
"""

RETURN = r"""
summary:
  description: The summary with the notification results; C(complete) is false when anything could not be done.
  returned: always
  type: dict
directory:
  description: The new directory of this run's record.
  returned: when written
  type: str
summary_json:
  description: Path of summary.json.
  returned: when written
  type: str
postmortem:
  description: Path of the post-mortem (Markdown).
  returned: when written
  type: str
evidence:
  description: Path of the evidence bundle.
  returned: when written
  type: str
evidence_sha256:
  description: sha256 of the evidence bundle (recorded with the incident in the ledger).
  returned: when written
  type: str
gate_reports:
  description: The gate reports put in the bundle.
  returned: when written
  type: list
  elements: str
"""
