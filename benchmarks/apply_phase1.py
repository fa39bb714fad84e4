"""Benchmark: apply the phase-1 profile to N local hosts, 2 workspaces each.

Compares, in the same invocation and with the same Ansible strategy:
  kiro_config  - the collection's role (one kiro.platform.profile task per host)
  naive        - a role with one ansible.builtin.copy task per file (the same bytes)
and prints wall time, time per host, tasks per host and the ratio (median of --repeat runs).

  .venv/bin/python benchmarks/apply_phase1.py --hosts 200 --repeat 3
  .venv/bin/python benchmarks/apply_phase1.py --hosts 200 --strategy mitogen_linear
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
WORKSPACES = ("platform-infra", "payments-service")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def inventory(work, hosts):
    lines = ["all:", "  vars:", "    ansible_connection: local",
             "    ansible_python_interpreter: %s" % sys.executable,
             "    bench_root: %s/hosts" % work, "  hosts:"]
    lines += ["    bench-%03d:" % i for i in range(hosts)]
    write(os.path.join(work, "inventory.yml"), "\n".join(lines) + "\n")


COMMON_VARS = """
    kiro_workspaces: ["{{ bench_root }}/{{ inventory_hostname }}/%s", "{{ bench_root }}/{{ inventory_hostname }}/%s"]
    kiro_home: "{{ bench_root }}/{{ inventory_hostname }}/home/.kiro"
""" % WORKSPACES


def playbooks(work):
    write(os.path.join(work, "kiro_config.yml"), """---
- name: Phase 1 with the kiro_config role
  hosts: all
  gather_facts: false
  vars:%s
    kiro_config_create_workspaces: true
    kiro_config_snapshot_dir: "{{ bench_root }}/{{ inventory_hostname }}/snapshots"
  roles:
    - kiro.platform.kiro_config
""" % COMMON_VARS)


def naive_playbook(work, reference):
    """One copy task per file that kiro_config wrote on the reference host."""
    tasks = []
    files_dir = os.path.join(work, "naive-files")
    for base, _unused, names in os.walk(reference):
        for name in sorted(names):
            full = os.path.join(base, name)
            rel = os.path.relpath(full, reference)
            if rel.startswith("snapshots"):
                continue
            src = os.path.join(files_dir, rel)
            os.makedirs(os.path.dirname(src), exist_ok=True)
            shutil.copyfile(full, src)
            mode = "0600" if name == "mcp.json" else "0644"
            tasks.append("""    - name: Write %s
      ansible.builtin.copy:
        src: %s
        dest: "{{ bench_root }}/{{ inventory_hostname }}/%s"
        mode: "%s"
""" % (rel, src, rel, mode))
    dirs = sorted(set(os.path.dirname(os.path.relpath(os.path.join(b, n), reference))
                      for b, _unused, ns in os.walk(reference) for n in ns if not os.path.relpath(b, reference).startswith("snapshots")))
    head = """---
- name: Phase 1 with a naive role (one task per file)
  hosts: all
  gather_facts: false
  tasks:
    - name: Create the directories
      ansible.builtin.file:
        path: "{{ bench_root }}/{{ inventory_hostname }}/{{ item }}"
        state: directory
        mode: "0755"
      loop: %s
""" % dirs
    write(os.path.join(work, "naive.yml"), head + "".join(tasks))
    return len(tasks)


def run(work, playbook, strategy, forks):
    env = dict(os.environ)
    env.update({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "ANSIBLE_FORKS": str(forks),
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal", "PATH": BIN + os.pathsep + env["PATH"]})
    if strategy != "linear":
        import ansible_mitogen
        env["ANSIBLE_STRATEGY_PLUGINS"] = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
        env["ANSIBLE_STRATEGY"] = strategy
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(work, "inventory.yml"),
                           os.path.join(work, playbook)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (playbook, proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed


def tree(path):
    out = {}
    for base, _unused, names in os.walk(path):
        for name in names:
            full = os.path.join(base, name)
            if "/snapshots" in full:
                continue
            with open(full, "rb") as handle:
                out[os.path.relpath(full, path)] = handle.read()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--strategy", default="linear", choices=["linear", "mitogen_linear", "mitogen_free"])
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="kiro-bench-")
    hosts_dir = os.path.join(work, "hosts")
    try:
        inventory(work, args.hosts)
        playbooks(work)
        ours, second, naive = [], [], []
        per_file_tasks = None
        for _attempt in range(args.repeat):
            shutil.rmtree(hosts_dir, ignore_errors=True)
            ours.append(run(work, "kiro_config.yml", args.strategy, args.forks))
            second.append(run(work, "kiro_config.yml", args.strategy, args.forks))
            written = tree(hosts_dir)
            if per_file_tasks is None:
                per_file_tasks = naive_playbook(work, os.path.join(hosts_dir, "bench-000"))
            shutil.rmtree(hosts_dir)
            naive.append(run(work, "naive.yml", args.strategy, args.forks))
            if tree(hosts_dir) != written:
                sys.exit("the naive role did not write the same files as kiro_config")
        ours_m, second_m, naive_m = statistics.median(ours), statistics.median(second), statistics.median(naive)
        print("hosts=%d workspaces/host=%d strategy=%s forks=%d repeat=%d"
              % (args.hosts, len(WORKSPACES), args.strategy, args.forks, args.repeat))
        print("files/host=%d" % per_file_tasks)
        print("%-28s %9s %12s %11s" % ("run", "wall s", "ms/host", "tasks/host"))
        print("%-28s %9.1f %12.1f %11d" % ("kiro_config (first apply)", ours_m, 1000 * ours_m / args.hosts, 1))
        print("%-28s %9.1f %12.1f %11d" % ("kiro_config (no change)", second_m, 1000 * second_m / args.hosts, 1))
        print("%-28s %9.1f %12.1f %11d" % ("naive role (copy per file)", naive_m, 1000 * naive_m / args.hosts,
                                           per_file_tasks + 1))
        print("ratio naive/kiro_config = %.1fx (target >= 3x)" % (naive_m / ours_m))
        print("runs: kiro_config=%s naive=%s" % ([round(x, 1) for x in ours], [round(x, 1) for x in naive]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
