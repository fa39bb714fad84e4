"""lockdown.plan / apply over workspaces built with the real model (profile.plan().apply()).

Hooks in both forms, MCP servers with autoApprove, agents with allowedTools and
their own servers, a scheduled workflow, Autopilot with trusted commands, and an
operator's unmanaged server, hooks and workflow: after a lockdown every root is
in manual mode, every key outside the locked ones is kept, and a snapshot taken
first restores the exact previous bytes.
"""

import copy
import json
import os
import shutil

import pytest
import yaml

from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    changeset, facts, lockdown, permissions, profile, settings, snapshot, workflows)
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, tree, write, write_json

SECRET = "tok-LockdownSecret-1"

DEPLOYED = {
    "steering": [{"name": "operations", "content": "# Operations\n"}],
    "hooks": [{"name": "infra-monitor", "description": "Check manifests",
               "when": {"type": "fileEdited", "patterns": ["k8s/**/*.yaml"]},
               "then": {"type": "askAgent", "prompt": "Check these manifests."}}],
    "mcp_servers": [
        {"name": "aws-api", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
         "env": {"AWS_REGION": "us-east-1", "API_TOKEN": SECRET, "READ_OPERATIONS_ONLY": "true"},
         "auto_approve": ["call_aws", "suggest_aws_commands"], "disabled_tools": ["delete_stack"],
         "extra": {"x-team": "sre"}},
        {"name": "github", "url": "https://api.githubcopilot.com/mcp/readonly",
         "headers": {"Authorization": "Bearer ${GITHUB_PAT}"}, "auto_approve": ["get_issue"]},
    ],
    "agents": [{"name": "triage", "config": {
        "description": "Read-only triage", "prompt": "You triage incidents.", "tools": ["read", "grep", "@eks"],
        "allowedTools": ["read", "grep", "@eks"], "includeMcpJson": False,
        "mcpServers": {"eks": {"command": "uvx", "args": ["awslabs.eks-mcp-server@latest"],
                               "autoApprove": ["list_k8s_resources"]}},
        "hooks": {"preToolUse": [{"matcher": "shell", "command": "./guard.sh", "timeout_ms": 10000}]}}}],
    "workflows": [{"name": "cost-review", "agent": "triage", "schedule": "0 6 * * 1",
                   "prompt": "Review last week's costs.", "trust_tools": ["fs_read"]}],
    "user": {
        "mcp_servers": [{"name": "cost", "command": "uvx", "args": ["awslabs.cost-explorer-mcp-server@latest"],
                         "auto_approve": ["get_cost_and_usage"]}],
        "agents": [{"name": "personal", "config": {"tools": ["read"], "allowedTools": ["read"], "model": "m-1"}}],
    },
    "autonomy": {"agent_autonomy": "Autopilot", "trusted_commands": ["git status", "terraform plan"],
                 "command_denylist": ["rm -rf"],
                 "permissions": [{"capability": "shell", "match": ["npm *"], "effect": "allow"},
                                 {"capability": "shell", "effect": "allow"},
                                 {"capability": "fs_read", "match": "**", "exclude": ["**/.env"], "effect": "allow"}]},
}

V1_HOOKS = {"hooks": [{"name": "on-stop", "when": {"type": "Stop"}, "then": {"type": "command", "command": "make fmt"}},
                      {"name": "on-save", "when": {"type": "fileEdited", "patterns": ["**/*.py"]},
                       "then": {"type": "askAgent", "prompt": "Review."}, "timeout": 30}]}

OPERATOR_MCP = {"x-operator-note": "hands off", "mcpServers": {
    "operator-db": {"command": "db-mcp", "args": ["--read-only", "--port", "5433"],
                    "env": {"DB_URL": "postgres://u:%s@db/prod" % SECRET}, "customKey": {"nested": [1, 2]},
                    "disabled": False, "autoApprove": ["query"]}}}

OPERATOR_CLASSIC_HOOK = {"name": "Operator lint", "description": "by hand", "version": "1",
                         "when": {"type": "fileEdited", "patterns": ["*.go"]},
                         "then": {"type": "runCommand", "command": "golangci-lint run"}, "x-owner": "ops"}

OPERATOR_V1_HOOKS = {"version": "v1", "x-meta": {"owner": "team"}, "hooks": [
    {"name": "lint", "trigger": "PostFileSave", "matcher": "\\.py$", "action": {"type": "command", "command": "ruff ."}},
    {"name": "already-off", "trigger": "Stop", "action": {"type": "agent", "prompt": "Sum up."}, "enabled": False},
    {"name": "fmt", "trigger": "Stop", "action": {"type": "command", "command": "make fmt"}, "enabled": True}]}

# Hand-written, with an unquoted ``on:`` (the boolean True to PyYAML) and a push trigger.
OPERATOR_WORKFLOW = """# nightly agent, by hand
name: nightly
on:
  push:
    branches: [main]
  schedule:
    - cron: "0 2 * * *"
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - run: kiro-cli chat --no-interactive --agent triage "$KIRO_PROMPT"
"""

USER_SETTINGS = '// user settings\n{\n  "kiroAgent.agentAutonomy": "Autopilot", /* default */\n' \
                '  "workbench.colorTheme": "Dark",\n  "kiroAgent.trustedCommands": ["*"],\n}\n'


class Host:
    """Two configured workspaces, a bare one, kiro_home and a user settings.json."""

    def __init__(self, base):
        self.base = str(base)
        self.ws1 = make_workspace(base, "ws1")
        self.ws2 = make_workspace(base, "ws2")
        self.bare = make_workspace(base, "bare")
        self.home = os.path.join(self.base, "home", ".kiro")
        self.user_settings = os.path.join(self.base, "home", ".config", "Kiro", "User", "settings.json")
        self.snapshots = os.path.join(self.base, "snapshots")

    @property
    def roots(self):
        return roots([self.ws1, self.ws2, self.bare], self.home)

    def build(self):
        write_json(os.path.join(self.ws1, ".kiro", "settings", "mcp.json"), OPERATOR_MCP, mode=0o600)
        configured = roots([self.ws1, self.ws2], self.home)
        profile.plan(configured, profile.validate(copy.deepcopy(DEPLOYED), "classic")).apply()
        profile.plan(configured, profile.validate(copy.deepcopy(V1_HOOKS), "v1")).apply()
        write_json(os.path.join(self.ws1, ".kiro", "hooks", "operator-lint.kiro.hook"), OPERATOR_CLASSIC_HOOK)
        write_json(os.path.join(self.ws2, ".kiro", "hooks", "team.json"), OPERATOR_V1_HOOKS)
        write(os.path.join(self.ws2, ".github", "workflows", "kiro-nightly.yml"), OPERATOR_WORKFLOW)
        write(os.path.join(self.ws2, ".github", "workflows", "ci.yml"), "on: push\njobs: {}\n")
        write(self.user_settings, USER_SETTINGS)
        return self

    def plan(self, **kwargs):
        return lockdown.plan(self.roots, user_settings=self.user_settings, **kwargs)

    def lock(self, **kwargs):
        changes, errors = self.plan(**kwargs)
        assert lockdown.apply(changes) == []
        return changes, errors

    def facts(self):
        return facts.gather(self.roots, user_settings=self.user_settings)

    def path(self, *parts):
        return os.path.join(self.base, *parts)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One host built with the real model (fsynced writes are slow); each test gets a copy."""
    return Host(tmp_path_factory.mktemp("built")).build().base


@pytest.fixture
def host(tmp_path, built):
    base = os.path.join(str(tmp_path), "host")
    shutil.copytree(built, base, symlinks=True)
    return Host(base)


def _docs(base):
    """{path: parsed document} of every Kiro JSON/YAML file under ``base``."""
    out = {}
    for directory, _unused, files in os.walk(str(base)):
        for name in files:
            path = os.path.join(directory, name)
            data = read_bytes(path).decode("utf-8")
            if name.endswith((".json", ".hook")):
                out[path] = settings.parse(data, path) if os.sep + ".vscode" + os.sep in path or "Kiro" in path \
                    else json.loads(data)
            elif name.endswith((".yml", ".yaml")):
                out[path] = yaml.safe_load(data)
    return out


def test_before_lockdown_nothing_is_manual(host):
    gathered = host.facts()
    assert gathered["summary"]["manual_mode"] is False
    assert not any(r["manual_mode"] for r in gathered["roots"])
    assert gathered["summary"]["hooks_enabled"] >= 5 and gathered["summary"]["workflows_enabled"] == 3


def test_lockdown_puts_every_root_in_manual_mode(host):
    changes, errors = host.lock()
    assert errors == []
    gathered = host.facts()
    assert [r["manual_mode"] for r in gathered["roots"]] == [True, True, True, True]
    summary = gathered["summary"]
    assert summary["manual_mode"] is True and summary["errors"] == 0
    assert summary["hooks"] == 10 and summary["hooks_enabled"] == 0
    assert summary["mcp_servers"] == 6 and summary["mcp_servers_enabled"] == 0 and summary["auto_approved_tools"] == 0
    assert summary["workflows"] == 3 and summary["workflows_enabled"] == 0
    assert gathered["user_settings"]["agent_autonomy"] == "Supervised"
    assert gathered["user_settings"]["trusted_commands"] == []
    # the bare workspace had no settings.json, which means Autopilot: it is created
    bare_settings = os.path.join(host.bare, ".vscode", "settings.json")
    assert json.loads(read_bytes(bare_settings)) == lockdown.SUPERVISED
    assert os.listdir(host.bare) == [".vscode"]
    by_path = dict((c.path, c) for c in changes)
    assert by_path[bare_settings].action == "created"
    assert sorted(by_path[os.path.join(host.ws1, ".kiro", "settings", "mcp.json")].items) == \
        ["aws-api", "github", "operator-db"]
    assert by_path[os.path.join(host.ws2, ".kiro", "hooks", "team.json")].items == ["lint", "fmt"]
    # a repository's own workflow is never touched
    assert read_bytes(host.path("ws2", ".github", "workflows", "ci.yml")) == b"on: push\njobs: {}\n"


def _without(doc, path):
    """``doc`` with the keys a lockdown may set removed (what must survive byte-for-byte, as data)."""
    doc = copy.deepcopy(doc)
    name = os.path.basename(path)
    if name.endswith(".kiro.hook"):
        doc.pop("enabled", None)
    elif os.sep + "hooks" + os.sep in path:
        for hook in doc.get("hooks", []):
            hook.pop("enabled", None)
    elif name == "mcp.json":
        for server in doc.get("mcpServers", {}).values():
            server.pop("disabled", None)
            server.pop("autoApprove", None)
    elif os.sep + "agents" + os.sep in path:
        doc.pop("allowedTools", None)
        for server in doc.get("mcpServers", {}).values():
            server.pop("disabled", None)
            server.pop("autoApprove", None)
    elif name == "settings.json":
        doc.pop(settings.AUTONOMY_KEY, None)
        doc.pop(settings.TRUSTED_KEY, None)
    elif name.startswith("kiro-") and name.endswith(".yml"):
        doc.pop("on", None)
        doc.pop(True, None)
    elif name == "permissions.yaml":
        doc["rules"] = [r for r in doc["rules"] if r.get("effect") != "deny"
                        and permissions.identity(r) not in [permissions.identity(d) for d in lockdown.DENY_RULES]]
    return doc


def test_every_key_outside_the_locked_ones_survives(host):
    before = _docs(host.base)
    host.lock()
    after = _docs(host.base)
    created = sorted(set(after) - set(before))
    assert created == [os.path.join(host.bare, ".vscode", "settings.json")]
    for path, doc in before.items():
        assert _without(after[path], path) == _without(doc, path), path

    mcp1 = after[os.path.join(host.ws1, ".kiro", "settings", "mcp.json")]
    assert mcp1["x-operator-note"] == "hands off"
    assert mcp1["mcpServers"]["operator-db"]["args"] == ["--read-only", "--port", "5433"]
    assert mcp1["mcpServers"]["operator-db"]["env"]["DB_URL"].endswith(SECRET + "@db/prod")
    assert mcp1["mcpServers"]["operator-db"]["customKey"] == {"nested": [1, 2]}
    assert mcp1["mcpServers"]["aws-api"]["env"]["API_TOKEN"] == SECRET
    assert mcp1["mcpServers"]["aws-api"]["disabledTools"] == ["delete_stack"]
    assert mcp1["mcpServers"]["aws-api"]["x-team"] == "sre"
    for server in mcp1["mcpServers"].values():
        assert server["disabled"] is True and server["autoApprove"] == []
    assert mode_of(os.path.join(host.ws1, ".kiro", "settings", "mcp.json")) == 0o600

    agent = after[os.path.join(host.ws1, ".kiro", "agents", "triage.json")]
    assert agent["allowedTools"] == [] and agent["tools"] == ["read", "grep", "@eks"]
    assert agent["mcpServers"]["eks"] == {"command": "uvx", "args": ["awslabs.eks-mcp-server@latest"],
                                          "autoApprove": [], "disabled": True}
    assert agent["hooks"]["preToolUse"][0]["command"] == "./guard.sh"

    classic = after[os.path.join(host.ws1, ".kiro", "hooks", "operator-lint.kiro.hook")]
    assert classic == dict(OPERATOR_CLASSIC_HOOK, enabled=False)
    team = after[os.path.join(host.ws2, ".kiro", "hooks", "team.json")]
    assert team["x-meta"] == {"owner": "team"} and [h["enabled"] for h in team["hooks"]] == [False] * 3
    v1 = after[os.path.join(host.ws1, ".kiro", "hooks", "on-save.json")]
    assert v1["hooks"][0]["timeout"] == 30 and v1["hooks"][0]["enabled"] is False

    ws1_settings = after[os.path.join(host.ws1, ".vscode", "settings.json")]
    assert ws1_settings[settings.DENYLIST_KEY] == ["rm -rf"]
    assert ws1_settings[settings.AUTONOMY_KEY] == "Supervised" and ws1_settings[settings.TRUSTED_KEY] == []
    user = after[host.user_settings]
    assert user == {"kiroAgent.agentAutonomy": "Supervised", "workbench.colorTheme": "Dark",
                    "kiroAgent.trustedCommands": []}

    rules = after[os.path.join(host.home, "settings", "permissions.yaml")]["rules"]
    assert rules[0] == {"capability": "shell", "match": ["npm *"], "effect": "allow"}
    assert rules[1] == {"capability": "shell", "effect": "deny"}, "an allow-all for shell is turned into the deny"
    assert rules[2]["capability"] == "fs_read" and rules[2]["exclude"] == ["**/.env"]
    assert sorted(r["capability"] for r in rules if r["effect"] == "deny") == \
        sorted(r["capability"] for r in lockdown.DENY_RULES)
    assert len(rules) == 5

    managed = after[host.path("ws1", ".github", "workflows", "kiro-cost-review.yml")]
    assert managed["on"] == {"workflow_dispatch": {}}
    assert managed["jobs"] == before[host.path("ws1", ".github", "workflows", "kiro-cost-review.yml")]["jobs"]
    nightly_path = host.path("ws2", ".github", "workflows", "kiro-nightly.yml")
    nightly = after[nightly_path]
    assert nightly["on"] == {"workflow_dispatch": {}} and True not in nightly
    assert list(nightly) == ["name", "on", "jobs"], "the trigger key keeps its place"
    assert "'on':" in read_bytes(nightly_path).decode("utf-8"), "GitHub (YAML 1.2) must still read the key as on"
    assert workflows.schedules(workflows.read(nightly_path)[1]) == []


def test_second_plan_has_no_changes_and_leaves_bytes_alone(host):
    host.lock()
    locked = tree(host.base)
    changes, errors = host.plan()
    assert errors == []
    assert changes and not any(c.changed for c in changes)
    assert all(c.items == [] for c in changes)
    assert lockdown.apply(changes) == []
    assert tree(host.base) == locked


def test_a_locked_file_is_not_rewritten(host):
    host.lock()
    # An operator re-enables one server by hand: only that file changes, and only there.
    path = os.path.join(host.ws2, ".kiro", "settings", "mcp.json")
    doc = json.loads(read_bytes(path))
    doc["mcpServers"]["aws-api"]["autoApprove"] = ["call_aws"]
    write_json(path, doc)
    changes, errors = host.plan()
    assert errors == []
    assert [(c.path, c.items) for c in changes if c.changed] == [(path, ["aws-api"])]


def test_check_mode_writes_nothing(host):
    before = tree(host.base)
    changes, errors = host.plan()
    assert errors == [] and any(c.changed for c in changes)
    assert lockdown.apply(changes, check_mode=True) == []
    assert tree(host.base) == before


def test_corrupt_mcp_json_is_reported_and_everything_else_is_locked(host):
    bad = os.path.join(host.ws2, ".kiro", "settings", "mcp.json")
    write(bad, '{"mcpServers": {"aws-api": ')
    changes, errors = host.lock()
    assert len(errors) == 1
    assert errors[0]["path"] == bad and bad in errors[0]["msg"] and "invalid JSON" in errors[0]["msg"]
    assert bad not in [c.path for c in changes]
    assert read_bytes(bad) == b'{"mcpServers": {"aws-api": '
    gathered = host.facts()
    by_path = dict((r["path"], r) for r in gathered["roots"])
    ws2 = by_path[os.path.join(host.ws2, ".kiro")]
    assert ws2["manual_mode"] is False and len(ws2["errors"]) == 1, "an unreadable file cannot be proven safe"
    assert ws2["hooks"] and not any(h["enabled"] for h in ws2["hooks"])
    assert not any(a["allowed_tools"] for a in ws2["agents"])
    assert ws2["autonomy"]["agent_autonomy"] == "Supervised"
    assert not any(w["enabled"] for w in ws2["workflows"])
    for other in (host.ws1, host.bare):
        assert by_path[os.path.join(other, ".kiro")]["manual_mode"] is True
    assert by_path[host.home]["manual_mode"] is True
    # once the file is fixed, the next lockdown finishes the job
    write_json(bad, {"mcpServers": {"x": {"command": "x"}}})
    _unused, errors = host.lock()
    assert errors == [] and host.facts()["summary"]["manual_mode"] is True


@pytest.mark.parametrize("relpath, text", [
    (os.path.join(".kiro", "hooks", "infra-monitor.kiro.hook"), "not json"),
    (os.path.join(".kiro", "hooks", "on-stop.json"), '{"version": "v1", "hooks": {"a": 1}}'),
    (os.path.join(".kiro", "agents", "triage.json"), '{"name": "triage", '),
    (os.path.join(".github", "workflows", "kiro-cost-review.yml"), "on: [unclosed\n"),
    (os.path.join(".vscode", "settings.json"), '{"kiroAgent.agentAutonomy" "Autopilot"}'),
])
def test_any_unreadable_file_is_one_error_and_the_rest_is_locked(host, relpath, text):
    bad = write(os.path.join(host.ws1, relpath), text)
    changes, errors = host.lock()
    assert [e["path"] for e in errors] == [bad]
    assert bad in errors[0]["msg"]
    assert read_bytes(bad) == text.encode("utf-8")
    gathered = host.facts()
    assert [r["manual_mode"] for r in gathered["roots"]] == [False, True, True, True]


def test_corrupt_permissions_yaml_is_reported(host):
    bad = write(os.path.join(host.home, "settings", "permissions.yaml"), "rules: [unclosed\n")
    _unused, errors = host.lock()
    assert [e["path"] for e in errors] == [bad]
    gathered = host.facts()
    assert [r["manual_mode"] for r in gathered["roots"]] == [True, True, True, False]


def test_restoring_the_snapshot_brings_back_the_exact_previous_bytes(host):
    before = tree(host.base)
    changes, errors = host.plan()
    changed, manifest, _unused = snapshot.create(host.roots, host.snapshots, label="INC-1", user_settings=host.user_settings,
                                                 extra_files=lockdown.unsnapshotted(host.roots, changes, host.user_settings))
    assert changed and manifest["label"] == "INC-1"
    assert lockdown.apply(changes) == []
    assert host.facts()["summary"]["manual_mode"] is True
    _unused, restore = snapshot.restore_plan(host.snapshots, manifest["id"], prune=True)
    restored = Plan()
    restored.extend(restore)
    restored.apply()
    after = dict((p, v) for p, v in tree(host.base).items() if not p.startswith("snapshots"))
    assert after == before, "bytes and modes as before the lockdown; the created settings.json is gone"
    assert read_bytes(host.user_settings) == USER_SETTINGS.encode("utf-8"), "comments come back too"


def test_a_custom_settings_file_is_snapshotted_too(host):
    custom = os.path.join(".kiro-ide", "settings.json")
    write(os.path.join(host.ws1, custom), '{"kiroAgent.agentAutonomy": "Autopilot"}\n')
    before = tree(host.base)
    changes, errors = host.plan(settings_file=custom)
    extra = lockdown.unsnapshotted(host.roots, changes, host.user_settings)
    assert sorted(extra) == sorted(os.path.join(w, custom) for w in (host.ws1, host.ws2, host.bare))
    snapshot.create(host.roots, host.snapshots, user_settings=host.user_settings, extra_files=extra)
    assert lockdown.apply(changes) == []
    assert facts.gather(host.roots, user_settings=host.user_settings, settings_file=custom)["summary"]["manual_mode"]
    _unused, restore = snapshot.restore_plan(host.snapshots, prune=True)
    restored = Plan()
    restored.extend(restore)
    restored.apply()
    assert dict((p, v) for p, v in tree(host.base).items() if not p.startswith("snapshots")) == before


@pytest.mark.parametrize("bad", ["/etc/settings.json", "../settings.json", ""])
def test_settings_file_must_stay_in_the_workspace(tmp_path, bad):
    with pytest.raises(KiroValidationError, match="settings_file"):
        lockdown.plan(roots([make_workspace(tmp_path)]), settings_file=bad)


def test_a_missing_workspace_is_an_error_not_a_failure(tmp_path):
    present = make_workspace(tmp_path, "present")
    missing = os.path.join(str(tmp_path), "missing")
    found, errors = lockdown.targets([present, missing], os.path.join(str(tmp_path), "home"))
    assert [r.workspace for r in found if r.scope == "workspace"] == [present]
    assert [e["path"] for e in errors] == [missing] and "does not exist" in errors[0]["msg"]
    found, errors = lockdown.targets([present, missing], None, create=True)
    assert len(found) == 2 and errors == []


def test_a_file_that_cannot_be_written_is_reported_and_the_rest_written(tmp_path):
    blocker = write(os.path.join(str(tmp_path), "blocker"), "a file where a directory should be")
    fine = os.path.join(str(tmp_path), "fine.json")
    failed = lockdown.apply([changeset.FileChange(os.path.join(blocker, "settings.json"), None, b"{}\n"),
                             changeset.FileChange(fine, None, b"{}\n")])
    assert [f["path"] for f in failed] == [os.path.join(blocker, "settings.json")]
    assert read_bytes(fine) == b"{}\n"


def test_unschedule_keeps_dispatch_inputs_and_is_stable():
    doc = {"name": "x", "on": {"schedule": [{"cron": "0 1 * * *"}], "pull_request": None,
                               "workflow_dispatch": {"inputs": {"dry": {"type": "boolean"}}}}, "jobs": {}}
    locked = lockdown.unschedule(doc)
    assert locked["on"] == {"workflow_dispatch": {"inputs": {"dry": {"type": "boolean"}}}}
    assert lockdown.unschedule(locked) is locked
    assert lockdown.unschedule({"on": "push", "jobs": {}})["on"] == {"workflow_dispatch": {}}
    assert lockdown.unschedule({"jobs": {}}) == {"jobs": {}}
