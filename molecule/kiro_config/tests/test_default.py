"""What the kiro_config role leaves on a host, checked with testinfra."""

import json
import os

import pytest

ROOT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "host")
WORKSPACES = [os.path.join(ROOT, "ws", "app"), os.path.join(ROOT, "ws", "infra")]


def load(host, path):
    return json.loads(host.file(path).content_string)


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_steering_documents(host, workspace):
    for name in ("workflows", "microservices", "operations"):
        doc = host.file(os.path.join(workspace, ".kiro", "steering", name + ".md"))
        assert doc.is_file
        text = doc.content_string
        assert text.startswith("---\ninclusion: always\n---\n")
        assert len(text.splitlines()) > 30


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_hooks_enabled(host, workspace):
    for name in ("infrastructure-monitoring", "cost-optimization"):
        hook = load(host, os.path.join(workspace, ".kiro", "hooks", name + ".kiro.hook"))
        assert hook["enabled"] is True
        assert hook["version"] == "1"
        assert hook["when"]["type"] == "fileEdited"
        assert hook["then"]["type"] == "askAgent"


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


def test_snapshot_taken_before_change(host):
    snapdir = host.file(os.path.join(ROOT, "snapshots"))
    assert snapdir.is_directory
    assert snapdir.mode == 0o700
    manifests = [f for f in snapdir.listdir() if f.endswith(".manifest.json")]
    # One snapshot of the state before the first converge; the idempotence run adds none.
    assert len(manifests) == 1
    manifest = load(host, os.path.join(ROOT, "snapshots", manifests[0]))
    assert [f["path"] for f in manifest["files"]] == [os.path.join(WORKSPACES[0], ".kiro", "settings", "mcp.json")]
