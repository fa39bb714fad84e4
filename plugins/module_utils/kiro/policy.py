# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety policy, and the check of deployed Kiro config (``facts.gather()``) against it.

A policy is data (inventory group_vars, per environment)::

    max_autonomy: conservative          # a level of LEVELS: the cap for this environment/phase
    mutating_tool_patterns: [...]       # fnmatch patterns; default DEFAULT_MUTATING_PATTERNS
    read_only_tool_patterns: [...]      # names that are never mutating; default DEFAULT_READ_ONLY_PATTERNS
    approved_mcp_servers: [aws-api, eks] # server names; null = any server
    allow_trust_all_commands: false     # may kiroAgent.trustedCommands hold "*"?
    require_mutation_consent: true      # servers not known read-only need REQUIRE_MUTATION_CONSENT=true
    forbid_auto_approve_mutating: true  # no mutating tool in autoApprove / an agent's allowedTools

Unset (or null) keys take their DEFAULTS: the safety switches default to strict, so a
missing key never loosens them; max_autonomy defaults to full (no cap), since the cap
depends on the phase and the caller knows it. Unknown keys are rejected (``description``
is allowed), so a misspelt safety switch cannot silently turn a check off.

Facts also hold the IDE's autonomy: a workspace's settings.json, else the user's
settings.json, else Kiro's default (Autopilot). Autopilot counts as
supervised_autonomous; under the cap ``manual`` nothing may act on its own at all
(enabled hooks or servers, agents' allowedTools, trusted commands).

How tool names are matched: a name is normalised (camelCase and kebab-case become
snake_case, lower case), then each pattern is tried against the whole name and
against every part of it that starts at a word boundary. So ``delete*`` catches
``delete_stack``, ``deleteStack``, ``kubectl_delete`` and ``eks_delete_cluster``
alike, which is what the ``*_delete*`` forms would otherwise have to spell out.
A name whose first word is a read verb (``get_``, ``list_``, ``describe_``,
``search_``, ``read_``: DEFAULT_READ_ONLY_PATTERNS, matched against the whole
normalised name) is never mutating, so ``get_created_resources`` or
``list_deleted_items`` are not flagged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

LEVELS = ("manual", "supervised", "conservative", "supervised_autonomous", "full")

# The IDE's Autopilot lets the agent act without asking: the supervised_autonomous level.
AUTOPILOT_LEVEL = "supervised_autonomous"

DEFAULT_MUTATING_PATTERNS = (
    # CRUD verbs
    "create*", "update*", "delete*", "put*", "patch*", "apply*", "write*", "remove*", "modify*",
    "edit*", "insert*", "upsert*", "replace*", "rename*", "move*", "upload*", "import*",
    # Written as whole words only: "set*"/"add*" would also catch "settings" or "address".
    "set", "set_*", "add", "add_*",
    # Capacity and lifecycle
    "scale*", "resize*", "terminate*", "destroy*", "drop*", "truncate*", "purge*", "kill*",
    "start*", "stop*", "restart*", "reboot*", "suspend*", "resume*", "cancel*",
    "enable*", "disable*", "reset*", "restore*", "rollback*", "rollout*", "drain*", "cordon*",
    "uncordon*", "evict*", "cleanup*",
    # Releases and source control
    "deploy*", "install*", "uninstall*", "upgrade*", "push*", "merge*", "fork*", "publish*",
    "sync*", "approve*", "submit*", "assign*", "dismiss*", "close*",
    # Access and wiring
    "attach*", "detach*", "associate*", "disassociate*", "register*", "deregister*",
    "grant*", "revoke*", "tag", "tag_*", "untag*",
    # Side effects without a CRUD verb: sending, invoking, running things
    "send*", "invoke*", "exec*", "rerun*", "shell",
    # Whole words: "run_query" is flagged too (a query tool that runs jobs can write results);
    # "running_pods" is not.
    "run", "run_*",
    # Generic "manage X" tools do create/update/delete by argument (awslabs eks manage_eks_stacks).
    "manage*",
    # call_aws (awslabs aws-api server) and use_aws (Kiro CLI built-in) run any AWS CLI
    # command, mutating ones included: mutating unless the server is read-only.
    "call_aws", "use_aws",
)

DEFAULT_READ_ONLY_PATTERNS = (
    "get", "get_*", "list", "list_*", "describe", "describe_*", "search", "search_*", "read", "read_*",
)

DEFAULTS = {
    "max_autonomy": "full",
    "mutating_tool_patterns": list(DEFAULT_MUTATING_PATTERNS),
    "read_only_tool_patterns": list(DEFAULT_READ_ONLY_PATTERNS),
    "approved_mcp_servers": None,
    "allow_trust_all_commands": False,
    "require_mutation_consent": True,
    "forbid_auto_approve_mutating": True,
}
_BOOLS = ("allow_trust_all_commands", "require_mutation_consent", "forbid_auto_approve_mutating")
_PATTERN_LISTS = ("mutating_tool_patterns", "read_only_tool_patterns")
_DOC_KEYS = ("description",)

RULES = ("auto_approve_mutating", "trust_all_commands", "write_without_consent", "unapproved_server",
         "autonomy_above_cap", "unreadable_config")


# The rollout plan's path: the highest autonomy each environment may have at each
# phase. An environment a phase does not deploy to stays manual.
ENVIRONMENTS = ("development", "staging", "production")
PLAN_CAPS = {
    0: {},
    1: {"development": "supervised"},
    2: {"development": "supervised_autonomous"},
    3: {"development": "supervised_autonomous", "staging": "supervised_autonomous"},
    4: {"development": "supervised_autonomous", "staging": "supervised_autonomous", "production": "conservative"},
    5: {"development": "full", "staging": "full", "production": "full"},
}


def plan_cap(environment, phase):
    """The autonomy level the rollout plan gives ``environment`` at ``phase``."""
    if phase not in PLAN_CAPS:
        raise KiroValidationError("phase", "must be 0..5, not %r" % (phase,))
    return PLAN_CAPS[phase].get(environment, "manual")


def effective(policy, environment, phase):
    """The environment's policy with max_autonomy lowered to the plan's cap at ``phase``."""
    policy = validate(policy)
    cap = plan_cap(environment, phase)
    if autonomy_rank(cap) < autonomy_rank(policy["max_autonomy"]):
        policy["max_autonomy"] = cap
    return policy


def check_level(level, variable="autonomy level"):
    """``level`` when it is an autonomy level; else KiroValidationError naming ``variable``."""
    if not isinstance(level, str) or level not in LEVELS:
        raise KiroValidationError(variable, "%r is not an autonomy level; use one of %s" % (level, ", ".join(LEVELS)))
    return level


def autonomy_rank(level):
    """0 (manual) .. 4 (full); raises KiroValidationError for an unknown level."""
    if level not in LEVELS:
        raise KiroValidationError("autonomy level", "%r is not one of %s" % (level, ", ".join(LEVELS)))
    return LEVELS.index(level)


def _strings(value, key):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise KiroValidationError("policy.%s" % key, "must be a list of non-empty strings")
    return list(value)


def validate(policy):
    """Return the policy with defaults filled in; raise KiroValidationError naming the bad key."""
    if policy is None:
        policy = {}
    if not isinstance(policy, dict):
        raise KiroValidationError("policy", "must be a mapping")
    unknown = sorted(set(policy) - set(DEFAULTS) - set(_DOC_KEYS))
    if unknown:
        raise KiroValidationError("policy", "unknown key(s) %s; known: %s"
                                  % (", ".join(str(k) for k in unknown), ", ".join(sorted(DEFAULTS))))
    out = dict((key, list(val) if isinstance(val, list) else val) for key, val in DEFAULTS.items())
    for key in policy:
        if key in _DOC_KEYS or policy[key] is None and key != "approved_mcp_servers":
            continue
        value = policy[key]
        if key == "max_autonomy":
            if value not in LEVELS:
                raise KiroValidationError("policy.max_autonomy",
                                          "must be one of %s, not %r" % (", ".join(LEVELS), value))
        elif key in _PATTERN_LISTS:
            value = _strings(value, key)
        elif key == "approved_mcp_servers":
            value = None if value is None else _strings(value, key)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise KiroValidationError("policy.%s" % key, "must be true or false, not %r" % (value,))
        out[key] = value
    return out


def normalise_tool_name(name):
    """``createStack`` / ``create-stack`` / ``Create.Stack`` -> ``create_stack``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9*]+", "_", name.lower()).strip("_")


def _word_tails(normalised):
    parts = normalised.split("_")
    return ["_".join(parts[i:]) for i in range(len(parts))]


def _any_match(candidates, patterns):
    for pattern in patterns:
        pattern = pattern.lower()
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern):
                return pattern
    return None


def mutating_pattern(tool, policy):
    """The pattern that makes ``tool`` mutating under ``policy`` (validated), or None."""
    name = str(tool).rsplit("/", 1)[-1]  # "@server/tool" in an agent's allowedTools
    normalised = normalise_tool_name(name)
    if not normalised:
        return None
    if _any_match([normalised], policy["read_only_tool_patterns"]):
        return None
    return _any_match([name.lower(), normalised] + _word_tails(normalised), policy["mutating_tool_patterns"])


def is_mutating(tool, policy=None):
    """True when ``tool`` matches a mutating pattern of ``policy`` (default: DEFAULTS)."""
    return mutating_pattern(tool, validate(policy)) is not None


def _error_item(message):
    # Facts errors are KiroError messages that start with the file's path.
    head = str(message).split(": ", 1)[0]
    return head if head.startswith("/") or head.startswith("~") else "config"


def _trusts_all(commands):
    """True when a trusted-command entry is only wildcards ("*"): every command is trusted."""
    return any(isinstance(c, str) and c.strip() and not c.strip().strip("*") for c in commands or [])


def _effective_autonomy(root, user):
    """The IDE autonomy that applies to a workspace: its settings, else the user's, else Kiro's default."""
    settings = root.get("autonomy") or {}
    if settings.get("agent_autonomy"):
        return settings["agent_autonomy"], settings.get("path") or "settings.json"
    if user and user.get("agent_autonomy"):
        return user["agent_autonomy"], user.get("path") or "user settings.json"
    return None, settings.get("path") or "settings.json"


def _check_servers(root, policy, add):
    approved = policy["approved_mcp_servers"]
    for server in root.get("mcp_servers") or []:
        if server.get("disabled"):
            continue
        name = server.get("name")
        item = "mcpServers.%s" % name
        if policy["forbid_auto_approve_mutating"]:
            for tool in server.get("auto_approve") or []:
                if tool.strip() == "*":
                    if server.get("read_only") is not True:
                        add("auto_approve_mutating", "%s.autoApprove.*" % item,
                            "autoApprove '*' approves every tool of %s, which is not known to be read-only" % name)
                    continue
                pattern = mutating_pattern(tool, policy)
                if pattern:
                    add("auto_approve_mutating", "%s.autoApprove.%s" % (item, tool),
                        "mutating tool %s of %s is auto-approved (matches %r)" % (tool, name, pattern))
        if policy["require_mutation_consent"] and server.get("read_only") is not True \
                and not server.get("mutation_consent"):
            why = "has write access" if server.get("read_only") is False else "is not known to be read-only"
            add("write_without_consent", item,
                "enabled server %s %s and does not require mutation consent "
                "(set REQUIRE_MUTATION_CONSENT=true or run it read-only)" % (name, why))
        if approved is not None and name not in approved:
            add("unapproved_server", item, "enabled server %s is not on the approved list" % name)


def _check_agents(root, policy, add):
    approved = policy["approved_mcp_servers"]
    for agent in root.get("agents") or []:
        name = agent.get("name")
        if policy["forbid_auto_approve_mutating"]:
            for tool in agent.get("allowed_tools") or []:
                pattern = mutating_pattern(tool, policy)
                if pattern:
                    add("auto_approve_mutating", "agents.%s.allowedTools.%s" % (name, tool),
                        "agent %s runs mutating tool %s without asking (matches %r)" % (name, tool, pattern))
        if approved is not None:
            for server in agent.get("mcp_servers") or []:
                if server not in approved:
                    add("unapproved_server", "agents.%s.mcpServers.%s" % (name, server),
                        "agent %s runs MCP server %s, which is not on the approved list" % (name, server))


def _check_manual(root, add):
    """Under the cap ``manual`` nothing may act on its own (the lockdown state)."""
    for hook in root.get("hooks") or []:
        if hook.get("enabled"):
            add("autonomy_above_cap", "hooks.%s" % hook.get("name"), "hook is enabled under the cap manual")
    for server in root.get("mcp_servers") or []:
        if not server.get("disabled"):
            add("autonomy_above_cap", "mcpServers.%s" % server.get("name"),
                "MCP server is enabled under the cap manual")
    for agent in root.get("agents") or []:
        if agent.get("allowed_tools"):
            add("autonomy_above_cap", "agents.%s.allowedTools" % agent.get("name"),
                "agent runs tools without asking under the cap manual")
    for workflow in root.get("workflows") or []:
        if workflow.get("enabled"):
            add("autonomy_above_cap", "workflows.%s" % workflow.get("name"),
                "scheduled agent workflow runs on a schedule under the cap manual")
    if ((root.get("autonomy") or {}).get("trusted_commands")):
        add("autonomy_above_cap", "kiroAgent.trustedCommands", "trusted commands are set under the cap manual")


def _check_autonomy(root, policy, user, add):
    """A workspace's IDE settings: trusted commands and the Autopilot/Supervised switch."""
    settings = root.get("autonomy") or {}
    if not policy["allow_trust_all_commands"] and _trusts_all(settings.get("trusted_commands")):
        add("trust_all_commands", "kiroAgent.trustedCommands",
            "%s trusts every shell command ('*')" % (settings.get("path") or "settings.json"))
    if autonomy_rank(policy["max_autonomy"]) >= autonomy_rank(AUTOPILOT_LEVEL):
        return
    level, where = _effective_autonomy(root, user)
    if level == "Supervised":
        return
    if level == "Autopilot":
        detail = "%s sets Autopilot" % where
    else:
        detail = "kiroAgent.agentAutonomy is %s in %s, so Kiro runs in Autopilot" % (
            "not set" if level is None else "%r" % level, where)
    add("autonomy_above_cap", "kiroAgent.agentAutonomy", "%s, above the cap %s" % (detail, policy["max_autonomy"]))


def violations(facts, policy, host=None):
    """Every way ``facts`` (facts.gather() output) breaks ``policy``: [{host, root, item, rule, detail}]."""
    policy = validate(policy)
    out = []
    facts = facts or {}
    user = facts.get("user_settings")

    def adder(root_path):
        def add(rule, item, detail):
            out.append({"host": host, "root": root_path, "item": item, "rule": rule, "detail": detail})
        return add

    for root in facts.get("roots") or []:
        add = adder(root.get("path"))
        for message in root.get("errors") or []:
            add("unreadable_config", _error_item(message), message)
        _check_servers(root, policy, add)
        _check_agents(root, policy, add)
        if root.get("scope", "workspace") == "workspace":
            _check_autonomy(root, policy, user, add)
        if policy["max_autonomy"] == "manual":
            _check_manual(root, add)
    if user:
        add = adder(user.get("path"))
        for message in user.get("errors") or []:
            add("unreadable_config", _error_item(message), message)
        if not policy["allow_trust_all_commands"] and _trusts_all(user.get("trusted_commands")):
            add("trust_all_commands", "kiroAgent.trustedCommands",
                "%s trusts every shell command ('*')" % (user.get("path") or "user settings.json"))
    return out
