#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/gate.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gate
short_description: Evaluate a rollout phase gate and write its reports
version_added: 0.1.0
description:
  - Runs on the controller. Validates every criterion of the gate (provider known, parameters
    present, conditions well formed) before any provider is queried, then measures all
    criteria concurrently, each with its provider's timeout and retries, repeating a
    criterion C(count) times for bake time.
  - Each criterion ends C(pass), C(warn), C(fail) or C(inconclusive). The gate fails if any
    enforced (non dry-run) criterion fails, or is inconclusive while O(fail_closed=true).
    A C(warn) gate passes only with O(approver) and O(approval_reason).
  - Writes JSON, Markdown, JUnit XML and HTML reports and an evidence bundle under
    O(report_dir)C(/<environment>/); credentials appear in none of them.
  - With O(ledger_anchor), every report and the evidence bundle's C(manifest.json) carry the
    environment's ledger position when the gate was evaluated, a copy kept outside the ledger.
  - Providers - C(prometheus), C(cloudwatch), C(cost_explorer), C(kubernetes), C(http_json),
    C(file), C(mcp_probe), C(kiro_compliance), C(run_stats).
options:
  phase:
    description: The phase being gated (1-5).
    type: int
    required: true
  environment:
    description: The environment (development, staging, production).
    type: str
    required: true
  criteria:
    description:
      - The criteria. Common keys are C(name), C(description), C(provider), C(pass) and C(warn)
        (conditions such as C(> 0.9), C(<= 30), C(between 4 and 5), C(savings >= 0.2)),
        C(on_no_data) (C(fail), C(inconclusive) or C(pass); default C(fail)), C(min_samples),
        C(count), C(interval) (seconds), C(failure_limit), C(consecutive_error_limit),
        C(dry_run), C(weight) and C(aggregate) (last, mean, sum, min, max, count, median, p95).
      - Every other key is a parameter of the provider (C(query), C(path), C(url), C(metric), ...).
    type: list
    elements: dict
    required: true
  overrides:
    description:
      - Per-environment changes by criterion name; C(null) removes a criterion, an unknown name adds one.
        Changing C(provider) drops the default's provider parameters.
    type: dict
    default: {}
  providers:
    description: Connection settings per provider (endpoints, credentials, C(timeout), C(retries), C(backoff)).
    type: dict
    default: {}
  hosts:
    description: Hosts whose run results (O(result_var)) and C(ansible_facts.kiro) feed C(run_stats) and C(kiro_compliance).
    type: list
    elements: str
    default: []
  result_var:
    description: The per-host registered variable that says whether the host was configured.
    type: str
    default: kiro_config_result
  policy:
    description: The environment's safety policy, for C(kiro_compliance).
    type: dict
    default: {}
  report_dir:
    description: Where reports are written (relative paths are relative to O(base_dir)).
    type: path
    default: reports
  base_dir:
    description: Directory relative paths resolve against; defaults to the playbook's directory.
    type: path
  approver:
    description: Who approves a warn verdict (with O(approval_reason)); recorded in the report.
    type: str
  approval_reason:
    description: Why the warn verdict is accepted.
    type: str
  fail_closed:
    description: An inconclusive criterion fails the gate.
    type: bool
    default: true
  max_workers:
    description: How many criteria are measured at once; default all of them.
    type: int
  ledger_anchor:
    description:
      - The environment's ledger position when the gate is evaluated (seq and sha256 of its last entry),
        as RV(kiro.platform.ledger#module:anchor) of any ledger operation gives it.
      - Written as C(ledger_anchor) into the JSON report and the evidence bundle's C(manifest.json),
        as a line of the Markdown and HTML reports and as the C(ledger_anchor_seq) and
        C(ledger_anchor_sha256) properties of the JUnit report. Not given - the reports carry none (C(null)).
    type: dict
    suboptions:
      seq:
        description: The seq of the ledger's last entry (0 for an empty ledger).
        type: int
        required: true
      sha256:
        description: The sha256 of the ledger's last entry (64 hex digits).
        type: str
        required: true
  validate_only:
    description: Only validate the gate (providers known, parameters present, conditions well formed); query nothing.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Measures and reports the same in check mode; changes no host.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Gate phase 2 in development
  kiro.platform.gate:
    phase: 2
    environment: development
    hosts: "{{ groups['development'] }}"
    providers:
      prometheus: {url: "https://prometheus.dev.example.internal", bearer_token: "{{ prometheus_token }}"}
    criteria:
      - name: autonomous_success_rate
        provider: prometheus
        query: >-
          sum(increase(kiro_operations_total{env="development",outcome="success"}[7d]))
          / sum(increase(kiro_operations_total{env="development"}[7d]))
        pass: "> 0.90"
        warn: "> 0.85"
        min_samples: 1
      - name: config_deployment
        provider: run_stats
        pass: "== 1"
  register: gate
"""

RETURN = r"""
phase:
  description: The phase gated (O(phase)).
  returned: when the gate was evaluated (not with O(validate_only=true))
  type: int
  sample: 2
environment:
  description: The environment gated (O(environment)).
  returned: when the gate was evaluated
  type: str
  sample: development
verdict:
  description: The gate's verdict - C(pass), C(warn), C(fail) or C(inconclusive).
  returned: when the gate was evaluated
  type: str
  sample: pass
passed:
  description: Whether the phase may be left (pass, or an approved warn).
  returned: when the gate was evaluated
  type: bool
  sample: true
score:
  description: Weighted share of enforced criteria that passed (warn counts half), 0-100.
  returned: when the gate was evaluated
  type: float
  sample: 100.0
needs_approval:
  description: True when the verdict needs a named approver to pass.
  returned: when the gate was evaluated
  type: bool
  sample: false
approver:
  description: O(approver), when the approval decided the verdict (a warn, or an inconclusive gate with O(fail_closed=false)); else null.
  returned: when the gate was evaluated
  type: str
  sample: alice
started:
  description: When the first measurement started (UTC, ISO 8601).
  returned: when the gate was evaluated
  type: str
  sample: "2026-03-01T10:00:00.123456Z"
finished:
  description: When the last measurement finished (UTC, ISO 8601).
  returned: when the gate was evaluated
  type: str
  sample: "2026-03-01T10:00:02.654321Z"
criteria:
  description:
    - Per criterion - name, provider, verdict, value, baseline, samples, condition, error, reason, dry_run.
    - With O(validate_only=true), the names of the criteria, which are valid.
  returned: always
  type: list
  elements: raw
  sample:
    - {name: config_deployment, provider: run_stats, verdict: pass, value: 1.0, baseline: null, samples: 2,
       condition: "== 1", error: null, reason: null, dry_run: false}
valid:
  description: True - every criterion is valid (an invalid one fails the task).
  returned: when O(validate_only=true)
  type: bool
  sample: true
reports:
  description: Paths of the reports and the evidence bundle (C(json), C(markdown), C(junit), C(html), C(evidence)), and the bundle's C(evidence_sha256).
  returned: when the gate was evaluated
  type: dict
  sample:
    json: /srv/rollout/reports/development/phase2-20260301T100002Z.json
    markdown: /srv/rollout/reports/development/phase2-20260301T100002Z.md
    junit: /srv/rollout/reports/development/phase2-20260301T100002Z.xml
    html: /srv/rollout/reports/development/phase2-20260301T100002Z.html
    evidence: /srv/rollout/reports/development/phase2-20260301T100002Z.evidence.tar.gz
    evidence_sha256: 3f0c5b1e9d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b
ledger_anchor:
  description: O(ledger_anchor) as the reports carry it (sha256 in lower case); null when not given.
  returned: when the gate was evaluated
  type: dict
  sample: {seq: 3, sha256: 9f2b5c0e4d6a8b1c3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d}
markdown:
  description: The Markdown summary.
  returned: when the gate was evaluated
  type: str
"""
