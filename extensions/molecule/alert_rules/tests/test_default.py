"""What the alert_rules role leaves on a Prometheus server: a rules file promtool accepts,
loaded (through the role's reload handler) and evaluated by a running Prometheus."""

import json
import os
import re
import time

import pytest
import yaml

ROOT = os.environ["KIRO_MOLECULE_ROOT"]
RULES = os.path.join(ROOT, "rules.d", "kiro-gates-development.yml")


@pytest.fixture(scope="module")
def document(host):
    return yaml.safe_load(host.file(RULES).content_string)


def prometheus_rules(host):
    """GET /api/v1/rules from the Prometheus prepare.yml started, on the instance."""
    port = host.file(os.path.join(ROOT, "prometheus", "port")).content_string.strip()
    python = host.ansible.get_variables()["ansible_python_interpreter"]
    body = host.check_output("%s -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read()"
                             ".decode())' http://127.0.0.1:%s/api/v1/rules" % (python, port))
    return json.loads(body)["data"]["groups"]


def test_rules_file(host, document):
    rules_file = host.file(RULES)
    assert rules_file.is_file and rules_file.mode == 0o644
    assert rules_file.content_string.startswith("# Kiro gate alerting rules for development")
    [group] = document["groups"]
    assert group["name"] == "kiro-gates-development"
    for rule in group["rules"]:
        assert rule["alert"].startswith("KiroGate")
        assert rule["for"] == "10m"
        assert rule["labels"]["environment"] == "development"
        assert rule["labels"]["team"] == "platform"
        assert 'env="development"' in rule["expr"]


def test_promtool_accepts_the_file(host, document):
    check = host.run("promtool check rules %s", RULES)
    assert check.rc == 0, check.stdout + check.stderr
    found = re.search(r"SUCCESS: (\d+) rules found", check.stdout + check.stderr)
    assert found and int(found.group(1)) == len(document["groups"][0]["rules"])


def test_prometheus_loaded_and_evaluates_every_rule(host, document):
    # Prometheus started before the file existed, so it has the rules only if the handler reloaded it.
    expected = [(r["alert"], r["labels"]["severity"]) for r in document["groups"][0]["rules"]]
    deadline = time.time() + 20
    while True:
        groups = prometheus_rules(host)
        rules = [r for g in groups for r in g["rules"]]
        if rules and all(r["health"] != "unknown" for r in rules) or time.time() > deadline:
            break
        time.sleep(0.5)
    [group] = groups
    assert group["name"] == "kiro-gates-development" and group["file"] == RULES
    assert [(r["name"], r["labels"]["severity"]) for r in group["rules"]] == expected
    # Every expression evaluates in the real engine; with no samples nothing fires.
    assert [(r["name"], r["health"], r.get("lastError", "")) for r in group["rules"]] == \
        [(name, "ok", "") for name, _unused in expected]
    assert all(r["state"] == "inactive" for r in group["rules"])
