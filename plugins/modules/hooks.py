#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: hooks
short_description: Manage Kiro agent hooks (classic or v1 form) for many workspaces at once
version_added: 0.1.0
description:
  - Writes one file per hook in C(.kiro/hooks/) of every workspace of O(workspaces) (and
    O(kiro_home) when given) - C(<name>.kiro.hook) in the classic IDE form, or
    C(<name>.json) in the 2026 v1 form, a C(version) v1 document with a C(hooks) list.
  - A managed hook found in the other form is removed so it does not run twice.
  - Hooks not listed are left alone unless O(purge=true).
options:
  hooks_format:
    description: Which of Kiro's hook file forms to write.
    type: str
    choices: [classic, v1]
    default: classic
extends_documentation_fragment:
  - kiro.platform.kinds.hooks
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.check_diff
  - kiro.platform.targets.purge
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Ask the agent to review Terraform changes for cost
  kiro.platform.hooks:
    workspaces: "{{ kiro_workspaces }}"
    hooks:
      - name: cost-optimization
        description: Review infrastructure changes for cost impact
        when: {type: fileEdited, patterns: ["**/*.tf", "k8s/**/*.yaml"]}
        then: {type: askAgent, prompt: "Estimate the cost impact of this change."}

- name: Disable a hook everywhere (kept on disk)
  kiro.platform.hooks:
    workspaces: "{{ kiro_workspaces }}"
    hooks:
      - name: cost-optimization
        enabled: false
        when: {type: fileEdited, patterns: ["**/*.tf"]}
        then: {type: askAgent, prompt: "Estimate the cost impact of this change."}
"""

RETURN = r"""
files:
  description: Every file the task looked at (C(path)), what happened to it (C(action) - V(created), V(updated),
    V(deleted) or V(unchanged)) and the items concerned (C(items)).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/hooks/cost-optimization.kiro.hook", "action": "created", "items": ["cost-optimization"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/srv/app/.kiro/hooks/cost-optimization.kiro.hook"]
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
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, hooks, runner


def main():
    runner.run_kind(AnsibleModule, "hooks", argspec.HOOK,
                    lambda params: hooks.validate_specs(params["hooks"], params["hooks_format"]),
                    lambda root, specs, params: hooks.plan(root, specs, hook_format=params["hooks_format"],
                                                           purge=params["purge"]),
                    hooks_format=dict(type="str", choices=["classic", "v1"], default="classic"))


if __name__ == "__main__":
    main()
