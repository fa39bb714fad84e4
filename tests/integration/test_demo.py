"""demo.yml (the main job of `make demo`): phases 1-5 in one run, then nothing to do."""

import json
import os

from conftest import run_playbook


def events(sandbox, env):
    with open(os.path.join(str(sandbox), "ledger", env + ".jsonl")) as handle:
        return [(e["event"], e["phase"]) for e in map(json.loads, handle)]


def test_demo_walks_the_plan_once_and_then_changes_nothing(sandbox):
    first = run_playbook("demo.yml", sandbox)
    assert first.rc == 0, first.out[-4000:]
    for phase, where in ((1, "development"), (2, "development"), (3, "staging"), (4, "production"),
                         (5, "development, staging, production")):
        assert "Phase %d passed in %s." % (phase, where) in first.out
    # One run imports the five phases: each records its own entries, in its own environments.
    assert events(sandbox, "development") == [
        ("started", 1), ("applied", 1), ("gate_passed", 1), ("started", 2), ("applied", 2), ("gate_passed", 2),
        ("started", 5), ("applied", 5), ("gate_passed", 5)]
    assert events(sandbox, "staging") == [
        ("started", 2), ("applied", 2), ("started", 3), ("applied", 3), ("gate_passed", 3),
        ("started", 5), ("applied", 5), ("gate_passed", 5)]
    assert events(sandbox, "production") == [
        ("started", 4), ("applied", 4), ("gate_passed", 4), ("approved", 4),
        ("started", 5), ("applied", 5), ("gate_passed", 5)]
    assert os.path.exists(os.path.join(str(sandbox), "reports", "status.html"))
    second = run_playbook("demo.yml", sandbox)
    assert second.rc == 0, second.out[-4000:]
    assert second.changed() == 0 and second.recap()["localhost"]["changed"] == 0
    assert second.out.count("; nothing to do.") == 5
