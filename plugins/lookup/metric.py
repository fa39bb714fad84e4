# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: metric
short_description: Measure one metric with a gate provider
version_added: 0.1.0
description:
  - Returns the value one gate provider measures for a criterion-shaped query (no condition
    needed), for templates and asserts. C(None) when there is no data.
  - Uses the same providers, settings, timeouts and retries as M(kiro.platform.gate).
options:
  _terms:
    description: One or more criterion-shaped mappings, each with C(provider) and that provider's parameters.
    required: true
    type: list
    elements: dict
  settings:
    description: Provider connection settings, as O(kiro.platform.gate#module:providers).
    type: dict
    default: {}
  environment:
    description: Environment name passed to providers.
    type: str
    default: development
  base_dir:
    description: Directory relative paths resolve against (default, the playbook's).
    type: path
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Satisfaction score from the survey export
  ansible.builtin.debug:
    msg: "{{ lookup('kiro.platform.metric', {'provider': 'file', 'path': 'metrics/satisfaction.csv',
              'query': \"[?environment=='development'].score\", 'aggregate': 'mean'}) }}"

- name: Error budget left, from Prometheus
  ansible.builtin.assert:
    that: lookup('kiro.platform.metric', metric_query, settings=gate_providers) | float > 0.2
  vars:
    metric_query: {provider: prometheus, query: "slo:error_budget_remaining:ratio{service='payments'}"}
"""

RETURN = r"""
_raw:
  description: The measured value of each term (a float, or None when there is no data).
  type: list
  elements: float
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        base_dir = self.get_option("base_dir") or self._loader.get_basedir()
        context = Context(environment=self.get_option("environment"), base_dir=base_dir)
        values = []
        for term in terms:
            if not isinstance(term, dict):
                raise AnsibleLookupError("kiro.platform.metric: each term must be a mapping with a provider")
            try:
                values.append(engine.measure(term, self.get_option("settings"), context).value)
            except PlatformError as exc:
                raise AnsibleLookupError("kiro.platform.metric: %s" % exc)
        return values
