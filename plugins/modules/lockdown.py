#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: lockdown
short_description: Put every Kiro workspace and kiro_home of a host in manual mode (the kill switch)
version_added: 0.1.0
description:
  - The host side of the emergency rollback. In one task it locks down every workspace of
    O(workspaces) and O(kiro_home), whoever configured them (this collection or an operator by hand).
  - Every agent hook is disabled, in both of Kiro's forms (a C(.kiro.hook) file gets
    C(enabled false); every entry of a v1 C(.json) hooks file gets C(enabled false)).
  - Every MCP server of every C(settings/mcp.json) gets C(disabled true) and C(autoApprove []).
  - Every Kiro CLI agent (C(agents/*.json)) gets C(allowedTools []), and every server of its own
    C(mcpServers) is disabled the same way.
  - Every scheduled agent workflow (C(<workspace>/.github/workflows/kiro-*.yml)) keeps only its
    C(workflow_dispatch) trigger, so it runs only when a person starts it.
  - Each workspace's settings.json (O(settings_file)), and O(user_settings) when given, gets
    C(kiroAgent.agentAutonomy Supervised) and C(kiroAgent.trustedCommands []); a missing file is
    created, since no file means Autopilot.
  - C(<kiro_home>/settings/permissions.yaml) gets deny rules for the write capabilities C(fs_write),
    C(shell) and C(mcp) (deny beats ask and allow from every scope); existing rules are kept.
  - Only those keys change. Every other key, hook, server, rule and file is left as it is, and a
    file already locked down is not rewritten, so a second run changes nothing.
  - A file that cannot be read or parsed does not stop the lockdown of everything else. It is
    listed in RV(errors), naming the file; see O(fail_on_error).
  - The previous configuration can be put back with M(kiro.platform.snapshot) (C(operation=restore))
    from the snapshot taken in O(snapshot_dir).
  - With O(incident_id), the first thing it does is write the host-local override marker O(override_marker).
    Until that incident is taken out of it (O(state=cleared), which C(playbooks/clear_override.yml) does),
    every module of this collection that writes Kiro files on the host (M(kiro.platform.profile), the
    per-kind modules, a M(kiro.platform.snapshot) restore) refuses, naming the incident.
  - The lockdown does not depend on the snapshot - when O(snapshot_dir) cannot be written (full, not a
    directory, read-only) the host is locked down all the same, with a warning and RV(snapshot_error).
options:
  state:
    description:
      - C(locked) locks the host down (and writes the marker when O(incident_id) is given).
      - C(cleared) only takes O(incident_id) out of the host's override marker (deleting the file when no
        incident is left in it) and changes nothing else; the host stays locked down.
    type: str
    choices: [locked, cleared]
    default: locked
  incident_id:
    description:
      - The incident this lockdown is for (for example C(INC-42)), recorded in the override marker.
      - Without it no marker is written, and nothing stops a later profile apply on the host (the
        controller still refuses one while the ledger holds an override). Required with O(state=cleared).
    type: str
  actor:
    description: Who engaged the kill switch, recorded in the marker. Defaults to the user the task runs as.
    type: str
  override_marker:
    description:
      - The host-local override marker (JSON, mode 0600; its directory is made 0700). Written first, under
        an exclusive lock (flock) of its directory that every writing module of this collection takes
        to check the marker and write, so a write in flight ends before the lockdown goes on.
      - If the lock is held for more than 5 s the marker is written without it (the rename is atomic)
        with a warning; when the marker cannot be written at all, the host is still locked down and
        the marker is listed in RV(errors).
      - Give every task of a host the same path (the playbooks pass C(kiro_override_marker)).
    type: path
    default: ~/.kiro-platform/override.json
  user_settings:
    description: Path of a user-level settings.json (for example C(~/.config/Kiro/User/settings.json))
      to set to Supervised as well.
    type: path
  settings_file:
    description: Path of settings.json relative to each workspace.
    type: str
    default: .vscode/settings.json
  snapshot_dir:
    description:
      - When set, a byte-exact snapshot of the host's Kiro files (see M(kiro.platform.snapshot)) is
        taken in this directory before any Kiro file is written, and only when something will change.
      - A snapshot that cannot be taken does not stop the lockdown (see RV(snapshot_error)).
    type: path
  snapshot_label:
    description: A note stored with the snapshot, for example the incident id.
    type: str
  snapshot_keep:
    description: How many snapshots to keep in O(snapshot_dir). C(0) keeps all.
    type: int
    default: 20
  in_process:
    description:
      - For a host with C(ansible_connection=local) and no C(become), lock down inside the controller's
        worker instead of starting a module interpreter for the host - the same code, about 0.3 s less
        per host, which is most of the time-to-safe of a fleet of local hosts (see
        C(benchmarks/emergency_time_to_safe.py)). With C(false), or any other connection, the module runs
        on the host as usual.
    type: bool
    default: true
  fail_on_error:
    description:
      - With C(false), files that cannot be locked down are reported in RV(errors) and the task
        succeeds (C(changed) or C(ok)), so a play goes on to the central switches.
      - With C(true), the task fails when RV(errors) is not empty, but only after everything else
        has been locked down.
    type: bool
    default: false
extends_documentation_fragment:
  - kiro.platform.targets
attributes:
  check_mode:
    support: full
    description: Predicts exactly the files a real run changes.
  diff_mode:
    support: full
    description: Shows each changed file before and after, with env and header values masked.
notes:
  - Unlike the other modules of this collection, a lockdown does not stop at a file that does not
    parse; that file is left unchanged and reported in RV(errors).
  - A listed workspace that does not exist is reported in RV(errors) too (unless
    O(create_workspaces=true)) instead of failing the task.
  - A rewritten settings.json loses its comments, and a rewritten workflow or permissions.yaml its
    YAML comments; the snapshot keeps the original bytes.
seealso:
  - module: kiro.platform.snapshot
  - module: kiro.platform.kiro_facts
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Lock every reachable host down, snapshot first
  kiro.platform.lockdown:
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"
    snapshot_dir: ~/.kiro-platform/snapshots
    snapshot_label: "emergency {{ incident_id }}"
  register: lockdown

- name: Nothing on the host can act on its own any more
  ansible.builtin.assert:
    that: ansible_facts.kiro.summary.manual_mode
    fail_msg: "not locked down: {{ lockdown.errors | map(attribute='msg') | list }}"

- name: Put the configuration from before the lockdown back
  kiro.platform.snapshot:
    operation: restore
    workspaces: "{{ kiro_workspaces }}"
    kiro_home: "{{ kiro_home }}"
    snapshot_dir: ~/.kiro-platform/snapshots
    id: "{{ lockdown.snapshot.id }}"
    prune: true
"""

RETURN = r"""
files:
  description: Every file the task looked at, with what happened to it and what it locked
    (hook, server, agent or workflow names, settings keys, capabilities).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/settings/mcp.json", "action": "updated", "items": ["aws-api", "github"]}]
changed_files:
  description: Paths of the files that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
errors:
  description: The files that could not be locked down (C(path)) and why (C(msg)); empty when everything was.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/srv/app/.kiro/settings/mcp.json", "msg": "/srv/app/.kiro/settings/mcp.json: cannot parse existing file: invalid JSON: ..."}]
snapshot:
  description: The snapshot taken before the change (C(id), C(created), C(digest), C(label), C(files));
    in check mode, the one that would be taken.
  returned: when O(snapshot_dir) is set and something changed
  type: dict
snapshot_error:
  description: Why no snapshot was taken before the lockdown (C(path) - O(snapshot_dir), C(msg)); the host was
    locked down all the same, and a warning says so.
  returned: when O(snapshot_dir) is set, something changed, and the snapshot could not be taken
  type: dict
  sample: {"path": "/home/dev/.kiro-platform/snapshots", "msg": "/home/dev/.kiro-platform/snapshots: Not a directory"}
override:
  description:
    - With O(state=locked), the override marker written first (C(path), C(incident_id), C(set), C(actor),
      C(status) C(written), C(present) (already there), C(would be written) in check mode, or C(failed) with C(msg)).
    - With O(state=cleared), C(path), C(incident_id), C(removed) (whether it was in the marker) and C(remaining)
      (the incidents still in it).
  returned: when O(incident_id) is given
  type: dict
  sample: {"path": "/home/dev/.kiro-platform/override.json", "incident_id": "INC-42", "status": "written",
           "set": "2026-11-26T15:04:05.120Z", "actor": "oncall"}
finished:
  description: When the host was locked down (UTC, ISO 8601), from which time-to-safe is measured.
  returned: success, with O(state=locked)
  type: str
  sample: "2026-11-26T15:04:05.123Z"
ansible_facts:
  description: C(kiro) - the deployed configuration after the run, as M(kiro.platform.kiro_facts)
    reports it (in check mode, the configuration before the run).
    C(ansible_facts.kiro.summary.manual_mode) is true once every root is locked down.
  returned: success, with O(state=locked)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, lockdown


def main():
    module = AnsibleModule(argument_spec=argspec.targets(**lockdown.OPTIONS), supports_check_mode=True)
    try:
        result = lockdown.run(module.params, check_mode=module.check_mode, diff=module._diff)
    except lockdown.LockdownIncomplete as exc:
        for warning in exc.result.pop("warnings", []):
            module.warn(warning)
        module.fail_json(msg=str(exc), **exc.result)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
