#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: profile
short_description: Apply a whole Kiro profile (steering, hooks, MCP, agents, workflows, autonomy) in one task
version_added: 0.1.0
description:
  - Applies everything a rollout phase wants on a host in one call, so a phase costs one
    task per host instead of one per file. Every item is validated and every file planned
    before any is written.
  - The kinds (O(steering), O(hooks), O(mcp_servers), O(agents), O(workflows)) go to every workspace of
    O(workspaces); O(user) holds the same kinds, except O(workflows), for O(kiro_home); O(autonomy) goes to each
    workspace's settings.json (and O(user_settings)) and, for permission rules, to
    C(<kiro_home>/settings/permissions.yaml).
  - The action plugin of the same name reads a steering document's C(source) file on the
    controller (role C(files/), playbook C(files/)) and passes its text as C(content).
options:
  hooks_format:
    description: Which of Kiro's hook file forms to write.
    type: str
    choices: [classic, v1]
    default: classic
  user:
    description:
      - Items for O(kiro_home), with the keys C(steering), C(hooks), C(mcp_servers) and C(agents)
        shaped as the top-level options. Its secrets are masked in output as those of the
        top-level options are (see O(secret_values)).
    type: dict
    default: {}
  autonomy:
    description: Autonomy settings, with the options of M(kiro.platform.autonomy) (agent_autonomy,
      trusted_commands, command_denylist, settings, permissions, settings_file).
    type: dict
    default: {}
  user_settings:
    description: Path of a user-level settings.json that receives the O(autonomy) keys too.
    type: path
  policy:
    description:
      - The safety policy to enforce (see the C(kiro_compliance) gate criterion), with
        C(max_autonomy) already capped for the environment and phase. The configuration as it
        will be on disk after this run (managed and unmanaged entries alike) is checked
        before anything is written; any violation fails the task, naming the item and the rule.
    type: dict
  snapshot_dir:
    description:
      - When set, a byte-exact snapshot of the host's Kiro files (see M(kiro.platform.snapshot)) is
        taken in this directory before anything is written, and only when something will change,
        so a run that changes nothing takes none.
    type: path
  snapshot_label:
    description: A note stored with the snapshot, for example the phase and run id.
    type: str
  snapshot_keep:
    description: How many snapshots to keep in O(snapshot_dir). C(0) keeps all.
    type: int
    default: 20
extends_documentation_fragment:
  - kiro.platform.kinds.steering
  - kiro.platform.kinds.hooks
  - kiro.platform.kinds.mcp
  - kiro.platform.kinds.agents
  - kiro.platform.kinds.workflows
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.override_ledger
  - kiro.platform.targets.check_diff
  - kiro.platform.targets.purge
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Apply the phase-1 profile to every workspace of the host
  kiro.platform.profile:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"
    steering:
      - {name: operations, source: steering/operations.md}
    hooks:
      - name: infrastructure-monitoring
        when: {type: fileEdited, patterns: ["k8s/**/*.yaml"]}
        then: {type: askAgent, prompt: "Check these manifests against the monitoring rules."}
    mcp_servers:
      - name: aws-api
        command: uvx
        args: [awslabs.aws-api-mcp-server@latest]
        env: {READ_OPERATIONS_ONLY: "true"}
        auto_approve: []
    autonomy:
      agent_autonomy: Supervised
      trusted_commands: []

- name: Run the cost-optimizer CLI agent every Monday from each workspace's GitHub Actions
  kiro.platform.profile:
    workspaces: "{{ kiro_workspaces }}"
    agents:
      - name: cost-optimizer
        config: {description: Weekly cost review, tools: [fs_read, grep, glob], allowedTools: [fs_read, grep, glob]}
    workflows:
      - name: cost-optimizer
        agent: cost-optimizer
        schedule: "0 6 * * 1"
        prompt: Review last month's cost and open a pull request with the five largest savings.
        trust_tools: [fs_read, grep, glob]
"""

RETURN = r"""
files:
  description: Every file the task looked at (C(path)), what happened to it (C(action) - V(created), V(updated),
    V(deleted) or V(unchanged)) and the items concerned (C(items)).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/steering/operations.md", "action": "updated", "items": ["operations"]},
            {"path": "/srv/app/.kiro/settings/mcp.json", "action": "unchanged", "items": ["aws-api"]},
            {"path": "/srv/app/.vscode/settings.json", "action": "unchanged", "items": ["kiroAgent.agentAutonomy"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/srv/app/.kiro/steering/operations.md"]
snapshot:
  description: The snapshot taken before the change (C(id), C(created), C(digest), C(files)); in check mode, the one that would be taken.
  returned: when O(snapshot_dir) is set and something changed
  type: dict
ansible_facts:
  description: C(kiro) - the deployed configuration after the run, as M(kiro.platform.kiro_facts) reports it
    (in check mode, the configuration before the run). The C(kiro_compliance) gate criterion reads it.
  returned: success
  type: dict
summary:
  description: Names of the items the profile manages, per scope (no values).
  returned: always
  type: dict
  sample: {"workspace": {"steering": ["operations"], "hooks": [], "mcp_servers": ["aws-api"], "agents": [], "workflows": []}}
failed_path:
  description:
    - The file whose write failed part-way through the task (a read-only directory, a full disk). Everything
      the task had already written was put back from what it read before writing (see RV(restored_files),
      RV(unrestored_files)); C(changed) is true only when something could not be put back.
  returned: failure, when a write failed part-way
  type: str
  sample: "/srv/app/.kiro/settings/mcp.json"
touched_files:
  description: Every file the task wrote or tried to write before the failure, RV(failed_path) first.
  returned: failure, when a write failed part-way
  type: list
  elements: str
  sample: ["/srv/app/.kiro/settings/mcp.json", "/srv/app/.kiro/steering/operations.md"]
restored_files:
  description: The files already written that were put back as they were before the task.
  returned: failure, when a write failed part-way
  type: list
  elements: str
  sample: ["/srv/app/.kiro/steering/operations.md"]
unrestored_files:
  description:
    - The files that could not be put back (C(path), C(msg)) and are left changed; restore them from the
      snapshot. Empty when the host is as it was before the task.
  returned: failure, when a write failed part-way
  type: list
  elements: dict
  sample: []
override:
  description:
    - Why the write was refused - the host is under a manual override and nothing may raise it above the
      lockdown until C(playbooks/clear_override.yml). Nothing was written.
    - Refused on the host, by its override marker O(override_marker) - C(marker) (its path), C(incident_id)
      (the latest incident) and C(incidents) (every incident in it).
    - Refused on the controller, by the ledger O(override_ledger) names, before the host was contacted -
      C(incident_id), C(incidents), C(environment) and C(ledger) (the ledger's location).
  returned: failure, when the task was refused under a manual override
  type: dict
  sample: {"marker": "/home/dev/.kiro-platform/override.json", "incident_id": "INC-42", "incidents": ["INC-42"]}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, facts, override, profile, runner, snapshot


def main():
    spec = argspec.targets(
        hooks_format=dict(type="str", choices=["classic", "v1"], default="classic"),
        user=dict(type="dict", default={}),
        autonomy=dict(type="dict", default={}),
        user_settings=dict(type="path"),
        purge=dict(type="bool", default=False),
        snapshot_dir=dict(type="path"),
        snapshot_label=dict(type="str"),
        snapshot_keep=dict(type="int", default=20),
        policy=dict(type="dict"),
    )
    spec.update(argspec.kinds())
    spec.update(override.option())
    # Read by the action on the controller (plugin_utils/override_guard.py), which never sends it here.
    spec["override_ledger"] = dict(type="dict", no_log=True)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    summary = {}
    extra = {"summary": summary}

    def build():
        desired = dict((kind, params[kind]) for kind in profile.KINDS)
        desired["user"] = params["user"]
        desired["autonomy"] = params["autonomy"]
        validated = profile.validate(desired, params["hooks_format"])
        summary.update(profile.summary(validated))
        roots = runner.roots(module)
        plan = profile.plan(roots, validated, user_settings=params["user_settings"], purge=params["purge"])
        if params["policy"] is not None:
            found = profile.policy_violations(roots, plan, params["policy"], params["user_settings"])
            if found:
                raise profile.refusal(found)
        if plan.changed and params["snapshot_dir"]:
            _unused, manifest, _unused = snapshot.create(
                roots, params["snapshot_dir"], label=params["snapshot_label"],
                keep=params["snapshot_keep"], user_settings=params["user_settings"], check_mode=module.check_mode)
            extra["snapshot"] = snapshot.summary(manifest)
        return plan

    def deployed():
        return {"ansible_facts": {"kiro": facts.gather(runner.roots(module), user_settings=params["user_settings"])}}

    runner.run_plan(module, build, after=deployed, extra=extra)


if __name__ == "__main__":
    main()
