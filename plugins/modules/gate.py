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
verdict:
  description: The gate's verdict.
  returned: always
  type: str
  sample: pass
passed:
  description: Whether the phase may be left (pass, or an approved warn).
  returned: always
  type: bool
score:
  description: Weighted share of enforced criteria that passed (warn counts half), 0-100.
  returned: always
  type: float
needs_approval:
  description: True when the verdict needs a named approver to pass.
  returned: always
  type: bool
criteria:
  description: Per criterion - name, provider, verdict, value, baseline, samples, condition, error, reason, dry_run.
  returned: always
  type: list
  elements: dict
reports:
  description: Paths of the JSON, Markdown, JUnit and HTML reports and the evidence bundle, and the bundle's sha256.
  returned: always
  type: dict
markdown:
  description: The Markdown summary.
  returned: always
  type: str
"""
