"""playbooks/emergency_rollback.yml and clear_override.yml for real, against real services:
a moto server (IAM, SNS with an SQS subscriber), the local Kubernetes API stand-in, and local
HTTP receivers for the Slack and generic webhooks.

One sandbox is configured once (phase 1 in development; the same workspaces copied to the
staging and production hosts), then cloned: one clone takes a healthy emergency rollback
end to end, the other takes one with every fault at once (an unreachable host, the SNS
endpoint down, a webhook answering 500, a corrupt mcp.json on one host).
"""

import json
import os
import shutil
import sys
import tarfile

import pytest

from conftest import ROOT, ledger, run_playbook, text, tree, workspace

sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures.kube_objects import cron_job, deployment  # noqa: E402
from fixtures.kube_standin import FakeKubeApi  # noqa: E402
from fixtures.local_http import closed_url  # noqa: E402
from fixtures.moto_aws import MotoServer  # noqa: E402
from fixtures.receivers import Receiver  # noqa: E402

HOSTS = ("dev-workstation-1", "dev-workstation-2", "staging-runner-1", "prod-runner-1", "prod-runner-2")
ENVIRONMENTS = ("development", "staging", "production")
ROLES = ("kiro-agent-dev", "kiro-agent-prod")
SLACK_TOKEN = "T0KIRO/B0KIRO/slackS3cretPathToken9x"
HOOK_TOKEN = "hook-bearer-S3cret-4471"
KUBE_TOKEN = "kube-S3cret-token-8c1d"
SECRETS = (SLACK_TOKEN, HOOK_TOKEN, KUBE_TOKEN)
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
INCIDENT = {"incident_id": "INC-42", "reason": "agent scaled down production deployments"}


def kiro_files(sandbox):
    return dict((h, tree(os.path.join(str(sandbox), h), skip=("snapshots",))) for h in HOSTS)


def extra_vars(path, values):
    with open(str(path), "w") as handle:
        json.dump(values, handle)
    return "@%s" % path


def incident_record(sandbox):
    base = os.path.join(str(sandbox), "incidents", INCIDENT["incident_id"])
    runs = sorted(os.listdir(base))
    return os.path.join(base, runs[-1])


@pytest.fixture(scope="module")
def services():
    moto = MotoServer().start()
    kube = FakeKubeApi(token=KUBE_TOKEN).start()
    slack, hook = Receiver().start(), Receiver().start()
    try:
        yield {"moto": moto, "kube": kube, "slack": slack, "hook": hook}
    finally:
        for server in (moto, kube, slack, hook):
            server.stop()


def reset_services(services):
    moto, kube = services["moto"], services["kube"]
    moto.reset()
    iam = moto.client("iam")
    for role in ROLES:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic = sns.create_topic(Name="kiro-incidents")["TopicArn"]
    queue = sqs.create_queue(QueueName="oncall")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    kube.reset()
    agent = {"kiro.dev/agent": "true"}
    kube.add(deployment("ops-agent", namespace="kiro", replicas=3, labels=agent),
             deployment("web", namespace="kiro", replicas=4, labels={"app": "web"}),
             cron_job("nightly-agent", namespace="kiro", labels=agent),
             cron_job("backup", namespace="kiro", labels={"app": "backup"}))
    services["slack"].reset()
    services["hook"].reset()
    return topic, queue


def emergency_vars(services, topic, sns_endpoint=None, hook_status=200):
    services["hook"].configure(status=hook_status)
    return {
        "emergency_iam_roles": list(ROLES),
        "emergency_aws_endpoint_url": services["moto"].url,
        "emergency_kubernetes_clusters": [{"name": "sandbox", "host": services["kube"].url, "token": KUBE_TOKEN}],
        "emergency_notify": [
            {"type": "slack", "name": "oncall-slack", "url": "%s/services/%s" % (services["slack"].url, SLACK_TOKEN)},
            {"type": "webhook", "name": "incident-bot", "url": services["hook"].url + "/incident",
             "headers": {"Authorization": "Bearer " + HOOK_TOKEN}},
            {"type": "sns", "name": "pager", "topic_arn": topic, "region": "us-east-1",
             "endpoint_url": sns_endpoint or services["moto"].url},
        ],
        "emergency_switch_timeout": 5,
        "emergency_notify_timeout": 3,
    }


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """Phase 1 in development, its workspaces copied to the staging and production hosts."""
    sandbox = tmp_path_factory.mktemp("emergency-base") / "sandbox"
    sandbox.mkdir()
    run = run_playbook("phase1.yml", sandbox)
    assert run.rc == 0, run.out[-3000:]
    for host in HOSTS[2:]:
        shutil.copytree(os.path.join(str(sandbox), "dev-workstation-1", "workspaces"),
                        os.path.join(str(sandbox), host, "workspaces"))
    return sandbox


def clone(template, tmp_path_factory, name):
    dest = tmp_path_factory.mktemp(name) / "sandbox"
    shutil.copytree(str(template), str(dest), symlinks=True)
    return dest


@pytest.fixture(scope="module")
def healthy(configured, services, tmp_path_factory):
    sandbox = clone(configured, tmp_path_factory, "emergency-healthy")
    topic, queue = reset_services(services)
    varfile = extra_vars(sandbox.parent / "vars.json", emergency_vars(services, topic))
    out = {"sandbox": sandbox, "before": kiro_files(sandbox), "ledger_before": dict(
        (e, ledger(sandbox, e)) for e in ENVIRONMENTS)}
    out["missing"] = run_playbook("emergency_rollback.yml", sandbox, "-e", varfile, "-e", "incident_id=INC-42",
                                  env=AWS_ENV)
    out["after_missing"] = kiro_files(sandbox)
    out["ledger_after_missing"] = dict((e, ledger(sandbox, e)) for e in ENVIRONMENTS)
    out["policies_after_missing"] = dict((r, services["moto"].client("iam").list_role_policies(RoleName=r)
                                          ["PolicyNames"]) for r in ROLES)
    out["check"] = run_playbook("emergency_rollback.yml", sandbox, "-e", varfile, "-e", json.dumps(INCIDENT),
                                "--check", env=AWS_ENV)
    out["after_check"] = kiro_files(sandbox)
    out["ledger_after_check"] = dict((e, ledger(sandbox, e)) for e in ENVIRONMENTS)
    out["policies_after_check"] = dict((r, services["moto"].client("iam").list_role_policies(RoleName=r)
                                        ["PolicyNames"]) for r in ROLES)
    out["kube_patches_after_check"] = len(services["kube"].patches())
    out["sent_after_check"] = len(services["slack"].requests) + len(services["hook"].requests)
    out["run"] = run_playbook("emergency_rollback.yml", sandbox, "-e", varfile, "-e", json.dumps(INCIDENT),
                              "-vvv", env=AWS_ENV)
    iam = services["moto"].client("iam")
    out["policies"] = dict((r, iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in ROLES)
    out["kube"] = dict(((kind, name), services["kube"].get(kind, "kiro", name)) for kind, name in (
        ("Deployment", "ops-agent"), ("Deployment", "web"), ("CronJob", "nightly-agent"), ("CronJob", "backup")))
    out["slack"], out["hook"] = services["slack"].bodies, list(services["hook"].requests)
    out["sqs"] = services["moto"].client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                                WaitTimeSeconds=1).get("Messages", [])
    out["locked"] = kiro_files(sandbox)
    out["facts"] = run_playbook("../tests/integration/playbooks/kiro_facts_all.yml", sandbox)
    out["phase_refused"] = run_playbook("phase1.yml", sandbox)
    out["rollback_refused"] = run_playbook("rollback.yml", sandbox, "-e", "rollback_phase=1")
    out["clear"] = run_playbook("clear_override.yml", sandbox, "-e", varfile, "-e", json.dumps(
        {"incident_id": "INC-42", "approver": "carol", "reason": "root cause fixed"}), env=AWS_ENV)
    out["policies_cleared"] = dict((r, iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in ROLES)
    out["kube_cleared"] = dict(((kind, name), services["kube"].get(kind, "kiro", name)) for kind, name in (
        ("Deployment", "ops-agent"), ("CronJob", "nightly-agent")))
    out["phase_allowed"] = run_playbook("phase1.yml", sandbox, "--check")
    summary_path = os.path.join(incident_record(sandbox), "summary.json")
    with open(summary_path) as handle:
        ids = dict((h, r["snapshot"]["id"]) for h, r in json.load(handle)["hosts"].items())
    out["restore"] = run_playbook("../tests/integration/playbooks/restore_snapshots.yml", sandbox,
                                  "-e", json.dumps({"restore_ids": ids}))
    out["restored"] = kiro_files(sandbox)
    return out


def test_without_incident_id_or_reason_nothing_happens(healthy):
    run = healthy["missing"]
    assert run.rc != 0
    assert "Nothing was changed" in text(run) and "reason is missing" in text(run)
    assert healthy["after_missing"] == healthy["before"]
    assert healthy["policies_after_missing"] == dict((r, []) for r in ROLES)
    assert healthy["ledger_after_missing"] == healthy["ledger_before"] and healthy["ledger_before"]["development"]


def test_check_mode_says_what_it_would_do_and_changes_nothing(healthy):
    run = healthy["check"]
    assert run.rc == 0, run.out[-3000:]
    assert "CHECK MODE: nothing was changed" in text(run)
    assert "Hosts: 5 targeted, 5 locked down" in text(run)
    assert healthy["after_check"] == healthy["before"]
    assert healthy["ledger_after_check"] == healthy["ledger_before"]
    assert healthy["policies_after_check"] == dict((r, []) for r in ROLES)
    assert healthy["kube_patches_after_check"] == 0 and healthy["sent_after_check"] == 0


def test_every_host_of_every_environment_ends_in_manual_mode(healthy):
    run = healthy["run"]
    assert run.rc == 0, run.out[-4000:]
    assert "Emergency rollback INC-42 complete" in text(run)
    facts = healthy["facts"]
    assert facts.rc == 0, facts.out[-2000:]
    for host in HOSTS:
        assert "%s manual_mode=True" % host in text(facts), host


def test_the_central_switches_hold(healthy):
    assert healthy["policies"] == dict((r, ["kiro-emergency-deny-all"]) for r in ROLES)
    agent, web = healthy["kube"][("Deployment", "ops-agent")], healthy["kube"][("Deployment", "web")]
    assert agent["spec"]["replicas"] == 0
    assert agent["metadata"]["annotations"]["kiro.dev/replicas-before"] == "3"
    assert web["spec"]["replicas"] == 4  # not labelled as an agent: untouched
    assert healthy["kube"][("CronJob", "nightly-agent")]["spec"]["suspend"] is True
    assert healthy["kube"][("CronJob", "backup")]["spec"].get("suspend") is not True


def test_the_override_and_the_incident_are_in_every_ledger(healthy):
    for environment in ENVIRONMENTS:
        found = [e for e in ledger(healthy["sandbox"], environment) if e["event"] in ("override_set", "incident_opened")]
        assert [e["event"] for e in found[:2]] == ["override_set", "incident_opened"], environment
        assert all(e["details"]["incident_id"] == "INC-42" for e in found)
        assert found[1]["report_sha256"] and len(found[1]["report_sha256"]) == 64


def test_every_channel_was_told_what_happened(healthy):
    assert len(healthy["slack"]) == 1 and "INC-42" in healthy["slack"][0]["text"]
    assert "agent scaled down production deployments" in healthy["slack"][0]["text"]
    hook = healthy["hook"][0]
    assert hook["json"]["incident_id"] == "INC-42" and hook["json"]["reason"] == INCIDENT["reason"]
    assert hook["json"]["failed"] == [] and any("locked 5 of 5 host(s) down" in d for d in hook["json"]["done"])
    assert hook["headers"]["authorization"] == "Bearer " + HOOK_TOKEN
    assert len(healthy["sqs"]) == 1
    message = json.loads(json.loads(healthy["sqs"][0]["Body"])["Message"])
    assert message["incident_id"] == "INC-42" and message["actor"]


def test_the_postmortem_and_the_evidence_are_written_without_secrets(healthy):
    record = incident_record(healthy["sandbox"])
    with open(os.path.join(record, "postmortem.md")) as handle:
        post = handle.read()
    assert post.startswith("# Post-mortem: INC-42 - agent scaled down production deployments")
    assert "| production | 0 | override_set |" in post or "override_set" in post
    assert "Kubernetes Deployment kiro/ops-agent scaled down (was 3 replicas)" in post
    with tarfile.open(os.path.join(record, "evidence.tar.gz")) as tar:
        names = tar.getnames()
        blob = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert set("hosts/%s.json" % h for h in HOSTS) <= set(names)
    assert set("ledger/%s.jsonl" % e for e in ENVIRONMENTS) <= set(names)
    assert any(n.startswith("gate-reports/development/phase1-") for n in names)
    for secret in SECRETS:
        assert secret.encode() not in blob
        assert secret not in post
        assert secret not in healthy["run"].out + healthy["run"].err, secret


def test_phase_playbooks_and_rollbacks_refuse_until_the_override_is_cleared(healthy):
    for key in ("phase_refused", "rollback_refused"):
        run = healthy[key]
        assert run.rc != 0 and "INC-42" in text(run) and "clear_override.yml" in text(run), key
        assert run.hosts_recap() == {}, key
    clear = healthy["clear"]
    assert clear.rc == 0, clear.out[-3000:]
    assert healthy["policies_cleared"] == dict((r, []) for r in ROLES)
    agent = healthy["kube_cleared"][("Deployment", "ops-agent")]
    assert agent["spec"]["replicas"] == 3 and "kiro.dev/replicas-before" not in (agent["metadata"].get("annotations") or {})
    assert healthy["kube_cleared"][("CronJob", "nightly-agent")]["spec"]["suspend"] is False
    assert ledger(healthy["sandbox"], "production")[-1]["event"] == "override_cleared"
    assert healthy["phase_allowed"].rc == 0, healthy["phase_allowed"].out[-3000:]


def test_the_snapshots_put_back_the_configuration_from_before_byte_exact(healthy):
    assert healthy["restore"].rc == 0, healthy["restore"].out[-3000:]
    assert healthy["locked"] != healthy["before"]
    for host in HOSTS:
        assert healthy["restored"][host] == healthy["before"][host], host


# --- every fault at once ---------------------------------------------------------

@pytest.fixture(scope="module")
def faulty(configured, services, tmp_path_factory):
    sandbox = clone(configured, tmp_path_factory, "emergency-faults")
    topic, _unused = reset_services(services)
    values = emergency_vars(services, topic, sns_endpoint=closed_url(), hook_status=500)
    varfile = extra_vars(sandbox.parent / "vars.json", values)
    mcp = os.path.join(workspace(sandbox, "prod-runner-2"), ".kiro", "settings", "mcp.json")
    with open(mcp, "w") as handle:
        handle.write('{"mcpServers": {"aws-api": ')
    inventory = sandbox.parent / "unreachable.yml"
    inventory.write_text(json.dumps({"all": {"children": {"staging": {"hosts": {"staging-runner-9": {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": int(closed_url().rsplit(":", 1)[1]),
        "ansible_ssh_common_args": "-o ConnectTimeout=3 -o BatchMode=yes -o StrictHostKeyChecking=no"}}}}}}))
    # The module on every host (as over SSH), not the in-process lockdown the healthy run uses.
    run = run_playbook("emergency_rollback.yml", sandbox, "-i", str(inventory), "-e", varfile,
                       "-e", json.dumps(INCIDENT), "-e", "emergency_in_process=false", env=AWS_ENV)
    facts = run_playbook("../tests/integration/playbooks/kiro_facts_all.yml", sandbox)
    with open(mcp) as handle:
        mcp_after = handle.read()
    return {"sandbox": sandbox, "run": run, "facts": facts, "mcp_after": mcp_after,
            "slack": services["slack"].bodies, "hook": services["hook"].bodies,
            "policies": dict((r, services["moto"].client("iam").list_role_policies(RoleName=r)["PolicyNames"])
                             for r in ROLES)}


def test_with_every_fault_the_reachable_hosts_are_still_locked_down(faulty):
    run = faulty["run"]
    assert run.rc != 0
    out = text(faulty["facts"])
    for host in HOSTS[:-1]:
        assert "%s manual_mode=True" % host in out, host
    # prod-runner-2: everything but the file that does not parse is locked; that file is left as it was.
    assert "prod-runner-2 manual_mode=False" in out
    assert faulty["mcp_after"] == '{"mcpServers": {"aws-api": '
    assert faulty["policies"] == dict((r, ["kiro-emergency-deny-all"]) for r in ROLES)


def test_with_every_fault_the_summary_says_what_failed_and_what_covers_the_rest(faulty):
    out = text(faulty["run"])
    assert "NOT REACHED staging-runner-9 (staging)" in out
    assert "still covered by: IAM deny-all inline policy on role(s) kiro-agent-dev, kiro-agent-prod" in out
    assert "manual override in the ledger of development, production, staging" in out
    assert "prod-runner-2: locked except:" in out and "mcp.json" in out
    assert "webhook notification incident-bot failed" in out and "500" in out
    assert "sns notification pager failed" in out
    assert "INCOMPLETE" in out
    # The Slack channel still got its message; the 500 webhook was still tried.
    assert len(faulty["slack"]) == 1 and "staging-runner-9" in json.dumps(faulty["slack"][0])
    assert len(faulty["hook"]) == 1
    for environment in ENVIRONMENTS:
        assert "override_set" in [e["event"] for e in ledger(faulty["sandbox"], environment)]
