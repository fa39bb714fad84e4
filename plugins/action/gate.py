# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.gate: evaluate a phase gate on the controller and write its reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets as secrets_mod
from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import writer as report_writer
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.rollout import plan as rollout_plan
from ansible_collections.kiro.platform.plugins.modules import gate as documented
from ansible_collections.kiro.platform.plugins.plugin_utils.controller_action import ControllerAction

display = Display()


class ActionModule(ControllerAction):

    MODULE = documented
    NO_LOG = ("providers",)

    def _hosts(self, names, result_var, task_vars):
        hostvars = task_vars.get("hostvars", {})
        out = {}
        for name in names:
            hv = hostvars.get(name, {})
            ok = rollout_plan.host_ok(hv.get(result_var))
            facts = (hv.get("ansible_facts") or {}).get("kiro")
            out[name] = {"targeted": True, "ok": bool(ok), "facts": facts}
        return out

    def _progress(self, criterion, index, count, entry):
        if count > 1:
            display.display("gate %s: measurement %d of %d: %s%s" % (
                criterion.name, index, count, entry["outcome"],
                "" if entry.get("value") is None else " (%s)" % entry["value"]))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validated_args()
        base_dir = args["base_dir"] or self._loader.get_basedir()
        context = Context(environment=args["environment"], phase=args["phase"],
                          hosts=self._hosts(args["hosts"], args["result_var"], task_vars),
                          policy=args["policy"], base_dir=base_dir)
        try:
            anchor = report_writer.checked_anchor(args["ledger_anchor"])
            items = criteria_mod.merge(args["criteria"], args["overrides"])
            if args["validate_only"]:
                loaded = engine.prepare(items, args["providers"])[0]
                result.update(changed=False, valid=True, criteria=[c.name for c in loaded])
                return result
            evaluated = engine.evaluate(items, args["providers"], context, progress=self._progress,
                                        max_workers=args["max_workers"], approver=args["approver"],
                                        reason=args["approval_reason"], fail_closed=args["fail_closed"])
        except PlatformError as exc:
            raise AnsibleActionFail("gate phase %s in %s is misconfigured, nothing was queried: %s"
                                    % (args["phase"], args["environment"], exc))
        report_dir = args["report_dir"]
        if not os.path.isabs(report_dir):
            report_dir = os.path.join(base_dir, report_dir)
        secrets = secrets_mod.Scrubber().add_settings(args["providers"])
        definition = {"criteria": items, "providers": args["providers"], "policy": args["policy"]}
        written = report_writer.write_all(evaluated, report_dir, secrets=secrets, gate_definition=definition,
                                          ledger_anchor=anchor)
        clean = secrets_mod.redact(evaluated, secrets=secrets)
        result.update({
            "changed": False,
            "verdict": clean["verdict"],
            "passed": clean["passed"],
            "score": clean["score"],
            "needs_approval": clean["needs_approval"],
            "approver": clean["approver"],
            "phase": clean["phase"],
            "environment": clean["environment"],
            "started": clean["started"],
            "finished": clean["finished"],
            "criteria": [dict((k, c[k]) for k in ("name", "provider", "verdict", "value", "baseline", "samples",
                                                  "condition", "error", "reason", "dry_run"))
                         for c in clean["criteria"]],
            "ledger_anchor": anchor,
            "reports": dict((k, v) for k, v in written.items() if k != "markdown_text"),
            "markdown": written["markdown_text"],
        })
        return result
