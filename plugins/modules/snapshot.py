#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: snapshot
short_description: Take, list and restore byte-exact snapshots of a host's Kiro configuration
version_added: 0.1.0
description:
  - O(operation=create) archives every file under C(steering/), C(hooks/), C(settings/) and
    C(agents/) of each workspace's C(.kiro/) and of O(kiro_home), plus each workspace's
    C(.vscode/settings.json), with a manifest of sha256 sums, modes and sizes.
    When the newest snapshot already holds exactly these bytes no new one is taken
    (C(changed=false)), so the task is idempotent.
  - O(operation=restore) verifies the archive against its manifest, then puts back exactly
    those bytes and modes. Files created since the snapshot are kept unless O(prune=true).
  - O(operation=list) returns the snapshots, oldest first.
  - A restore can raise a host above a lockdown, so it is refused while the host is under a manual
    override - on the host (O(override_marker)) and, with O(override_ledger), on the controller. Taking
    and listing snapshots are not.
options:
  operation:
    description: What to do.
    type: str
    choices: [create, restore, list]
    default: create
  snapshot_dir:
    description: Where archives live on the host (created 0700; archives are 0600).
    type: path
    required: true
  id:
    description: The snapshot to restore; C(latest) or unset for the newest.
    type: str
  label:
    description: A note stored in the manifest, for example the phase or run id.
    type: str
  keep:
    description: How many snapshots to keep; older ones are deleted after a new one is taken. C(0) keeps all.
    type: int
    default: 20
  prune:
    description: On restore, delete files in the snapshotted directories that the snapshot does not contain.
    type: bool
    default: false
  user_settings:
    description: A user-level settings.json to include.
    type: path
extends_documentation_fragment:
  - kiro.platform.targets
  - kiro.platform.targets.override
  - kiro.platform.targets.override_ledger
  - kiro.platform.targets.check_diff
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Snapshot before a change
  kiro.platform.snapshot:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"
    snapshot_dir: ~/.kiro-platform/snapshots
    label: "phase1 {{ rollout_run_id | default('') }}"

- name: Put the newest snapshot back
  kiro.platform.snapshot:
    operation: restore
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"
    snapshot_dir: ~/.kiro-platform/snapshots
"""

RETURN = r"""
snapshot:
  description: The snapshot taken, found unchanged, or restored.
  returned: when O(operation=create) or O(operation=restore)
  type: dict
  sample: {"id": "20261126T120000000000Z-3f2a9c1b7d4e", "created": "2026-11-26T12:00:00.000000Z", "digest": "3f2a...", "files": 14}
removed:
  description: Ids of old snapshots deleted by O(keep).
  returned: when O(operation=create)
  type: list
  elements: str
snapshots:
  description: All snapshots, oldest first.
  returned: when O(operation=list)
  type: list
  elements: dict
files:
  description: On restore, each file with what happened to it.
  returned: when O(operation=restore)
  type: list
  elements: dict
changed_files:
  description: On restore, the paths that changed.
  returned: when O(operation=restore)
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
    - Refused on the controller, by the ledger O(override_ledger) names, before the host was contacted -
      C(incident_id), C(incidents), C(environment) and C(ledger) (the ledger's location).
  returned: failure, when the task was refused under a manual override
  type: dict
  sample: {"marker": "/home/dev/.kiro-platform/override.json", "incident_id": "INC-42", "incidents": ["INC-42"]}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, override, runner, snapshot
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError


def main():
    module = AnsibleModule(
        argument_spec=argspec.targets(
            operation=dict(type="str", choices=["create", "restore", "list"], default="create"),
            snapshot_dir=dict(type="path", required=True),
            id=dict(type="str"),
            label=dict(type="str"),
            keep=dict(type="int", default=20),
            prune=dict(type="bool", default=False),
            user_settings=dict(type="path"),
            # Read by the action on the controller (plugin_utils/override_guard.py), which never sends it here.
            override_ledger=dict(type="dict", no_log=True),
            **override.option()
        ),
        supports_check_mode=True,
    )
    params = module.params
    snapshot_dir = params["snapshot_dir"]
    if params["operation"] == "list":
        module.exit_json(changed=False, snapshots=snapshot.list_snapshots(snapshot_dir))
    if params["operation"] == "create":
        try:
            changed, manifest, removed = snapshot.create(
                runner.roots(module), snapshot_dir, label=params["label"], keep=params["keep"],
                user_settings=params["user_settings"], check_mode=module.check_mode)
        except (PlatformError, OSError) as exc:
            module.fail_json(msg=str(exc), changed=False)
        module.exit_json(changed=changed, snapshot=snapshot.summary(manifest), removed=removed)
    restored = {}

    def build():
        manifest, plan = snapshot.restore_plan(snapshot_dir, params["id"], prune=params["prune"], roots=runner.roots(module))
        restored.update(snapshot.summary(manifest))
        return plan

    runner.run_plan(module, build, extra={"snapshot": restored})


if __name__ == "__main__":
    main()
