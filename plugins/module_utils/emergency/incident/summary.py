# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an emergency rollback came to: each host's verdict, what still covers the hosts
that could not be reached, what was done and what failed, and the lines an on-call
engineer reads at the end of the run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.common.names import INCIDENT_ID


# What a host's lockdown came to.
LOCKED, PARTIAL, UNREACHABLE, FAILED, NOT_RUN, PREDICTED = (
    "locked", "partial", "unreachable", "failed", "not_run", "would_lock")


class IncidentError(PlatformError):
    """Bad input to the incident record; the message names it."""


def check_incident_id(incident_id):
    if not isinstance(incident_id, str) or not INCIDENT_ID.match(incident_id):
        raise IncidentError("incident_id %r must be 1-64 letters, digits, '.', '_' or '-' (it names files and "
                            "ledger entries), for example INC-42" % (incident_id,))
    return incident_id


def _parse_ts(text):
    try:
        return clock.parse(text)
    except ValueError:
        return None


def host_status(result, check_mode=False):
    """(status, detail) of one host's registered lockdown result (None: the play never ran there)."""
    if not isinstance(result, dict):
        return NOT_RUN, "the lockdown did not run there (not in the play, or --limit)"
    if result.get("unreachable"):
        return UNREACHABLE, str(result.get("msg") or "unreachable").strip().splitlines()[0][:300]
    if result.get("failed") or result.get("skipped"):
        return FAILED, str(result.get("msg") or "failed")[:500]
    errors = result.get("errors") or []
    if errors:
        return PARTIAL, "; ".join(str(e.get("msg")) for e in errors[:5])
    if check_mode:
        return PREDICTED, "%d file(s) would change" % len(result.get("changed_files") or [])
    summary = ((result.get("ansible_facts") or {}).get("kiro") or {}).get("summary") or {}
    if summary.get("manual_mode") is False:
        return PARTIAL, "a root is still not in manual mode after the lockdown"
    return LOCKED, "%d file(s) changed" % len(result.get("changed_files") or [])


def _central(central):
    """The kill switch's result in a fixed shape; None when no central switch is configured."""
    if not isinstance(central, dict) or central.get("skipped"):
        return None
    out = {"iam": central.get("iam") or [], "kubernetes": central.get("kubernetes") or [],
           "failures": list(central.get("failures") or []), "finished": central.get("finished_at"),
           "elapsed": central.get("elapsed")}
    if central.get("failed") and not out["failures"]:
        out["failures"].append(str(central.get("msg") or "the central switches failed"))
    return out


def _coverage(central, override_envs):
    """What keeps an unreachable host's agents harmless, as lines."""
    lines = []
    if central:
        roles = [i.get("role") for i in central["iam"] if i.get("action") in ("attached", "unchanged")]
        if roles:
            lines.append("IAM deny-all inline policy on role(s) %s: the agents' AWS calls are refused"
                         % ", ".join(roles))
        k8s = [i for i in central["kubernetes"] if i.get("action") in ("suspended", "scaled_down", "unchanged")]
        if k8s:
            lines.append("%d Kubernetes agent object(s) suspended or at zero replicas" % len(k8s))
    if override_envs:
        lines.append("manual override in the ledger of %s: phase playbooks refuse to run" % ", ".join(override_envs))
    return lines


def _ledger_write(entry):
    """{environment, event, ok, msg} from either that shape or a registered override_set loop result."""
    if "item" not in entry:
        return entry
    failed = bool(entry.get("failed") or entry.get("skipped"))
    return {"environment": entry.get("item"), "event": ((entry.get("entry") or {}).get("event") or "override_set"),
            "ok": not failed, "msg": entry.get("msg") if failed else None}


def summarize(incident_id, reason, actor, started, hosts, central=None, ledger=None, check_mode=False):
    """The summary of one emergency rollback.

    ``hosts``: host -> {"environment": env, "result": registered lockdown result or None};
    ``central``: the kill switch's (async_status) result, or None when none is configured;
    ``ledger``: the ledger writes done so far: [{"environment", "event", "ok", "msg"}], or the
    registered results of a loop of override_set appends (``item`` is the environment).
    """
    check_incident_id(incident_id)
    per_host = {}
    finished = []
    for host in sorted(hosts or {}):
        entry = hosts[host] or {}
        result = entry.get("result")
        status, detail = host_status(result, check_mode)
        record = {"environment": entry.get("environment"), "status": status, "detail": detail}
        if isinstance(result, dict):
            record.update(changed_files=result.get("changed_files") or [], errors=result.get("errors") or [],
                          snapshot=result.get("snapshot"), finished=result.get("finished"),
                          snapshot_error=result.get("snapshot_error"), override=result.get("override"))
            if status in (LOCKED, PARTIAL) and _parse_ts(result.get("finished")):
                finished.append(result["finished"])
        per_host[host] = record
    central = _central(central)
    ledger = [_ledger_write(entry) for entry in ledger or []]
    override_envs = sorted(set(e["environment"] for e in ledger if e.get("event") == "override_set" and e.get("ok")))
    coverage = _coverage(central, override_envs)

    by_status = {}
    for host, record in per_host.items():
        by_status.setdefault(record["status"], []).append(host)
    done, failed = [], []
    if not per_host:
        # Nothing was locked down: a typo in emergency_targets, or a --limit that leaves only the
        # controller, must not end in "every step succeeded".
        failed.append("no host was targeted: emergency_targets (or --limit) matched no host of the inventory, so no "
                      "host was locked down; check the pattern with ansible-inventory --graph and run again")
    locked = by_status.get(LOCKED, []) + by_status.get(PREDICTED, [])
    done.append("%s %d of %d host(s) down" % ("would lock" if check_mode else "locked", len(locked), len(per_host)))
    for host in by_status.get(PARTIAL, []):
        failed.append("%s: locked except: %s" % (host, per_host[host]["detail"]))
    for status in (UNREACHABLE, FAILED, NOT_RUN):
        for host in by_status.get(status, []):
            failed.append("%s: %s: %s" % (host, status.replace("_", " "), per_host[host]["detail"]))
    if central:
        for item in central["iam"]:
            if item.get("action") != "failed":
                done.append("IAM role %s: deny-all policy %s" % (item.get("role"), item.get("action")))
        for item in central["kubernetes"]:
            if item.get("action") in ("suspended", "scaled_down"):
                done.append("Kubernetes %s %s/%s %s%s" % (
                    item.get("kind"), item.get("namespace"), item.get("name"), item.get("action").replace("_", " "),
                    " (was %s replicas)" % item.get("replicas_before")
                    if item.get("replicas_before") is not None else ""))
        failed.extend("central switch: %s" % f for f in central["failures"])
    for entry in ledger:
        if entry.get("ok"):
            done.append("ledger %s: %s" % (entry.get("environment"), entry.get("event")))
        else:
            failed.append("ledger %s: %s not recorded: %s" % (entry.get("environment"), entry.get("event"),
                                                              entry.get("msg")))

    warnings = ["%s: no snapshot before the lockdown (the host was locked down all the same): %s" % (
        host, (record.get("snapshot_error") or {}).get("msg")) for host, record in per_host.items()
        if record.get("snapshot_error")]

    safe_at = max(finished, key=_parse_ts) if finished else None
    start = _parse_ts(started)
    time_to_safe = None
    if safe_at and start:
        time_to_safe = round((_parse_ts(safe_at) - start).total_seconds(), 3)
    unreachable = [{"host": h, "environment": per_host[h]["environment"], "status": per_host[h]["status"],
                    "detail": per_host[h]["detail"], "covered_by": coverage}
                   for h in by_status.get(UNREACHABLE, []) + by_status.get(NOT_RUN, [])]
    summary = {
        "incident_id": incident_id, "reason": reason, "actor": actor, "started": started, "safe_at": safe_at,
        "time_to_safe_seconds": time_to_safe, "check_mode": bool(check_mode),
        "counts": dict((status, len(by_status.get(status, []))) for status in
                       (LOCKED, PARTIAL, UNREACHABLE, FAILED, NOT_RUN, PREDICTED)),
        "hosts": per_host, "unreachable": unreachable, "central": central, "coverage": coverage,
        "ledger": ledger, "done": done, "failed": failed, "warnings": warnings,
    }
    summary["counts"]["targeted"] = len(per_host)
    summary["complete"] = not failed
    summary["lines"] = lines(summary)
    return summary


def add_notifications(summary, notifications, error=None):
    """The summary with the notification results in it (a failed one makes it incomplete).

    ``error``: why the notify task itself failed (say, an undefined webhook variable), if it did.
    """
    summary = dict(summary)
    summary["notifications"] = list(notifications or [])
    summary["done"] = list(summary["done"])
    summary["failed"] = list(summary["failed"])
    for note in summary["notifications"]:
        label = "%s notification %s" % (note.get("type"), note.get("name"))
        if note.get("ok"):
            summary["done"].append("%s sent" % label)
        elif note.get("ok") is False:
            summary["failed"].append("%s failed: %s" % (label, note.get("error")))
    if error:
        summary["failed"].append("notifications not sent: %s" % error)
    summary["complete"] = not summary["failed"]
    summary["lines"] = lines(summary)
    return summary


def lines(summary):
    """The summary an on-call engineer reads at the end of the run."""
    counts = summary["counts"]
    out = ["Incident %s: %s (run by %s)" % (summary["incident_id"], summary["reason"], summary["actor"])]
    if summary.get("check_mode"):
        out.append("CHECK MODE: nothing was changed, nothing was sent; below is what a real run would do.")
    if summary.get("time_to_safe_seconds") is not None:
        out.append("Time to safe: %.1f s (last host locked at %s)" % (summary["time_to_safe_seconds"],
                                                                      summary["safe_at"]))
    out.append("Hosts: %d targeted, %d locked down, %d partly, %d unreachable, %d failed, %d not run"
               % (counts["targeted"], counts["locked"] + counts["would_lock"], counts["partial"],
                  counts["unreachable"], counts["failed"], counts["not_run"]))
    for item in summary["unreachable"]:
        out.append("NOT REACHED %s (%s): %s" % (item["host"], item["environment"], item["detail"]))
        out.append("  still covered by: %s" % ("; ".join(item["covered_by"]) or
                                               "NOTHING - configure emergency_iam_roles / emergency_kubernetes"))
        out.append("  when it is back: run this playbook again with --limit %s (locking down is idempotent)"
                   % item["host"])
    out.extend("done: %s" % line for line in summary["done"][1:])
    out.extend("WARNING: %s" % line for line in summary.get("warnings") or [])
    out.extend("FAILED: %s" % line for line in summary["failed"])
    out.append("Complete: every step succeeded." if summary["complete"] else
               "INCOMPLETE: %d step(s) could not be done (listed above); everything else was done."
               % len(summary["failed"]))
    return out


def not_done(hosts):
    """``["host: status: detail"]`` for each host whose registered result (``hosts``: host -> result or
    None) is not a success: not run there, unreachable or failed."""
    out = []
    for host in sorted(hosts or {}):
        status, detail = host_status(hosts[host])
        if status in (UNREACHABLE, FAILED, NOT_RUN):
            out.append("%s: %s: %s" % (host, status.replace("_", " "), detail))
    return out
