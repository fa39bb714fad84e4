# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.incident: write an emergency rollback's summary, post-mortem and evidence bundle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident
from ansible_collections.kiro.platform.plugins.modules import incident as documented
from ansible_collections.kiro.platform.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):

    MODULE = documented

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validated_args()
        summary = args["summary"]
        for key in ("incident_id", "hosts", "done", "failed", "counts"):
            if key not in summary:
                raise AnsibleActionFail("kiro.platform.incident: summary has no %s: pass the output of the "
                                        "kiro.platform.emergency_summary filter" % key)
        summary = incident.add_notifications(summary, args["notifications"], args["notify_error"])
        dest = args["dest"]
        if not os.path.isabs(dest):
            dest = os.path.join(self._loader.get_basedir(), dest)
        result.update(summary=summary, changed=False)
        if self._play_context.check_mode:
            result["msg"] = "would write the post-mortem and evidence of %s under %s" % (summary["incident_id"], dest)
            return result
        # Read from hostvars here, once per host: building the same dict in Jinja costs ~40 ms a host.
        hostvars = (task_vars or {}).get("hostvars") or {}
        results = dict((host, _evidence((hostvars.get(host) or {}).get(args["result_var"]))) for host in args["hosts"])
        try:
            written = incident.write(dest, summary, results, args["ledgers"], reports_dir=args["reports_dir"],
                                     inventory=args["inventory"])
        except (incident.IncidentError, OSError, IOError) as exc:
            raise AnsibleActionFail("kiro.platform.incident: cannot write the incident record under %s: %s"
                                    % (dest, exc), result={"summary": summary})
        result.update(written, changed=True, msg="post-mortem %s, evidence %s (sha256 %s)" % (
            written["postmortem"], written["evidence"], written["evidence_sha256"]))
        return result


def _evidence(result):
    """A host's lockdown result as evidence: what it turned off (``files[].items``: the hooks, servers,
    agents and workflows that could act before), the snapshot of the bytes before, the config after."""
    if not isinstance(result, dict):
        return {"status": "not run"}
    keep = dict((k, result.get(k)) for k in ("changed", "failed", "unreachable", "msg", "files", "changed_files",
                                             "errors", "snapshot", "finished") if k in result)
    if isinstance(result.get("ansible_facts"), dict):
        keep["after"] = result["ansible_facts"].get("kiro")
    return keep
