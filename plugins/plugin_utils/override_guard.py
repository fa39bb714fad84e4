# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's half of the override guard of the actions that write on a host.

A task that can raise a host (kiro.platform.profile, a kiro.platform.snapshot restore) is
given ``override_ledger``: the ledger options of its host's environment (the playbooks pass
``rollout_ledger_options`` and the environment). Right before the module is sent to the
host, that ledger is read; while it holds an active manual override the task fails,
naming the incident, and the host is not contacted. The host checks its own override
marker as well when it writes (module_utils/kiro/override.py): the lockdown writes the
marker before the ledger gets its override_set, and the ledger covers a host whose
lockdown has not run (or could not write its marker).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.kiro.override import CLEAR_HINT
from ansible_collections.kiro.platform.plugins.module_utils.ledger import operations
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive
from ansible_collections.kiro.platform.plugins.modules import ledger as documented_ledger
from ansible_collections.kiro.platform.plugins.plugin_utils import argspec

OPTION = "override_ledger"


def ledger_params(options):
    """``options`` (the ledger action's options and ``environment``) validated as the ledger action does."""
    if not isinstance(options, dict):
        raise AnsibleActionFail("%s must be a dict of the ledger options (rollout_ledger_options) and the host's "
                                "environment, not %r" % (OPTION, type(options).__name__))
    args = dict(options, operation="read")
    # As plugins/action/ledger.py validates its options (its key is a secret too).
    params, error = argspec.validate(argspec.from_module(documented_ledger, no_log=aws.SECRET_KEYS + ("key",)), args,
                                     required_if=[("backend", "s3", ("bucket",))],
                                     mutually_exclusive=[("key_file", "key", "kms_key_id")])
    if error:
        raise AnsibleActionFail("%s: %s (give it rollout_ledger_options and environment)" % (OPTION, error))
    return params


def active_override(options, base_dir):
    """(state's override, ledger location) of the ledger ``options`` name; AnsibleActionFail when it
    cannot be read (a write is never let through on a ledger that could not be consulted)."""
    params = ledger_params(options)
    try:
        ledger = operations.open_for(params, base_dir)
        entries = ledger.read()
    except (LedgerError, UnsafePath) as exc:
        raise AnsibleActionFail("cannot consult the ledger of %s for a manual override, so nothing was written to "
                                "this host: %s" % (params["environment"], exc))
    return derive(entries, params["environment"])["override"], ledger.location, params["environment"]


def check(task_args, base_dir):
    """Pop ``override_ledger`` from ``task_args``; a failed result (dict) when its ledger holds an active
    override, else None. Without the option there is nothing to check on the controller."""
    options = task_args.pop(OPTION, None)
    if not options:
        return None
    found, location, environment = active_override(options, base_dir)
    if not found["active"]:
        return None
    incident = found["incident_id"]
    return {
        "failed": True, "changed": False,
        "msg": "refused on the controller: environment %s is under the manual override of incident %s (set %s by %s; "
               "ledger %s), so nothing may raise this host above the lockdown. Nothing was written to the host. When "
               "the incident is over, run %s" % (environment, incident, found["ts"], found["actor"], location,
                                                 CLEAR_HINT % incident),
        "override": {"incident_id": incident, "incidents": found["incidents"], "environment": environment,
                     "ledger": location},
    }
