"""Benchmark: time-to-safe of playbooks/emergency_rollback.yml on N local-connection hosts.

Every host gets the phase-2 profile in 2 workspaces (hooks, MCP servers, agents, scheduled
workflows, autonomy), then the emergency rollback runs against real services: a moto
server (IAM deny on 2 roles) and the local Kubernetes API stand-in (agents to suspend and
scale to zero). For each variant, from the start of the ansible-playbook command:
  time to safe      - until the last host was locked down (the lockdown's `finished`)
  central switches  - until the IAM deny and the Kubernetes switches were done
  wall              - until the command ended (ledger, post-mortem and evidence included)
Variants, in the same invocation:
  baseline          - a plain playbook's way: strategy linear, 5 forks (Ansible's defaults),
                      the lockdown module started on every host (in_process false)
  module_free       - strategy free (--forks), the module started on every host
  free              - the playbook's defaults: strategy free, and a local host locked down
                      inside Ansible's worker (in_process)
  mitogen_free      - as free, with mitogen's strategy (a runtime requirement)
Medians of --repeat runs, and each variant's ratio to the baseline; the central switches
also from the playbook's first task (ansible-playbook itself takes ~1-1.5 s to get there). Targets: time to safe
<= 30 s for 200 hosts; central switches <= 2 s.

  .venv/bin/python benchmarks/emergency_time_to_safe.py --hosts 200 --repeat 3
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures.kube_objects import cron_job, deployment  # noqa: E402
from fixtures.kube_standin import FakeKubeApi  # noqa: E402
from fixtures.moto_aws import MotoServer  # noqa: E402

ROLES = ("kiro-agent-dev", "kiro-agent-prod")
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def inventory(work, hosts):
    lines = ["all:", "  vars:", "    ansible_connection: local", "    ansible_python_interpreter: %s" % sys.executable,
             "    bench_root: %s" % work,
             '    kiro_workspaces: ["{{ bench_root }}/hosts/{{ inventory_hostname }}/platform-infra", '
             '"{{ bench_root }}/hosts/{{ inventory_hostname }}/payments-service"]',
             '    kiro_home: "{{ bench_root }}/hosts/{{ inventory_hostname }}/home/.kiro"',
             '    kiro_snapshot_dir: "{{ bench_root }}/snapshots/{{ inventory_hostname }}"',
             '    kiro_override_marker: "{{ bench_root }}/overrides/{{ inventory_hostname }}/override.json"',
             '    rollout_ledger_path: "{{ bench_root }}/ledger"',
             '    rollout_report_dir: "{{ bench_root }}/reports"',
             '    emergency_incident_dir: "{{ bench_root }}/incidents"',
             "    rollout_environment: development",
             "  children:", "    development:", "      hosts:"]
    lines += ["        bench-%03d:" % i for i in range(hosts)]
    write(os.path.join(work, "inventory.yml"), "\n".join(lines) + "\n")


def template(work):
    """The phase-2 profile applied to one host, the configuration every host starts from."""
    write(os.path.join(work, "template.yml"), """---
- name: The phase-2 profile on one host
  hosts: bench-000
  gather_facts: false
  vars:
    kiro_config_create_workspaces: true
    kiro_config_environment: development
    kiro_config_phase: 2
    kiro_config_snapshot: false
  roles:
    - kiro.platform.kiro_config
""")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(work, "inventory.yml"),
                           os.path.join(work, "template.yml")], cwd=ROOT, env=env_for("linear", 5),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("could not build the template host:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    source = os.path.join(work, "hosts", "bench-000")
    shutil.move(source, os.path.join(work, "template"))


def reset(work, hosts, moto, kube):
    """Every host back to the template; no snapshots, ledger or incidents; services fresh."""
    for name in ("hosts", "snapshots", "overrides", "ledger", "incidents"):
        shutil.rmtree(os.path.join(work, name), ignore_errors=True)
    for i in range(hosts):
        shutil.copytree(os.path.join(work, "template"), os.path.join(work, "hosts", "bench-%03d" % i), symlinks=True)
    moto.reset()
    iam = moto.client("iam")
    for role in ROLES:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    kube.reset()
    agent = {"kiro.dev/agent": "true"}
    kube.add(*[deployment("agent-%d" % i, namespace="kiro", replicas=2, labels=agent) for i in range(5)])
    kube.add(*[cron_job("scheduled-agent-%d" % i, namespace="kiro", labels=agent) for i in range(5)])


def env_for(strategy, forks):
    env = dict(os.environ)
    env.update(AWS_ENV)
    env.update({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "ANSIBLE_FORKS": str(forks),
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal", "PATH": BIN + os.pathsep + env["PATH"]})
    if strategy.startswith("mitogen"):
        import ansible_mitogen
        env["ANSIBLE_STRATEGY_PLUGINS"] = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
    return env


def parse_ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def emergency(work, strategy, forks, in_process, moto, kube, hosts, run_number):
    extra = {"incident_id": "BENCH-%d" % run_number, "reason": "benchmark", "emergency_strategy": strategy,
             "emergency_in_process": in_process,
             "emergency_iam_roles": list(ROLES), "emergency_aws_endpoint_url": moto.url,
             "emergency_kubernetes_clusters": [{"name": "bench", "host": kube.url, "token": kube.token}]}
    start = time.time()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(work, "inventory.yml"),
                           os.path.join(ROOT, "playbooks", "emergency_rollback.yml"), "-e", json.dumps(extra)],
                          cwd=ROOT, env=env_for(strategy, forks), capture_output=True, text=True, check=False)
    wall = time.time() - start
    if proc.returncode != 0:
        sys.exit("emergency rollback (%s) failed:\n%s\n%s" % (strategy, proc.stdout[-3000:], proc.stderr[-3000:]))
    base = os.path.join(work, "incidents", extra["incident_id"])
    with open(os.path.join(base, sorted(os.listdir(base))[-1], "summary.json")) as handle:
        summary = json.load(handle)
    if summary["counts"]["locked"] != hosts:
        sys.exit("only %d of %d hosts were locked down" % (summary["counts"]["locked"], hosts))
    safe = max(parse_ts(h["finished"]) for h in summary["hosts"].values()) - start
    central = parse_ts(summary["central"]["finished"]) - start
    first = parse_ts(summary["started"]) - start
    return {"safe": safe, "central": central, "wall": wall, "first_task": first,
            "central_own": summary["central"]["elapsed"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--variants", default="baseline,free")
    args = parser.parse_args()
    variants = {"baseline": ("linear", 5, False), "module_free": ("free", args.forks, False),
                "free": ("free", args.forks, True), "mitogen_free": ("mitogen_free", args.forks, True)}
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in variants]
    if unknown:
        sys.exit("unknown variant(s) %s: choose from %s" % (", ".join(unknown), ", ".join(variants)))

    work = tempfile.mkdtemp(prefix="kiro-bench-emergency-")
    moto, kube = MotoServer().start(), FakeKubeApi().start()
    try:
        inventory(work, args.hosts)
        template(work)
        results = dict((v, []) for v in chosen)
        run_number = 0
        for _unused in range(args.repeat):
            for variant in chosen:
                run_number += 1
                reset(work, args.hosts, moto, kube)
                results[variant].append(emergency(work, *variants[variant], moto=moto, kube=kube,
                                                  hosts=args.hosts, run_number=run_number))
        print("hosts=%d workspaces/host=2 repeat=%d (medians; seconds from the start of ansible-playbook)"
              % (args.hosts, args.repeat))
        print("%-14s %-13s %6s %10s %13s %17s %15s %8s %18s" % (
            "variant", "strategy", "forks", "in_process", "time to safe", "central switches", "(from 1st task)",
            "wall", "safe vs baseline"))
        base = statistics.median(r["safe"] for r in results["baseline"]) if "baseline" in results else None
        for variant in chosen:
            safe = statistics.median(r["safe"] for r in results[variant])
            central = statistics.median(r["central"] for r in results[variant])
            central_play = statistics.median(r["central"] - r["first_task"] for r in results[variant])
            wall = statistics.median(r["wall"] for r in results[variant])
            ratio = "%.2fx faster" % (base / safe) if base else "-"
            print("%-14s %-13s %6d %10s %12.1fs %16.2fs %14.2fs %7.1fs %18s" % (
                variant, variants[variant][0], variants[variant][1], variants[variant][2], safe, central,
                central_play, wall, ratio))
        print("targets: time to safe <= 30 s for 200 hosts; central switches <= 2 s")
        print("runs: %s" % json.dumps(dict((v, [dict((k, round(x, 2)) for k, x in r.items()) for r in results[v]])
                                           for v in chosen)))
    finally:
        moto.stop()
        kube.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
