"""A real phase run leaves gate reports carrying the ledger anchor; a ledger whose tail was cut
and whose head was deleted is then refused by the next run's verify, naming the report."""

import json
import os

from conftest import run_playbook, text


def test_a_cut_ledger_with_its_head_deleted_is_refused_by_the_gate_reports_anchor(sandbox):
    first = run_playbook("phase1.yml", sandbox)
    assert first.rc == 0, first.out + first.err
    path = os.path.join(str(sandbox), "ledger", "development.jsonl")
    with open(path, "rb") as handle:
        lines = handle.read().splitlines(True)
    reports_dir = os.path.join(str(sandbox), "reports", "development")
    reports = [os.path.join(reports_dir, name) for name in os.listdir(reports_dir) if name.endswith(".json")
               and "ledger_anchor" in json.load(open(os.path.join(reports_dir, name)))]
    assert len(reports) == 1, reports
    with open(reports[0]) as handle:
        anchored = json.load(handle)["ledger_anchor"]
    assert anchored["seq"] >= 2 and len(lines) > anchored["seq"]
    # Cut the ledger to its first entry and delete the head record: one signed entry with no
    # head looks like a first append whose head is not written yet.
    with open(path, "wb") as handle:
        handle.write(lines[0])
    head = os.path.join(str(sandbox), "ledger-head", "development.head.json")
    assert os.path.isfile(head)
    os.unlink(head)
    again = run_playbook("phase1.yml", sandbox)
    assert again.rc != 0
    message = text(again)
    assert ("the gate report %s is anchored at seq %d" % (reports[0], anchored["seq"])) in message, message
    assert "ledger ends at seq 1" in message
    assert again.hosts_recap() == {}
    with open(path, "rb") as handle:
        assert handle.read() == lines[0], "the refused run appended to the cut ledger"
