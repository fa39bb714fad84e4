"""Every option that can carry a secret is no_log, or its secrets reach the no_log
``secret_values`` before the module runs: walked over the argument spec of every module
(and of every action plugin that validates its own arguments)."""

import glob
import importlib
import json
import os
import re

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.testing import patch_module_args

from ansible_collections.kiro.platform.plugins.plugin_utils import argspec as plugin_argspec

MODULES = os.path.join(os.path.dirname(os.path.abspath(plugin_argspec.__file__)), "..", "modules")
NAMES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MODULES, "*.py")))

# An option named like this may hold a secret.
SECRET_NAME = re.compile(r"(^|_)env($|_)|header|token|passw|secret|key|webhook|url|(^|_)api|credential|auth|cookie|cert|config")

# Options that are not secrets despite their name or free-form type: "module option path": reason.
# A path is "<module>:<option>[.<suboption>...]".
ALLOWED = {
    "*:kiro_home": "a directory path",
    "*:secret_values": "itself no_log (checked separately)",
    "*:mcp_servers.secret_env": "no_log",
    "kill_switch:clusters.kubeconfig": "the path of a kubeconfig file, not its content",
    "kill_switch:clusters.ca_file": "the path of a CA bundle (public)",
    "kill_switch:clusters.verify_tls": "a switch",
    "kill_switch:endpoint_url": "an AWS endpoint; credentials are the aws_* options (no_log)",
    "ledger:endpoint_url": "an AWS endpoint; credentials are the aws_* options (no_log)",
    "notify:channels.endpoint_url": "an AWS endpoint; credentials are the aws_* options (no_log)",
    "kill_switch:iam_roles": "role names",
    "kill_switch:policy_name": "an IAM policy name",
    "autonomy:permissions.match": "permission rule globs (what a rule matches), shown for review",
    "autonomy:permissions.exclude": "permission rule globs, shown for review",
    "profile:policy": "the safety policy (limits and denylists), never written to a Kiro file",
    "gate:criteria": "controller-side: evaluated by the action, which prints no invocation; provider "
                     "credentials belong in providers (no_log) and reports go through common/secrets",
    "gate:overrides": "controller-side: threshold overrides (numbers), no invocation is printed",
    "gate:policy": "controller-side: the safety policy, no invocation is printed",
    "incident:summary": "controller-side: the emergency_summary filter's output (host names, counts)",
    "incident:notifications": "controller-side: kiro.platform.notify's results, already redacted",
    "incident:ledgers": "controller-side: ledger entries as read back (evidence), not connection settings",
    "ledger:details": "controller-side: the entry's evidence (reason, approver, ...), recorded as given",
    "ledger:report_sha256": "a digest",
    "ledger:key_file": "the path of the MAC key file, not the key (the key itself is the no_log option key)",
    "ledger:kms_key_id": "a KMS key id or alias: a name, the key never leaves KMS",
    "ledger:key_create": "a switch",
    "notify:payload": "controller-side: the message itself, sent as given and not printed",
}

# Options whose secrets the action plugin passes in secret_values: for each, task arguments with a
# secret (PROBE) at that path, as a playbook would give them, and a non-secret (VISIBLE) beside it.
PROBE = "pr0be-S3cret-val"
VISIBLE = "visible-marker"
_AGENT = {"name": VISIBLE, "config": {"description": VISIBLE, "tools": ["read"],
                                      "mcpServers": {"x": {"command": "uvx", "env": {"TOKEN": PROBE, "ON": "1"},
                                                           "headers": {"Authorization": "Bearer " + PROBE}}}}}
_SERVER_EXTRA = {"name": VISIBLE, "command": "uvx",
                 "extra": {"env": {"API_TOKEN": PROBE}, "note": VISIBLE},
                 "oauth": {"clientId": VISIBLE, "clientSecret": PROBE}}
# An env or header value that is not a switch or a ${VAR} is a secret (common/secrets), so the
# visible parts are the names and switches.
_SERVER_PLAIN = {"name": VISIBLE, "command": "uvx", "env": {"TOKEN": PROBE, "READ_ONLY": "true"}}
_SERVER_REMOTE = {"name": VISIBLE, "url": "https://mcp.example/v1?key=%s" % PROBE,
                  "headers": {"Authorization": "Bearer " + PROBE, "X-Mode": "1"}}
_HOOK = {"name": VISIBLE, "when": {"type": "userTriggered"},
         "then": {"type": "runCommand", "command": "curl -H 'Authorization: Bearer %s' https://%s" % (PROBE, VISIBLE)}}
_STEERING = {"name": VISIBLE, "content": "Use token=%s for %s" % (PROBE, VISIBLE)}
_SETTINGS = {"kiroAgent.mcp.apiToken": PROBE, "kiroAgent.note": VISIBLE}
_MCP_PATHS = {"mcp_servers.env": _SERVER_PLAIN, "mcp_servers.headers": _SERVER_REMOTE,
              "mcp_servers.url": _SERVER_REMOTE, "mcp_servers.secret_url": _SERVER_REMOTE,
              "mcp_servers.secret_headers": _SERVER_REMOTE,
              "mcp_servers.extra": _SERVER_EXTRA, "mcp_servers.oauth": _SERVER_EXTRA}
WS = {"workspaces": ["/srv/" + VISIBLE]}
SCREENED = {
    "agents": {"agents.config": dict(WS, agents=[_AGENT])},
    "mcp_servers": dict((path, dict(WS, mcp_servers=[server])) for path, server in _MCP_PATHS.items()),
    "hooks": {"hooks.when": dict(WS, hooks=[_HOOK]), "hooks.then": dict(WS, hooks=[_HOOK])},
    "steering": {"steering.content": dict(WS, steering=[_STEERING])},
    "autonomy": {"settings": dict(WS, settings=_SETTINGS)},
    "profile": dict(
        [("agents.config", dict(WS, agents=[_AGENT])),
         ("user", dict(WS, kiro_home="/home/" + VISIBLE, user={"agents": [_AGENT], "mcp_servers": [_SERVER_EXTRA]})),
         ("autonomy", dict(WS, autonomy={"settings": _SETTINGS})),
         ("hooks.when", dict(WS, hooks=[_HOOK])), ("hooks.then", dict(WS, hooks=[_HOOK])),
         ("steering.content", dict(WS, steering=[_STEERING]))]
        + [(path, dict(WS, mcp_servers=[server])) for path, server in _MCP_PATHS.items()]),
}


class _Built(Exception):
    pass


def _import(kind, name):
    try:
        return importlib.import_module("ansible_collections.kiro.platform.plugins.%s.%s" % (kind, name))
    except ImportError:
        return None


def module_spec(name):
    """The argument spec a module's main() gives AnsibleModule, or None for a doc-only module."""
    module = _import("modules", name)
    if not hasattr(module, "main"):
        return None

    class Capture:
        def __init__(self, argument_spec=None, **_unused):
            raise _Built(argument_spec)

    saved = module.AnsibleModule
    module.AnsibleModule = Capture
    try:
        module.main()
    except _Built as built:
        return built.args[0]
    finally:
        module.AnsibleModule = saved
    raise AssertionError("%s: main() did not build an AnsibleModule" % name)


def specs():
    """(label, module name, spec) for every module and every action that validates its own arguments."""
    out = []
    for name in NAMES:
        spec = module_spec(name)
        if spec is not None:
            out.append(("module " + name, name, spec))
        action = _import("action", name)
        cls = getattr(action, "ActionModule", None)
        if getattr(cls, "MODULE", None) is not None:
            out.append(("action " + name, name, plugin_argspec.from_module(cls.MODULE, no_log=cls.NO_LOG)))
        elif cls is not None and "argument_spec" in vars(cls):
            out.append(("action " + name, name, cls.argument_spec()))
    return out


def walk(spec, prefix=""):
    for option, entry in spec.items():
        path = prefix + option
        yield path, option, entry
        if entry.get("options"):
            yield from walk(entry["options"], path + ".")


def secret_capable(option, entry):
    """By name, or by type: a free-form mapping (or raw value) whose content is passed on as given."""
    free_form = not entry.get("options") and (
        entry.get("type") in ("dict", "raw") or (entry.get("type") == "list" and entry.get("elements") in ("dict", "raw")))
    return bool(SECRET_NAME.search(option.lower())) or free_form


def unprotected(name, spec):
    """The secret-capable option paths of ``spec`` that are neither no_log, screened nor allowed."""
    screened = SCREENED.get(name, {})
    has_channel = (spec.get("secret_values") or {}).get("no_log") is True
    out = []
    for path, option, entry in walk(spec):
        if not secret_capable(option, entry) or entry.get("no_log"):
            continue
        if "%s:%s" % (name, path) in ALLOWED or "*:" + path in ALLOWED:
            continue
        if has_channel and path in screened:
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("label,name,spec", specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_secret_capable_option_is_protected(label, name, spec):
    assert unprotected(name, spec) == [], (
        "%s: these options may carry a secret but are not no_log: declare them no_log, or pass their secrets "
        "in the no_log secret_values (and add a probe to SCREENED), or add them to ALLOWED with a reason" % label)


def test_the_walk_finds_what_it_should():
    """The checker itself: a secret-named or free-form option without protection is reported."""
    spec = {"name": {"type": "str"}, "api_token": {"type": "str"},
            "items": {"type": "list", "elements": "dict",
                      "options": {"extra": {"type": "dict"}, "password": {"type": "str", "no_log": True}}}}
    assert unprotected("nothing", spec) == ["api_token", "items.extra"]


def test_allowed_entries_exist():
    """Every allow-list entry names an option that exists (a stale entry would hide a new one)."""
    paths = set()
    for _label, name, spec in specs():
        paths.update("%s:%s" % (name, path) for path, _option, _entry in walk(spec))
        paths.update("*:%s" % path for path, _option, _entry in walk(spec))
    assert sorted(set(ALLOWED) - paths) == []
    for name, probes in SCREENED.items():
        spec = module_spec(name)
        assert sorted(set(probes) - set(path for path, _option, _entry in walk(spec))) == [], name


def _run_action(action, name, args):
    cls = _import("action", name).ActionModule
    plugin = action(cls, args, transport="ssh")
    calls = []
    plugin._execute_module = lambda **kwargs: calls.append(kwargs) or {}
    plugin._remove_tmp_path = lambda *_unused: None
    plugin.run(task_vars={})
    assert calls and calls[0]["module_name"] == "kiro.platform." + name
    return calls[0]["module_args"]


def _module_output(name, module_args):
    """What Ansible prints and logs for these arguments: the module's real AnsibleModule, built with
    its real spec: (the -vvv invocation and result masking, the syslog message)."""
    module = _import("modules", name)
    logged = []

    class Real(basic.AnsibleModule):
        def __init__(self, *args, **kwargs):
            super(Real, self).__init__(*args, **kwargs)
            raise _Built(self)

        def log(self, msg, log_args=None):
            logged.append(msg)

    saved = module.AnsibleModule
    module.AnsibleModule = Real
    real = None
    try:
        with patch_module_args(module_args):
            module.main()
    except _Built as built:
        real = built.args[0]
    finally:
        module.AnsibleModule = saved
    assert real is not None, "%s never built its AnsibleModule" % module.__name__
    invocation = json.dumps(remove_values({"invocation": {"module_args": real.params}}, real.no_log_values))
    return real, invocation, " ".join(logged)


@pytest.mark.parametrize("name,path", [(n, p) for n in sorted(SCREENED) for p in sorted(SCREENED[n])])
def test_screened_option_secret_is_masked_and_the_rest_stays(action, name, path):
    args = SCREENED[name][path]
    sent = _run_action(action, name, args)
    assert PROBE in json.dumps(sent), "the module must still get the secret"
    real, invocation, syslog = _module_output(name, sent)
    assert PROBE in json.dumps(real.params)
    assert PROBE not in invocation, "%s.%s: the secret is in the -vvv invocation" % (name, path)
    assert PROBE not in syslog, "%s.%s: the secret is logged to syslog" % (name, path)
    # Reviewable: the names, paths and plain values are not masked with it.
    assert VISIBLE in invocation and VISIBLE in syslog


def test_secret_values_given_by_hand_are_kept():
    from ansible_collections.kiro.platform.plugins.plugin_utils.secret_args import with_secret_values

    args = with_secret_values({"agents": [{"name": "a", "config": {"note": "odd-secret-shape"}}],
                               "secret_values": ["odd-secret-shape"]})
    assert args["secret_values"] == ["odd-secret-shape"]
    assert with_secret_values({"agents": []}) == {"agents": []}
