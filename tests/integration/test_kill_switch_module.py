"""kiro.platform.kill_switch run for real by ansible-playbook on localhost, against a
moto server (IAM) and FakeKubeApi (a cluster) living in this test process.

Check mode first (nothing written), then engaged in the background (async + poll 0,
waited for with async_status) under -vvv, again (changed false), released (every
policy gone, the previous replicas back), and a run with a missing role and a cluster
that does not answer: it fails after doing everything else. No run ever shows the
cluster token or the AWS secret key, in its output or in the audit log.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid

import pytest

from conftest import BIN, ROOT, ansible_env

sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures import kube_objects, kube_standin, local_http  # noqa: E402

TOKEN = "ks-int-KubeT0ken-w8Rt5Yp2"
AWS_KEY_ID = "AKIAKILLSWITCHINT7Q2"
AWS_SECRET = "ks-int-AwsS3cret-Nm4Bv6Cx"
AGENT = {"kiro.dev/agent": "true"}
POLICY = "kiro-emergency-deny-all"

HEADER = """\
- name: Kill switch
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    kiro.platform.kill_switch:
      incident_id: "{{ incident }}"
      iam_roles: "{{ agent_roles }}"
      endpoint_url: "{{ moto_url }}"
      region: us-east-1
      aws_access_key_id: "{{ aws_key_id }}"
      aws_secret_access_key: "{{ aws_secret }}"
      clusters: [{name: prod, host: "{{ kube_url }}", token: "{{ kube_token }}", namespaces: [kiro, ops]}]
      timeout: 5
  tasks:
"""

CHECK = """
- name: Engage in check mode
  kiro.platform.kill_switch: {state: engaged}
  check_mode: true
  register: dry

- name: Check mode predicts every change
  ansible.builtin.assert:
    that:
      - dry is changed
      - dry.iam | map(attribute='action') | list == ['attached', 'attached']
      - dry.kubernetes | map(attribute='action') | list == ['suspended', 'scaled_down', 'unchanged']
      - dry.failures == []
      - dry.diff | length == 4
"""

ENGAGE = """
- name: Engage in the background, as the emergency playbook does
  kiro.platform.kill_switch: {state: engaged}
  async: 60
  poll: 0
  register: job

- name: Wait for the central switches
  ansible.builtin.async_status:
    jid: "{{ job.ansible_job_id }}"
  register: engaged
  until: engaged is finished
  retries: 100
  delay: 0.2

- name: Every switch is on
  ansible.builtin.assert:
    that:
      - engaged is changed
      - engaged is finished
      - engaged.iam | map(attribute='action') | list == ['attached', 'attached']
      - engaged.kubernetes | map(attribute='action') | list == ['suspended', 'scaled_down', 'unchanged']
      - engaged.kubernetes[1].replicas_before == 3
      - engaged.failures == []
      - engaged.started_at is match('^\\\\d{4}-\\\\d\\\\d-\\\\d\\\\dT\\\\d\\\\d:\\\\d\\\\d:\\\\d\\\\d\\\\.\\\\d{3}Z$')
      - engaged.finished_at >= engaged.started_at
      - engaged.elapsed < 5

- name: Engage again
  kiro.platform.kill_switch: {state: engaged}
  register: again

- name: The second run changes nothing
  ansible.builtin.assert:
    that:
      - again is not changed
      - again.iam | map(attribute='action') | unique | list == ['unchanged']
      - again.kubernetes | map(attribute='action') | unique | list == ['unchanged']

- name: Report the time to safe
  ansible.builtin.debug:
    msg: "ELAPSED={{ again.elapsed }}/{{ engaged.elapsed }}"
"""

RELEASE = """
- name: Release
  kiro.platform.kill_switch: {state: released}
  register: released

- name: Release again
  kiro.platform.kill_switch: {state: released}
  register: released_again

- name: Everything this incident did is undone, once
  ansible.builtin.assert:
    that:
      - released is changed
      - released.iam | map(attribute='action') | list == ['removed', 'removed']
      - released.kubernetes | map(attribute='action') | list == ['resumed', 'scaled_up', 'unchanged']
      - released.kubernetes[1].replicas == 3
      - released_again is not changed
"""

FAILING = """
- name: Engage with a missing role and a cluster that does not answer
  kiro.platform.kill_switch:
    state: engaged
    incident_id: INC-FAIL
    iam_roles: "{{ agent_roles + ['kiro-agent-missing'] }}"
    clusters:
      - {name: down, host: "{{ closed_url }}", token: "{{ kube_token }}"}
      - {name: prod, host: "{{ kube_url }}", token: "{{ kube_token }}", namespaces: [kiro, ops]}
  register: partial
  ignore_errors: true

- name: It failed after doing everything else
  ansible.builtin.assert:
    that:
      - partial is failed
      - partial is changed
      - partial.failures | length == 2
      - "'kiro-agent-missing does not exist' in partial.msg"
      - "'cluster down: unreachable' in partial.msg"
      - partial.iam | map(attribute='action') | list == ['attached', 'attached', 'failed']
      - partial.kubernetes | selectattr('cluster', 'equalto', 'prod') | map(attribute='action') | list
        == ['suspended', 'scaled_down', 'unchanged']

- name: Release that incident
  kiro.platform.kill_switch: {state: released, incident_id: INC-FAIL}

- name: An empty label selector is refused before anything is done
  kiro.platform.kill_switch: {state: engaged, label_selector: ""}
  register: unselective
  ignore_errors: true

- name: It names the option
  ansible.builtin.assert:
    that:
      - unselective is failed
      - "'label_selector is empty' in unselective.msg"
      - unselective.iam is not defined
"""


@pytest.fixture(scope="module")
def kube_api():
    api = kube_standin.FakeKubeApi(token=TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
def world(moto, kube_api, tmp_path):
    """Two fresh IAM roles, a cluster with agents and bystanders, and the vars file."""
    kube_api.reset()
    kube_api.add(kube_objects.cron_job("nightly-triage", labels=dict(AGENT, app="nightly-triage")),
                 kube_objects.cron_job("backup"),
                 kube_objects.deployment("triage-agent", replicas=3, labels=dict(AGENT, app="triage-agent")),
                 kube_objects.deployment("idle-agent", replicas=0, labels=dict(AGENT, app="idle-agent")),
                 kube_objects.deployment("gateway", replicas=2))
    suffix = uuid.uuid4().hex[:8]
    roles = ["kiro-agent-dev-%s" % suffix, "kiro-agent-prod-%s" % suffix]
    for role in roles:
        moto.client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": []}))
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({
        "incident": "INC-%s" % suffix, "agent_roles": roles, "moto_url": moto.url, "kube_url": kube_api.url,
        "kube_token": TOKEN, "aws_key_id": AWS_KEY_ID, "aws_secret": AWS_SECRET,
        "closed_url": local_http.closed_url(), "ansible_python_interpreter": os.path.join(BIN, "python")}))
    return roles, str(variables)


def play(tmp_path, variables, tasks, *args):
    playbook = tmp_path / ("play-%s.yml" % uuid.uuid4().hex[:6])
    playbook.write_text(HEADER + textwrap.indent(textwrap.dedent(tasks), "    "))
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(playbook), "-e", "@" + variables] + list(args),
        cwd=ROOT, env=ansible_env({"KIRO_AUDIT_DIR": str(tmp_path / "audit"), "KIRO_RUN_ID": "kill-switch"}),
        capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def policies(moto, roles):
    client = moto.client("iam")
    return [client.list_role_policies(RoleName=role)["PolicyNames"] for role in roles]


def replicas(kube_api):
    return dict((name, kube_api.get("Deployment", "kiro", name)["spec"]["replicas"])
                for name in ("triage-agent", "idle-agent", "gateway"))


def suspended(kube_api):
    return dict((name, kube_api.get("CronJob", "ops", name)["spec"]["suspend"]) for name in ("nightly-triage", "backup"))


def test_check_engage_async_again_release(moto, kube_api, world, tmp_path):
    roles, variables = world
    rc, out = play(tmp_path, variables, CHECK, "--diff")
    assert rc == 0, out[-6000:]
    assert "All assertions passed" in out and "-replicas: 3" in out and "+replicas: 0" in out
    assert policies(moto, roles) == [[], []]
    assert not kube_api.patches()
    assert replicas(kube_api) == {"triage-agent": 3, "idle-agent": 0, "gateway": 2}

    rc, out = play(tmp_path, variables, ENGAGE, "-vvv")
    assert rc == 0, out[-6000:]
    assert out.count("All assertions passed") == 2 and "changed=2" in out  # the async start and its status
    assert policies(moto, roles) == [[POLICY], [POLICY]]
    assert moto.client("iam").get_role_policy(RoleName=roles[0], PolicyName=POLICY)["PolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "KiroEmergencyDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert replicas(kube_api) == {"triage-agent": 0, "idle-agent": 0, "gateway": 2}
    assert suspended(kube_api) == {"nightly-triage": True, "backup": False}
    assert len(kube_api.patches()) == 2  # the second run patched nothing
    elapsed = [float(x) for x in re.search(r"ELAPSED=([\d.]+)/([\d.]+)", out).groups()]
    sys.stderr.write("kill_switch elapsed (2 roles + 1 cluster): sync %.3f s, async %.3f s\n" % tuple(elapsed))
    assert_no_secrets(out, tmp_path)

    rc, out = play(tmp_path, variables, RELEASE, "--diff")
    assert rc == 0, out[-6000:]
    assert "All assertions passed" in out
    assert policies(moto, roles) == [[], []]
    assert replicas(kube_api) == {"triage-agent": 3, "idle-agent": 0, "gateway": 2}
    assert suspended(kube_api) == {"nightly-triage": False, "backup": False}
    assert not kube_api.get("Deployment", "kiro", "triage-agent")["metadata"].get("annotations")
    assert_no_secrets(out, tmp_path)


def test_failures_are_reported_after_everything_else(moto, kube_api, world, tmp_path):
    roles, variables = world
    rc, out = play(tmp_path, variables, FAILING, "-vvv")
    assert rc == 0, out[-6000:]
    assert out.count("All assertions passed") == 2 and "ignored=2" in out
    assert policies(moto, roles) == [[], []]  # attached, then released
    assert replicas(kube_api) == {"triage-agent": 3, "idle-agent": 0, "gateway": 2}
    assert len(kube_api.patches()) == 4
    assert_no_secrets(out, tmp_path)


def assert_no_secrets(out, tmp_path):
    audit = ""
    for base, _dirs, files in os.walk(str(tmp_path / "audit")):
        for name in files:
            with open(os.path.join(base, name)) as handle:
                audit += handle.read()
    assert audit, "the audit log was written"
    for secret in (TOKEN, AWS_SECRET, AWS_KEY_ID):
        assert secret not in out, secret
        assert secret not in audit, secret
