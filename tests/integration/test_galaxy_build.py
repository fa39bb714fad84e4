"""The collection as Galaxy ships it: `ansible-galaxy collection build` from a copy of the
checkout with the usual local clutter in it, `install --offline` into an empty collections
path, and phase 1 run from the installed copy alone (its own inventory, sandbox and config)."""

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# What a working checkout accumulates and a tarball must not carry: the venv, the
# sandbox's state, the collection link, caches, reports, ledgers, an old tarball.
CLUTTER = [
    ".venv/bin/python",
    ".sandbox/dev-workstation-1/home/.kiro/settings/mcp.json",
    ".collections/ansible_collections/kiro/README",
    ".ansible/collections/ansible_collections/kiro/platform/README.md",
    ".ansible-test/ansible_collections/kiro/platform/README.md",
    ".pytest_cache/v/cache/lastfailed",
    "tests/unit/.pytest_cache/README.md",
    ".hypothesis/examples/0/0",
    "tests/unit/.hypothesis/examples/0/0",
    "plugins/module_utils/kiro/__pycache__/hooks.cpython-311.pyc",
    "tests/output/junit/python3.11.xml",
    "reports/development/phase1-20260101T000000Z.json",
    "ledger/development.jsonl",
    "incidents/incident-1.md",
    "benchmarks/results/apply_phase1.json",
    "kiro-platform-0.0.1.tar.gz",
]

# What the tarball must hold for the roles and playbooks to work from it.
ESSENTIAL = [
    "MANIFEST.json", "FILES.json", "meta/runtime.yml", "ansible.cfg", "README.md",
    "plugins/modules/profile.py", "plugins/action/gate.py", "plugins/callback/audit.py",
    "plugins/module_utils/kiro/hooks.py", "plugins/filter/rollout.py", "plugins/lookup/phase.py",
    "roles/kiro_config/tasks/main.yml", "roles/kiro_config/meta/argument_specs.yml",
    "roles/phase_gate/vars/main.yml", "roles/alert_rules/tasks/main.yml",
    "playbooks/phase1.yml", "playbooks/rollout.yml", "inventories/local/hosts.yml",
    "sandbox/bin/uvx", "sandbox/bin/sandbox_mcp_server.py", "sandbox/metrics/development.json",
]


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs, check=False)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc


def isolated_env(collections, config):
    """Only the installed copy: no repository link, config or Python path, no site-packages collections."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH")
    env.update({
        "ANSIBLE_CONFIG": config,
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
    })
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("galaxy")
    source = base / "source"
    listed = run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    tracked = sorted(set(path for path in listed.split("\0") if path and os.path.isfile(os.path.join(ROOT, path))))
    for path in tracked:
        os.makedirs(str(source / os.path.dirname(path)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), str(source / path))
    for path in CLUTTER:
        os.makedirs(str(source / os.path.dirname(path)) if os.path.dirname(path) else str(source), exist_ok=True)
        (source / path).write_text("local clutter\n")

    dist = base / "dist"
    # No configuration but the defaults (not the repository's ansible.cfg).
    (base / "empty.cfg").write_text("[defaults]\n")
    env = isolated_env(str(base / "none"), str(base / "empty.cfg"))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(source)],
        env=env, cwd=str(base))
    version = yaml.safe_load((source / "galaxy.yml").read_text())["version"]
    tarball = dist / ("kiro-platform-%s.tar.gz" % version)
    assert tarball.is_file(), os.listdir(str(dist))

    collections = base / "collections"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections),
         str(tarball)], env=env, cwd=str(base))
    installed = collections / "ansible_collections" / "kiro" / "platform"
    return {"base": base, "tracked": tracked, "tarball": tarball, "version": version,
            "collections": collections, "installed": installed}


def test_tarball_holds_the_checkout_and_nothing_local(built):
    with tarfile.open(str(built["tarball"])) as tar:
        files = set(m.name for m in tar.getmembers() if m.isfile())
    shipped = files - {"MANIFEST.json", "FILES.json"}
    assert sorted(set(CLUTTER) & files) == []
    assert sorted(shipped - set(built["tracked"])) == [], "files that are not part of the checkout"
    assert set(ESSENTIAL) <= files, sorted(set(ESSENTIAL) - files)
    # Nothing of the checkout is lost but galaxy.yml (which becomes MANIFEST.json), the CI
    # wiring and antsibull-changelog's plugin cache.
    dropped = sorted(set(built["tracked"]) - shipped)
    assert dropped == sorted(["galaxy.yml", ".gitignore", "changelogs/.plugin-cache.yaml"]
                             + [p for p in built["tracked"] if p.startswith(".ci/")])
    assert "CHANGELOG.rst" in files


def test_installs_into_an_empty_collections_path(built):
    env = isolated_env(str(built["collections"]), str(built["base"] / "empty.cfg"))
    listed = run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "--format", "json",
                  "-p", str(built["collections"])], env=env, cwd=str(built["base"]))
    # The path held nothing before: kiro.platform is all there is.
    found = json.loads(listed.stdout)[str(built["collections"] / "ansible_collections")]
    assert found == {"kiro.platform": {"version": built["version"]}}
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "verify", "--offline", "-p", str(built["collections"]),
         "kiro.platform"], env=env, cwd=str(built["base"]))
    manifest = json.loads((built["installed"] / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["namespace"] == "kiro" and manifest["collection_info"]["name"] == "platform"
    assert os.access(str(built["installed"] / "sandbox" / "bin" / "uvx"), os.X_OK)


def test_phase1_runs_from_the_installed_copy(built):
    installed = built["installed"]
    env = isolated_env(str(built["collections"]), str(installed / "ansible.cfg"))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(installed / "inventories" / "local"),
                           str(installed / "playbooks" / "phase1.yml")],
                          env=env, cwd=str(built["base"]), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]: Skipping" not in proc.stderr

    # The installed copy's sandbox: its state beside its inventory, its MCP stand-ins probed for real.
    sandbox = installed / ".sandbox"
    for host in ("dev-workstation-1", "dev-workstation-2"):
        mcp = json.loads((sandbox / host / "workspaces" / "platform-infra" / ".kiro" / "settings"
                          / "mcp.json").read_text())
        assert mcp["mcpServers"]["aws-api"]["command"] == str(installed / "sandbox" / "bin" / "uvx")
    [report] = [p for p in os.listdir(str(installed / "reports" / "development")) if p.endswith(".json")]
    gate = json.loads((installed / "reports" / "development" / report).read_text())
    assert gate["verdict"] == "pass" and gate["phase"] == 1
    verdicts = dict((c["name"], c["verdict"]) for c in gate["criteria"])
    assert verdicts["mcp_integrations_operational"] == "pass"
    ledger = [json.loads(line) for line in (sandbox / "ledger" / "development.jsonl").read_text().splitlines()]
    assert [(e["phase"], e["event"]) for e in ledger] == [(1, "started"), (1, "applied"), (1, "gate_passed")]
    assert ledger[-1]["details"]["report"] == str(installed / "reports" / "development" / report)
