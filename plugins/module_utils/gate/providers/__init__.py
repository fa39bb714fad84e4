# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provider registry. Modules are imported only when a gate uses them (boto3,
kubernetes and the MCP SDK are heavy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

_PACKAGE = "ansible_collections.kiro.platform.plugins.module_utils.gate.providers."

# provider name -> (module, class)
REGISTRY = {
    "prometheus": ("prometheus", "PrometheusProvider"),
    "cloudwatch": ("cloudwatch", "CloudWatchProvider"),
    "cost_explorer": ("cost_explorer", "CostExplorerProvider"),
    "kubernetes": ("kubernetes", "KubernetesProvider"),
    "http_json": ("http_json", "HttpJsonProvider"),
    "file": ("file", "FileProvider"),
    "mcp_probe": ("mcp_probe", "McpProbeProvider"),
    "kiro_compliance": ("kiro_compliance", "KiroComplianceProvider"),
    "run_stats": ("run_stats", "RunStatsProvider"),
}


def names():
    return sorted(REGISTRY)


def load(name):
    """The provider class for ``name``, or None when unknown."""
    if name not in REGISTRY:
        return None
    module, cls = REGISTRY[name]
    return getattr(importlib.import_module(_PACKAGE + module), cls)
