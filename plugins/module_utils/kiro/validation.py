# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What validating every kind of desired item (steering, hooks, MCP servers, agents,
workflows) shares: a list of specs, each a mapping with a name and a state, and no
name listed twice."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

STATES = ("present", "absent")


def named(spec, item, pattern, hint):
    """The name of ``spec``, which must be a mapping whose ``name`` matches ``pattern``.

    ``item`` says where the spec is (``agents[2]``); ``hint`` ends the error about a bad
    name ("must be a file stem such as 'aws-readonly'").
    """
    if not isinstance(spec, dict):
        raise KiroValidationError(item, "must be a mapping")
    name = spec.get("name")
    if not isinstance(name, str) or not pattern.match(name):
        raise KiroValidationError(item, "name %r %s" % (name, hint))
    return name


def state_of(spec, item):
    """``present`` (the default) or ``absent``."""
    state = spec.get("state") or "present"
    if state not in STATES:
        raise KiroValidationError(item, "state must be present or absent, not %r" % (state,))
    return state


def validate_list(specs, field, kind, validate, name_of=lambda norm: norm["name"]):
    """Every spec of the list ``field`` through ``validate(spec, "<field>[<i>]")``, in order.

    A name (``name_of`` the validated spec) listed twice is refused as "<kind> <name>".
    """
    out = []
    seen = set()
    for index, spec in enumerate(specs or []):
        norm = validate(spec, "%s[%d]" % (field, index))
        name = name_of(norm)
        if name in seen:
            raise KiroValidationError("%s %s" % (kind, name), "is listed twice")
        seen.add(name)
        out.append(norm)
    return out
