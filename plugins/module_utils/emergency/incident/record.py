# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The incident record on disk: a new directory per run (never over an earlier one) with
summary.json, postmortem.md and evidence.tar.gz (the summary, each host's lockdown
result, the ledgers and the last gate reports, secrets masked).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import archive, clock, fileio, secrets
from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident import postmortem
from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident.summary import (
    IncidentError, check_incident_id)

FILE_MODE = 0o640
EVIDENCE_MODE = 0o600
DIR_MODE = 0o750
REPORT_SUFFIXES = (".json", ".md")


def latest_reports(reports_dir, environments):
    """[(environment, path)] of the newest gate report (JSON and Markdown) of each environment."""
    found = []
    if not reports_dir or not os.path.isdir(reports_dir):
        return found
    for env in sorted(set(environments)):
        directory = os.path.join(reports_dir, env)
        if not os.path.isdir(directory):
            continue
        for suffix in REPORT_SUFFIXES:
            names = sorted(n for n in os.listdir(directory)
                           if n.startswith("phase") and n.endswith(suffix) and not n.endswith(".evidence" + suffix))
            if names:
                found.append((env, os.path.join(directory, names[-1])))
    return found


def new_directory(base, incident_id, now=None):
    """``<base>/<incident_id>/<UTC stamp>``, made fresh (never an existing one, so nothing is overwritten)."""
    check_incident_id(incident_id)
    moment = clock.moment(now)
    parent = os.path.join(base, incident_id)
    fileio.make_dirs(parent, DIR_MODE)  # never made through a link
    stamp = clock.compact(moment)
    for n in range(1, 1000):
        path = os.path.join(parent, stamp if n == 1 else "%s-%d" % (stamp, n))
        try:
            os.mkdir(path, DIR_MODE)
            return path
        except FileExistsError:
            continue
    raise IncidentError("%s: too many runs in one second" % parent)


def evidence_members(summary, host_results, ledgers, reports):
    """The bundle's members: the summary, each host's lockdown result, the ledgers, the last gate reports."""
    members = [("summary.json", fileio.dump_json(secrets.config(summary), sort_keys=True))]
    for host, result in sorted((host_results or {}).items()):
        members.append(("hosts/%s.json" % _safe(host), fileio.dump_json(secrets.config(result), sort_keys=True)))
    for env, entries in sorted((ledgers or {}).items()):
        body = b"".join(fileio.dump_json(e, sort_keys=True).replace(b"\n", b"") + b"\n" for e in entries or [])
        members.append(("ledger/%s.jsonl" % _safe(env), body))
    for env, path in reports:
        with open(path, "rb") as handle:
            members.append(("gate-reports/%s/%s" % (_safe(env), os.path.basename(path)), handle.read()))
    return members


def _safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name)) or "_"


def write(base, summary, host_results, ledgers, reports_dir=None, inventory=None, now=None):
    """Write summary.json, postmortem.md and evidence.tar.gz in a new directory; return their paths and sha256."""
    moment = clock.moment(now)
    directory = new_directory(base, summary["incident_id"], moment)
    reports = latest_reports(reports_dir, [r.get("environment") for r in summary["hosts"].values()
                                           if r.get("environment")] + list(ledgers or {}))
    bundle = archive.evidence_tar_gz(evidence_members(summary, host_results, ledgers, reports),
                                     mtime=int(moment.timestamp()))
    digest = hashlib.sha256(bundle).hexdigest()
    paths = {"directory": directory, "evidence": os.path.join(directory, "evidence.tar.gz"),
             "summary_json": os.path.join(directory, "summary.json"),
             "postmortem": os.path.join(directory, "postmortem.md")}
    fileio.atomic_write(paths["evidence"], bundle, EVIDENCE_MODE)
    final = dict(summary, evidence_sha256=digest)
    fileio.atomic_write(paths["summary_json"], fileio.dump_json(secrets.config(final), sort_keys=True), FILE_MODE)
    text = postmortem.markdown(final, ledgers, "evidence.tar.gz", digest, inventory)
    fileio.atomic_write(paths["postmortem"], text.encode("utf-8"), FILE_MODE)
    return dict(paths, evidence_sha256=digest, gate_reports=[p for _unused, p in reports])
