"""Shared helpers for the kiro model unit tests (real files only, no mocks)."""

import hashlib
import json
import os
import stat

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset as kplan


def make_workspace(base, name="ws"):
    path = os.path.join(str(base), name)
    os.makedirs(path, exist_ok=True)
    return path


def roots(workspaces, kiro_home=None):
    return kplan.roots_for([str(w) for w in workspaces], str(kiro_home) if kiro_home else None)


def write(path, data, mode=None):
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def write_json(path, value, mode=None):
    return write(path, json.dumps(value, indent=2) + "\n", mode)


def read_bytes(path):
    with open(str(path), "rb") as handle:
        return handle.read()


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def tree(base):
    """{relative path: (sha256, mode)} of every regular file under ``base``."""
    out = {}
    base = str(base)
    for directory, _unused, files in os.walk(base):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                continue
            out[os.path.relpath(path, base)] = (hashlib.sha256(read_bytes(path)).hexdigest(), mode_of(path))
    return out


def temp_leftovers(base):
    """Files that look like atomic_write temp files (.<name>.<random>.tmp)."""
    found = []
    for directory, _unused, files in os.walk(str(base)):
        found.extend(os.path.join(directory, f) for f in files if f.startswith(".") and f.endswith(".tmp"))
    return found
