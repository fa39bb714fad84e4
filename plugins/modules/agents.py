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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import agents, argspec, runner


def main():
    runner.run_kind(AnsibleModule, "agents", argspec.AGENT,
                    lambda params: agents.validate_specs(params["agents"]),
                    lambda root, specs, params: agents.plan(root, specs, purge=params["purge"]))


if __name__ == "__main__":
    main()
