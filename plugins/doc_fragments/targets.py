# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  workspaces:
    description:
      - Absolute paths of the workspaces whose C(.kiro/) directory is managed.
      - One task configures every workspace of the host.
    type: list
    elements: path
    default: []
  kiro_home:
    description:
      - The user-level Kiro directory (usually C(~/.kiro)). Managed as well when given.
    type: path
  create_workspaces:
    description:
      - Create a workspace directory that does not exist yet, instead of failing.
      - Off by default so a mistyped path in O(workspaces) is an error, not a new tree.
    type: bool
    default: false
  secret_values:
    description:
      - Strings that Ansible masks wherever they appear in this task's output (the C(-vvv) invocation,
        the result and diff, the host's syslog), as for a C(no_log) option.
      - The action plugin adds every secret it finds in the task's arguments at any depth (agent
        C(config), MCP C(env), C(headers), C(extra), C(oauth), hook commands, settings). Those are the
        values under secret-like keys, C(env) and C(headers) values that are not switches or C(${VAR})
        references, URL credentials and query values, C(Bearer) tokens and C(token=value) pairs.
      - List here a secret those rules cannot recognise.
    type: list
    elements: str
"""

    CHECK_DIFF = r"""
notes:
  - Every file is planned before any is written; an existing file that does not parse
    fails the task, naming the file, and nothing is changed.
  - Writes are atomic (temporary file, fsync, rename) and keep the file's mode;
    files holding MCP C(env) or C(headers) values are written with mode 0600.
  - Keys and entries this module does not manage are preserved.
attributes:
  check_mode:
    support: full
    description: Predicts exactly the files a real run changes.
  diff_mode:
    support: full
    description: Shows each changed file before and after, with env and header values masked.
"""

    PURGE = r"""
options:
  purge:
    description:
      - Remove entries of this kind that are not listed (files for steering, hooks and agents;
        servers for MCP; rules for permissions) in every targeted root.
    type: bool
    default: false
"""

    OVERRIDE = r"""
options:
  override_marker:
    description:
      - The host-local override marker that M(kiro.platform.lockdown) writes first, before it locks the
        host down (see C(playbooks/emergency_rollback.yml)).
      - While an incident is in it, this task writes nothing and fails, naming the incident and the marker;
        C(playbooks/clear_override.yml) takes the incident out. The check and the write are done under an
        exclusive lock (flock) of the marker's directory, which the lockdown takes too, so a write never
        lands after the lockdown on a host it has locked down.
      - The playbooks pass C(kiro_override_marker); give every task of a host the same path.
    type: path
    default: ~/.kiro-platform/override.json
"""

    OVERRIDE_LEDGER = r"""
options:
  override_ledger:
    description:
      - The options of the rollout ledger of the host's environment (those of M(kiro.platform.ledger) -
        C(backend), C(path), C(bucket), and so on; the playbooks pass C(rollout_ledger_options)) and its
        C(environment).
      - When given, the controller reads that ledger right before the host is written, and while it holds an
        active manual override the task fails, naming the incident, without contacting the host. The host
        still checks its own O(override_marker) when it writes.
      - Used on the controller only; never sent to the host.
    type: dict
"""
