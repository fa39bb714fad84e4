# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a module's arguments into a plan, apply it (unless check mode), report.

Modules pass their AnsibleModule object in; nothing here imports Ansible, so
the logic is testable as plain Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PartialFailure, PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, override
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Confined, Plan, roots_for


def roots(module):
    params = module.params
    return roots_for(params.get("workspaces"), params.get("kiro_home"), create=params.get("create_workspaces"))


def run_plan(module, build, after=None, extra=None, roots_of=None):
    """``build()`` returns a Plan or a list of FileChanges. Exits the module.

    ``extra`` is a dict of more result keys that ``build()`` may still fill in
    (read once the plan is applied); ``after()``, when given, returns more keys
    computed after applying. Every read and write stays inside the module's roots
    (``roots_of()``, by default the targeted ones; see changeset.Confined). A write
    that fails part-way is undone and reported failed, naming the path that failed
    and every file touched, with ``changed`` true only if something stayed changed.

    Every module that runs a plan can raise a host, so each has the ``override_marker``
    option (override.option()) and plans and writes under override.guard: refused while the
    host is under a manual override, and serialized with the lockdown.
    """
    extra = extra if extra is not None else {}
    try:
        with override.guard(module.params["override_marker"], check_mode=module.check_mode), \
                Confined(roots_of() if roots_of is not None else roots(module)):
            plan = build()
            if not isinstance(plan, Plan):
                changes, plan = plan, Plan()
                plan.extend(changes)
            plan.apply(check_mode=module.check_mode)
        if after is not None:
            extra.update(after())
    except override.OverrideActive as exc:
        module.fail_json(msg=str(exc), changed=False, override=exc.details)
    except PartialFailure as exc:
        module.fail_json(msg=str(exc), **dict(extra, **exc.result))
    except PlatformError as exc:
        module.fail_json(msg=str(exc), changed=False)
    except (OSError, IOError) as exc:
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or "I/O error", os.strerror(exc.errno) if exc.errno else exc),
                         changed=False)
    result = plan.result()
    result.update(extra)
    if module._diff:
        result["diff"] = plan.diffs()
    module.exit_json(**result)


def plan_roots(module, planner):
    """A Plan with ``planner(root)``'s changes for every targeted root."""
    targeted = roots(module)
    plan = Plan(targeted)
    for root in targeted:
        plan.extend(planner(root))
    return plan


def run_kind(module_class, option, options, validate, planner, **extra_spec):
    """The whole of a one-kind module (steering, hooks, mcp_servers, agents).

    ``validate(params)`` returns the normalised items; ``planner(root, items, params)``
    the FileChanges of one root.
    """
    spec = argspec.targets(purge=dict(type="bool", default=False), **extra_spec)
    spec.update(override.option())
    spec[option] = argspec.list_of(options)
    module = module_class(argument_spec=spec, supports_check_mode=True)

    def build():
        items = validate(module.params)
        return plan_roots(module, lambda root: planner(root, items, module.params))

    run_plan(module, build)
