# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mcp_probe: a real MCP handshake (initialize + tools/list) with every configured server.

    - name: mcp_integrations_operational
      provider: mcp_probe
      config: .kiro/settings/mcp.json      # a path or a list (relative to the gate's base_dir);
                                           # later files win per server name, as Kiro's do
      # servers: {aws-api: {command: uvx, args: [...]}}   # or an inline mcpServers mapping
      include_disabled: false              # disabled servers are skipped (the default)
      exclude: [github]                    # servers not to probe from here (e.g. unreachable)
      expect_tools: {aws-api: [call_aws]}  # a server lacking one of these is not operational
      pass: "== 1"

Local servers are started over stdio with their ``command``/``args`` and their
``env`` laid over a minimal environment (PATH, HOME, ...: the SDK's default);
remote ones (``url``) are reached with the SDK's streamable HTTP client, with
their ``headers``. ``${VAR}`` in env, headers, args and url is expanded only for
the variables named in the provider setting ``approved_env_vars`` (as Kiro does
with ``kiroAgent.mcpApprovedEnvVars``). All servers are probed at once, each
within the provider ``timeout`` (default 10 s).

A server counts as operational only when the handshake and the tool listing
complete. A server that fails or hangs is killed with its whole process tree
(SIGKILL, no grace period: it has already failed) and nothing it started is
left behind. Results never hold env values, header values or URL credentials;
error messages are scrubbed of them, even when a server prints them itself.

value = operational / probed; samples = probed;
details = raw = {server: {operational, tools, error, seconds, transport}}.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import json
import os
import re
import signal
import tempfile
import threading
import time
import uuid

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets as secrets_mod
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider
from ansible_collections.kiro.platform.plugins.module_utils.kiro import mcp as kiro_mcp

from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError

# Every process a probe starts carries this variable (a fresh value per probe), so the
# probe can find and kill the server and anything it spawned, even in another session.
MARKER_VAR = "KIRO_MCP_PROBE_ID"
STDERR_TAIL = 400
MAX_TOOL_PAGES = 100
_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What a failed probe may raise: a group of BaseExceptions (a cancelled task group) is a failure too.
try:
    _FAILURES = (Exception, BaseExceptionGroup)  # noqa: F821 (Python 3.11+)
except NameError:
    _FAILURES = (Exception,)
_STAGES = {"start": "start-up", "initialize": "the initialize handshake", "tools/list": "tools/list"}


class ProbeFailed(PlatformError):
    """One server is not operational; the message is already free of secrets."""


def _sdk():
    try:
        import anyio
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared.exceptions import MCPError
        from mcp.types import PaginatedRequestParams
    except ImportError as exc:
        raise ProviderError("the mcp_probe provider needs the Python MCP SDK on the controller "
                            "(pip install 'mcp>=2.3'): %s" % exc, retryable=False)
    return {"anyio": anyio, "ClientSession": ClientSession, "StdioServerParameters": StdioServerParameters,
            "stdio_client": stdio_client, "streamable_http_client": streamable_http_client, "MCPError": MCPError,
            "PaginatedRequestParams": PaginatedRequestParams}


def _marked_pids(marker):
    """Pids of the live processes whose environment carries ``marker`` (Linux /proc; [] elsewhere)."""
    needle = ("%s=%s" % (MARKER_VAR, marker)).encode("ascii")
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    pids = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as handle:
                data = handle.read()
        except (IOError, OSError):
            continue  # gone, or not ours
        if needle in data.split(b"\0"):
            pids.append(int(entry))
    return pids


def kill_marked(marker):
    """SIGKILL every process started by the probe ``marker``, and their process groups."""
    own_group = os.getpgrp()
    killed = []
    for pid in _marked_pids(marker):
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        killed.append(pid)
    return killed


def _leaves(exc):
    """The exceptions inside (nested) exception groups."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        out = []
        for item in inner:
            out.extend(_leaves(item))
        return out
    return [exc]


def _workspace_of(path):
    """The workspace a ``<ws>/.kiro/settings/mcp.json`` belongs to (servers start there), or None."""
    parts = os.path.normpath(path).split(os.sep)
    if len(parts) > 3 and parts[-3:-1] == [".kiro", "settings"]:
        return os.sep.join(parts[:-3]) or os.sep
    return None


class McpProbeProvider(Provider):
    name = "mcp_probe"
    optional = ("config", "servers", "include_disabled", "expect_tools", "exclude")
    settings_keys = ("approved_env_vars",)

    def __init__(self, settings=None):
        super(McpProbeProvider, self).__init__(settings)
        approved = self.settings.get("approved_env_vars") or []
        if not isinstance(approved, list) or not all(isinstance(v, str) for v in approved):
            raise CriterionError("providers.mcp_probe", "approved_env_vars must be a list of variable names")
        self.approved_env_vars = set(approved)

    # -- validation ---------------------------------------------------------------------------

    def validate(self, criterion):
        super(McpProbeProvider, self).validate(criterion)
        params = criterion.params
        config, servers = params.get("config"), params.get("servers")
        if (config in (None, "", [])) == (servers in (None, {})):
            raise CriterionError(criterion.name, "provider mcp_probe needs exactly one of 'config' (the path of "
                                                 "an mcp.json, or a list of them) or 'servers' (an inline "
                                                 "mcpServers mapping)")
        if config is not None:
            paths = [config] if isinstance(config, str) else config
            if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
                raise CriterionError(criterion.name, "config must be a path or a list of paths to mcp.json files")
        if servers is not None:
            self._inline(criterion)
        if not isinstance(params.get("include_disabled", False), bool):
            raise CriterionError(criterion.name, "include_disabled must be true or false")
        exclude = params.get("exclude")
        if exclude is not None and not (isinstance(exclude, list) and all(isinstance(n, str) for n in exclude)):
            raise CriterionError(criterion.name, "exclude must be a list of server names")
        expect = params.get("expect_tools")
        if expect is not None and not (isinstance(expect, dict) and all(
                isinstance(tools, list) and all(isinstance(t, str) and t for t in tools) for tools in expect.values())):
            raise CriterionError(criterion.name, "expect_tools must map server names to lists of tool names")

    def _inline(self, criterion):
        servers = criterion.params["servers"]
        if not isinstance(servers, dict):
            raise CriterionError(criterion.name, "servers must be a mapping shaped like mcp.json's mcpServers")
        try:
            text = json.dumps({"mcpServers": servers})
            return kiro_mcp.parse(text, "criterion %s: servers" % criterion.name)["mcpServers"]
        except (TypeError, ValueError) as exc:
            raise CriterionError(criterion.name, "servers must be JSON-like data: %s" % exc)
        except KiroError as exc:
            raise CriterionError(criterion.name, str(exc))

    # -- what to probe ------------------------------------------------------------------------

    def servers(self, criterion, context):
        """[(name, server, cwd)] to consider; later config files win per name."""
        base = context.base_dir or "."
        default_cwd = base if os.path.isdir(base) else None
        if criterion.params.get("servers") is not None:
            return [(name, server, default_cwd) for name, server in self._inline(criterion).items()]
        config = criterion.params["config"]
        merged = {}
        for path in [config] if isinstance(config, str) else config:
            full = os.path.normpath(os.path.join(base, os.path.expanduser(path)))
            try:
                _, doc = kiro_mcp.read(full)
            except KiroError as exc:
                raise ProviderError(str(exc), retryable=False)
            except (IOError, OSError) as exc:
                raise ProviderError("%s: %s" % (full, exc.strerror or exc), retryable=False)
            if doc is None:
                raise ProviderError("%s: no such file (config of criterion %s)" % (full, criterion.name),
                                    retryable=False)
            cwd = _workspace_of(full) or default_cwd
            for name, server in doc["mcpServers"].items():
                merged.pop(name, None)
                merged[name] = (server, cwd)
        return [(name, server, cwd) for name, (server, cwd) in merged.items()]

    # -- measuring ----------------------------------------------------------------------------

    def measure(self, criterion, context):
        params = criterion.params
        excluded = set(params.get("exclude") or [])
        configured = [entry for entry in self.servers(criterion, context) if entry[0] not in excluded]
        targets = [(name, server, cwd) for name, server, cwd in configured
                   if params.get("include_disabled", False) or not server.get("disabled", False)]
        results = {}
        if targets:
            sdk = _sdk()
            results = _run(lambda: self._probe_all(sdk, targets))
        specs = dict((name, server) for name, server, _ in configured)
        for name, wanted in (params.get("expect_tools") or {}).items():
            result = results.get(name)
            if result is None:
                why = "is disabled" if name in specs else "is not configured"
                results[name] = {"operational": False, "tools": [], "seconds": 0.0, "transport": None,
                                 "error": "tools %s are expected, but the server %s" % (", ".join(wanted), why)}
                continue
            if not result["operational"]:
                continue
            # A tool in the config's disabledTools is one Kiro will not use: as good as missing.
            hidden = set(specs[name].get("disabledTools") or [])
            missing = [tool for tool in wanted if tool not in result["tools"]]
            disabled = [tool for tool in wanted if tool in hidden and tool not in missing]
            problems = []
            if missing:
                problems.append("does not offer the expected tool(s) %s" % ", ".join(missing))
            if disabled:
                problems.append("has the expected tool(s) %s in disabledTools" % ", ".join(disabled))
            if problems:
                result["operational"] = False
                result["error"] = "; ".join(problems)
        if not results:
            return Measurement(value=None, samples=0, raw={}, details={})
        operational = sum(1 for r in results.values() if r["operational"])
        return Measurement(value=float(operational) / len(results), samples=len(results),
                           raw=results, details=results)

    async def _probe_all(self, sdk, targets):
        outcomes = await asyncio.gather(*[self._probe(sdk, name, server, cwd) for name, server, cwd in targets])
        return dict((name, outcome) for (name, _, _), outcome in zip(targets, outcomes))

    async def _probe(self, sdk, name, server, cwd):
        started = time.monotonic()
        secrets = secrets_mod.Scrubber()
        transport = "remote" if server.get("url") else "stdio"
        state = {"stage": "start", "tools": None, "answered": None}
        error = None
        try:
            if server.get("url"):
                await self._remote(sdk, server, secrets, state)
            elif server.get("command"):
                await self._stdio(sdk, server, cwd, secrets, state)
            else:
                raise ProbeFailed("neither command (local server) nor url (remote server) is set")
        except ProbeFailed as exc:
            error = str(exc)
        except _FAILURES as exc:  # a probe bug must not hide the other servers' results
            error = "%s: %s" % (type(exc).__name__, exc)
        error = secrets.scrub(error)
        # An operational server's time is its handshake's (tools listed); a failed one's, the whole probe.
        finished = state["answered"] if error is None else time.monotonic()
        return {"operational": error is None, "tools": state["tools"] if error is None else [],
                "error": error, "seconds": round(finished - started, 3), "transport": transport}

    def _expand(self, value, secrets, key=None):
        """``${VAR}`` for approved variables; the value is remembered as a secret where it is one."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise ProbeFailed("%s must be a string" % (key or "a value"))

        def sub(match):
            var = match.group(1)
            if var in self.approved_env_vars and var in os.environ:
                return os.environ[var]
            return match.group(0)

        expanded = _VAR_REF.sub(sub, value)
        if expanded != value:
            secrets.add(expanded)
        if key is not None and secrets_mod.value(key, value) != value:
            secrets.add(value)
        return expanded

    def _mapping(self, server, field, secrets):
        values = server.get(field) or {}
        if not isinstance(values, dict):
            raise ProbeFailed("%s must be a mapping" % field)
        # Collect every secret first, so an error about one value cannot show another.
        for key, value in values.items():
            if isinstance(value, str) and secrets_mod.value(key, value) != value:
                secrets.add(value)
        return dict((str(key), self._expand(value, secrets, key)) for key, value in values.items())

    async def _stdio(self, sdk, server, cwd, secrets, state):
        env = self._mapping(server, "env", secrets)
        args = server.get("args") or []
        if not isinstance(args, list):
            raise ProbeFailed("args must be a list of strings")
        args = [self._expand(arg, secrets, None) for arg in args]
        command = self._expand(server["command"], secrets, None)
        marker = uuid.uuid4().hex
        env[MARKER_VAR] = marker
        anyio = sdk["anyio"]
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as errlog:
            params = sdk["StdioServerParameters"](command=command, args=args, env=env, cwd=cwd)
            try:
                with anyio.fail_after(self.timeout):
                    async with sdk["stdio_client"](params, errlog=errlog) as (read, write):
                        try:
                            await self._handshake(sdk, read, write, state)
                        except BaseException:
                            # Failed or hung: kill it now instead of the SDK's graceful
                            # close-stdin / SIGTERM / SIGKILL sequence (up to 4 s more).
                            kill_marked(marker)
                            raise
            except _FAILURES as exc:
                if state["tools"] is None:
                    raise ProbeFailed(self._explain(sdk, exc, state["stage"], command, _tail(errlog)))
            finally:
                kill_marked(marker)  # whatever the server left behind

    async def _remote(self, sdk, server, secrets, state):
        import httpx2  # the HTTP client the MCP SDK itself uses

        url = self._expand(server["url"], secrets, None)
        secrets.add(url, secrets_mod.url(url))
        headers = self._mapping(server, "headers", secrets)
        anyio = sdk["anyio"]
        try:
            with anyio.fail_after(self.timeout):
                async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(self.timeout)) as http:
                    async with sdk["streamable_http_client"](url, http_client=http) as (read, write):
                        await self._handshake(sdk, read, write, state)
        except _FAILURES as exc:
            if state["tools"] is None:
                raise ProbeFailed(self._explain(sdk, exc, state["stage"], secrets_mod.url(url), None))

    async def _handshake(self, sdk, read, write, state):
        async with sdk["ClientSession"](read, write) as session:
            state["stage"] = "initialize"
            await session.initialize()
            state["stage"] = "tools/list"
            names, cursor = [], None
            for _ in range(MAX_TOOL_PAGES):
                params = sdk["PaginatedRequestParams"](cursor=cursor) if cursor else None
                listing = await session.list_tools(params=params)
                names.extend(tool.name for tool in listing.tools)
                cursor = listing.next_cursor
                if not cursor:
                    break
            state["tools"] = sorted(set(names))
            state["answered"] = time.monotonic()

    def _explain(self, sdk, exc, stage, target, stderr):
        leaves = _leaves(exc)
        where = _STAGES.get(stage, stage)
        if isinstance(exc, TimeoutError) or any(isinstance(e, TimeoutError) for e in leaves):
            message = "no answer within %.1f s (stuck in %s)" % (self.timeout, where)
        else:
            leaf = next((e for e in leaves if not isinstance(e, asyncio.CancelledError)), leaves[0])
            if isinstance(leaf, OSError) and stage == "start":
                message = "cannot start %s: %s" % (target, leaf.strerror or leaf)
            elif type(leaf).__name__ in ("ConnectError", "ConnectTimeout"):
                message = "cannot connect to %s: %s" % (target, leaf)
            elif isinstance(leaf, sdk["MCPError"]) and "closed" in str(leaf).lower():
                message = "the server closed the connection during %s" % where
            else:
                message = "%s during %s: %s" % (type(leaf).__name__, where, leaf)
        if stderr:
            message += "; stderr: %s" % stderr
        return message


def _tail(handle):
    try:
        handle.flush()
        handle.seek(0)
        text = handle.read()
    except (IOError, OSError, ValueError):
        return ""
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= STDERR_TAIL else "..." + text[-STDERR_TAIL:]


def _run(factory):
    """Run the coroutine ``factory()`` makes on a fresh event loop (in a thread if one is running here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box = {}

    def target():
        try:
            box["result"] = asyncio.run(factory())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="mcp-probe")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
