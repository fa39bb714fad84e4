"""The kiro.platform.emergency_summary filter (plugins/filter/emergency.py)."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.filter.emergency import FilterModule

emergency_summary = FilterModule().filters()["emergency_summary"]

LOCKED = {"changed": True, "changed_files": ["/w/.kiro/settings/mcp.json"], "errors": [],
          "finished": "2026-11-26T10:00:03.000Z", "ansible_facts": {"kiro": {"summary": {"manual_mode": True}}}}


def test_the_summary_reads_each_hosts_result_and_environment_from_hostvars():
    hostvars = {"web1": {"rollout_environment": "production", "emergency_lockdown": LOCKED},
                "web2": {"rollout_environment": "production"}}
    summary = emergency_summary(["web1", "web2"], hostvars, "INC-5", "agent deleting pods", "alice",
                                "2026-11-26T10:00:00.000Z")
    assert summary["counts"]["locked"] == 1 and summary["counts"]["not_run"] == 1
    assert summary["time_to_safe_seconds"] == 3.0
    assert summary["complete"] is False
    assert [u["host"] for u in summary["unreachable"]] == ["web2"]


def test_a_bad_incident_id_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="kiro.platform.emergency_summary: "):
        emergency_summary([], {}, "INC 5; rm -rf /", "r", "alice", "2026-11-26T10:00:00.000Z")


def test_not_done_reads_each_hosts_registered_result():
    not_done = FilterModule().filters()["emergency_not_done"]
    hostvars = {"web1": {"clear_marker": {"changed": True}}, "web2": {"clear_marker": {"failed": True, "msg": "locked"}},
                "web3": {}}
    assert not_done(["web1", "web2", "web3"], hostvars, "clear_marker") == [
        "web2: failed: locked", "web3: not run: the lockdown did not run there (not in the play, or --limit)"]
