"""A real ``ansible-playbook -vvv`` run: secrets in an agent's own mcpServers env, in an MCP
server's ``extra`` env and in a profile's ``user`` items reach the files, never the output."""

import os
import subprocess
import sys

from conftest import BIN, ROOT, ansible_env

SECRETS = {"agent": "s3cr3t-agent-env-1", "extra": "s3cr3t-extra-env-2", "profile": "s3cr3t-profile-env-3",
           "user": "s3cr3t-user-env-4", "oauth": "s3cr3t-oauth-5"}

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ws: {ws}
    home: {home}
  tasks:
    - kiro.platform.agents:
        workspaces: ["{{{{ ws }}}}"]
        agents:
          - name: triage
            config:
              description: triage agent
              mcpServers:
                x: {{command: uvx, env: {{TOKEN: "{agent}", READ_ONLY: "true"}}}}
    - kiro.platform.mcp_servers:
        workspaces: ["{{{{ ws }}}}"]
        mcp_servers:
          - name: extra-server
            command: uvx
            extra: {{env: {{API_TOKEN: "{extra}"}}}}
            oauth: {{clientId: kiro, clientSecret: "{oauth}"}}
    - kiro.platform.profile:
        workspaces: ["{{{{ ws }}}}"]
        kiro_home: "{{{{ home }}}}"
        create_workspaces: true
        agents:
          - name: profile-agent
            config:
              description: profile agent
              mcpServers:
                z: {{command: uvx, env: {{TOKEN: "{profile}"}}}}
        user:
          agents:
            - name: user-agent
              config:
                description: user agent
                mcpServers:
                  u: {{command: uvx, env: {{TOKEN: "{user}"}}}}
"""


def test_vvv_output_holds_no_secret(tmp_path):
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    playbook = tmp_path / "secrets.yml"
    playbook.write_text(PLAYBOOK.format(ws=ws, home=home, **SECRETS))
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-vvv", "--diff", str(playbook),
         "-e", "ansible_python_interpreter=%s" % sys.executable],
        cwd=ROOT, env=ansible_env({"KIRO_AUDIT_DIR": str(tmp_path / "audit")}), capture_output=True, text=True,
        timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # The -vvv invocation is printed, with the secrets masked by value ...
    assert "module_args" in output and "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
    for name, secret in SECRETS.items():
        assert secret not in output, "the %s secret is in the -vvv output" % name
    # ... and only them: names and paths stay reviewable.
    assert str(home / "agents" / "user-agent.json") in output
    assert "READ_ONLY: 'true'" in output or "READ_ONLY: \"true\"" in output or "READ_ONLY: true" in output
    # The files get the real values.
    files = [ws / ".kiro" / "agents" / "triage.json", ws / ".kiro" / "settings" / "mcp.json",
             ws / ".kiro" / "agents" / "profile-agent.json", home / "agents" / "user-agent.json"]
    text = "".join(path.read_text() for path in files)
    for secret in SECRETS.values():
        assert secret in text
    audit = "".join(path.read_text() for path in (tmp_path / "audit").rglob("*") if path.is_file())
    assert "triage" in audit or "kiro.platform.agents" in audit
    for secret in SECRETS.values():
        assert secret not in audit
