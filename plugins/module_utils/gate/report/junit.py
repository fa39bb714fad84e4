# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JUnit XML for CI: one testsuite, one testcase per criterion (a fail is a failure,
inconclusive an error, a dry run skipped, a warning passes with a WARNING line)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import summary, values

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text):
    return _XML_BAD.sub("?", "" if text is None else str(text))


def render(report):
    """JUnit XML: one testsuite, one testcase per criterion."""
    criteria = report.get("criteria") or []
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    suite_name = "gate.phase%s.%s" % (summary.phase_label(report), report.get("environment") or "unknown")
    cases = []
    for criterion in criteria:
        verdict = summary.verdict(criterion)
        case = ET.Element("testcase", {
            "classname": _x(criterion.get("provider") or "unknown"), "name": _x(criterion.get("name")),
            "time": "%.3f" % summary.elapsed(criterion)})
        text = "measured %s; condition %s; samples %s; verdict %s" % (
            summary.measured_text(criterion), summary.condition_text(criterion), criterion.get("samples"), verdict)
        if criterion.get("dry_run"):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", {"message": "dry run: verdict %s" % verdict})
        elif verdict == "fail":
            counts["failures"] += 1
            node = ET.SubElement(case, "failure", {"message": _x(values.short(summary.explain(criterion), 500)),
                                                   "type": "fail"})
            node.text = _x(text)
        elif verdict == "inconclusive":
            counts["errors"] += 1
            node = ET.SubElement(case, "error", {"message": _x(values.short(summary.explain(criterion), 500)),
                                                 "type": "inconclusive"})
            node.text = _x(text)
        out = ET.SubElement(case, "system-out")
        if verdict == "warn" and not criterion.get("dry_run"):
            out.text = _x("WARNING: %s\n%s" % (summary.explain(criterion), text))
        else:
            out.text = _x(text)
        cases.append(case)
    attrs = {"name": _x(suite_name), "tests": str(len(criteria)), "failures": str(counts["failures"]),
             "errors": str(counts["errors"]), "skipped": str(counts["skipped"]),
             "time": "%.3f" % (values.number(report.get("duration")) or 0.0)}
    if report.get("started"):
        attrs["timestamp"] = _x(report["started"])
    root = ET.Element("testsuites", dict((k, attrs[k]) for k in ("name", "tests", "failures", "errors", "time")))
    suite = ET.SubElement(root, "testsuite", attrs)
    props = ET.SubElement(suite, "properties")
    for key in ("verdict", "passed", "score", "approver", "approval_reason", "fail_closed", "needs_approval",
                "evidence_sha256"):
        if report.get(key) is not None:
            ET.SubElement(props, "property", {"name": key, "value": _x(report[key])})
    for key in ("seq", "sha256"):
        if (report.get("ledger_anchor") or {}).get(key) is not None:
            ET.SubElement(props, "property", {"name": "ledger_anchor_" + key, "value": _x(report["ledger_anchor"][key])})
    suite.extend(cases)
    out = ET.SubElement(suite, "system-out")
    out.text = _x(summary.headline(report) + "\n" + summary.outcome_line(report))
    if hasattr(ET, "indent"):
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
