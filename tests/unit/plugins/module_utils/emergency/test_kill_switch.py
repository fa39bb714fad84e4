"""The kill switch's central switches against real stand-ins: the IAM deny against a moto
server, the cluster switches against FakeKubeApi (list + merge-patch paths of CronJobs and
Deployments): engage, idempotence, check mode, release of exactly one incident's objects,
failures that stop nothing else, and no token or key in any result."""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures import kube_standin, local_http  # noqa: E402
from fixtures.kube_objects import cron_job, deployment  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.common import kube  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.emergency import iam  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.emergency import workloads as switches  # noqa: E402

AWS_KEY_ID = "AKIAKILLSWITCH7Q2W9E"
AWS_SECRET = "ks-S3cret-Zx8Cv7Bn6Mq"
TOKEN = "ks-kube-T0ken-p9Lk3Jh7"
AGENT = {"kiro.dev/agent": "true"}
INCIDENT = "INC-7"


# --- IAM ------------------------------------------------------------------------

@pytest.fixture
def aws(moto):
    """Connection settings for moto, and two fresh roles (names unique per test)."""
    suffix = uuid.uuid4().hex[:8]
    roles = ["kiro-agent-a-%s" % suffix, "kiro-agent-b-%s" % suffix]
    client = moto.client("iam")
    for role in roles:
        client.create_role(RoleName=role, Path="/agents/", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    settings = {"endpoint_url": moto.url, "region": "us-east-1", "aws_access_key_id": AWS_KEY_ID,
                "aws_secret_access_key": AWS_SECRET}
    return settings, roles, client


def inline_policy(client, role):
    try:
        return client.get_role_policy(RoleName=role, PolicyName=iam.POLICY_NAME)["PolicyDocument"]
    except client.exceptions.NoSuchEntityException:
        return None


def actions(results):
    return [r["action"] for r in results]


def test_role_names_from_names_and_arns():
    assert iam.role_name("kiro-agent") == "kiro-agent"
    assert iam.role_name("arn:aws:iam::123456789012:role/agents/team-a/kiro-agent") == "kiro-agent"
    assert iam.role_name("arn:aws-us-gov:iam::123456789012:role/kiro-agent") == "kiro-agent"
    for bad in ("arn:aws:iam::123456789012:user/alice", "arn:aws:s3:::bucket", "", "a/b"):
        with pytest.raises(ValueError):
            iam.role_name(bad)


def test_engage_attaches_the_deny_all_policy(aws):
    settings, roles, client = aws
    arn = client.get_role(RoleName=roles[1])["Role"]["Arn"]
    results = iam.switch("engaged", [roles[0], arn], settings)
    assert actions(results) == ["attached", "attached"]
    assert [r["role"] for r in results] == roles
    for role in roles:
        assert inline_policy(client, role) == iam.DENY_ALL
    assert iam.DENY_ALL["Statement"] == [{"Sid": "KiroEmergencyDenyAll", "Effect": "Deny", "Action": "*",
                                         "Resource": "*"}]
    assert results[0]["diff"]["before"] == "absent\n" and "present" in results[0]["diff"]["after"]

    again = iam.switch("engaged", roles + [arn], settings)  # the ARN again is the same role
    assert actions(again) == ["unchanged", "unchanged"]
    assert not any("diff" in r for r in again)


def test_a_different_document_of_that_name_is_replaced(aws):
    settings, roles, client = aws
    client.put_role_policy(RoleName=roles[0], PolicyName=iam.POLICY_NAME, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}))
    results = iam.switch("engaged", roles[:1], settings)
    assert actions(results) == ["attached"] and "replacing" in results[0]["msg"]
    assert inline_policy(client, roles[0]) == iam.DENY_ALL


def test_release_removes_the_policy_and_only_it(aws):
    settings, roles, client = aws
    client.put_role_policy(RoleName=roles[0], PolicyName="operators-own", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    iam.switch("engaged", roles, settings)
    results = iam.switch("released", roles, settings)
    assert actions(results) == ["removed", "removed"]
    assert [inline_policy(client, role) for role in roles] == [None, None]
    assert client.list_role_policies(RoleName=roles[0])["PolicyNames"] == ["operators-own"]
    assert actions(iam.switch("released", roles, settings)) == ["absent", "absent"]


def test_check_mode_reads_and_writes_nothing(aws):
    settings, roles, client = aws
    results = iam.switch("engaged", roles + ["kiro-agent-gone"], settings, check_mode=True)
    assert actions(results) == ["attached", "attached", "failed"]
    assert results[0]["msg"].startswith("would attach")
    assert [inline_policy(client, role) for role in roles] == [None, None]
    iam.switch("engaged", roles, settings)
    results = iam.switch("released", roles, settings, check_mode=True)
    assert actions(results) == ["removed", "removed"]
    assert [inline_policy(client, role) for role in roles] == [iam.DENY_ALL, iam.DENY_ALL]


def test_missing_role_fails_alone(aws):
    settings, roles, client = aws
    results = iam.switch("engaged", [roles[0], "kiro-agent-gone", "arn:aws:iam::1:user/bob", roles[1]], settings)
    assert actions(results) == ["attached", "failed", "failed", "attached"]
    assert "kiro-agent-gone does not exist" in results[1]["msg"]
    assert "not an IAM role ARN" in results[2]["msg"]
    assert [inline_policy(client, role) for role in roles] == [iam.DENY_ALL, iam.DENY_ALL]
    assert actions(iam.switch("released", ["kiro-agent-gone", roles[0]], settings)) == ["failed", "removed"]


def test_endpoint_down_fails_every_role_quickly_without_secrets():
    settings = {"endpoint_url": local_http.closed_url(), "region": "us-east-1", "aws_access_key_id": AWS_KEY_ID,
                "aws_secret_access_key": AWS_SECRET, "aws_session_token": "ks-sess-Tok9"}
    started = time.time()
    results = iam.switch("engaged", ["a", "b", "c"], settings, timeout=2)
    assert time.time() - started < 3
    assert actions(results) == ["failed"] * 3
    assert "connect" in results[0]["msg"].lower()
    text = json.dumps(results)
    assert AWS_SECRET not in text and AWS_KEY_ID not in text and "ks-sess-Tok9" not in text


def test_bad_connection_settings_fail_every_role():
    results = iam.switch("engaged", ["a", "b"], {"aws_access_key_id": AWS_KEY_ID})
    assert actions(results) == ["failed", "failed"]
    assert "go together" in results[0]["msg"] and AWS_KEY_ID not in json.dumps(results)


# --- FakeKubeApi PATCH ---------------------------------------------------------------

@pytest.fixture(scope="module")
def _servers():
    one, two = kube_standin.FakeKubeApi(token=TOKEN).start(), kube_standin.FakeKubeApi(token=TOKEN + "-2").start()
    yield one, two
    one.stop()
    two.stop()


@pytest.fixture
def kube_api(_servers):
    _servers[0].reset()
    return _servers[0]


@pytest.fixture
def other_api(_servers):
    _servers[1].reset()
    return _servers[1]


def raw_patch(api, path, body, content_type="application/merge-patch+json", token=TOKEN):
    request = urllib.request.Request(api.url + path, data=json.dumps(body).encode(), method="PATCH", headers={
        "Content-Type": content_type, "Authorization": "Bearer %s" % token})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_fake_api_applies_merge_patches(kube_api):
    kube_api.add(deployment("agent", replicas=3, labels=dict(AGENT, app="agent")))
    path = "/apis/apps/v1/namespaces/kiro/deployments/agent"
    status, body = raw_patch(kube_api, path, {"metadata": {"annotations": {"a": "1", "b": "2"}},
                                              "spec": {"replicas": 0}})
    assert status == 200 and body["kind"] == "Deployment" and body["apiVersion"] == "apps/v1"
    assert body["spec"]["replicas"] == 0 and body["metadata"]["annotations"] == {"a": "1", "b": "2"}
    assert (body["metadata"]["resourceVersion"], body["metadata"]["generation"]) == ("1002", 2)
    status, body = raw_patch(kube_api, path, {"metadata": {"annotations": {"a": None}}},
                             content_type="application/strategic-merge-patch+json")
    assert body["metadata"]["annotations"] == {"b": "2"}
    assert (body["metadata"]["resourceVersion"], body["metadata"]["generation"]) == ("1003", 2)  # no spec change
    assert kube_api.get("Deployment", "kiro", "agent")["metadata"]["annotations"] == {"b": "2"}
    assert raw_patch(kube_api, path, [{"op": "remove"}], content_type="application/json-patch+json")[0] == 415
    status, body = raw_patch(kube_api, "/apis/batch/v1/namespaces/ops/cronjobs/nope", {"spec": {"suspend": True}})
    assert status == 404 and body["kind"] == "Status" and body["message"] == 'cronjobs.batch "nope" not found'
    assert raw_patch(kube_api, path, {"spec": {}}, token="wrong")[0] == 401
    assert [r["method"] for r in kube_api.requests] == ["PATCH"] * 5 and len(kube_api.patches()) == 5


# --- cluster switches -----------------------------------------------------------------

def cluster(api, **extra):
    out = {"name": "prod", "host": api.url, "token": api.token}
    out.update(extra)
    return out


def seed(api):
    """Agents (labelled) and bystanders, as an emergency finds them."""
    api.add(cron_job("nightly-triage", labels=dict(AGENT, app="nightly-triage")),
            cron_job("weekly-report", suspend=True, labels=dict(AGENT, app="weekly-report")),
            cron_job("backup"),  # not an agent
            deployment("triage-agent", replicas=3, labels=dict(AGENT, app="triage-agent")),
            deployment("idle-agent", replicas=0, labels=dict(AGENT, app="idle-agent")),
            deployment("gateway", replicas=2))  # not an agent
    for obj in api.objects["Deployment"]:
        if obj["metadata"]["name"] == "idle-agent":
            obj["metadata"]["annotations"] = {switches.REPLICAS_BEFORE: "5"}  # an old one, kept


def by_name(results):
    return dict((r["name"], r) for r in results)


def test_engage_suspends_and_scales_down_the_agents(kube_api):
    seed(kube_api)
    results = switches.switch("engaged", cluster(kube_api), INCIDENT)
    got = by_name(results)
    assert [(r["kind"], r["name"], r["action"]) for r in results] == [
        ("CronJob", "nightly-triage", "suspended"), ("CronJob", "weekly-report", "unchanged"),
        ("Deployment", "triage-agent", "scaled_down"), ("Deployment", "idle-agent", "unchanged")]
    assert (got["triage-agent"]["replicas_before"], got["triage-agent"]["replicas"]) == (3, 0)
    assert all(r["cluster"] == "prod" for r in results)

    patches = kube_api.patches()
    assert len(patches) == 2  # ONE patch per object
    assert all(p["content_type"] == "application/merge-patch+json" for p in patches)
    assert all(p["authorization"] == "Bearer %s" % TOKEN for p in patches)
    lists = [r for r in kube_api.requests if r["method"] == "GET"]
    assert [r["path"] for r in lists] == ["/apis/batch/v1/cronjobs", "/apis/apps/v1/deployments"]
    assert all(r["query"]["labelSelector"] == "kiro.dev/agent=true" for r in lists)

    triage = kube_api.get("Deployment", "kiro", "triage-agent")
    assert triage["spec"]["replicas"] == 0
    assert triage["metadata"]["annotations"] == {switches.REPLICAS_BEFORE: "3", switches.SCALED_DOWN_BY: INCIDENT}
    nightly = kube_api.get("CronJob", "ops", "nightly-triage")
    assert nightly["spec"]["suspend"] is True
    assert nightly["metadata"]["annotations"] == {switches.SUSPENDED_BY: INCIDENT}
    assert "annotations" not in kube_api.get("CronJob", "ops", "weekly-report")["metadata"]
    assert kube_api.get("Deployment", "kiro", "idle-agent")["metadata"]["annotations"] == {
        switches.REPLICAS_BEFORE: "5"}
    assert kube_api.get("Deployment", "kiro", "gateway")["spec"]["replicas"] == 2
    assert kube_api.get("CronJob", "ops", "backup")["spec"]["suspend"] is False
    diff = got["triage-agent"]["diff"]
    assert (diff["before"], diff["after"]) == ("replicas: 3\n", "replicas: 0\n")
    assert "Deployment kiro/triage-agent" in diff["before_header"]

    before = len(kube_api.requests)
    again = switches.switch("engaged", cluster(kube_api), INCIDENT)
    assert actions(again) == ["unchanged"] * 4
    assert not kube_api.patches()[2:] and len(kube_api.requests) == before + 2  # two lists, no PATCH


def test_release_restores_exactly_this_incidents_objects(kube_api):
    seed(kube_api)
    kube_api.add(deployment("other-agent", replicas=4, labels=dict(AGENT, app="other-agent")),
                 cron_job("other-cron", labels=AGENT))
    switches.switch("engaged", cluster(kube_api), "INC-OTHER")  # the other ones, by another incident
    kube_api.add(deployment("late-agent", replicas=2, labels=dict(AGENT, app="late-agent")),
                 cron_job("late-cron", labels=AGENT))
    switches.switch("engaged", cluster(kube_api), INCIDENT)
    other_before = (kube_api.get("Deployment", "kiro", "other-agent"), kube_api.get("CronJob", "ops", "other-cron"))
    patches = len(kube_api.patches())

    got = by_name(switches.switch("released", cluster(kube_api), INCIDENT))
    assert (got["late-agent"]["action"], got["late-agent"]["replicas"]) == ("scaled_up", 2)
    assert got["late-cron"]["action"] == "resumed"
    for name in ("nightly-triage", "weekly-report", "triage-agent", "idle-agent", "other-agent", "other-cron"):
        assert got[name]["action"] == "unchanged", name
    assert "INC-OTHER" in got["other-agent"]["msg"]
    assert len(kube_api.patches()) == patches + 2
    late = kube_api.get("Deployment", "kiro", "late-agent")
    assert late["spec"]["replicas"] == 2 and not late["metadata"].get("annotations")
    late_cron = kube_api.get("CronJob", "ops", "late-cron")
    assert late_cron["spec"]["suspend"] is False and not late_cron["metadata"].get("annotations")
    assert (kube_api.get("Deployment", "kiro", "other-agent"), kube_api.get("CronJob", "ops", "other-cron")) \
        == other_before
    assert kube_api.get("CronJob", "ops", "weekly-report")["spec"]["suspend"] is True  # suspended before: stays

    # the other incident's release restores its own, with their exact replicas
    got = by_name(switches.switch("released", cluster(kube_api), "INC-OTHER"))
    assert (got["other-agent"]["action"], got["other-agent"]["replicas"]) == ("scaled_up", 4)
    assert (got["triage-agent"]["action"], got["triage-agent"]["replicas"]) == ("scaled_up", 3)
    assert kube_api.get("Deployment", "kiro", "triage-agent")["spec"]["replicas"] == 3
    assert kube_api.get("CronJob", "ops", "nightly-triage")["spec"]["suspend"] is False
    assert actions(switches.switch("released", cluster(kube_api), "INC-OTHER")).count("unchanged") == 8


def test_check_mode_patches_nothing(kube_api):
    seed(kube_api)
    results = switches.switch("engaged", cluster(kube_api), INCIDENT, check_mode=True)
    assert actions(results) == ["suspended", "unchanged", "scaled_down", "unchanged"]
    assert results[0]["msg"].startswith("would ") and "diff" in results[2]
    assert not kube_api.patches()
    switches.switch("engaged", cluster(kube_api), INCIDENT)
    patches = len(kube_api.patches())
    results = switches.switch("released", cluster(kube_api), INCIDENT, check_mode=True)
    assert actions(results) == ["resumed", "unchanged", "scaled_up", "unchanged"]
    assert len(kube_api.patches()) == patches
    assert kube_api.get("Deployment", "kiro", "triage-agent")["spec"]["replicas"] == 0


def test_namespaces_and_label_selector(kube_api):
    kube_api.add(deployment("agent", namespace="team-a", replicas=2, labels={"role": "agent", "app": "agent"}),
                 deployment("agent", namespace="team-b", replicas=2, labels={"role": "agent", "app": "agent"}))
    results = switches.switch("engaged", cluster(kube_api, namespaces=["team-a"]), INCIDENT,
                              label_selector="role=agent")
    assert [(r["namespace"], r["action"]) for r in results] == [("team-a", "scaled_down")]
    assert [r["path"] for r in kube_api.requests if r["method"] == "GET"] == [
        "/apis/batch/v1/namespaces/team-a/cronjobs", "/apis/apps/v1/namespaces/team-a/deployments"]
    assert kube_api.get("Deployment", "team-b", "agent")["spec"]["replicas"] == 2
    empty = switches.switch("engaged", cluster(kube_api), INCIDENT, label_selector=" ")
    assert actions(empty) == ["failed"] and "label selector is empty" in empty[0]["msg"]


def test_pagination(kube_api, monkeypatch):
    monkeypatch.setattr(switches, "PAGE_SIZE", 2)
    kube_api.add(*[deployment("agent-%d" % i, replicas=1, labels=dict(AGENT, app="agent-%d" % i)) for i in range(5)])
    assert actions(switches.switch("engaged", cluster(kube_api), INCIDENT)) == ["scaled_down"] * 5


def test_kubeconfig_and_context(kube_api, tmp_path):
    seed(kube_api)
    path = kube_standin.kubeconfig(str(tmp_path / "config"), kube_api.url, TOKEN, context="fake")
    results = switches.switch("engaged", {"name": "kc", "kubeconfig": path, "context": "fake"}, INCIDENT, timeout=2)
    assert actions(results) == ["suspended", "unchanged", "scaled_down", "unchanged"]
    assert TOKEN not in json.dumps(results)


def test_unreachable_cluster_is_one_failed_item_and_stops_nothing_else(kube_api):
    seed(kube_api)
    started = time.time()
    down = switches.switch("engaged", {"name": "gone", "host": local_http.closed_url(), "token": TOKEN}, INCIDENT,
                           timeout=2)
    assert time.time() - started < 2
    assert len(down) == 1 and down[0]["action"] == "failed" and down[0]["cluster"] == "gone"
    assert down[0]["msg"].startswith("cluster gone: unreachable at http://127.0.0.1:")
    assert actions(switches.switch("engaged", cluster(kube_api), INCIDENT)) == [
        "suspended", "unchanged", "scaled_down", "unchanged"]


def test_a_hanging_cluster_is_bounded_by_the_timeout(kube_api):
    kube_api.mode = "hang"
    started = time.time()
    results = switches.switch("engaged", cluster(kube_api), INCIDENT, timeout=1)
    assert time.time() - started < 2.5
    assert actions(results) == ["failed"] and "timed out" in results[0]["msg"]
    assert len(kube_api.requests) == 1  # tried once: no retries


def test_refused_token_is_one_failed_item_and_never_shown(kube_api, other_api):
    seed(kube_api)
    seed(other_api)
    results = switches.switch("engaged", cluster(kube_api, token="ks-wrong-T0ken-4f"), INCIDENT)
    assert actions(results) == ["failed"] and "HTTP 401" in results[0]["msg"]
    assert len(kube_api.requests) == 1
    assert kube_api.requests[0]["authorization"] == "Bearer ks-wrong-T0ken-4f"  # the server echoed it back...
    assert "ks-wrong-T0ken-4f" not in json.dumps(results)  # ...and it is scrubbed
    assert actions(switches.switch("engaged", cluster(other_api), INCIDENT))[0] == "suspended"


def test_an_object_that_cannot_be_patched_fails_alone(kube_api):
    seed(kube_api)
    kube_api.mode = "readonly"
    results = switches.switch("engaged", cluster(kube_api), INCIDENT)
    assert actions(results) == ["failed", "unchanged", "failed", "unchanged"]
    assert "HTTP 403" in results[0]["msg"] and "cannot patch" in results[0]["msg"]
    assert "RBAC" in results[2]["msg"] and results[2]["replicas"] == 0
    assert len(kube_api.patches()) == 2  # the second object was tried after the first failed


def test_release_with_a_broken_annotation_fails_that_deployment(kube_api):
    seed(kube_api)
    switches.switch("engaged", cluster(kube_api), INCIDENT)
    raw_patch(kube_api, "/apis/apps/v1/namespaces/kiro/deployments/triage-agent",
              {"metadata": {"annotations": {switches.REPLICAS_BEFORE: "three"}}})
    got = by_name(switches.switch("released", cluster(kube_api), INCIDENT))
    assert got["triage-agent"]["action"] == "failed" and "'three'" in got["triage-agent"]["msg"]
    assert got["nightly-triage"]["action"] == "resumed"
    assert kube_api.get("Deployment", "kiro", "triage-agent")["spec"]["replicas"] == 0


def test_bad_cluster_settings_are_one_failed_item(tmp_path):
    results = switches.switch("engaged", {"name": "x", "kubeconfig": str(tmp_path / "missing")}, INCIDENT)
    assert actions(results) == ["failed"] and "does not exist" in results[0]["msg"]
    results = switches.switch("engaged", {"name": "y", "host": "api.example:6443", "token": TOKEN}, INCIDENT)
    assert "host must be a URL" in results[0]["msg"] and TOKEN not in json.dumps(results)


def test_shared_client_helper_errors_hold_no_token(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(kube.KubeSetupError, match="no cluster configured"):
        kube.api_client({})
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nusers: [{name: u, user: {token: %s}}]\ncontexts: []\n" % TOKEN)
    with pytest.raises(kube.KubeSetupError) as info:
        kube.api_client({"kubeconfig": str(broken), "context": "nope"})
    assert "cannot load the cluster configuration" in str(info.value) and TOKEN not in str(info.value)
    assert kube.scrub("Unauthorized: Bearer %s" % TOKEN, {}) == "Unauthorized: Bearer <redacted>"
