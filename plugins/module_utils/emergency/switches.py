# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emergency rollback's central switches: the IAM deny on the agents' roles and the
Kubernetes agents suspended or scaled to zero, engaged (or released) at once, in threads.

What kiro.platform.kill_switch does, for the module and for the action that runs it
inside the controller's worker. boto3 and kubernetes are imported only when needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PartialFailure
from ansible_collections.kiro.platform.plugins.module_utils.common import aws, clock

COUNTS = (("attached", "IAM role(s) denied"), ("removed", "IAM deny(s) removed"),
          ("suspended", "CronJob(s) suspended"), ("resumed", "CronJob(s) resumed"),
          ("scaled_down", "Deployment(s) scaled to 0"), ("scaled_up", "Deployment(s) scaled back up"))


def argument_spec():
    return dict(
        state=dict(type="str", required=True, choices=["engaged", "released"]),
        incident_id=dict(type="str", required=True),
        iam_roles=dict(type="list", elements="str", default=[]),
        policy_name=dict(type="str", default="kiro-emergency-deny-all"),
        clusters=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            kubeconfig=dict(type="path"),
            context=dict(type="str"),
            host=dict(type="str"),
            token=dict(type="str", no_log=True),
            verify_tls=dict(type="bool"),
            ca_file=dict(type="path"),
            namespaces=dict(type="list", elements="str", default=[]),
        )),
        label_selector=dict(type="str", default="kiro.dev/agent=true"),
        timeout=dict(type="int", default=10),
        in_process=dict(type="bool", default=True),
        **aws.ARGUMENT_SPEC
    )


def _iam(params, check_mode):
    # imported here: boto3 is loaded only when there are roles
    from ansible_collections.kiro.platform.plugins.module_utils.emergency import iam
    settings = aws.settings_of(params)
    return iam.switch(params["state"], params["iam_roles"], settings, policy_name=params["policy_name"],
                      timeout=params["timeout"], check_mode=check_mode)


def _cluster(params, cluster, check_mode):
    # imported here: the kubernetes package is loaded only when there are clusters
    from ansible_collections.kiro.platform.plugins.module_utils.emergency import workloads
    return workloads.switch(params["state"], cluster, params["incident_id"], label_selector=params["label_selector"],
                            timeout=params["timeout"], check_mode=check_mode)


def _run_all(jobs):
    """Run every (function, args) in its own thread; a list of results per job, in order."""
    outcomes = [None] * len(jobs)

    def run(index, function, args):
        try:
            outcomes[index] = function(*args)
        except Exception as exc:  # a thread's exception would otherwise vanish with it
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index, function, args), name="kill-switch-%d" % index)
               for index, (function, args) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _utc(stamp):
    return clock.iso(stamp)


def _summary(params, items, check_mode):
    counts = ["%d %s" % (sum(1 for i in items if i["action"] == action), text) for action, text in COUNTS
              if any(i["action"] == action for i in items)]
    return "kill switch %s%s for %s: %s" % ("would be " if check_mode else "", params["state"], params["incident_id"],
                                            ", ".join(counts) or "nothing to change")


class SwitchesIncomplete(PartialFailure):
    """Raised by run() after every other item was done: ``result`` holds what was."""


def run(params, check_mode=False, diff=False):
    """Engage or release the central switches from the module's validated ``params``: the result dict.

    Raises SwitchesIncomplete for bad options (nothing done) or failed items (everything else done).
    """
    start = time.time()
    problems = []
    if not params["incident_id"].strip():
        problems.append("incident_id is empty")
    if not params["label_selector"].strip():
        problems.append("label_selector is empty: it would stop every CronJob and Deployment of the clusters")
    names = [cluster["name"] for cluster in params["clusters"]]
    if len(set(names)) != len(names):
        problems.append("clusters: names must be unique, got %s" % ", ".join(names))
    if params["timeout"] <= 0:
        problems.append("timeout must be a positive number of seconds")
    if problems:
        raise SwitchesIncomplete("kill_switch: %s" % "; ".join(problems), {"changed": False})

    jobs = [(_iam, (params, check_mode))] if params["iam_roles"] else []
    jobs.extend((_cluster, (params, cluster, check_mode)) for cluster in params["clusters"])
    outcomes = _run_all(jobs)

    iam_items, kube_items, crashed = [], [], []
    for (function, args), outcome in zip(jobs, outcomes):
        if isinstance(outcome, Exception):
            where = "IAM" if function is _iam else "cluster %s" % args[1]["name"]
            crashed.append("%s: %s: %s" % (where, type(outcome).__name__, outcome))
        else:
            (iam_items if function is _iam else kube_items).extend(outcome)
    finish = time.time()

    diffs = []  # every change, and only a change, carries its diff
    for item in iam_items + kube_items:
        item_diff = item.pop("diff", None)
        if item_diff:
            diffs.append(item_diff)
    failures = ["IAM role %s: %s" % (i["role"], i["msg"]) for i in iam_items if i["action"] == "failed"] + [
        "cluster %s: %s %s/%s: %s" % (i["cluster"], i["kind"], i["namespace"], i["name"], i["msg"])
        if i["name"] else i["msg"] for i in kube_items if i["action"] == "failed"] + crashed
    # started/finished would clash with the async protocol: async_status turns them into booleans
    result = dict(changed=bool(diffs), iam=iam_items, kubernetes=kube_items, failures=failures,
                  started_at=_utc(start), finished_at=_utc(finish), elapsed=round(finish - start, 3))
    if diff:
        result["diff"] = diffs
    if failures:
        raise SwitchesIncomplete("kill switch %s for %s incomplete: %d item(s) failed (every other item was done): %s"
                                 % (params["state"], params["incident_id"], len(failures), "; ".join(failures)), result)
    result["msg"] = _summary(params, iam_items + kube_items, check_mode)
    return result
