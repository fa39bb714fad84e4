"""kiro.platform.incident's action plugin run directly: the post-mortem and evidence of a summary."""

import os
import tarfile

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.action.incident import ActionModule
from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident

LOCKED = {"changed": True, "changed_files": ["/w/.kiro/settings/mcp.json"], "errors": [],
          "finished": "2026-11-26T10:00:04.500Z", "snapshot": {"id": "snap-1"},
          "files": [{"path": "/w/.kiro/settings/mcp.json", "action": "updated", "items": ["aws-api"]}],
          "ansible_facts": {"kiro": {"summary": {"manual_mode": True}}}}


def summary(check_mode=False):
    return incident.summarize("INC-7", "agent deleting pods", "alice", "2026-11-26T10:00:00.000Z",
                              {"web1": {"environment": "development", "result": LOCKED}}, check_mode=check_mode)


def args(**extra):
    values = {"summary": summary(), "hosts": ["web1"], "dest": "incidents",
              "notifications": [{"name": "oncall", "type": "slack", "ok": False, "error": "HTTP 500"}]}
    values.update(extra)
    return values


def test_writes_the_postmortem_and_the_evidence_of_each_host(action, tmp_path):
    result = action(ActionModule, args()).run(task_vars={"hostvars": {"web1": {"emergency_lockdown": LOCKED}}})
    assert result["changed"] is True
    assert result["directory"].startswith(str(tmp_path / "incidents" / "INC-7") + os.sep)
    with open(result["postmortem"]) as handle:
        assert "INC-7" in handle.read()
    with tarfile.open(result["evidence"]) as bundle:
        assert "manifest.json" in [os.path.basename(name) for name in bundle.getnames()]
    # The failed notification makes the record incomplete.
    assert result["summary"]["complete"] is False


def test_check_mode_returns_the_summary_and_writes_nothing(action, tmp_path):
    result = action(ActionModule, args(), check_mode=True).run(task_vars={})
    assert result["changed"] is False and "would write" in result["msg"]
    assert result["summary"]["incident_id"] == "INC-7"
    assert not (tmp_path / "incidents").exists()


def test_a_summary_not_made_by_the_filter_is_refused_naming_the_key(action):
    with pytest.raises(AnsibleActionFail, match="summary has no hosts"):
        action(ActionModule, args(summary={"incident_id": "INC-7"})).run(task_vars={})


def test_dest_is_required(action):
    values = args()
    del values["dest"]
    with pytest.raises(AnsibleActionFail, match="kiro.platform.incident: .*dest"):
        action(ActionModule, values).run(task_vars={})
