"""Verification uses the gate reports' ledger anchors: a report anchored past the ledger's end
shows a removed tail even when the head record was deleted too, and a report whose anchor names
another entry shows a rewritten ledger."""

import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import KEY_TEXT, read_lines, signing_key, write_lines  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import operations  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402

KEY = signing_key()


def fill(ledger, count):
    return [ledger.append(1, "applied", "alice", "run-%d" % n, details={"n": n}) for n in range(1, count + 1)]


def gate_report(reports_dir, environment, name, anchor):
    directory = os.path.join(str(reports_dir), environment)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump({"environment": environment, "phase": 1, "passed": True, "ledger_anchor": anchor,
                   "evidence_sha256": "0" * 64}, handle)
    return path


def open_with_reports(tmp_path, reports_dir):
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", KEY)
    ledger.reports_dir = str(reports_dir)
    return ledger


def test_a_removed_tail_with_an_old_head_replayed_is_caught_by_a_gate_report(tmp_path):
    reports = tmp_path / "reports"
    ledger = open_with_reports(tmp_path, reports)
    fill(ledger, 3)
    with open(ledger.head_path, "rb") as handle:
        old_head = handle.read()  # validly MACed: the attacker kept a copy
    written = fill(ledger, 2)
    report = gate_report(reports, "staging", "phase1-20250101T000000Z.json",
                         {"seq": 5, "sha256": written[-1]["sha256"]})
    assert ledger.verify() is None and ledger.reports_checked == 1
    # The attacker cuts the last two entries and puts the old head back (it cannot MAC a new one).
    write_lines(ledger.path, read_lines(ledger.path)[:3])
    with open(ledger.head_path, "wb") as handle:
        handle.write(old_head)
    broken = ledger.verify()
    assert broken is not None and broken.seq == 5
    message = str(broken)
    assert report in message and "seq 5" in message and "ends at seq 3" in message


def test_a_tail_cut_to_one_entry_with_the_head_deleted_is_caught_by_a_gate_report(tmp_path):
    reports = tmp_path / "reports"
    ledger = open_with_reports(tmp_path, reports)
    written = fill(ledger, 4)
    report = gate_report(reports, "staging", "phase1-x.json", {"seq": 4, "sha256": written[-1]["sha256"]})
    write_lines(ledger.path, read_lines(ledger.path)[:1])
    os.unlink(ledger.head_path)
    broken = ledger.verify()
    assert broken is not None and broken.seq == 4 and report in str(broken) and "ends at seq 1" in str(broken)


def test_a_deleted_ledger_and_head_are_caught_by_a_gate_report(tmp_path):
    reports = tmp_path / "reports"
    ledger = open_with_reports(tmp_path, reports)
    written = fill(ledger, 2)
    report = gate_report(reports, "staging", "phase1-a.json", {"seq": 2, "sha256": written[-1]["sha256"]})
    os.unlink(ledger.path)
    os.unlink(ledger.head_path)
    broken = ledger.verify()
    assert broken is not None and report in str(broken) and "ends at seq 0" in str(broken)


def test_a_report_anchor_naming_another_entry_names_both_hashes(tmp_path):
    reports = tmp_path / "reports"
    ledger = open_with_reports(tmp_path, reports)
    written = fill(ledger, 3)
    wrong = "ab" * 32
    report = gate_report(reports, "staging", "phase1-b.json", {"seq": 2, "sha256": wrong})
    broken = ledger.verify()
    assert broken is not None and broken.seq == 2
    assert report in str(broken) and wrong in str(broken) and written[1]["sha256"] in str(broken)


def test_reports_of_other_environments_and_without_an_anchor_are_not_held_against_the_ledger(tmp_path):
    reports = tmp_path / "reports"
    ledger = open_with_reports(tmp_path, reports)
    written = fill(ledger, 2)
    gate_report(reports, "production", "phase1-c.json", {"seq": 9, "sha256": "cd" * 32})
    gate_report(reports, "staging", "phase1-d.json", None)
    gate_report(reports, "staging", "phase1-e.json", {"seq": 0, "sha256": "0" * 64})
    gate_report(reports, "staging", "phase1-f.json", {"seq": 1, "sha256": written[0]["sha256"].upper()})
    assert ledger.verify() is None and ledger.reports_checked == 2


def test_a_gate_entry_names_a_report_outside_the_reports_dir(tmp_path):
    ledger = open_with_reports(tmp_path, tmp_path / "reports")
    fill(ledger, 2)
    elsewhere = gate_report(tmp_path / "elsewhere", "staging", "phase1-g.json", {"seq": 7, "sha256": "ef" * 32})
    ledger.append(1, "gate_failed", "alice", "run-g", details={"report": elsewhere})
    broken = ledger.verify()
    assert broken is not None and broken.seq == 7 and elsewhere in str(broken)


def test_the_action_options_take_reports_dir_relative_to_the_playbook(tmp_path):
    params = {"path": "ledger", "backend": "local", "environment": "staging", "bucket": None, "prefix": None,
              "key": KEY_TEXT, "reports_dir": "reports"}
    ledger = operations.open_for(params, str(tmp_path))
    assert ledger.reports_dir == os.path.join(str(tmp_path), "reports")
