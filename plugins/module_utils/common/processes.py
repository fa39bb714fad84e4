# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Killing a whole process tree that was started with a marker in its environment.

A child inherits its parent's environment, so every process a started program spawns
carries the marker too, even one that left the process group or started its own
session. Finding them by the marker (Linux ``/proc``) is what lets a caller leave
nothing behind of a program that hung or ignored SIGTERM.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal


def marked_pids(var, marker):
    """Pids of the live processes whose environment holds ``var=marker`` (Linux /proc; [] elsewhere)."""
    needle = ("%s=%s" % (var, marker)).encode("ascii")
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    pids = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as handle:
                data = handle.read()
        except (IOError, OSError):
            continue  # gone, or not ours
        if needle in data.split(b"\0"):
            pids.append(int(entry))
    return pids


def kill_marked(var, marker):
    """SIGKILL every process marked ``var=marker`` and its process group (never our own); the pids."""
    own_group = os.getpgrp()
    killed = []
    for pid in marked_pids(var, marker):
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        killed.append(pid)
    return killed
