#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: kiro_facts
short_description: Report the deployed Kiro configuration of a host
version_added: 0.1.0
description:
  - For each workspace of O(workspaces) and for O(kiro_home), the steering documents, the
    hooks (both forms) and whether each is enabled, the MCP servers with their disabled,
    autoApprove and read-only switches, the CLI agents, the autonomy settings or
    permission rules, and a digest of every managed file.
  - Sets the fact C(kiro) (C(ansible_facts.kiro)).
  - A file that does not parse is listed under C(errors) of its root instead of failing
    the task; env values, headers and URL credentials are never returned.
options:
  user_settings:
    description: A user-level settings.json to describe as well.
    type: path
  settings_file:
    description: Path of settings.json relative to each workspace.
    type: str
    default: .vscode/settings.json
extends_documentation_fragment:
  - kiro.platform.targets
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
  facts:
    support: full
    description: Sets C(ansible_facts.kiro).
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Describe what is deployed
  kiro.platform.kiro_facts:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"

- name: Every workspace must be in manual mode after a lockdown
  ansible.builtin.assert:
    that: ansible_facts.kiro.summary.manual_mode
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    kiro:
      description: C(roots) (one entry per workspace and kiro_home), C(summary) (counts and
        C(manual_mode)), C(digest) (sha256 over the managed files) and C(files) (how many).
      type: dict
      returned: always
      sample: {"summary": {"roots": 3, "hooks": 4, "hooks_enabled": 4, "mcp_servers": 8, "manual_mode": false}, "digest": "9c1e..."}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, facts
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import roots_for


def main():
    module = AnsibleModule(
        argument_spec=argspec.targets(
            user_settings=dict(type="path"),
            settings_file=dict(type="str", default=".vscode/settings.json"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        roots = roots_for(params["workspaces"], params["kiro_home"], create=params["create_workspaces"])
        gathered = facts.gather(roots, user_settings=params["user_settings"], settings_file=params["settings_file"])
    except KiroError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, ansible_facts={"kiro": gathered})


if __name__ == "__main__":
    main()
