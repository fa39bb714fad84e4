# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro_compliance: the safety policy re-checked against what is deployed (drift detection).

    - name: zero_policy_violations
      provider: kiro_compliance
      pass: "== 0"
      policy: {max_autonomy: conservative}   # optional: keys laid over the environment's policy

The value is the number of violations (see kiro/policy.py) over every targeted
host in ``context.hosts``; a targeted host without facts is itself a violation
(``no_facts``): what was not scanned cannot be called compliant. ``samples``
is the number of hosts whose facts were scanned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider
from ansible_collections.kiro.platform.plugins.module_utils.kiro import policy as policy_mod
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

MAX_LISTED = 50


class KiroComplianceProvider(Provider):
    name = "kiro_compliance"
    optional = ("policy",)

    def validate(self, criterion):
        super(KiroComplianceProvider, self).validate(criterion)
        override = criterion.params.get("policy")
        if override is None:
            return
        if not isinstance(override, dict):
            raise CriterionError(criterion.name, "policy must be a mapping of policy keys")
        try:
            policy_mod.validate(override)
        except KiroValidationError as exc:
            raise CriterionError(criterion.name, str(exc))

    def effective_policy(self, criterion, context):
        merged = dict(context.policy or {})
        merged.update(criterion.params.get("policy") or {})
        try:
            return policy_mod.validate(merged)
        except KiroValidationError as exc:
            raise ProviderError("safety policy of %s: %s" % (context.environment, exc), retryable=False)

    def measure(self, criterion, context):
        policy = self.effective_policy(criterion, context)
        found = []
        scanned = 0
        for host in sorted(context.hosts or {}):
            entry = context.hosts[host] or {}
            if not entry.get("targeted", True):
                continue
            facts = entry.get("facts")
            if not facts:
                found.append({"host": host, "root": None, "item": "facts", "rule": "no_facts",
                              "detail": "no Kiro facts were gathered from %s; its config was not checked" % host})
                continue
            scanned += 1
            found.extend(policy_mod.violations(facts, policy, host=host))
        by_rule = {}
        for violation in found:
            by_rule[violation["rule"]] = by_rule.get(violation["rule"], 0) + 1
        details = {"violations": found[:MAX_LISTED], "by_rule": by_rule, "total": len(found),
                   "hosts_scanned": scanned}
        targeted = scanned + by_rule.get("no_facts", 0)
        return Measurement(value=len(found) if targeted else None, samples=scanned, raw=details, details=details)
