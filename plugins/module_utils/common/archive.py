# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence bundles: a deterministic tar.gz of named members plus a manifest of their sha256.

The gate's evidence and the incident's evidence are both built here, so an auditor
checks every bundle of the collection the same way (manifest.json names each member's
sha256; the same members and mtime give the same bytes).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import hashlib
import io
import tarfile

from ansible_collections.kiro.platform.plugins.module_utils.common.fileio import dump_json


def evidence_tar_gz(members, mtime=0, manifest_extra=None):
    """The tar.gz bytes of ``members`` ([(name, bytes)], names with "/" for folders) and manifest.json.

    ``manifest_extra``: more top-level keys of manifest.json (JSON values), beside ``sha256``."""
    members = list(members)
    manifest = dict(manifest_extra or {})
    manifest["sha256"] = dict((name, hashlib.sha256(data).hexdigest()) for name, data in members)
    members.append(("manifest.json", dump_json(manifest, sort_keys=True)))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=int(mtime)) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            dirs_done = set()
            for name, data in members:
                parts = name.split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    directory = "/".join(parts[:depth])
                    if directory not in dirs_done:
                        dirs_done.add(directory)
                        info = tarfile.TarInfo(directory)
                        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o700, int(mtime)
                        tar.addfile(info)
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o600, int(mtime)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
