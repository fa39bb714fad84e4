"""The alert_rules role for real: files Prometheus's own promtool accepts, and alerts
that fire exactly where the gate's threshold is broken (promtool test rules)."""

import http.server
import os
import re
import shutil
import stat
import subprocess
import threading

import pytest
import yaml

from ansible_collections.kiro.platform.plugins.module_utils.gate import conditions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
GATE_VARS = os.path.join(ROOT, "roles", "phase_gate", "vars", "main.yml")

PLAYBOOK = """
- name: Alert rules for every environment
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The built-in gates, one file per environment
      ansible.builtin.include_role:
        name: kiro.platform.alert_rules
      vars:
        rollout_environment: "{{ item }}"
        alert_rules_dir: "%(out)s"
        alert_rules_phases: [1, 2, 3, 4, 5]
      loop: [production, staging]

    - name: Production with the inventory's overrides, another file
      ansible.builtin.include_role:
        name: kiro.platform.alert_rules
      vars:
        alert_rules_environment: production
        alert_rules_dir: "%(out)s"
        alert_rules_file: overridden.yml
        alert_rules_phases: [2]
        alert_rules_for: 30m
        alert_rules_labels: {team: platform}
        alert_rules_reload_url: "%(reload)s"
        rollout_gate_overrides:
          2:
            false_positive_rate: {pass: "< 0.2"}
            mttr_minutes: ~
"""


def expected_rule_count():
    """Prometheus criteria of phases 1-5 in the phase_gate vars (two rules when warn is set)."""
    with open(GATE_VARS) as handle:
        data = yaml.safe_load(handle)
    count = 0
    for items in data["_phase_gate_defaults"].values():
        for item in items:
            if isinstance(item, str):  # "{{ _phase_gate_security_incidents }}"
                item = data[re.match(r"^\{\{\s*(\w+)\s*\}\}$", item).group(1)]
            if item["provider"] != "prometheus" or item.get("range"):
                continue
            if conditions.parse(item["pass"]).needs_baseline:
                continue
            count += 2 if item.get("warn") else 1
    return count


class _Prometheus(http.server.BaseHTTPRequestHandler):
    """Stands in for Prometheus's lifecycle API: records POST /-/reload."""

    calls = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.calls.append((self.command, self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    if not os.path.exists(PROMTOOL):
        pytest.fail("promtool is missing: run tests/setup/debian-packages.sh (Debian package prometheus)")
    base = tmp_path_factory.mktemp("alert_rules")
    out = base / "rules.d"
    out.mkdir()
    (base / "inventory.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    playbook = base / "playbook.yml"
    playbook.write_text(PLAYBOOK % {"out": out, "reload": "http://127.0.0.1:%d/-/reload" % server.server_port})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=VENV_BIN + os.pathsep + os.path.dirname(PROMTOOL) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", str(base / "inventory.yml"), str(playbook),
           "-e", "ansible_python_interpreter=%s" % os.path.join(VENV_BIN, "python")]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return base, out, proc


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_promtool_accepts_the_rules(generated, environment):
    _unused, out, proc = generated
    path = out / ("kiro-gates-%s.yml" % environment)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    check = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    expected = expected_rule_count()
    assert "SUCCESS: %d rules found" % expected in check.stdout + check.stderr

    document = load(str(path))
    assert [g["name"] for g in document["groups"]] == ["kiro-gates-%s" % environment]
    rules = document["groups"][0]["rules"]
    assert len(rules) == expected
    for rule in rules:
        assert rule["alert"].startswith("KiroGate")
        assert rule["for"] == "10m"
        assert rule["labels"]["environment"] == environment
        assert rule["labels"]["phase"] in {"1", "2", "3", "4", "5"}
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert "\n" not in rule["expr"]
        assert 'env="%s"' % environment in rule["expr"]  # the queries were templated for this environment
        assert "{{ _phase_gate_env" not in rule["expr"]
    names = set(r["alert"] for r in rules)
    assert {"KiroGateAutonomousSuccessRate", "KiroGateFalsePositiveRate", "KiroGateMttrMinutes",
            "KiroGateSecurityIncidents", "KiroGatePerformanceTargets", "KiroGateZeroDowntime"} <= names
    assert not names & {"KiroGateCostSavings", "KiroGateConfigDeployment", "KiroGateDeveloperSatisfaction"}
    text = path.read_text()
    assert "phase 2 cost_savings (cost_explorer)" in text  # listed as not alertable
    assert "phase 2 cost_savings (cost_explorer)" in proc.stdout


def test_overrides_use_the_gate_merge_and_reload(generated):
    _unused, out, _unused = generated
    assert _Prometheus.calls == [("POST", "/-/reload")]
    rules = load(str(out / "overridden.yml"))["groups"][0]["rules"]
    by_name = dict((r["alert"], r) for r in rules if r["labels"]["severity"] == "critical")
    assert "KiroGateMttrMinutes" not in by_name  # null removes the criterion
    assert by_name["KiroGateFalsePositiveRate"]["expr"].endswith(") >= 0.2")
    assert all(r["for"] == "30m" and r["labels"]["team"] == "platform" and r["labels"]["phase"] == "2"
               for r in rules)
    check = subprocess.run([PROMTOOL, "check", "rules", str(out / "overridden.yml")], capture_output=True,
                           text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


# Two hours of per-minute samples: 100 autonomous operations a minute, a share of them succeed
# (increase() over [7d] uses what there is; the ratio is the same).
CASES = [0.95, 0.91, 0.89, 0.86, 0.84]


def test_alert_fires_exactly_where_the_gate_threshold_is_broken(generated):
    base, out, _unused = generated
    rules = [r for r in load(str(out / "kiro-gates-production.yml"))["groups"][0]["rules"]
             if r["alert"] == "KiroGateAutonomousSuccessRate"]
    assert [r["labels"]["severity"] for r in rules] == ["warning", "critical"]
    for rule in rules:
        rule.pop("annotations")  # {{ $value }} renders float noise; labels, expr and for are what we test
    rules_file = base / "one-rule.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "kiro-gates-production", "rules": rules}]},
                                         sort_keys=False))

    with open(GATE_VARS) as handle:
        gate = [c for c in yaml.safe_load(handle)["_phase_gate_defaults"][2]
                if isinstance(c, dict) and c["name"] == "autonomous_success_rate"][0]
    pass_, warn = conditions.parse(gate["pass"]), conditions.parse(gate["warn"])
    tests = []
    for ratio in CASES:
        success = int(round(ratio * 100))
        series = [
            {"series": 'kiro_operations_total{env="production",mode="autonomous",outcome="success"}',
             "values": "0+%dx120" % success},
            {"series": 'kiro_operations_total{env="production",mode="autonomous",outcome="failure"}',
             "values": "0+%dx120" % (100 - success)},
            # another environment far below the threshold must not trigger production's alert
            {"series": 'kiro_operations_total{env="staging",mode="autonomous",outcome="failure"}',
             "values": "0+100x120"},
        ]
        expected = []
        labels = {"alertname": "KiroGateAutonomousSuccessRate", "criterion": "autonomous_success_rate",
                  "environment": "production", "phase": "2"}
        # The gate: pass when pass_ holds, warn when only warn holds, fail otherwise.
        if not pass_.holds(ratio):
            expected.append({"exp_labels": dict(labels, severity="warning")})
        if not warn.holds(ratio):
            expected.append({"exp_labels": dict(labels, severity="critical")})
        tests.append({"name": "success ratio %s" % ratio, "interval": "1m", "input_series": series,
                      "alert_rule_test": [
                          {"eval_time": "2h", "alertname": "KiroGateAutonomousSuccessRate", "exp_alerts": expected},
                          # not before the rule's `for` has passed
                          {"eval_time": "5m", "alertname": "KiroGateAutonomousSuccessRate", "exp_alerts": []},
                      ]})
    # the cases cover pass, warn and fail
    assert [len(t["alert_rule_test"][0]["exp_alerts"]) for t in tests] == [0, 0, 1, 1, 2]
    unit = base / "unit-test.yml"
    unit.write_text(yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "1m",
                                    "tests": tests}, sort_keys=False))
    result = subprocess.run([PROMTOOL, "test", "rules", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr

    # And promtool does fail when the expectation is wrong (the test above is not vacuous).
    tests[0]["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": dict(labels, severity="warning")}]
    unit.write_text(yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "1m",
                                    "tests": tests[:1]}, sort_keys=False))
    result = subprocess.run([PROMTOOL, "test", "rules", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
