"""kiro.policy: validation, tool-name matching, and violations over real deployed config."""

import copy
import os

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import facts, policy, profile, settings
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

from kiro_helpers import make_workspace, roots, write

PRODUCTION = {
    "max_autonomy": "conservative",
    "approved_mcp_servers": ["aws-api", "eks", "cloudwatch", "github"],
    "allow_trust_all_commands": False,
    "require_mutation_consent": True,
    "forbid_auto_approve_mutating": True,
}

# A production-grade profile: read-only servers, read tools auto-approved, Supervised.
CLEAN = {
    "steering": [{"name": "operations", "content": "# Operations\nRead-only by default.\n"}],
    "hooks": [{"name": "cost-review", "when": {"type": "fileEdited", "patterns": ["**/*.tf"]},
               "then": {"type": "askAgent", "prompt": "Estimate the cost impact; change nothing."}}],
    "mcp_servers": [
        {"name": "aws-api", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
         "env": {"AWS_REGION": "us-east-1", "READ_OPERATIONS_ONLY": "true", "REQUIRE_MUTATION_CONSENT": "true"},
         "auto_approve": ["suggest_aws_commands"]},
        {"name": "eks", "command": "uvx", "args": ["awslabs.eks-mcp-server@latest"],
         "auto_approve": ["list_k8s_resources", "get_pod_logs", "search_eks_troubleshoot_guide"]},
        {"name": "cloudwatch", "command": "uvx", "args": ["awslabs.cloudwatch-mcp-server@latest"],
         "auto_approve": ["get_metric_data", "describe_log_groups", "get_active_alarms"]},
        {"name": "github", "url": "https://api.githubcopilot.com/mcp/readonly",
         "headers": {"Authorization": "Bearer ${GITHUB_PAT}"}, "auto_approve": ["search_code"]},
    ],
    "agents": [{"name": "aws-readonly", "config": {
        "tools": ["read", "grep", "@eks"], "allowedTools": ["read", "grep", "@eks"],
        "mcpServers": {"eks": {"command": "uvx", "args": ["awslabs.eks-mcp-server@latest"]}}}}],
    "autonomy": {"agent_autonomy": "Supervised", "trusted_commands": ["git status", "terraform plan"]},
}


def deploy(tmp_path, data, name="ws", user_settings=None):
    """Write ``data`` with the real model (profile plan + apply) and gather facts."""
    ws = make_workspace(tmp_path, name)
    targets = roots([ws])
    profile.plan(targets, profile.validate(data)).apply()
    return ws, facts.gather(targets, user_settings=user_settings)


def server(data, name):
    return next(s for s in data["mcp_servers"] if s["name"] == name)


def rules(found):
    return sorted((v["rule"], v["item"]) for v in found)


# -- validate ------------------------------------------------------------------------------------

def test_defaults_are_strict_and_none_means_default():
    validated = policy.validate(None)
    assert validated == policy.validate({}) == policy.validate({"allow_trust_all_commands": None,
                                                                "description": "prod"})
    assert validated["forbid_auto_approve_mutating"] is True
    assert validated["require_mutation_consent"] is True
    assert validated["allow_trust_all_commands"] is False
    assert validated["approved_mcp_servers"] is None
    assert validated["mutating_tool_patterns"] == list(policy.DEFAULT_MUTATING_PATTERNS)


@pytest.mark.parametrize("key, value, message", [
    ("max_autonomy", "autopilot", "policy.max_autonomy: must be one of manual"),
    ("mutating_tool_patterns", "delete*", "policy.mutating_tool_patterns: must be a list"),
    ("mutating_tool_patterns", ["delete*", ""], "policy.mutating_tool_patterns: must be a list"),
    ("read_only_tool_patterns", [3], "policy.read_only_tool_patterns"),
    ("approved_mcp_servers", "aws-api", "policy.approved_mcp_servers: must be a list"),
    ("allow_trust_all_commands", "no", "policy.allow_trust_all_commands: must be true or false"),
    ("require_mutation_consent", 1, "policy.require_mutation_consent: must be true or false"),
    ("forbid_auto_approve_mutating", "yes", "policy.forbid_auto_approve_mutating"),
    ("forbid_autoapprove_mutating", True, "unknown key\\(s\\) forbid_autoapprove_mutating"),
])
def test_validate_names_the_bad_key(key, value, message):
    with pytest.raises(KiroValidationError, match=message):
        policy.validate({key: value})


def test_validate_rejects_a_non_mapping():
    with pytest.raises(KiroValidationError, match="policy: must be a mapping"):
        policy.validate(["max_autonomy"])


def test_autonomy_rank_orders_the_levels():
    assert [policy.autonomy_rank(level) for level in policy.LEVELS] == [0, 1, 2, 3, 4]
    assert policy.autonomy_rank("conservative") < policy.autonomy_rank("supervised_autonomous")
    with pytest.raises(KiroValidationError, match="'Autopilot' is not one of"):
        policy.autonomy_rank("Autopilot")


# -- tool names ----------------------------------------------------------------------------------

READ_NAMES = [
    "get_metric_data", "get_cost_and_usage", "get_pod_logs", "get_created_resources", "get_put_records_status",
    "get_secret_value", "get", "getMetricData", "GetStackStatus", "get-deployment-history",
    "list_clusters", "list_k8s_resources", "list_deleted_items", "list_update_history", "list-stacks",
    "listApplyJobs", "list",
    "describe_instances", "describe_log_groups", "describe_update_history", "describe_scaling_activities",
    "describeStacks", "DescribeDeleteMarkers",
    "search_eks_troubleshoot_guide", "search_code", "search_deleted_issues", "searchPullRequests",
    "read_file", "read_write_capacity",
]

MUTATING_NAMES = [
    ("delete_stack", "delete*"), ("deleteStack", "delete*"), ("DeleteStack", "delete*"),
    ("create_or_update_file", "create*"), ("eks_create_cluster", "create*"), ("kubectl_apply", "apply*"),
    ("kubectl-delete", "delete*"), ("update_service", "update*"), ("put_metric_data", "put*"),
    ("patch_deployment", "patch*"), ("scale_deployment", "scale*"), ("terminate_instances", "terminate*"),
    ("write_file", "write*"), ("fs_write", "write*"), ("remove_tag", "remove*"), ("modify_db_instance", "modify*"),
    ("manage_eks_stacks", "manage*"), ("manage_k8s_resource", "manage*"), ("call_aws", "call_aws"),
    ("use_aws", "use_aws"), ("execute_bash", "exec*"), ("run_workflow", "run_*"), ("merge_pull_request", "merge*"),
    ("push_files", "push*"), ("add_issue_comment", "add_*"), ("set_desired_capacity", "set_*"),
    ("install_helm_chart", "install*"), ("@eks/manage_k8s_resource", "manage*"), ("AWSCreateStack", "create*"),
]

NEITHER = ["suggest_aws_commands", "show_settings", "output_summary", "running_pods", "address_lookup",
           "@eks", "grep", "read", "analyze_metric", "explain_alarm"]


@pytest.mark.parametrize("name", READ_NAMES)
def test_read_tool_names_are_never_mutating(name):
    assert policy.mutating_pattern(name, policy.validate({})) is None
    assert policy.is_mutating(name) is False


@pytest.mark.parametrize("name, pattern", MUTATING_NAMES)
def test_mutating_tool_names_are_caught_in_any_spelling(name, pattern):
    assert policy.mutating_pattern(name, policy.validate({})) == pattern


@pytest.mark.parametrize("name", NEITHER)
def test_whole_word_patterns_do_not_catch_lookalikes(name):
    assert policy.is_mutating(name) is False


def test_operator_patterns_and_read_only_exemptions():
    strict = {"mutating_tool_patterns": ["*secret*"], "read_only_tool_patterns": []}
    assert policy.is_mutating("get_secret_value", strict) is True
    # With the default exemptions a get_ name stays read-only, whatever the pattern.
    assert policy.is_mutating("get_secret_value", {"mutating_tool_patterns": ["*secret*"]}) is False
    assert policy.is_mutating("delete_stack", strict) is False  # the operator's list replaces the default


# -- violations over real deployed config --------------------------------------------------------

def test_clean_read_only_config_has_no_violation(tmp_path):
    _unused, gathered = deploy(tmp_path, CLEAN)
    assert gathered["summary"]["mcp_servers_enabled"] == 4  # really deployed, really checked
    assert policy.violations(gathered, PRODUCTION, host="web1") == []


def test_read_tool_names_auto_approved_are_never_flagged(tmp_path):
    data = copy.deepcopy(CLEAN)
    server(data, "eks")["auto_approve"] = list(READ_NAMES)
    _unused, gathered = deploy(tmp_path, data)
    assert len(gathered["roots"][0]["mcp_servers"][2]["auto_approve"]) == len(READ_NAMES)
    assert policy.violations(gathered, PRODUCTION) == []


def _auto_approve_delete(data):
    server(data, "aws-api")["auto_approve"] = ["suggest_aws_commands", "delete_stack"]


def _trust_all(data):
    data["autonomy"]["trusted_commands"] = ["git status", "*"]


def _allow_write(data):
    server(data, "eks")["args"] = ["awslabs.eks-mcp-server@latest", "--allow-write"]


def _unapproved(data):
    data["mcp_servers"].append({"name": "grafana", "url": "https://grafana.example.com/mcp/readonly"})


def _autopilot(data):
    data["autonomy"]["agent_autonomy"] = "Autopilot"


def _agent_writes(data):
    data["agents"][0]["config"]["allowedTools"] = ["read", "fs_write", "@eks/list_k8s_resources"]


def _agent_unapproved_server(data):
    data["agents"][0]["config"]["mcpServers"]["shadow"] = {"command": "npx", "args": ["shadow-mcp"]}


@pytest.mark.parametrize("change, expected, relax", [
    (_auto_approve_delete, [("auto_approve_mutating", "mcpServers.aws-api.autoApprove.delete_stack")],
     {"forbid_auto_approve_mutating": False}),
    (_trust_all, [("trust_all_commands", "kiroAgent.trustedCommands")], {"allow_trust_all_commands": True}),
    (_allow_write, [("write_without_consent", "mcpServers.eks")], {"require_mutation_consent": False}),
    (_unapproved, [("unapproved_server", "mcpServers.grafana")], {"approved_mcp_servers": None}),
    (_autopilot, [("autonomy_above_cap", "kiroAgent.agentAutonomy")], {"max_autonomy": "supervised_autonomous"}),
    (_agent_writes, [("auto_approve_mutating", "agents.aws-readonly.allowedTools.fs_write")],
     {"forbid_auto_approve_mutating": False}),
    (_agent_unapproved_server, [("unapproved_server", "agents.aws-readonly.mcpServers.shadow")],
     {"approved_mcp_servers": None}),
], ids=["auto_approve_delete_stack", "trust_all", "eks_allow_write", "unapproved_server", "autopilot",
        "agent_fs_write", "agent_unapproved_server"])
def test_each_rule_is_found_and_its_switch_turns_it_off(tmp_path, change, expected, relax):
    data = copy.deepcopy(CLEAN)
    change(data)
    ws, gathered = deploy(tmp_path, data)
    found = policy.violations(gathered, PRODUCTION, host="web1")
    assert rules(found) == expected
    assert found[0]["host"] == "web1" and found[0]["root"] == os.path.join(ws, ".kiro")
    assert found[0]["detail"]
    assert policy.violations(gathered, dict(PRODUCTION, **relax)) == []


def test_server_not_known_read_only_needs_consent(tmp_path):
    data = copy.deepcopy(CLEAN)
    data["mcp_servers"].append({"name": "custom", "command": "python3", "args": ["-m", "custom_mcp"]})
    _unused, gathered = deploy(tmp_path, data)
    found = policy.violations(gathered, dict(PRODUCTION, approved_mcp_servers=None))
    assert rules(found) == [("write_without_consent", "mcpServers.custom")]
    assert "not known to be read-only" in found[0]["detail"]
    # REQUIRE_MUTATION_CONSENT=true is enough, even with write access.
    data["mcp_servers"][-1]["env"] = {"REQUIRE_MUTATION_CONSENT": "true"}
    _allow_write(data)
    server(data, "eks")["env"] = {"REQUIRE_MUTATION_CONSENT": "true"}
    _unused, gathered = deploy(tmp_path, data, name="ws2")
    assert policy.violations(gathered, dict(PRODUCTION, approved_mcp_servers=None)) == []


def test_disabled_servers_are_not_held_to_the_policy(tmp_path):
    data = copy.deepcopy(CLEAN)
    data["mcp_servers"].append({"name": "legacy-admin", "command": "npx", "args": ["admin-mcp", "--allow-write"],
                                "disabled": True, "auto_approve": ["delete_everything"]})
    _unused, gathered = deploy(tmp_path, data)
    assert policy.violations(gathered, PRODUCTION) == []


def test_auto_approve_star_is_flagged_unless_the_server_is_read_only(tmp_path):
    data = copy.deepcopy(CLEAN)
    server(data, "cloudwatch")["auto_approve"] = ["*"]  # read-only server: fine
    data["mcp_servers"].append({"name": "ops", "command": "ops-mcp", "auto_approve": ["*"],
                                "env": {"REQUIRE_MUTATION_CONSENT": "true"}})
    _unused, gathered = deploy(tmp_path, data)
    found = policy.violations(gathered, dict(PRODUCTION, approved_mcp_servers=None))
    assert rules(found) == [("auto_approve_mutating", "mcpServers.ops.autoApprove.*")]


def test_corrupt_mcp_json_is_unreadable_config(tmp_path):
    ws, _unused = deploy(tmp_path, CLEAN)
    path = os.path.join(ws, ".kiro", "settings", "mcp.json")
    write(path, '{"mcpServers": {"aws-api": {"command": "uvx",,}}}')
    gathered = facts.gather(roots([ws]))
    found = policy.violations(gathered, PRODUCTION, host="web1")
    assert rules(found) == [("unreadable_config", path)]
    assert "cannot parse" in found[0]["detail"]
    # Even the most permissive policy does not accept config it cannot read.
    relaxed = {"forbid_auto_approve_mutating": False, "require_mutation_consent": False,
               "allow_trust_all_commands": True, "max_autonomy": "full"}
    assert [v["rule"] for v in policy.violations(gathered, relaxed)] == ["unreadable_config"]


def _user_settings(tmp_path, doc):
    path = os.path.join(str(tmp_path), "user", "settings.json")
    fileio.atomic_write(path, settings.render(doc))
    return path


def test_autonomy_comes_from_the_workspace_then_the_user_then_kiros_default(tmp_path):
    data = copy.deepcopy(CLEAN)
    del data["autonomy"]
    ws, gathered = deploy(tmp_path, data)
    found = policy.violations(gathered, PRODUCTION)
    assert rules(found) == [("autonomy_above_cap", "kiroAgent.agentAutonomy")]
    assert "not set" in found[0]["detail"] and "Autopilot" in found[0]["detail"]
    supervised = _user_settings(tmp_path / "a", {settings.AUTONOMY_KEY: "Supervised"})
    assert policy.violations(facts.gather(roots([ws]), user_settings=supervised), PRODUCTION) == []
    autopilot = _user_settings(tmp_path / "b", {settings.AUTONOMY_KEY: "Autopilot",
                                                settings.TRUSTED_KEY: ["*"]})
    found = policy.violations(facts.gather(roots([ws]), user_settings=autopilot), PRODUCTION)
    assert rules(found) == [("autonomy_above_cap", "kiroAgent.agentAutonomy"),
                            ("trust_all_commands", "kiroAgent.trustedCommands")]
    assert all(autopilot in v["detail"] for v in found)


def test_unreadable_user_settings_is_a_violation(tmp_path):
    ws, _unused = deploy(tmp_path, CLEAN)
    path = os.path.join(str(tmp_path), "user-settings.json")
    write(path, "{not json")
    found = policy.violations(facts.gather(roots([ws]), user_settings=path), PRODUCTION)
    assert [v["rule"] for v in found] == ["unreadable_config"]


LOCKDOWN = {
    "hooks": [dict(CLEAN["hooks"][0], enabled=False)],
    "mcp_servers": [dict(s, disabled=True, auto_approve=[]) for s in CLEAN["mcp_servers"]],
    "agents": [{"name": "aws-readonly", "config": dict(CLEAN["agents"][0]["config"], allowedTools=[])}],
    "autonomy": {"agent_autonomy": "Supervised", "trusted_commands": []},
}


def test_manual_cap_accepts_only_the_lockdown_state(tmp_path):
    _unused, locked = deploy(tmp_path, LOCKDOWN, name="locked")
    assert locked["summary"]["manual_mode"] is True
    assert policy.violations(locked, {"max_autonomy": "manual"}) == []
    _unused, active = deploy(tmp_path, CLEAN, name="active")
    found = policy.violations(active, {"max_autonomy": "manual"})
    assert set(v["rule"] for v in found) == {"autonomy_above_cap"}
    assert set(v["item"] for v in found) == {
        "hooks.cost-review", "mcpServers.aws-api", "mcpServers.eks", "mcpServers.cloudwatch", "mcpServers.github",
        "agents.aws-readonly.allowedTools", "kiroAgent.trustedCommands"}
    # The same config is fine under the phase-1 cap (supervised).
    assert policy.violations(active, {"max_autonomy": "supervised"}) == []


def test_enabled_workflow_breaks_the_manual_cap():
    root = {"path": "/w/.kiro", "scope": "workspace", "errors": [], "hooks": [], "mcp_servers": [], "agents": [],
            "autonomy": {"agent_autonomy": "Supervised", "trusted_commands": [], "present": True},
            "workflows": [{"name": "cost-optimizer", "enabled": True, "schedule": "0 6 * * 1"},
                          {"name": "docs", "enabled": False, "schedule": None}]}
    found = policy.violations({"roots": [root]}, {"max_autonomy": "manual"})
    assert [(v["rule"], v["item"]) for v in found] == [("autonomy_above_cap", "workflows.cost-optimizer")]
    assert policy.violations({"roots": [root]}, {"max_autonomy": "supervised"}) == []
