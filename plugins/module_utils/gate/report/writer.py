# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing one gate evaluation's reports: where each file goes, its mode, and the JSON
report that carries the evidence bundle's sha256.

Everything written goes through ``common.secrets.redact`` first: values under secret-like
keys, URL credentials and query strings, ``Bearer`` tokens and the caller's explicit
secrets never reach a file.

Each report can carry the ledger anchor (seq, sha256 of the environment's last ledger
entry when the gate was evaluated), given by the caller as plain data: a copy of the
ledger's position outside the ledger's storage, so a removed tail shows against it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import clock, fileio, secrets as secrets_mod
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import evidence, html, junit, markdown, values

FILE_MODE = 0o640
EVIDENCE_MODE = 0o600
DIR_MODE = 0o750
_SHA256 = re.compile("^[0-9a-f]{64}$")


def checked_anchor(value):
    """``value`` ({seq, sha256}, as a ledger operation returns it) checked and copied; None for None."""
    if value is None:
        return None
    seq = value.get("seq") if isinstance(value, dict) else None
    sha256 = value.get("sha256") if isinstance(value, dict) else None
    if (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0
            or not isinstance(sha256, str) or not _SHA256.match(sha256.lower())):
        raise InvalidInput("ledger_anchor", "needs seq (an integer >= 0) and sha256 (64 hex digits), the anchor a "
                                            "kiro.platform.ledger operation returns; got %r" % (value,))
    return {"seq": seq, "sha256": sha256.lower()}


def write_all(report, report_dir, secrets=(), gate_definition=None, now=None, ledger_anchor=None):
    """Write every report of one gate evaluation, redacted, atomically.

    ``<report_dir>/<environment>/phase<N>-<YYYYmmddTHHMMSSZ>.{evidence.tar.gz,json,md,xml,html}``;
    files 0640 (the evidence bundle 0600), directories 0750. ``ledger_anchor`` ({seq, sha256} or
    None) becomes the report's ``ledger_anchor`` key, also in the evidence bundle's manifest. Returns
    the paths, the bundle's sha256 and the Markdown text.
    """
    moment = clock.moment(now)
    stamp = clock.compact(moment)
    clean = secrets_mod.redact(report, secrets)
    # Checked data, hex only: added after redaction so no pattern can mask a digit of it.
    clean["ledger_anchor"] = checked_anchor(ledger_anchor)
    definition = secrets_mod.redact(evidence.gate_document(report, gate_definition), secrets)
    clean.pop("evidence_sha256", None)
    directory = os.path.join(report_dir, values.safe_name(clean.get("environment"), "unknown"))
    fileio.make_dirs(directory, DIR_MODE)
    os.chmod(directory, DIR_MODE)
    base = os.path.join(directory, "phase%s-%s" % (values.safe_name(clean.get("phase"), "0"), stamp))
    paths = {"evidence": base + ".evidence.tar.gz", "json": base + ".json", "markdown": base + ".md",
             "junit": base + ".xml", "html": base + ".html"}

    bundle = evidence.bundle(clean, definition, mtime=int(moment.timestamp()))
    digest = hashlib.sha256(bundle).hexdigest()
    fileio.atomic_write(paths["evidence"], bundle, EVIDENCE_MODE)

    final = dict(clean)
    final["evidence_sha256"] = digest
    text = markdown.render(final)
    fileio.atomic_write(paths["json"], values.dump_json(final), FILE_MODE)
    fileio.atomic_write(paths["markdown"], text.encode("utf-8"), FILE_MODE)
    fileio.atomic_write(paths["junit"], junit.render(final).encode("utf-8"), FILE_MODE)
    fileio.atomic_write(paths["html"], html.render(final).encode("utf-8"), FILE_MODE)
    result = dict(paths)
    result["evidence_sha256"] = digest
    result["markdown_text"] = text
    return result
