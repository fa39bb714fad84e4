"""kiro.platform.lockdown run for real by ansible-playbook on localhost.

A profile makes two workspaces and kiro_home autonomous (plus an operator's
scheduled workflow); the lockdown runs in check mode (nothing written), for
real (manual mode), again (changed false), reports a corrupt file while it
still locks the rest, and the snapshot it took restores the previous bytes.
"""

import os
import subprocess
import textwrap

from conftest import BIN, ROOT, ansible_env

SECRET = "tok-LockdownModuleSecret-7"

PLAYBOOK = textwrap.dedent("""\
    ---
    - name: Lock a host down
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        ws: ["{{ sandbox }}/ws1", "{{ sandbox }}/ws2"]
        home: "{{ sandbox }}/home/.kiro"
        snaps: "{{ sandbox }}/snapshots"
      module_defaults:
        kiro.platform.lockdown: &targets
          workspaces: "{{ ws }}"
          kiro_home: "{{ home }}"
        kiro.platform.kiro_facts: *targets
      tasks:
        - name: Deploy an autonomous profile
          kiro.platform.profile:
            workspaces: "{{ ws }}"
            create_workspaces: true
            kiro_home: "{{ home }}"
            hooks:
              - name: infra-monitor
                when: {type: fileEdited, patterns: ["k8s/**/*.yaml"]}
                then: {type: askAgent, prompt: Check these manifests.}
            mcp_servers:
              - name: aws-api
                command: uvx
                args: [awslabs.aws-api-mcp-server@latest]
                env: {AWS_REGION: us-east-1}
                secret_env: {API_TOKEN: "%(secret)s"}
                auto_approve: [call_aws]
            agents:
              - name: triage
                config: {tools: [read, grep], allowedTools: [read, grep]}
            user:
              mcp_servers:
                - {name: cost, command: uvx, args: [awslabs.cost-explorer-mcp-server@latest], auto_approve: [get_cost]}
            autonomy: {agent_autonomy: Autopilot, trusted_commands: ["*"]}

        - name: Lock down in check mode
          kiro.platform.lockdown:
            snapshot_dir: "{{ snaps }}"
            snapshot_label: INC-7
          check_mode: true
          register: check

        - name: Check mode predicted changes and wrote nothing
          ansible.builtin.assert:
            that:
              - check is changed
              - check.errors == []
              - check.changed_files | length == 11
              - check.snapshot.label == 'INC-7'
              - snaps is not exists
              - not check.ansible_facts.kiro.summary.manual_mode

        - name: Lock down for real
          kiro.platform.lockdown:
            snapshot_dir: "{{ snaps }}"
            snapshot_label: INC-7
          register: real

        - name: Every root is in manual mode
          ansible.builtin.assert:
            that:
              - real is changed
              - real.changed_files == check.changed_files
              - real.errors == []
              - real.snapshot.digest == check.ansible_facts.kiro.digest
              - ansible_facts.kiro.summary.manual_mode
              - ansible_facts.kiro.summary.hooks_enabled == 0
              - ansible_facts.kiro.summary.mcp_servers_enabled == 0
              - ansible_facts.kiro.summary.workflows_enabled == 0
              - ansible_facts.kiro.roots | map(attribute='manual_mode') | list == [true, true, true]
              - (lookup('ansible.builtin.file', sandbox ~ '/ws1/.vscode/settings.json') | from_json)['kiroAgent.agentAutonomy'] == 'Supervised'

        - name: Lock down again
          kiro.platform.lockdown:
            snapshot_dir: "{{ snaps }}"
          register: again

        - name: The second run changes nothing and takes no snapshot
          ansible.builtin.assert:
            that:
              - again is not changed
              - again.changed_files == []
              - again.snapshot is not defined
              - ansible_facts.kiro.summary.manual_mode

        - name: Break one mcp.json and add an enabled hook by hand
          ansible.builtin.shell:
            cmd: |
              printf '{"mcpServers": ' > ws1/.kiro/settings/mcp.json
              printf '{"name": "op", "when": {"type": "agentStop"}, "then": {"type": "runCommand", "command": "make"}}' \\
                > ws2/.kiro/hooks/operator.kiro.hook
            chdir: "{{ sandbox }}"
          changed_when: true

        - name: Lock down what can be, and fail on the rest
          kiro.platform.lockdown:
            fail_on_error: true
          register: strict
          ignore_errors: true

        - name: Lock down what can be, and report the rest
          kiro.platform.lockdown:
          register: lenient

        - name: The broken file is reported, everything else was locked down
          ansible.builtin.assert:
            that:
              - strict is failed
              - "'could not be locked down' in strict.msg"
              - strict.errors | map(attribute='path') | list == [sandbox ~ '/ws1/.kiro/settings/mcp.json']
              - strict.changed_files == [sandbox ~ '/ws2/.kiro/hooks/operator.kiro.hook']
              - not (lookup('ansible.builtin.file', sandbox ~ '/ws2/.kiro/hooks/operator.kiro.hook') | from_json).enabled
              - lenient is succeeded
              - lenient is not changed
              - lenient.errors == strict.errors
              - not ansible_facts.kiro.summary.manual_mode

        - name: Put the configuration from before the lockdown back
          kiro.platform.snapshot:
            operation: restore
            workspaces: "{{ ws }}"
            kiro_home: "{{ home }}"
            snapshot_dir: "{{ snaps }}"
            id: "{{ real.snapshot.id }}"
            prune: true

        - name: Describe the host after the restore
          kiro.platform.kiro_facts:
          register: restored

        - name: The exact previous bytes are back
          ansible.builtin.assert:
            that:
              - restored.ansible_facts.kiro.digest == check.ansible_facts.kiro.digest
              - restored.ansible_facts.kiro.summary == check.ansible_facts.kiro.summary
    """) % {"secret": SECRET}


# An operator's scheduled agent workflow, written by hand.
NIGHTLY = """on:
  schedule: [{cron: "0 2 * * *"}]
jobs: {run: {runs-on: ubuntu-latest, steps: [{run: kiro-cli chat --no-interactive --agent triage go}]}}
"""


def test_lockdown_playbook(tmp_path):
    playbook = tmp_path / "lockdown.yml"
    playbook.write_text(PLAYBOOK)
    sandbox = tmp_path / "sandbox"
    workflows = sandbox / "ws2" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "kiro-nightly.yml").write_text(NIGHTLY)
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--diff", str(playbook),
         "-e", "sandbox=%s" % sandbox, "-e", "ansible_python_interpreter=%s" % os.path.join(BIN, "python")],
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert "failed=0" in proc.stdout and "ignored=1" in proc.stdout
    assert proc.stdout.count("All assertions passed") == 5
    assert SECRET not in proc.stdout + proc.stderr, "diffs and results never show an MCP env value"
    assert '"disabled": true' in proc.stdout, "diff mode shows the lockdown"
