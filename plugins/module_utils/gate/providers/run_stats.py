# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_stats: how the hosts of this run fared (``context.hosts``: targeted / ok).

    - name: config_deployment
      provider: run_stats
      measure: ratio          # ratio (ok / targeted, the default) | ok | failed | targeted
      pass: ">= 1.0"

A host listed in ``context.hosts`` is targeted unless its entry says
``targeted: false``; it counts as ok only when its entry says ``ok: true``.
With no targeted host there is no data (value None).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

MEASURES = ("ratio", "ok", "failed", "targeted")
MAX_LISTED = 50


class RunStatsProvider(Provider):
    name = "run_stats"
    optional = ("measure",)

    def validate(self, criterion):
        super(RunStatsProvider, self).validate(criterion)
        measure = criterion.params.get("measure", "ratio")
        if measure not in MEASURES:
            raise CriterionError(criterion.name, "measure must be one of %s, not %r" % (", ".join(MEASURES), measure))

    def measure(self, criterion, context):
        measure = criterion.params.get("measure", "ratio")
        targeted = sorted(h for h, entry in (context.hosts or {}).items() if (entry or {}).get("targeted", True))
        failed = [h for h in targeted if (context.hosts[h] or {}).get("ok") is not True]
        ok = len(targeted) - len(failed)
        details = {"measure": measure, "targeted": len(targeted), "ok": ok, "failed": len(failed),
                   "failed_hosts": failed[:MAX_LISTED]}
        if not targeted:
            return Measurement(value=None, samples=0, raw=details, details=details)
        value = {"ratio": float(ok) / len(targeted), "ok": ok, "failed": len(failed),
                 "targeted": len(targeted)}[measure]
        return Measurement(value=value, samples=len(targeted), raw=details, details=details)
