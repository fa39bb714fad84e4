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
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, mcp, runner


def main():
    runner.run_kind(AnsibleModule, "mcp_servers", argspec.MCP_SERVER,
                    lambda params: mcp.validate_servers(params["mcp_servers"]),
                    lambda root, servers, params: mcp.plan(root, servers, purge=params["purge"]))


if __name__ == "__main__":
    main()
