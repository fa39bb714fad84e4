"""Bad input fails clearly, names what is at fault, and loses nothing."""

import os

from conftest import run_playbook, tree, workspace


def test_corrupt_mcp_json_fails_that_host_only(sandbox):
    ws = workspace(sandbox, "dev-workstation-1")
    os.makedirs(os.path.join(ws, ".kiro", "settings"))
    bad = os.path.join(ws, ".kiro", "settings", "mcp.json")
    with open(bad, "wb") as handle:
        handle.write(b'{"mcpServers": {"x": {"command": "a",}}')
    result = run_playbook("phase1.yml", sandbox)
    assert result.rc != 0
    recap = result.recap()
    # The phase playbook records a host's failure (rescued) and lets the gate decide: it fails.
    assert recap["dev-workstation-1"]["rescued"] == 1
    assert recap["dev-workstation-2"]["rescued"] == 0 and recap["dev-workstation-2"]["changed"] >= 1
    assert "did not pass its gate in development" in result.out and "| config_deployment | FAIL |" in result.out
    assert bad in result.out and "invalid JSON" in result.out
    with open(bad, "rb") as handle:
        assert handle.read() == b'{"mcpServers": {"x": {"command": "a",}}'
    # Nothing else of that host was written: the plan failed before any write.
    assert sorted(tree(os.path.join(str(sandbox), "dev-workstation-1"))) == ["workspaces/platform-infra/.kiro/settings/mcp.json"]
    assert os.path.exists(os.path.join(workspace(sandbox, "dev-workstation-2"), ".kiro", "settings", "mcp.json"))


def test_invalid_profile_rejected_before_any_write(sandbox, tmp_path):
    overrides = tmp_path / "bad.yml"
    overrides.write_text(
        "kiro_config_profile:\n"
        "  hooks:\n"
        "    - name: broken\n"
        "      when: {type: onSave, patterns: ['*.tf']}\n"
        "      then: {type: askAgent, prompt: hi}\n"
        "  mcp_servers:\n"
        "    - name: nowhere\n")
    result = run_playbook("phase1.yml", sandbox, "-e", "@%s" % overrides)
    assert result.rc != 0
    assert "hook broken" in result.out and "unknown trigger 'onSave'" in result.out
    assert tree(str(sandbox)) == {}


def test_server_without_command_or_url_named(sandbox, tmp_path):
    overrides = tmp_path / "bad.yml"
    overrides.write_text("kiro_config_profile:\n  mcp_servers:\n    - name: nowhere\n      disabled: false\n")
    result = run_playbook("phase1.yml", sandbox, "-e", "@%s" % overrides)
    assert result.rc != 0
    assert "MCP server nowhere: needs exactly one of command" in result.out
    assert tree(str(sandbox)) == {}


def test_secrets_never_printed(sandbox, tmp_path):
    overrides = tmp_path / "secret.yml"
    overrides.write_text(
        "kiro_config_profile:\n"
        "  mcp_servers:\n"
        "    - name: github-local\n"
        "      command: github-mcp-server\n"
        "      env: {GITHUB_PERSONAL_ACCESS_TOKEN: ghp_TopSecretValue123, GITHUB_READ_ONLY: '1'}\n"
        "    - name: remote\n"
        "      url: https://mcp.example.invalid/mcp?token=QueryTokenValue456\n"
        "      headers: {Authorization: Bearer HeaderTokenValue789}\n"
        "  autonomy: {agent_autonomy: Supervised}\n")
    result = run_playbook("phase1.yml", sandbox, "--diff", "-vvv", "-e", "@%s" % overrides)
    # The gate fails (these servers cannot start here); what matters is what was printed.
    assert "Apply the Kiro profile to every workspace" in result.out
    for secret in ("ghp_TopSecretValue123", "QueryTokenValue456", "HeaderTokenValue789"):
        assert secret not in result.out and secret not in result.err
    assert "GITHUB_READ_ONLY" in result.out
    path = os.path.join(workspace(sandbox, "dev-workstation-1"), ".kiro", "settings", "mcp.json")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path) as handle:
        assert "ghp_TopSecretValue123" in handle.read()  # the file itself must hold it
