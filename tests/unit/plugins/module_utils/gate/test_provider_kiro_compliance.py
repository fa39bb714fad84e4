"""The kiro_compliance provider: the safety policy re-checked on facts gathered from real workspaces."""

import copy
import json
import os

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.kiro import facts, profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset as kplan

PRODUCTION = {
    "max_autonomy": "conservative",
    "approved_mcp_servers": ["aws-api", "eks", "github"],
    "allow_trust_all_commands": False,
    "require_mutation_consent": True,
    "forbid_auto_approve_mutating": True,
}

CLEAN = {
    "mcp_servers": [
        {"name": "aws-api", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
         "env": {"AWS_REGION": "us-east-1", "READ_OPERATIONS_ONLY": "true", "REQUIRE_MUTATION_CONSENT": "true",
                 "AWS_SECRET_ACCESS_KEY": "never-shown-0123456789"},
         "auto_approve": ["suggest_aws_commands"]},
        {"name": "eks", "command": "uvx", "args": ["awslabs.eks-mcp-server@latest"],
         "auto_approve": ["list_k8s_resources", "get_pod_logs", "describe_cluster", "search_eks_troubleshoot_guide"]},
        {"name": "github", "url": "https://api.githubcopilot.com/mcp/readonly",
         "headers": {"Authorization": "Bearer ghp_neverShown0123456789"}},
    ],
    "autonomy": {"agent_autonomy": "Supervised", "trusted_commands": ["git status"]},
}

CRITERION = {"name": "policy_compliance", "provider": "kiro_compliance", "pass": "== 0"}


def host_facts(tmp_path, name, data=None, after=None):
    """Deploy ``data`` (default CLEAN) to a fresh workspace with the real model and gather its facts."""
    data = CLEAN if data is None else data
    ws = os.path.join(str(tmp_path), name)
    os.makedirs(ws)
    roots = kplan.roots_for([ws])
    profile.plan(roots, profile.validate(data)).apply()
    if after:
        after(ws)
    return facts.gather(roots)


def dirty(**changes):
    data = copy.deepcopy(CLEAN)
    for name, auto_approve in changes.get("auto_approve", {}).items():
        next(s for s in data["mcp_servers"] if s["name"] == name)["auto_approve"] = auto_approve
    if "trusted" in changes:
        data["autonomy"]["trusted_commands"] = changes["trusted"]
    return data


def gate(hosts, env_policy=None, **params):
    env_policy = PRODUCTION if env_policy is None else env_policy
    """Evaluate one kiro_compliance criterion (``params``: its keys, ``policy`` included)."""
    context = Context(environment="production", phase=4, hosts=hosts, policy=env_policy)
    report = engine.evaluate([dict(CRITERION, **params)], {}, context)
    return report["criteria"][0]


def test_clean_fleet_passes(tmp_path):
    hosts = dict(("web%d" % i, {"facts": host_facts(tmp_path, "ws%d" % i), "ok": True, "targeted": True})
                 for i in range(2))
    result = gate(hosts)
    assert result["verdict"] == "pass"
    assert result["value"] == 0 and result["samples"] == 2
    assert result["details"] == {"violations": [], "by_rule": {}, "total": 0, "hosts_scanned": 2}


def test_auto_approved_delete_stack_is_one_violation(tmp_path):
    hosts = {"web1": {"facts": host_facts(tmp_path, "ws", dirty(auto_approve={"aws-api": ["delete_stack"]})),
                      "targeted": True, "ok": True}}
    result = gate(hosts)
    assert result["verdict"] == "fail"
    assert result["value"] == 1
    assert result["details"]["by_rule"] == {"auto_approve_mutating": 1}
    (violation,) = result["details"]["violations"]
    assert violation["host"] == "web1" and violation["item"] == "mcpServers.aws-api.autoApprove.delete_stack"
    assert result["raw"] == [result["details"]]


def test_violations_add_up_over_hosts_and_rules(tmp_path):
    def corrupt(ws):
        with open(os.path.join(ws, ".kiro", "settings", "mcp.json"), "w") as handle:
            handle.write("{")

    hosts = {
        "web1": {"facts": host_facts(tmp_path, "a", dirty(trusted=["*"])), "targeted": True, "ok": True},
        "web2": {"facts": host_facts(tmp_path, "b", after=corrupt), "targeted": True, "ok": True},
        "web3": {"facts": None, "targeted": True, "ok": False},  # unreachable: nothing was checked
        "web4": {"facts": host_facts(tmp_path, "c", dirty(trusted=["*"])), "targeted": False},  # not in this run
    }
    result = gate(hosts)
    assert result["verdict"] == "fail"
    assert result["value"] == 3 and result["samples"] == 2
    assert result["details"]["by_rule"] == {"trust_all_commands": 1, "unreadable_config": 1, "no_facts": 1}
    assert sorted(v["host"] for v in result["details"]["violations"]) == ["web1", "web2", "web3"]


def test_no_secret_from_the_config_reaches_the_result(tmp_path):
    data = dirty(auto_approve={"eks": ["manage_eks_stacks"]})
    result = gate({"web1": {"facts": host_facts(tmp_path, "ws", data), "targeted": True}})
    assert result["value"] == 1
    text = json.dumps(result)
    assert "never-shown-0123456789" not in text and "ghp_neverShown0123456789" not in text


@pytest.mark.parametrize("name", ["get_stack_status", "list_deleted_stacks", "describe_update_history",
                                  "search_created_issues", "getCreatedResources", "list-apply-jobs"])
def test_read_tools_auto_approved_do_not_count(tmp_path, name):
    data = dirty(auto_approve={"eks": ["list_k8s_resources", name]})
    result = gate({"web1": {"facts": host_facts(tmp_path, "ws", data), "targeted": True}})
    assert result["value"] == 0 and result["verdict"] == "pass"


def test_criterion_policy_is_laid_over_the_environments(tmp_path):
    hosts = {"dev1": {"facts": host_facts(tmp_path, "ws", dirty(trusted=["*"])), "targeted": True}}
    assert gate(hosts)["value"] == 1
    relaxed = gate(hosts, policy={"allow_trust_all_commands": True})
    assert relaxed["value"] == 0 and relaxed["verdict"] == "pass"
    # Other keys still come from the environment's policy.
    tightened = gate(hosts, policy={"allow_trust_all_commands": True, "approved_mcp_servers": ["eks"]})
    assert tightened["details"]["by_rule"] == {"unapproved_server": 2}


def test_many_violations_are_counted_but_listed_up_to_50(tmp_path):
    one = host_facts(tmp_path, "ws", dirty(trusted=["*"]))
    hosts = dict(("web%02d" % i, {"facts": one, "targeted": True}) for i in range(60))
    result = gate(hosts)
    assert result["value"] == 60 and result["details"]["total"] == 60
    assert len(result["details"]["violations"]) == 50


def test_no_targeted_host_is_no_data(tmp_path):
    result = gate({"web1": {"facts": host_facts(tmp_path, "ws"), "targeted": False}})
    assert result["value"] is None
    assert result["verdict"] == "fail"  # on_no_data defaults to fail
    assert gate({}, on_no_data="inconclusive")["verdict"] == "inconclusive"


def test_hosts_without_facts_only_fail_for_lack_of_evidence(tmp_path):
    result = gate({"web1": {"facts": None, "targeted": True}})
    assert result["details"]["by_rule"] == {"no_facts": 1}
    assert result["samples"] == 0 and result["verdict"] == "fail"


def test_a_bad_environment_policy_fails_closed_naming_the_key(tmp_path):
    hosts = {"web1": {"facts": host_facts(tmp_path, "ws"), "targeted": True}}
    result = gate(hosts, env_policy={"max_autonomy": "yolo"})
    assert result["verdict"] == "fail"
    assert "policy.max_autonomy" in result["reason"]


@pytest.mark.parametrize("override, message", [
    ("strict", "policy must be a mapping"),
    ({"forbid_auto_approve_mutating": "yes"}, "policy.forbid_auto_approve_mutating"),
    ({"approve_everything": True}, "unknown key"),
])
def test_a_bad_criterion_policy_is_rejected_before_measuring(override, message):
    with pytest.raises(CriterionError, match=message) as err:
        engine.prepare([dict(CRITERION, policy=override)], {})
    assert err.value.criterion == "policy_compliance"
