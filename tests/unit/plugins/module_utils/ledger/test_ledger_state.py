"""Entries (validation, sealing, verify) and the state derived from them."""

import datetime

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


def chain(*steps, environment="staging"):
    """Entries from (phase, event, actor, details[, report_sha256]) steps, a minute apart."""
    out = []
    for n, step in enumerate(steps):
        phase, event, actor, details = step[:4]
        report = step[4] if len(step) > 4 else None
        out.append(model.new_entry(out[-1] if out else None, environment, phase, event, actor, "run-%d" % n,
                                   details=details, report_sha256=report, now=T0 + datetime.timedelta(minutes=n)))
    return out


def test_new_entry_is_sealed_and_linked():
    first, second = chain((1, "started", "alice", None), (1, "applied", "alice", {"hosts": 2}))
    assert first["seq"] == 1 and first["prev_sha256"] == "0" * 64 and first["details"] == {}
    assert second["seq"] == 2 and second["prev_sha256"] == first["sha256"]
    assert first["ts"] == "2025-03-01T09:00:00.000Z" and second["ts"] == "2025-03-01T09:01:00.000Z"
    assert set(first) == set(model.FIELDS)
    assert model.verify([first, second]) is None


@pytest.mark.parametrize("kwargs, field", [
    ({"event": "deployed"}, "event"),
    ({"phase": 6}, "phase"),
    ({"phase": -1}, "phase"),
    ({"phase": "2"}, "phase"),
    ({"phase": True}, "phase"),
    ({"actor": ""}, "actor"),
    ({"actor": "   "}, "actor"),
    ({"run_id": ""}, "run_id"),
    ({"report_sha256": "abc"}, "report_sha256"),
    ({"details": ["not", "a", "dict"]}, "details"),
    ({"event": "rolled_back", "details": {}}, "to_phase"),
    ({"event": "override_set", "details": {"reason": "no incident"}}, "incident_id"),
    ({"environment": "prod/../x"}, "environment"),
])
def test_new_entry_rejects_bad_fields_naming_them(kwargs, field):
    args = dict(prev=None, environment="staging", phase=1, event="started", actor="alice", run_id="r1")
    args.update(kwargs)
    with pytest.raises(LedgerError, match=field):
        model.new_entry(**args)


def test_an_entry_cannot_join_another_environments_chain():
    first = chain((1, "started", "alice", None))[0]
    with pytest.raises(LedgerError, match="belongs to 'staging'"):
        model.new_entry(first, "production", 1, "started", "alice", "r2")


def test_verify_names_the_first_bad_seq_and_why():
    entries = chain(*[(1, "applied", "alice", {"n": n}) for n in range(5)])
    changed = [dict(e) for e in entries]
    changed[3]["actor"] = "mallory"
    changed[4]["actor"] = "mallory"
    broken = model.verify(changed)
    assert broken.seq == 4 and broken.reason.startswith("entry changed after it was written")
    removed = entries[:2] + entries[3:]
    assert model.verify(removed).seq == 4
    assert "chain broken (an entry was removed or reordered)" in model.verify(removed).reason
    # a forger who renumbers and rehashes still cannot link to the entry before
    renumbered = [dict(e) for e in removed]
    renumbered[2]["seq"] = 3
    renumbered[2]["sha256"] = model.digest(renumbered[2])
    assert model.verify(renumbered).seq == 3 and "removed or reordered" in model.verify(renumbered).reason
    missing_key = [dict(e) for e in entries[:2]]
    del missing_key[1]["run_id"]
    assert model.verify(missing_key).seq == 2 and "missing run_id" in model.verify(missing_key).reason


def test_verify_catches_a_seq_gap_in_a_consistently_forged_chain():
    entries = chain((1, "started", "alice", None), (1, "applied", "alice", None))
    forged = dict(entries[1], seq=7)
    forged["sha256"] = model.digest(forged)
    broken = model.verify([entries[0], forged])
    assert broken.seq == 7 and "seq gap" in broken.reason


def test_phases_passed_then_rolled_back():
    entries = chain(
        (1, "started", "alice", None),
        (1, "gate_passed", "alice", {"score": 100}, "a" * 64),
        (2, "gate_passed", "alice", None),
        (3, "gate_passed", "alice", None, "b" * 64),
        (3, "rolled_back", "bob", {"to_phase": 2, "reason": "latency regression"}),
    )
    state = derive(entries)
    assert state["phase"] == 2 and state["passed_phases"] == [1, 2]
    assert state["last_gate"] == {"phase": 3, "verdict": "pass", "ts": "2025-03-01T09:03:00.000Z",
                                  "report_sha256": "b" * 64}
    assert state["last_event"] == {"event": "rolled_back", "phase": 3, "ts": "2025-03-01T09:04:00.000Z",
                                   "actor": "bob"}
    assert state["entries"] == 5 and state["environment"] == "staging"
    # passing phase 3 again after the rollback counts again
    again = entries + [model.new_entry(entries[-1], "staging", 3, "gate_passed", "alice", "r9")]
    assert derive(again)["phase"] == 3


def test_a_rollback_to_manual_undoes_every_phase_and_a_failed_gate_undoes_none():
    entries = chain((1, "gate_passed", "a", None), (2, "gate_passed", "a", None), (3, "gate_failed", "a", None))
    state = derive(entries)
    assert state["phase"] == 2 and state["last_gate"]["verdict"] == "fail" and state["last_gate"]["phase"] == 3
    entries.append(model.new_entry(entries[-1], "staging", 2, "rolled_back", "oncall", "r", details={"to_phase": 0}))
    assert derive(entries)["phase"] == 0 and derive(entries)["passed_phases"] == []


def test_override_set_is_active_until_cleared_with_the_same_incident():
    entries = chain(
        (2, "gate_passed", "alice", None),
        (2, "incident_opened", "oncall", {"incident_id": "INC-42"}),
        (2, "override_set", "oncall", {"incident_id": "INC-42", "reason": "agents deleting pods"}),
    )
    override = derive(entries)["override"]
    assert override["active"] is True and override["incident_id"] == "INC-42"
    assert override["reason"] == "agents deleting pods" and override["actor"] == "oncall"
    assert override["ts"] == "2025-03-01T09:02:00.000Z"
    entries.append(model.new_entry(entries[-1], "staging", 2, "override_cleared", "carol", "r",
                                   details={"incident_id": "INC-7", "reason": "wrong incident"}))
    assert derive(entries)["override"]["active"] is True
    entries.append(model.new_entry(entries[-1], "staging", 2, "override_cleared", "carol", "r",
                                   details={"incident_id": "INC-42", "reason": "root cause fixed"}))
    state = derive(entries)
    assert state["override"]["active"] is False and state["override"]["incident_id"] is None
    assert state["phase"] == 2


def test_two_overrides_need_two_clearings():
    entries = chain((1, "override_set", "a", {"incident_id": "INC-1", "reason": "x"}),
                    (1, "override_set", "a", {"incident_id": "INC-2", "reason": "y"}),
                    (1, "override_cleared", "b", {"incident_id": "INC-2"}))
    override = derive(entries)["override"]
    assert override["active"] and override["incident_id"] == "INC-1" and override["incidents"] == ["INC-1"]


def test_approved_and_history_events_are_recorded_without_moving_the_phase():
    entries = chain((1, "gate_passed", "a", None), (2, "started", "a", None), (2, "applied", "a", None),
                    (2, "approved", "dana", {"verdict": "warn", "reason": "known dip"}),
                    (2, "lock_broken", "b", {"run_id": "old"}))
    state = derive(entries)
    assert state["phase"] == 1 and state["passed_phases"] == [1]
    assert entries[3]["details"] == {"verdict": "warn", "reason": "known dip"} and entries[3]["actor"] == "dana"
    assert state["last_event"]["event"] == "lock_broken"


def test_an_empty_ledger_is_phase_zero():
    state = derive([], "production")
    assert state == {"environment": "production", "phase": 0, "passed_phases": [], "last_gate": None,
                     "override": {"active": False, "incident_id": None, "reason": None, "actor": None, "ts": None,
                                  "expires": None, "incidents": []},
                     "last_event": None, "entries": 0}


def test_parse_lines_reports_a_torn_tail_and_rejects_a_bad_middle_line():
    entries = chain((1, "started", "a", None), (1, "applied", "a", None))
    data = b"".join(model.to_line(e) for e in entries)
    parsed, torn = model.parse_lines(data + b'{"seq":3,"ts":"2025')
    assert parsed == entries and torn == {"line": 3, "offset": len(data), "data": b'{"seq":3,"ts":"2025'}
    assert model.parse_lines(data) == (entries, None)
    with pytest.raises(model.ChainBroken, match="line 2 is not JSON"):
        model.parse_lines(model.to_line(entries[0]) + b"garbage\n" + model.to_line(entries[1]))
