# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes a ledger truncation-evident and ties it to its evidence.

- The head: the last seq and sha256, MACed, kept apart from the ledger (a local head file
  at its own path; an S3 head object written with conditional writes). A ledger whose
  tail is shorter than, or differs from, its head - or that is gone while its head is
  not - does not verify. The head may lag the ledger by the entries of a run that stopped
  between its two writes (reported, and moved on by the next append): those entries are
  MACed, so only a key holder could have written them.
- The anchor (seq, sha256 of the last entry) goes into each gate report and the status
  page, so a copy of the ledger's position lives outside the ledger's storage too.
- gate_passed entries are checked against their stored evidence bundle and JSON report,
  when those files are on this controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.common.fileio import read_bytes
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken

HEAD_FIELDS = ("environment", "seq", "sha256", "ts")
HEAD_MAC_CONTEXT = b"kiro.platform ledger head v1\n"


def anchor(entries):
    """{seq, sha256} of the last entry; seq 0 and the genesis hash for an empty ledger."""
    if not entries:
        return {"seq": 0, "sha256": model.GENESIS}
    return {"seq": entries[-1]["seq"], "sha256": entries[-1]["sha256"]}


def _head_message(head):
    return HEAD_MAC_CONTEXT + model.canonical(dict((k, head[k]) for k in HEAD_FIELDS))


def head_record(entry, signer):
    """The MACed head that anchors ``entry`` (the ledger's new last entry)."""
    head = {"environment": entry["environment"], "seq": entry["seq"], "sha256": entry["sha256"], "ts": entry["ts"]}
    head["mac"] = {"scheme": signer.scheme, "key_id": signer.key_id, "value": signer.mac(_head_message(head))}
    return head


def head_bytes(head):
    return json.dumps(head, sort_keys=True).encode("utf-8") + b"\n"


def parse_head(data, where):
    """The head record in ``data``; ChainBroken when it is not one."""
    try:
        head = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise ChainBroken(None, "the head record %s is not JSON (%s)" % (where, exc), line=1, source=where)
    if (not isinstance(head, dict) or set(head) != set(HEAD_FIELDS) | {"mac"}
            or not isinstance(head.get("seq"), int) or not isinstance(head.get("sha256"), str)):
        raise ChainBroken(None, "the head record %s is malformed" % where, line=1, source=where)
    return head


def check_head(entries, head, signer, environment, source, head_location, ledger_exists=True):
    """(ChainBroken or None, warnings) for ``entries`` against their ``head`` (None: no head)."""
    if head is None:
        if len(entries) > 1 and all(model.is_signed(entry) for entry in entries):
            return ChainBroken(entries[-1]["seq"], "its head record %s is missing: the ledger's position cannot be "
                                                   "proved; restore the head from a backup or have it investigated"
                               % head_location, source=source), []
        if entries and model.is_signed(entries[0]):
            # The first appender has written the ledger and not yet its head.
            return None, ["%s: its head %s is not written yet; the next append writes it" % (source, head_location)]
        return None, []
    mac = head.get("mac")
    if (not isinstance(mac, dict) or mac.get("scheme") != signer.scheme
            or not signer.valid(_head_message(head), mac.get("value"))):
        return ChainBroken(head.get("seq"), "the head record %s is not signed with the configured key (%s): it was "
                                            "forged or written with another key" % (head_location, signer.key_id),
                           source=source), []
    if head["environment"] != environment:
        return ChainBroken(head["seq"], "the head record %s belongs to environment %r"
                           % (head_location, head["environment"]),
                           source=source), []
    if not ledger_exists:
        return ChainBroken(head["seq"], "the ledger is missing while its head %s records seq %d (sha256 %s): it was "
                                        "deleted; restore it from a backup" % (head_location, head["seq"],
                                                                               head["sha256"]), source=source), []
    if len(entries) < head["seq"]:
        return ChainBroken(head["seq"], "the ledger ends at seq %d but its head %s records seq %d (sha256 %s): "
                                        "entries were removed from its end; restore it from a backup"
                           % (len(entries), head_location, head["seq"], head["sha256"]), source=source), []
    if head["seq"] and entries[head["seq"] - 1]["sha256"] != head["sha256"]:
        return ChainBroken(head["seq"], "the entry differs from the one its head %s records (sha256 %s): the "
                                        "ledger was rewritten" % (head_location, head["sha256"]), source=source), []
    warnings = []
    if len(entries) > head["seq"]:
        warnings.append("%s: its head %s is at seq %d, %d signed entries behind (a run stopped between writing the "
                        "ledger and its head); the next append moves it" % (source, head_location, head["seq"],
                                                                            len(entries) - head["seq"]))
    return None, warnings


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_files(entry):
    """(evidence bundle, JSON report) paths a gate_passed entry names (either may be None)."""
    details = entry.get("details") or {}
    report = details.get("report") if isinstance(details.get("report"), str) and details.get("report") else None
    evidence = details.get("evidence") if isinstance(details.get("evidence"), str) else None
    if evidence is None and report and report.endswith(".json"):
        evidence = report[:-len(".json")] + ".evidence.tar.gz"  # the gate writes them side by side
    return evidence, report


def _report_anchor(path):
    """The ``ledger_anchor`` of the gate report ``path``: None when it has none (or is not a gate
    report); raises ValueError when it does not parse."""
    data = read_bytes(path)
    if data is None:
        return None
    report = json.loads(data.decode("utf-8-sig"))
    value = report.get("ledger_anchor") if isinstance(report, dict) else None
    if value is None:
        return None
    if (not isinstance(value, dict) or not isinstance(value.get("seq"), int) or isinstance(value.get("seq"), bool)
            or not isinstance(value.get("sha256"), str)):
        raise ValueError("its ledger_anchor %r is not {seq, sha256}" % (value,))
    return value


def report_paths(entries, reports_dir=None, environment=None):
    """The JSON gate reports whose anchors are checked: those the gate entries name, and every
    ``*.json`` in ``<reports_dir>/<environment>/`` (so a report outlives the entries cut off a ledger)."""
    paths = []
    for entry in entries:
        if entry.get("event") in ("gate_passed", "gate_failed"):
            report = report_files(entry)[1]
            if report and report.endswith(".json"):
                paths.append(os.path.abspath(report))
    if reports_dir and environment:
        directory = os.path.join(reports_dir, environment)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            names = []
        paths.extend(os.path.join(os.path.abspath(directory), name) for name in names if name.endswith(".json"))
    unique = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def check_anchors(entries, source, reports_dir=None, environment=None):
    """(ChainBroken or None, number of reports checked): each gate report's ``ledger_anchor``
    against the ledger - its seq must be in it, with the sha256 the report recorded. A report
    anchored past the ledger's end shows that entries were removed from the end (even with the
    head deleted too)."""
    checked = 0
    for path in report_paths(entries, reports_dir, environment):
        try:
            if not os.path.isfile(path):
                continue
            recorded = _report_anchor(path)
        except (ValueError, OSError, PlatformError) as exc:
            return ChainBroken(None, "the gate report %s does not parse (%s); move it away or restore it"
                               % (path, exc), source=source), checked
        if recorded is None:
            continue
        seq, sha256 = recorded["seq"], recorded["sha256"].lower()
        if seq > len(entries):
            return ChainBroken(seq, "the gate report %s is anchored at seq %d (sha256 %s) but the ledger ends at seq "
                                    "%d: entries were removed from its end (or the ledger was replaced); restore it "
                                    "from a backup" % (path, seq, sha256, len(entries)), source=source), checked
        actual = entries[seq - 1]["sha256"] if seq else model.GENESIS
        if actual != sha256:
            return ChainBroken(seq, "the gate report %s is anchored at seq %d with sha256 %s, but the ledger's entry "
                                    "%d has sha256 %s: the ledger was rewritten (or the report belongs to another "
                                    "ledger)" % (path, seq, sha256, seq, actual), source=source), checked
        checked += 1
    return None, checked


def check_reports(entries, source, reports_dir=None, environment=None):
    """(ChainBroken or None, number of reports checked): each gate_passed entry's report_sha256
    against the sha256 of its evidence bundle and the evidence_sha256 in its JSON report, for
    the files present on this controller; then every gate report's ledger anchor (check_anchors)."""
    checked = 0
    for entry in entries:
        if entry.get("event") != "gate_passed" or not entry.get("report_sha256"):
            continue
        evidence, report = report_files(entry)
        if evidence and os.path.isfile(evidence):
            actual = _sha256_file(evidence)
            if actual != entry["report_sha256"]:
                return ChainBroken(entry["seq"], "its report_sha256 %s is not the sha256 of the evidence %s (%s): the "
                                                 "evidence or the entry was changed"
                                   % (entry["report_sha256"], evidence, actual), source=source), checked
            checked += 1
        if report and os.path.isfile(report):
            try:
                with open(report, "rb") as handle:
                    recorded = json.loads(handle.read().decode("utf-8")).get("evidence_sha256")
            except (ValueError, AttributeError) as exc:
                return ChainBroken(entry["seq"], "its gate report %s does not parse (%s)" % (report, exc),
                                   source=source), checked
            if recorded != entry["report_sha256"]:
                return ChainBroken(entry["seq"], "its report_sha256 %s differs from the evidence_sha256 %s in the "
                                                 "gate report %s: the report or the entry was changed"
                                   % (entry["report_sha256"], recorded, report), source=source), checked
            checked += 1
    broken, anchored = check_anchors(entries, source, reports_dir, environment)
    return broken, checked + anchored
