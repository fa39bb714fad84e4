#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: autonomy
short_description: Manage Kiro's autonomy settings and permission rules
version_added: 0.1.0
description:
  - Sets C(kiroAgent.agentAutonomy), C(kiroAgent.trustedCommands) and
    C(kiroAgent.commandDenylist) (and other C(kiroAgent.*) keys) in the VS Code-style
    C(settings.json) of every workspace of O(workspaces), and in O(user_settings) when given.
  - Merges O(permissions) rules into C(<kiro_home>/settings/permissions.yaml) when
    O(kiro_home) is given.
  - C(settings.json) may contain comments; a rewrite drops them (the snapshot taken by the
    kiro_config role keeps the original bytes).
options:
  agent_autonomy:
    description: C(Supervised) (a human approves each change) or C(Autopilot). Unset keeps the current value.
    type: str
    choices: [Autopilot, Supervised]
  trusted_commands:
    description: Command prefixes the agent may run without asking. C([]) trusts none.
    type: list
    elements: str
  command_denylist:
    description: Command prefixes the agent may never run.
    type: list
    elements: str
  settings:
    description: Other C(kiroAgent.*) keys to set.
    type: dict
  permissions:
    description: Rules for C(permissions.yaml); deny beats ask beats allow.
    type: list
    elements: dict
    suboptions:
      capability:
        description: The capability, for example C(shell) or C(mcp).
        type: str
        required: true
      match:
        description: Pattern or list of patterns the rule applies to.
        type: raw
      exclude:
        description: Pattern or list of patterns excluded from the rule.
        type: raw
      effect:
        description: What Kiro does.
        type: str
        required: true
        choices: [deny, ask, allow]
  settings_file:
    description: Path of settings.json relative to each workspace.
    type: str
    default: .vscode/settings.json
  user_settings:
    description: Path of the user-level settings.json to manage as well.
    type: path
extends_documentation_fragment:
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.check_diff
  - kiro.platform.targets.purge
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Supervised mode, nothing trusted, destructive shell denied
  kiro.platform.autonomy:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: ~/.kiro
    agent_autonomy: Supervised
    trusted_commands: []
    command_denylist: ["terraform apply", "kubectl delete"]
    permissions:
      - {capability: shell, match: ["rm -rf *"], effect: deny}
"""

RETURN = r"""
files:
  description: Every file the task looked at (C(path)), what happened to it (C(action) - V(created), V(updated),
    V(deleted) or V(unchanged)) and the items concerned (C(items)).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.vscode/settings.json", "action": "updated",
             "items": ["kiroAgent.agentAutonomy", "kiroAgent.commandDenylist", "kiroAgent.trustedCommands"]},
            {"path": "/home/dev/.kiro/settings/permissions.yaml", "action": "created", "items": ["shell"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/srv/app/.vscode/settings.json", "/home/dev/.kiro/settings/permissions.yaml"]
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
  returned: failure, when the task was refused under a manual override
  type: dict
  sample: {"marker": "/home/dev/.kiro-platform/override.json", "incident_id": "INC-42", "incidents": ["INC-42"]}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, autonomy, override, runner


def main():
    spec = argspec.targets(purge=dict(type="bool", default=False), user_settings=dict(type="path"))
    spec.update(argspec.AUTONOMY)
    spec["settings_file"] = dict(type="str", default=".vscode/settings.json")
    spec.update(override.option())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params

    def build():
        desired = autonomy.validate_spec(dict((k, params[k]) for k in argspec.AUTONOMY))
        return autonomy.plan(runner.roots(module), desired, user_settings=params["user_settings"], purge=params["purge"])

    runner.run_plan(module, build)


if __name__ == "__main__":
    main()
