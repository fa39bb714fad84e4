#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: agents
short_description: Manage Kiro CLI custom agents for many workspaces at once
version_added: 0.1.0
description:
  - Writes C(.kiro/agents/<name>.json) in every workspace of O(workspaces), and in
    C(<kiro_home>/agents/) when O(kiro_home) is given.
  - Refuses C("*") in C(allowedTools) and unknown agent hook triggers.
  - Agents not listed are left alone unless O(purge=true).
extends_documentation_fragment:
  - kiro.platform.kinds.agents
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.check_diff
  - kiro.platform.targets.purge
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: A read-only AWS triage agent for headless runs
  kiro.platform.agents:
    workspaces: "{{ kiro_workspaces }}"
    agents:
      - name: aws-readonly
        config:
          description: Read-only AWS/EKS triage
          tools: [read, grep, "@eks"]
          allowedTools: [read, grep, "@eks"]
          mcpServers:
            eks: {command: uvx, args: [awslabs.eks-mcp-server@latest]}
          includeMcpJson: false
"""

RETURN = r"""
files:
  description: Every file the task looked at (C(path)), what happened to it (C(action) - V(created), V(updated),
    V(deleted) or V(unchanged)) and the items concerned (C(items)).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/agents/aws-readonly.json", "action": "created", "items": ["aws-readonly"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/srv/app/.kiro/agents/aws-readonly.json"]
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
from ansible_collections.kiro.platform.plugins.module_utils.kiro import agents, argspec, runner


def main():
    runner.run_kind(AnsibleModule, "agents", argspec.AGENT,
                    lambda params: agents.validate_specs(params["agents"]),
                    lambda root, specs, params: agents.plan(root, specs, purge=params["purge"]))


if __name__ == "__main__":
    main()
