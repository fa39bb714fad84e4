"""kubernetes provider against a local fake API server that answers exactly the
list paths the provider calls (no real API server can be installed here; see
test_provider_kubernetes_real.py for a real cluster)."""

import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures import kube_standin, local_http  # noqa: E402
from fixtures.kube_objects import cron_job, daemon_set, deployment, job, node, pod, stateful_set  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria, engine  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import (  # noqa: E402
    CriterionError, ProviderError)
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import kubernetes as k8s  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context  # noqa: E402


@pytest.fixture(scope="module")
def server():
    api = kube_standin.FakeKubeApi().start()
    yield api
    api.stop()


@pytest.fixture
def kube(server):
    server.reset()
    return server


def crit(**extra):
    data = {"name": "agents_available", "provider": "kubernetes", "kind": "Deployment", "namespace": "kiro",
            "label_selector": "app.kubernetes.io/part-of=kiro", "measure": "available_ratio", "pass": "== 1"}
    data.update(extra)
    return dict((k, v) for k, v in data.items() if v is not None)


def kiro_deployment(name, available=None, namespace="kiro", replicas=2):
    return deployment(name, namespace=namespace, replicas=replicas, available=available,
                      labels={"app": name, "app.kubernetes.io/part-of": "kiro"})


def evaluate(item, settings):
    report = engine.evaluate([item], {"kubernetes": settings}, Context())
    return report["criteria"][0]


def measure(item, settings):
    provider = k8s.KubernetesProvider(settings)
    criterion = criteria.Criterion(item)
    provider.validate(criterion)
    return provider.measure(criterion, Context())


# --- available_ratio and selectors ------------------------------------------------

def test_all_deployments_available_pass(kube):
    kube.add(kiro_deployment("agent"), kiro_deployment("gateway", replicas=3),
             deployment("unrelated", namespace="kiro", replicas=2, available=0))
    result = evaluate(crit(), kube.settings())
    assert result["verdict"] == "pass"
    assert result["value"] == 1.0 and result["samples"] == 2
    assert len(kube.requests) == 1
    request = kube.requests[0]
    assert request["path"] == "/apis/apps/v1/namespaces/kiro/deployments"
    assert request["query"] == {"labelSelector": "app.kubernetes.io/part-of=kiro", "limit": "500"}
    assert request["authorization"] == "Bearer %s" % kube.token
    names = sorted(o["name"] for o in result["raw"][0]["objects"])
    assert names == ["agent", "gateway"]


def test_one_deployment_short_of_replicas_fails(kube):
    kube.add(kiro_deployment("agent"), kiro_deployment("gateway", available=1))
    result = evaluate(crit(), kube.settings())
    assert result["verdict"] == "fail"
    assert result["value"] == 0.5
    assert result["details"]["unavailable"] == ["kiro/gateway"]


def test_label_selector_set_based_is_sent_verbatim(kube):
    kube.add(deployment("web", labels={"app": "web", "tier": "front"}),
             deployment("api", available=0, labels={"app": "api", "tier": "back"}),
             deployment("db", available=0, labels={"app": "db", "tier": "data"}))
    result = evaluate(crit(label_selector="tier in (front,edge),app!=db"), kube.settings())
    assert kube.requests[0]["query"]["labelSelector"] == "tier in (front,edge),app!=db"
    assert "labelSelector=tier%20in%20%28front%2Cedge%29%2Capp%21%3Ddb" in kube.requests[0]["raw_query"]
    assert result["samples"] == 1 and result["verdict"] == "pass"


def test_all_namespaces_when_namespace_is_absent(kube):
    kube.add(kiro_deployment("agent", namespace="kiro-dev"), kiro_deployment("agent", namespace="kiro-stg",
                                                                             available=0))
    result = evaluate(crit(namespace=None), kube.settings())
    assert kube.requests[0]["path"] == "/apis/apps/v1/deployments"
    assert result["value"] == 0.5 and result["samples"] == 2


def test_stateful_sets_and_daemon_sets(kube):
    part_of = {"app.kubernetes.io/part-of": "kiro"}
    kube.add(stateful_set("vault", replicas=3, available=3, labels=dict(part_of, app="vault")),
             stateful_set("redis", replicas=3, available=2, labels=dict(part_of, app="redis")),
             daemon_set("node-agent", desired=4, available=4), daemon_set("log-shipper", desired=4, available=3))
    result = evaluate(crit(kind="StatefulSet"), kube.settings())
    assert kube.requests[-1]["path"] == "/apis/apps/v1/namespaces/kiro/statefulsets"
    assert result["value"] == pytest.approx(0.5)
    result = evaluate(crit(kind="daemonsets", namespace="kube-system", label_selector=None), kube.settings())
    assert kube.requests[-1]["path"] == "/apis/apps/v1/namespaces/kube-system/daemonsets"
    assert result["value"] == pytest.approx(0.5)
    assert result["details"]["unavailable"] == ["kube-system/log-shipper"]


def test_name_narrows_on_the_server(kube):
    kube.add(kiro_deployment("agent"), kiro_deployment("gateway", available=0))
    result = evaluate(crit(resource_name="agent"), kube.settings())
    assert kube.requests[0]["query"]["fieldSelector"] == "metadata.name=agent"
    assert (result["value"], result["samples"], result["verdict"]) == (1.0, 1, "pass")


# --- other kinds, queries ---------------------------------------------------------

def test_cron_jobs_through_batch_v1_with_a_ratio_query(kube):
    kube.add(cron_job("backup"), cron_job("report", last_success=None), cron_job("cleanup", suspend=True),
             cron_job("elsewhere", namespace="other"))
    item = crit(kind="CronJob", namespace="ops", label_selector=None, measure="ratio",
                query="[?spec.suspend != `true` && status.lastSuccessfulTime]", **{"pass": ">= 0.5"})
    result = evaluate(item, kube.settings())
    assert kube.requests[0]["path"] == "/apis/batch/v1/namespaces/ops/cronjobs"
    assert result["value"] == pytest.approx(1 / 3.0) and result["samples"] == 3
    assert result["verdict"] == "fail"
    assert result["raw"][0]["result"] == ["ops/backup"]  # objects summarised, not copied


def test_jobs_complete(kube):
    kube.add(job("migrate-1"), job("migrate-2", complete=False))
    result = evaluate(crit(kind="Job", namespace="ops", label_selector=None), kube.settings())
    assert kube.requests[0]["path"] == "/apis/batch/v1/namespaces/ops/jobs"
    assert result["value"] == 0.5


def test_pod_query_value_and_specs_stay_out_of_the_evidence(kube):
    kube.add(pod("agent-7d9c-a", restarts=0), pod("agent-7d9c-b", restarts=4), pod("agent-7d9c-c", restarts=1))
    item = crit(kind="Pod", label_selector="app=agent-7d9c", measure=None, aggregate="max",
                query="[].status.containerStatuses[].restartCount", **{"pass": "< 3"})
    result = evaluate(item, kube.settings())
    assert kube.requests[0]["path"] == "/api/v1/namespaces/kiro/pods"
    assert (result["value"], result["samples"], result["verdict"]) == (4.0, 3, "fail")
    evidence = json.dumps(result)
    assert "literal-secret-in-pod-spec" not in evidence  # pod specs can hold literal env values
    assert result["raw"][0]["objects"][1]["restarts"] == 4


def test_pods_running_ratio(kube):
    kube.add(pod("agent-x-a"), pod("agent-x-b", phase="Pending", ready=False))
    item = crit(kind="Pod", label_selector=None, measure="ratio", query="[?status.phase == 'Running']")
    assert evaluate(item, kube.settings())["value"] == 0.5


def test_nodes_count_and_ready(kube):
    kube.add(node("node-1"), node("node-2"), node("node-3", ready=False))
    result = evaluate(crit(kind="Node", namespace=None, label_selector=None, measure="count",
                           **{"pass": "> 0"}), kube.settings())
    assert kube.requests[0]["path"] == "/api/v1/nodes"
    assert (result["value"], result["verdict"]) == (3.0, "pass")
    result = evaluate(crit(kind="Node", namespace=None, label_selector=None), kube.settings())
    assert result["value"] == pytest.approx(2 / 3.0) and result["verdict"] == "fail"
    assert result["raw"][0]["objects"][2] == {"name": "node-3", "namespace": None, "ready": False,
                                              "unschedulable": False, "kubelet": "v1.30.2"}


def test_count_of_zero_is_a_measurement(kube):
    result = evaluate(crit(kind="Pod", label_selector="app=crashloop", measure="count", **{"pass": "== 0"}),
                      kube.settings())
    assert (result["value"], result["verdict"]) == (0.0, "pass")


def test_nothing_listed_is_no_data_for_ratios(kube):
    result = evaluate(crit(), kube.settings())
    assert result["value"] is None and result["verdict"] == "fail" and result["reason"] == "no data"
    assert evaluate(crit(on_no_data="inconclusive"), kube.settings())["verdict"] == "inconclusive"


def test_pagination_follows_continue(kube, monkeypatch):
    monkeypatch.setattr(k8s, "PAGE_SIZE", 2)
    kube.add(*[kiro_deployment("agent-%d" % i) for i in range(5)])
    measurement = measure(crit(), kube.settings())
    assert measurement.samples == 5
    assert [r["query"].get("continue") for r in kube.requests] == [None, "2", "4"]
    assert all(r["query"]["limit"] == "2" for r in kube.requests)


# --- failures -------------------------------------------------------------------------

def test_server_error_is_retried_then_reported(kube):
    kube.add(kiro_deployment("agent"))
    kube.mode = "error500"
    with pytest.raises(ProviderError) as info:
        measure(crit(), kube.settings())
    assert info.value.retryable is True
    assert len(kube.requests) == 2  # first try + 1 retry (settings retries: 1)
    assert "HTTP 500" in str(info.value) and "etcdserver: request timed out" in str(info.value)
    assert "/apis/apps/v1/namespaces/kiro/deployments" in str(info.value)
    kube.reset()
    kube.mode = "error500"
    result = evaluate(crit(), kube.settings())
    assert result["verdict"] == "fail" and "HTTP 500" in result["error"]
    assert evaluate(crit(on_no_data="inconclusive"), kube.settings())["verdict"] == "inconclusive"


def test_unauthorized_is_not_retried_and_hides_the_token(kube):
    settings = kube.settings(token="wrong-token-5e1b")
    with pytest.raises(ProviderError) as info:
        measure(crit(), settings)
    assert info.value.retryable is False
    assert len(kube.requests) == 1
    assert kube.requests[0]["authorization"] == "Bearer wrong-token-5e1b"
    assert "HTTP 401" in str(info.value)
    assert "wrong-token-5e1b" not in str(info.value)


def test_forbidden_is_not_retried(kube):
    kube.mode = "forbidden"
    with pytest.raises(ProviderError) as info:
        measure(crit(), kube.settings())
    assert info.value.retryable is False and len(kube.requests) == 1
    assert "HTTP 403" in str(info.value) and "cannot list resource" in str(info.value)


def test_timeout_is_retryable_and_bounded(kube):
    kube.mode = "hang"
    started = time.time()
    with pytest.raises(ProviderError) as info:
        measure(crit(), kube.settings(timeout=0.5))
    elapsed = time.time() - started
    assert info.value.retryable is True
    assert "timed out" in str(info.value)
    assert len(kube.requests) == 2
    assert elapsed < 3, elapsed  # 2 x 0.5 s + backoff, not the server's 10 s


def test_connection_refused_is_retryable():
    with pytest.raises(ProviderError) as info:
        measure(crit(), {"host": local_http.closed_url(), "token": "refused-token-1", "timeout": 1, "retries": 0})
    assert info.value.retryable is True
    assert "refused-token-1" not in str(info.value)


def test_token_never_in_reports(kube):
    for mode in ("error500", "forbidden", "hang", None):
        kube.reset()
        kube.add(kiro_deployment("agent"))
        kube.mode = mode
        report = engine.evaluate([crit()], {"kubernetes": kube.settings(timeout=0.3, retries=0)}, Context())
        assert kube.token not in json.dumps(report), mode
        assert report["criteria"][0]["verdict"] == ("pass" if mode is None else "fail")


def test_answer_that_does_not_fit_the_model_is_an_error(kube):
    kube.add(kiro_deployment("agent"))
    kube.mode = "invalid"
    with pytest.raises(ProviderError) as info:
        measure(crit(), kube.settings())
    assert info.value.retryable is False and "DeploymentList" in str(info.value)


# --- configuration ------------------------------------------------------------------------

def test_each_provider_has_its_own_client(kube):
    from kubernetes import client
    before = client.Configuration.get_default_copy()
    other = kube_standin.FakeKubeApi(token="other-token").start()
    try:
        kube.add(kiro_deployment("agent"))
        other.add(kiro_deployment("agent", available=0))
        assert measure(crit(), kube.settings()).value == 1.0
        assert measure(crit(), other.settings()).value == 0.0
        assert other.requests[0]["authorization"] == "Bearer other-token"
        after = client.Configuration.get_default_copy()  # the process-wide default is untouched
        assert (after.host, after.api_key) == (before.host, before.api_key)
        assert after.host not in (kube.url, other.url)
    finally:
        other.stop()


def test_kubeconfig_and_context(kube, tmp_path):
    kube.add(kiro_deployment("agent"))
    path = kube_standin.kubeconfig(str(tmp_path / "config"), kube.url, kube.token, context="fake")
    measurement = measure(crit(), {"kubeconfig": path, "context": "fake", "timeout": 1, "retries": 0})
    assert measurement.value == 1.0
    assert kube.requests[0]["authorization"] == "Bearer %s" % kube.token
    # the file's current-context points at a closed port: context must be honoured
    with pytest.raises(ProviderError):
        measure(crit(), {"kubeconfig": path, "timeout": 1, "retries": 0})
    # host + token take precedence over the kubeconfig
    kube.reset()
    kube.add(kiro_deployment("agent"))
    assert measure(crit(), dict(kube.settings(), kubeconfig=path, context="other")).value == 1.0


@pytest.mark.parametrize("change,fragment", [
    ({"kind": "Ingress"}, "kind must be one of"),
    ({"kind": None}, "needs 'kind'"),
    ({"kind": "Node"}, "not namespaced"),
    ({"kind": "CronJob", "namespace": "ops"}, "no meaning for CronJobs"),
    ({"measure": "ratio"}, "needs a query"),
    ({"measure": "median"}, "measure must be one of"),
    ({"measure": "count", "query": "[?status.replicas"}, "not valid JMESPath"),
    ({"query": "[]"}, "takes no query"),
    ({"path": "/x"}, "does not take path"),
])
def test_invalid_criteria_are_rejected(change, fragment):
    with pytest.raises(CriterionError) as info:
        engine.prepare([crit(**change)], {"kubernetes": {"host": "http://127.0.0.1:1", "token": "t"}})
    assert fragment in str(info.value) and "agents_available" in str(info.value)


def test_invalid_settings_are_rejected(tmp_path):
    with pytest.raises(CriterionError, match="unknown setting"):
        k8s.KubernetesProvider({"password": "x"})
    with pytest.raises(CriterionError, match="host must be a URL"):
        k8s.KubernetesProvider({"host": "cluster.example:6443"})
    with pytest.raises(CriterionError, match="does not exist"):
        k8s.KubernetesProvider({"kubeconfig": str(tmp_path / "missing")})
    with pytest.raises(CriterionError, match="verify_tls"):
        k8s.KubernetesProvider({"host": "https://x", "verify_tls": "no"})


def test_no_cluster_configured_is_a_plain_error(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    with pytest.raises(ProviderError) as info:
        measure(crit(), {"timeout": 1})
    assert info.value.retryable is False
    assert "no cluster configured" in str(info.value)
