#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type
DOCUMENTATION = r"""
module: kill_switch
short_description: Engage or release the emergency rollback's central switches (IAM deny, Kubernetes agents stopped)
version_added: 0.1.0
description:
  - The central side of the emergency rollback. Where M(kiro.platform.lockdown) locks down the workstations
    that can be reached, the central switches hold for every agent, reachable or not, because they act
    on what the agents run with - their AWS credentials and their Kubernetes workloads.
  - With O(state=engaged), every role of O(iam_roles) gets the inline policy O(policy_name), an explicit
    C(Deny) of every action on every resource (which beats every C(Allow)); in every cluster of
    O(clusters), the CronJobs matching O(label_selector) are suspended and the Deployments matching it
    are scaled to zero replicas, each annotated with O(incident_id) (and a Deployment with its replicas
    before, C(kiro.dev/replicas-before)).
  - With O(state=released), the inline policy is deleted from the roles, and exactly the CronJobs and
    Deployments that this O(incident_id) stopped are resumed or scaled back to their previous replicas;
    objects stopped by another incident, or already stopped before it, are left alone.
  - Runs on the controller, in a play on C(localhost). The IAM roles and each cluster are handled at the
    same time, and B(boto3) and B(kubernetes) are imported only when there are roles or clusters, so the
    switches are engaged within about a second. It works with C(async) and C(poll=0), so that the
    emergency playbook starts it first and locks the hosts down meanwhile.
  - One item failing (a missing role, a cluster that does not answer, an object that cannot be patched)
    never stops the others. When any item failed, the task fails B(after) every other item was done,
    listing the failures in RV(failures) and every result in RV(iam) and RV(kubernetes).
options:
  state:
    description:
      - V(engaged) puts the switches on, V(released) takes off what this O(incident_id) put on.
    type: str
    required: true
    choices: [engaged, released]
  incident_id:
    description:
      - The incident the switches belong to. Engaging writes it in the annotations of the Kubernetes
        objects it stops; releasing restores only the objects annotated with it.
    type: str
    required: true
  iam_roles:
    description:
      - The agents' IAM roles, by name or role ARN (C(arn:aws:iam::ACCOUNT:role/PATH/NAME)).
    type: list
    elements: str
    default: []
  policy_name:
    description: Name of the inline deny-all policy put on (and removed from) each role.
    type: str
    default: kiro-emergency-deny-all
  clusters:
    description:
      - The Kubernetes clusters where the agents run. Each is reached with O(clusters[].host) and
        O(clusters[].token) when given, else with the kubeconfig O(clusters[].kubeconfig) (default
        C($KUBECONFIG) or C(~/.kube/config)) and O(clusters[].context), else the in-cluster service account.
      - The credentials need C(list) and C(patch) on C(cronjobs.batch) and C(deployments.apps).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The cluster's name in the results; unique.
        type: str
        required: true
      kubeconfig:
        description: Path of a kubeconfig file (several joined with C(:) as in C($KUBECONFIG)).
        type: path
      context:
        description: Context of the kubeconfig to use (default its current context).
        type: str
      host:
        description: URL of the API server, such as C(https://api.cluster.example:6443); takes precedence
          over the kubeconfig.
        type: str
      token:
        description: Bearer token to present to O(clusters[].host).
        type: str
      verify_tls:
        description: Whether to verify the API server's certificate (default as the kubeconfig says, else true).
        type: bool
      ca_file:
        description: Path of the CA certificate that signed the API server's certificate.
        type: path
      namespaces:
        description: Namespaces to look in; empty means every namespace.
        type: list
        elements: str
        default: []
  label_selector:
    description:
      - Kubernetes label selector of the agents' CronJobs and Deployments. It may not be empty.
      - Use the same one to release as to engage.
    type: str
    default: kiro.dev/agent=true
  in_process:
    description:
      - On the controller (C(ansible_connection=local), no C(become), not C(async)), run inside Ansible's
        worker instead of starting a module interpreter, so the switches are done sooner. With C(false),
        or elsewhere, the module runs as usual.
    type: bool
    default: true
  timeout:
    description: Seconds each request to IAM or to a cluster may take before that item is reported failed.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    description: Reads every role and object and reports the same actions a real run would take, writing nothing.
  diff_mode:
    support: full
    description: Shows, per changed item, the inline policy or the CronJob's C(suspend) or the Deployment's
      replicas before and after.
notes:
  - An agent already running a request keeps going until its credentials are next checked by AWS (at once
    for most calls); a Job already started by a CronJob runs to its end, and a Deployment's pods are
    stopped with their grace period.
  - An HorizontalPodAutoscaler does not scale a Deployment that has zero replicas, so it does not undo the switch.
  - IAM is global; O(region) only signs its requests (C(us-east-1) when neither it nor the profile sets one).
  - The secrets O(aws_secret_access_key), O(aws_session_token), O(aws_access_key_id) and
    O(clusters[].token) appear in no output, and are scrubbed from every error text.
seealso:
  - module: kiro.platform.lockdown
  - module: kiro.platform.ledger
extends_documentation_fragment:
  - kiro.platform.aws
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Engage the central switches in the background, at once
  kiro.platform.kill_switch:
    state: engaged
    incident_id: "{{ incident_id }}"
    iam_roles:
      - kiro-agent-dev
      - arn:aws:iam::123456789012:role/agents/kiro-agent-prod
    region: eu-west-1
    clusters:
      - name: prod-eks
        kubeconfig: ~/.kube/prod.yaml
        context: prod
        namespaces: [kiro-agents]
      - name: staging
        host: https://api.staging.example:6443
        token: "{{ staging_agents_token }}"
        ca_file: /etc/kiro/staging-ca.pem
  async: 120
  poll: 0
  register: kill_switch_job

# ... meanwhile, a play on the workstations locks every reachable host down (kiro.platform.lockdown) ...

- name: Wait for the central switches
  ansible.builtin.async_status:
    jid: "{{ kill_switch_job.ansible_job_id }}"
  register: kill_switch
  until: kill_switch is finished
  retries: 120
  delay: 1
  failed_when: false

- name: Say what could not be switched off
  ansible.builtin.debug:
    msg: "{{ kill_switch.failures | default([]) }}"

- name: Release the switches once the incident is over
  kiro.platform.kill_switch:
    state: released
    incident_id: INC-2024-0042
    iam_roles: [kiro-agent-dev]
    clusters: [{name: prod-eks, kubeconfig: ~/.kube/prod.yaml, context: prod}]
"""

RETURN = r"""
iam:
  description:
    - One item per IAM role (C(role), its name), with C(action) - V(attached), V(unchanged), V(removed),
      V(absent) or V(failed) - and C(msg).
  returned: always
  type: list
  elements: dict
  sample: [{"role": "kiro-agent-dev", "action": "attached", "msg": "attached the deny-all policy kiro-emergency-deny-all"}]
kubernetes:
  description:
    - One item per CronJob or Deployment (C(cluster), C(kind), C(namespace), C(name)) with C(action) -
      V(suspended), V(resumed), V(scaled_down), V(scaled_up), V(unchanged) or V(failed) - and C(msg).
      A Deployment's item also has C(replicas_before) and C(replicas) (after the run).
    - A cluster that cannot be reached, or a list that fails, is one V(failed) item whose C(kind) or
      C(name) is null.
  returned: always
  type: list
  elements: dict
  sample: [{"cluster": "prod-eks", "kind": "Deployment", "namespace": "kiro-agents", "name": "triage-agent",
            "action": "scaled_down", "replicas_before": 3, "replicas": 0, "msg": "scaled down from 3 to 0 replicas"}]
failures:
  description: One line per failed item, naming the role or the cluster and object; empty when all went well.
  returned: always
  type: list
  elements: str
  sample: ["IAM role kiro-agent-old: role kiro-agent-old does not exist (NoSuchEntity): check iam_roles and the AWS account"]
started_at:
  description:
    - When the module started, UTC, ISO 8601.
    - Not named C(started), which M(ansible.builtin.async_status) sets to V(true).
  returned: always
  type: str
  sample: "2024-05-02T10:15:03.412Z"
finished_at:
  description:
    - When every switch was done, UTC, ISO 8601.
    - Not named C(finished), which M(ansible.builtin.async_status) sets to V(true).
  returned: always
  type: str
  sample: "2024-05-02T10:15:04.118Z"
elapsed:
  description: Seconds from RV(started_at) to RV(finished_at) (the time to safe of the central switches).
  returned: always
  type: float
  sample: 0.706
msg:
  description: What was done, in one line, or the failures.
  returned: always
  type: str
  sample: "kill switch engaged for INC-2024-0042: 2 IAM role(s) denied, 1 CronJob(s) suspended, 3 Deployment(s) scaled to 0"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kiro.platform.plugins.module_utils.emergency import switches


def main():
    module = AnsibleModule(argument_spec=switches.argument_spec(), supports_check_mode=True)
    try:
        result = switches.run(module.params, check_mode=module.check_mode, diff=module._diff)
    except switches.SwitchesIncomplete as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
