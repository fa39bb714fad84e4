# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs for the collection's action plugins, and validating task arguments with them.

A controller-side action and its doc-only module (``plugins/modules/<name>.py``) share one
description of their options: the module's DOCUMENTATION, doc fragments included. The
action's argument spec is read from it, so what ``ansible-doc`` shows is what the action
accepts. DOCUMENTATION cannot say that an option is a secret, so the action names its
``no_log`` options beside it; naming one the documentation lacks is an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import add_fragments

# Option keys that mean the same in DOCUMENTATION and in an argument spec.
_SAME_KEYS = ("type", "elements", "default", "required", "aliases")
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

# libyaml's loader, where PyYAML has it, reads a DOCUMENTATION in ~0.4 ms instead of ~5 ms.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CACHE = {}


def documented_options(documentation, source):
    """The ``options`` of ``documentation`` (YAML text, from the file ``source``) with those of its
    doc fragments merged in."""
    doc = yaml.load(documentation, Loader=_YAML_LOADER) or {}
    add_fragments(doc, os.path.abspath(source), fragment_loader=fragment_loader, is_module=True)
    # Fragments come back as tagged Ansible values; a spec holds plain ones (its defaults
    # become task arguments).
    return json.loads(json.dumps(doc.get("options") or {}))


def _convert(options):
    spec = {}
    for name, option in options.items():
        entry = dict((key, option[key]) for key in _SAME_KEYS if key in option)
        if "choices" in option:
            # A mapping documents each choice; its keys are the choices.
            entry["choices"] = list(option["choices"])
        if option.get("suboptions"):
            entry["options"] = _convert(option["suboptions"])
        spec[name] = entry
    return spec


def _mark_no_log(spec, path):
    node, parts = spec, path.split(".")
    for depth, part in enumerate(parts):
        option = node.get(part)
        if option is None:
            raise ValueError("no_log option %s is not documented (DOCUMENTATION has no %s)"
                             % (path, ".".join(parts[:depth + 1])))
        if depth == len(parts) - 1:
            option["no_log"] = True
        else:
            node = option.get("options") or {}


def from_module(module, no_log=()):
    """The argument spec that ``module``'s DOCUMENTATION describes (``module``: the imported
    doc-only module).

    ``no_log`` names the secret options, a suboption as ``channels.url``. Each call returns
    a new copy: validation puts the spec's default values into the task's arguments.
    """
    key = (module.__name__, tuple(no_log))
    if key not in _CACHE:
        spec = _convert(documented_options(module.DOCUMENTATION, module.__file__))
        for path in no_log:
            _mark_no_log(spec, path)
        _CACHE[key] = spec
    return copy.deepcopy(_CACHE[key])


def validate(spec, args, **conditionals):
    """``(validated parameters, None)``, or ``(None, the errors on one line)`` with secrets masked.

    ``conditionals`` are ArgumentSpecValidator's (``required_if``, ``mutually_exclusive``, ...).
    A conversion error may quote the value it could not convert, so every no_log value is
    removed from the message.
    """
    validation = ArgumentSpecValidator(spec, **conditionals).validate(args)
    if validation.error_messages:
        return None, remove_values("; ".join(validation.error_messages), validation._no_log_values)
    return validation.validated_parameters, None


def masked(params, spec):
    """``params`` with every no_log option (at any depth of a list of dicts) masked, as a
    module reports its arguments in ``invocation``."""
    out = {}
    for key, value in params.items():
        option = spec.get(key) or {}
        if option.get("no_log") and value is not None:
            out[key] = NO_LOG_MASK
        elif option.get("options") and isinstance(value, list):
            out[key] = [masked(item, option["options"]) if isinstance(item, dict) else item for item in value]
        elif option.get("options") and isinstance(value, dict):
            out[key] = masked(value, option["options"])
        else:
            out[key] = value
    return out
