#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/ledger.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ledger
short_description: Read, append to, verify and lock an environment's rollout ledger
version_added: 0.1.0
description:
  - Runs on the controller. The ledger is the append-only, hash-chained record of one
    environment's rollout - phases started and applied, gate verdicts, approvals,
    rollbacks, manual overrides, broken locks and incidents. Each entry carries the
    sha256 of the entry before it, so changing, removing or reordering an entry is
    detected, and the current phase is derived from the entries alone.
  - Every entry is also MACed (HMAC-SHA256) with a key that is not stored with the ledger
    (O(key_file), O(key) or O(kms_key_id)), so whoever can write the ledger cannot forge an
    entry; an unsigned or badly signed entry fails verification, naming its seq. Without a
    key the ledger is refused.
  - The last seq and sha256 are anchored in a separate, MACed head record (O(head_dir) or
    O(head_prefix)); a ledger whose tail is shorter than or differs from its head, or that
    is gone while its head is not, fails verification. RV(anchor) (seq, sha256) is returned
    so that gate reports and the status page carry it too.
  - C(verify) also checks each C(gate_passed) entry's C(report_sha256) against its evidence
    bundle and the JSON report named in C(details.report), when those files are on this
    controller, and each gate report's C(ledger_anchor) against the entries (O(reports_dir)).
  - O(backend=local) keeps C(<path>/<environment>.jsonl) (one JSON entry per line, mode
    0640 in a 0750 directory) and the run lock C(<path>/<environment>.lock); writers
    serialise on a file lock. The head is C(<head_dir>/<environment>.head.json).
  - O(backend=s3) keeps C(<prefix>/<environment>/ledger.jsonl), C(<prefix>/<environment>/lock.json)
    and C(<prefix>/<environment>/head.json) in O(bucket), with conditional writes - concurrent
    appends from several controllers (teams, AWX) all land, in order, with an intact chain.
  - Nothing is appended to a ledger whose chain does not verify.
  - While a manual override is active (an C(override_set) not yet cleared), entries that
    claim progress or success (C(started), C(applied), C(gate_passed), C(approved)) are
    refused, under the writer's lock, naming the incident; run C(playbooks/clear_override.yml)
    first. The result then has C(override_active=true) and C(incident_id).
  - Every operation returns the derived RV(state).
options:
  operation:
    description:
      - C(read) returns the entries; C(append) adds one; C(verify) fails when the chain is
        broken, naming the first bad seq; C(state) returns the derived state and fails on a
        broken chain; C(lock) takes the environment's run lock (or extends it for the same
        O(run_id)); C(unlock) releases it.
      - C(migrate) signs a ledger written before entries were MACed - after verifying its hash
        chain, only when no entry is signed yet - and appends C(ledger_migrated) naming O(actor)
        and C(details.reason) (required, a few words). The unsigned original is kept beside it.
        See C(playbooks/ledger_migrate.yml).
      - One rollout per environment at a time - C(lock) fails while another run holds an
        unexpired lock, and on an expired one unless O(break_lock=true).
    type: str
    required: true
    choices: [read, append, verify, state, lock, unlock, migrate]
  environment:
    description: The environment whose ledger this is (development, staging, production).
    type: str
    required: true
  phase:
    description: The phase (0-5) an appended entry is about; default, the current phase.
    type: int
  event:
    description:
      - The event to append; required for O(operation=append).
      - C(rolled_back) needs C(details.to_phase); C(override_set) and C(override_cleared)
        need C(details.incident_id) (and should carry C(reason)). An override is active from
        its C(override_set) until an C(override_cleared) with the same incident id.
    type: str
    choices: [started, applied, gate_passed, gate_failed, approved, rolled_back, override_set, override_cleared,
              lock_broken, incident_opened, ledger_migrated]
  actor:
    description: Who does this (the entry's actor, the lock's holder); default, the AWX user or the controller user.
    type: str
  run_id:
    description:
      - Identifies the run; a lock belongs to a run. Default, C(awx-job-<awx_job_id>) under
        AWX, else one id shared by every task of this ansible-playbook process.
    type: str
  details:
    description: Free-form facts recorded with an appended entry (JSON values).
    type: dict
  report_sha256:
    description: The sha256 of the gate report or evidence bundle this entry refers to.
    type: str
  ttl:
    description: Seconds a lock lasts from when it is taken or extended.
    type: int
    default: 3600
  reports_dir:
    description:
      - The gate reports directory (the playbooks' C(rollout_report_dir), default C(reports/) beside
        C(playbooks/)). C(verify) reads every JSON gate report in C(<reports_dir>/<environment>/) and
        those the gate entries name, and fails when a report's C(ledger_anchor) is not in the ledger -
        its seq past the ledger's end (entries were removed from the end, even if the head was deleted
        too) or an entry there with another sha256 - naming the report and the seq.
      - A relative path is taken from the playbook's directory. Not given - only the reports the gate
        entries name are checked.
    type: path
  break_lock:
    description:
      - Replace another run's expired lock, or an unexpired one whose holder process is gone - it
        ran on this controller (same host name) and its pid no longer runs, as after a SIGKILL.
        Recorded in the ledger as C(lock_broken). A lock whose holder runs, or runs on another
        controller, is never broken before it expires.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: C(append), C(lock) and C(unlock) change nothing and report what they would do.
  diff_mode:
    support: none
    description: No diff is shown.
  action:
    support: full
    description: Runs on the controller.
notes:
  - A lock records UTC times from the controller's clock; keep controllers in sync (NTP).
  - The head is rewritten after the entry; a run stopped between the two leaves the head one
    entry behind, which is reported as a warning and moved on by the next append.
  - Keep the S3 bucket versioned (or back the directories up) - a deleted ledger object is then
    detected even when its head object was deleted too.
  - S3 with O(kms_key_id) costs one KMS VerifyMac per entry per run.
extends_documentation_fragment:
  - kiro.platform.ledger
  - kiro.platform.aws
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: One rollout per environment at a time
  kiro.platform.ledger:
    operation: lock
    environment: staging
    key_file: /etc/kiro-platform/ledger.key
    ttl: 7200

- name: Record the gate verdict with its evidence
  kiro.platform.ledger:
    operation: append
    environment: staging
    phase: 3
    event: gate_passed
    report_sha256: "{{ gate.reports.evidence_sha256 }}"
    details:
      score: "{{ gate.score }}"

- name: Refuse to run while a manual override is active
  kiro.platform.ledger:
    operation: state
    environment: production
    backend: s3
    bucket: example-kiro-ledger
    region: eu-west-1
  register: ledger
  failed_when: ledger.state.override.active

- name: Clear the override after an incident
  kiro.platform.ledger:
    operation: append
    environment: production
    event: override_cleared
    actor: "{{ approver }}"
    details:
      incident_id: INC-42
      reason: "{{ reason }}"

- name: Prove nobody edited the ledger
  kiro.platform.ledger:
    operation: verify
    environment: production

- name: Release the lock
  kiro.platform.ledger:
    operation: unlock
    environment: staging

- name: Sign a ledger written before entries were MACed (playbooks/ledger_migrate.yml does this)
  kiro.platform.ledger:
    operation: migrate
    environment: staging
    key_file: /etc/kiro-platform/ledger.key
    actor: alice
    details:
      reason: signing the ledger written by release 0.1
"""

RETURN = r"""
state:
  description: The state derived from the ledger.
  returned: always
  type: dict
  contains:
    environment:
      description: The environment.
      type: str
    phase:
      description: The current phase - the highest phase passed and not rolled back (0 when none).
      type: int
    passed_phases:
      description: The phases passed and not rolled back, sorted.
      type: list
      elements: int
    last_gate:
      description: The latest gate verdict - phase, verdict (pass or fail), ts, report_sha256; null when none.
      type: dict
    override:
      description: The manual override - active, incident_id, reason, actor, ts, expires, incidents (all active ids).
      type: dict
    last_event:
      description: The latest entry's event, phase, ts and actor; null when the ledger is empty.
      type: dict
    entries:
      description: The number of entries.
      type: int
  sample:
    environment: staging
    phase: 2
    passed_phases: [1, 2]
    last_gate: {phase: 3, verdict: pass, ts: "2025-03-01T10:00:00.000Z", report_sha256: null}
    override: {active: false, incident_id: null, reason: null, actor: null, ts: null, expires: null, incidents: []}
    last_event: {event: rolled_back, phase: 3, ts: "2025-03-02T08:00:00.000Z", actor: alice}
    entries: 4
anchor:
  description: The ledger's position - C(seq) and C(sha256) of its last entry (0 and 64 zeros when empty).
  returned: always
  type: dict
  sample: {seq: 4, sha256: 9f2b5c0e4d6a8b1c3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d}
key_id:
  description: The key the entries are checked with (C(hmac:<fingerprint>), which does not reveal the key, or the KMS key id).
  returned: always
  type: str
reports_checked:
  description:
    - How many gate report and evidence files C(verify) checked against their C(gate_passed) entries,
      plus the gate reports whose C(ledger_anchor) it checked.
  returned: when operation is verify and the ledger verifies
  type: int
override_active:
  description: True when an append was refused because a manual override is active.
  returned: when an append is refused under an override
  type: bool
incident_id:
  description: The incident whose override refused the append.
  returned: when an append is refused under an override
  type: str
chain_ok:
  description: Whether the hash chain verifies.
  returned: always
  type: bool
bad_seq:
  description: The first entry that does not verify, or null.
  returned: always
  type: int
entry:
  description:
    - The appended entry - seq, ts, environment, phase, event, actor, run_id, details,
      report_sha256, prev_sha256, sha256, mac. In check mode, the entry that would be appended.
  returned: when operation is append or migrate
  type: dict
entries:
  description: Every entry, oldest first.
  returned: when operation is read
  type: list
  elements: dict
lock:
  description:
    - For C(lock), the lock - run_id, holder, acquired, expires, host and pid (of the holder's
      ansible-playbook process), status (acquired, extended, broken) and previous (the lock
      broken). For C(unlock), the lock removed, or null.
  returned: when operation is lock or unlock
  type: dict
location:
  description: The ledger file or S3 URL.
  returned: always
  type: str
run_id:
  description: The run id used.
  returned: always
  type: str
"""
