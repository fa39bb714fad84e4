# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate's evidence bundle, whose sha256 goes in the ledger: the report, the gate
definition and each criterion's raw provider answers, in the collection's one bundle
format (common.archive: deterministic tar.gz with a manifest of sha256)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common import archive
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import values


def gate_document(report, gate_definition=None):
    """gate.json: the definition (criteria + provider settings); built from the report when not given."""
    if gate_definition is None:
        return {"phase": report.get("phase"), "environment": report.get("environment"),
                "fail_closed": report.get("fail_closed"),
                "criteria": [c.get("definition") or {"name": c.get("name"), "provider": c.get("provider"),
                                                     "pass": c.get("condition"), "warn": c.get("warn_condition")}
                             for c in report.get("criteria") or []],
                "thresholds": dict((str(c.get("name")), c.get("thresholds")) for c in report.get("criteria") or []),
                "providers": {}}
    if isinstance(gate_definition, (list, tuple)):
        return {"criteria": list(gate_definition)}
    return gate_definition


def bundle(report, gate_definition=None, mtime=0):
    """The tar.gz bytes (deterministic for the same input): report.json, gate.json,
    raw/<criterion>.json and manifest.json (sha256 of every other member, and the report's
    ledger_anchor when it has one). ``report`` and ``gate_definition`` must already be redacted."""
    members = [("report.json", values.dump_json(report)),
               ("gate.json", values.dump_json(gate_document(report, gate_definition)))]
    used = set()
    for criterion in report.get("criteria") or []:
        name = values.safe_name(criterion.get("name"), "criterion")
        candidate, n = name, 2
        while candidate in used:
            candidate, n = "%s-%d" % (name, n), n + 1
        used.add(candidate)
        members.append(("raw/%s.json" % candidate, values.dump_json({
            "name": criterion.get("name"), "provider": criterion.get("provider"), "query": criterion.get("query"),
            "raw": criterion.get("raw")})))
    extra = {"ledger_anchor": report["ledger_anchor"]} if report.get("ledger_anchor") else None
    return archive.evidence_tar_gz(members, mtime, manifest_extra=extra)
