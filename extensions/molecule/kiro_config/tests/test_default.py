"""What the kiro_config role leaves on a host, checked with testinfra.

The converge applies the phase-1 profile in development with classic hooks
(ws/app, ws/infra) and the phase-3 profile in staging with v1 hooks
(staging/ws/platform)."""

import json
import os

import pytest
import yaml

ROOT = os.environ["KIRO_MOLECULE_ROOT"]
WORKSPACES = [os.path.join(ROOT, "ws", "app"), os.path.join(ROOT, "ws", "infra")]
STAGING = os.path.join(ROOT, "staging")
STAGING_WS = os.path.join(STAGING, "ws", "platform")
PHASE1_HOOKS = ("infrastructure-monitoring", "cost-optimization")
PHASE2_HOOKS = ("deployment-validation", "security-compliance")


def load(host, path):
    return json.loads(host.file(path).content_string)


def manifests(host, directory):
    snapdir = host.file(directory)
    assert snapdir.is_directory
    assert snapdir.mode == 0o700
    return [load(host, os.path.join(directory, f)) for f in sorted(snapdir.listdir()) if f.endswith(".manifest.json")]


@pytest.mark.parametrize("workspace", WORKSPACES + [STAGING_WS])
def test_steering_documents(host, workspace):
    for name in ("workflows", "microservices", "operations"):
        doc = host.file(os.path.join(workspace, ".kiro", "steering", name + ".md"))
        assert doc.is_file
        text = doc.content_string
        assert text.startswith("---\ninclusion: always\n---\n")
        assert len(text.splitlines()) > 30


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_hooks_enabled(host, workspace):
    for name in PHASE1_HOOKS:
        hook = load(host, os.path.join(workspace, ".kiro", "hooks", name + ".kiro.hook"))
        assert hook["enabled"] is True
        assert hook["version"] == "1"
        assert hook["when"]["type"] == "fileEdited"
        assert hook["then"]["type"] == "askAgent"
    assert not host.file(os.path.join(workspace, ".kiro", "hooks", PHASE2_HOOKS[0] + ".json")).exists


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_mcp_servers_read_only(host, workspace):
    path = os.path.join(workspace, ".kiro", "settings", "mcp.json")
    servers = load(host, path)["mcpServers"]
    assert servers["aws-api"]["env"]["READ_OPERATIONS_ONLY"] == "true"
    assert servers["aws-api"]["env"]["AWS_REGION"] == "eu-west-1"
    assert servers["aws-api"]["autoApprove"] == []
    assert "--allow-write" not in servers["eks"]["args"]
    assert servers["github"]["url"].endswith("/readonly")
    assert servers["github"]["headers"]["Authorization"] == "Bearer ${GITHUB_PAT}"
    assert "cost-explorer" not in servers
    assert host.file(path).mode == 0o600


def test_operator_server_kept(host):
    doc = load(host, os.path.join(WORKSPACES[0], ".kiro", "settings", "mcp.json"))
    assert doc["mcpServers"]["local-notes"] == {"command": "notes-mcp", "timeout": 5000}
    assert doc["x-operator"] == 1


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_supervised(host, workspace):
    settings = load(host, os.path.join(workspace, ".vscode", "settings.json"))
    assert settings["kiroAgent.agentAutonomy"] == "Supervised"
    assert "terraform apply" in settings["kiroAgent.commandDenylist"]
    assert "*" not in settings["kiroAgent.trustedCommands"]
    assert "git commit" not in settings["kiroAgent.trustedCommands"]


def test_snapshot_taken_before_change(host):
    found = manifests(host, os.path.join(ROOT, "snapshots"))
    # One snapshot of the state before the first converge; the idempotence run adds none.
    assert len(found) == 1
    assert [f["path"] for f in found[0]["files"]] == [os.path.join(WORKSPACES[0], ".kiro", "settings", "mcp.json")]


def test_v1_hooks_one_file_per_hook(host):
    for name in PHASE1_HOOKS + PHASE2_HOOKS:
        doc = load(host, os.path.join(STAGING_WS, ".kiro", "hooks", name + ".json"))
        assert doc["version"] == "v1"
        [hook] = doc["hooks"]
        assert hook["name"] == name
        assert hook["trigger"] == "PostFileSave"
        assert hook["action"]["type"] == "agent" and hook["action"]["prompt"]
        assert hook["enabled"] is True
        assert hook["matcher"].startswith("^")
    infra = load(host, os.path.join(STAGING_WS, ".kiro", "hooks", "infrastructure-monitoring.json"))["hooks"][0]
    assert "\\.tf" in infra["matcher"]


def test_v1_replaces_the_classic_hook(host):
    # The classic file phase 1 left would make the hook fire twice next to its v1 file.
    hooks = host.file(os.path.join(STAGING_WS, ".kiro", "hooks"))
    assert sorted(hooks.listdir()) == sorted(name + ".json" for name in PHASE1_HOOKS + PHASE2_HOOKS)
    [snapshot] = manifests(host, os.path.join(STAGING, "snapshots"))
    assert snapshot["label"] == "phase 3 staging supervised_autonomous"
    assert [f["path"] for f in snapshot["files"]] == [
        os.path.join(STAGING_WS, ".kiro", "hooks", "cost-optimization.kiro.hook")]


def test_phase3_staging_autonomy(host):
    settings = load(host, os.path.join(STAGING_WS, ".vscode", "settings.json"))
    assert settings["kiroAgent.agentAutonomy"] == "Autopilot"
    trusted = settings["kiroAgent.trustedCommands"]
    assert "kubectl get pods" in trusted and "git commit" in trusted
    assert "*" not in trusted and "make test" not in trusted
    assert "kubectl apply" in settings["kiroAgent.commandDenylist"]


def test_phase3_mcp_servers(host):
    path = os.path.join(STAGING_WS, ".kiro", "settings", "mcp.json")
    servers = load(host, path)["mcpServers"]
    assert set(servers) == {"aws-api", "eks", "cloudwatch", "cost-explorer", "github"}
    assert all(server["disabled"] is False for server in servers.values())
    assert servers["aws-api"]["env"]["REQUIRE_MUTATION_CONSENT"] == "true"
    assert servers["cost-explorer"]["autoApprove"] == ["get_cost_and_usage", "get_dimension_values", "get_tag_values"]
    assert host.file(path).mode == 0o600


def test_phase3_scheduled_agents(host):
    for name, cron in (("cost-optimizer", "0 6 * * 1"), ("docs-maintainer", "0 7 * * 5")):
        agent = load(host, os.path.join(STAGING_WS, ".kiro", "agents", name + ".json"))
        assert agent["name"] == name and agent["allowedTools"]
        assert not any(tool.startswith("fs_write") for tool in agent["allowedTools"])
        workflow = yaml.safe_load(host.file(os.path.join(STAGING_WS, ".github", "workflows",
                                                         "kiro-%s.yml" % name)).content_string)
        assert workflow["on"]["schedule"] == [{"cron": cron}]
        run = workflow["jobs"]["kiro-agent"]["steps"][-1]["run"]
        assert "--agent %s" % name in run and "--trust-tools=fs_read,grep,glob" in run
