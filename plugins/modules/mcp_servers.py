#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mcp_servers
short_description: Manage MCP servers in Kiro's mcp.json for many workspaces at once
version_added: 0.1.0
description:
  - Merges MCP server definitions into C(.kiro/settings/mcp.json) of every workspace in
    O(workspaces), and into C(<kiro_home>/settings/mcp.json) when O(kiro_home) is given.
  - Servers not listed are kept unless O(purge=true); keys of a listed server that are not
    given are kept.
extends_documentation_fragment:
  - kiro.platform.kinds.mcp
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.check_diff
  - kiro.platform.targets.purge
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Read-only AWS API and GitHub servers in every workspace
  kiro.platform.mcp_servers:
    workspaces: "{{ kiro_workspaces }}"
    mcp_servers:
      - name: aws-api
        command: uvx
        args: [awslabs.aws-api-mcp-server@latest]
        env: {AWS_REGION: eu-west-1, READ_OPERATIONS_ONLY: "true", REQUIRE_MUTATION_CONSENT: "true"}
        disabled: false
        auto_approve: []
      - name: github
        url: https://api.githubcopilot.com/mcp/readonly
        headers: {Authorization: "Bearer ${GITHUB_PAT}"}

- name: Remove a retired server everywhere
  kiro.platform.mcp_servers:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: ~/.kiro
    mcp_servers:
      - {name: old-server, state: absent}
"""

RETURN = r"""
files:
  description: Every file the task looked at, with what happened to it and the items concerned.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/settings/mcp.json", "action": "updated", "items": ["aws-api"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, mcp, runner


def main():
    runner.run_kind(AnsibleModule, "mcp_servers", argspec.MCP_SERVER,
                    lambda params: mcp.validate_servers(params["mcp_servers"]),
                    lambda root, servers, params: mcp.plan(root, servers, purge=params["purge"]))


if __name__ == "__main__":
    main()
