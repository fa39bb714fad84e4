"""kubernetes provider against a real cluster, when KUBECONFIG points at one.

No API server can be installed on the build machines, so this runs only where
a cluster is reachable: ``KUBECONFIG=~/.kube/config make unit``.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria, engine  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import kubernetes as k8s  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context  # noqa: E402

pytestmark = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"),
    reason="KUBECONFIG is not set: no real Kubernetes cluster to test against "
           "(set KUBECONFIG=/path/to/kubeconfig to run these)")

SETTINGS = {"timeout": 10, "retries": 1, "backoff": 0.5}


def _direct_core_and_apps():
    """The official client configured the usual way, to cross-check the provider."""
    from kubernetes import client, config
    api_client = config.new_client_from_config(persist_config=False)
    return client.CoreV1Api(api_client), client.AppsV1Api(api_client)


def test_nodes_are_counted():
    report = engine.evaluate([{"name": "cluster_has_nodes", "provider": "kubernetes", "kind": "Node",
                               "measure": "count", "pass": "> 0"}], {"kubernetes": SETTINGS}, Context())
    result = report["criteria"][0]
    assert result["error"] is None, result["error"]
    assert result["verdict"] == "pass"
    core, _apps = _direct_core_and_apps()
    assert result["value"] == len(core.list_node().items)


def test_deployments_in_kube_system_are_listed():
    provider = k8s.KubernetesProvider(SETTINGS)
    criterion = criteria.Criterion({"name": "kube_system_deployments", "provider": "kubernetes",
                                    "kind": "Deployment", "namespace": "kube-system", "measure": "count",
                                    "pass": ">= 0"})
    provider.validate(criterion)
    measurement = provider.measure(criterion, Context())
    _core, apps = _direct_core_and_apps()
    expected = sorted(d.metadata.name for d in apps.list_namespaced_deployment("kube-system").items)
    assert measurement.value == len(expected)
    assert sorted(o["name"] for o in measurement.raw["objects"]) == expected
    assert all(o["namespace"] == "kube-system" for o in measurement.raw["objects"])
    assert measurement.raw["path"] == "/apis/apps/v1/namespaces/kube-system/deployments"
