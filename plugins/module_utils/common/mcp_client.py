# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real MCP handshake (initialize + tools/list) with servers configured as in mcp.json.

Local servers are started over stdio with their ``command``/``args`` and their
``env`` laid over a minimal environment (PATH, HOME, ...: the SDK's default);
remote ones (``url``) are reached with the SDK's streamable HTTP client, with
their ``headers``. ``${VAR}`` is expanded for the approved variables only (see
:mod:`common.mcp_vars`). :meth:`Client.probe_all` probes many servers at once,
each within the client's timeout.

A server counts as operational only when the handshake and the tool listing
complete. A server that fails or hangs is killed with its whole process tree
(SIGKILL, no grace period: it has already failed) and nothing it started is
left behind. Results never hold env values, header values or URL credentials;
error messages are scrubbed of them, even when a server prints them itself.

A result: {operational, tools, error, seconds, transport}.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import tempfile
import threading
import time
import uuid

from ansible_collections.kiro.platform.plugins.module_utils.common import mcp_vars, processes, secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError, Unavailable

# Every process a probe starts carries this variable (a fresh value per probe), so the
# probe can find and kill the server and anything it spawned, even in another session.
MARKER_VAR = "KIRO_MCP_PROBE_ID"
STDERR_TAIL = 400
MAX_TOOL_PAGES = 100
DEFAULT_TIMEOUT = 10.0
# What a failed probe may raise: a group of BaseExceptions (a cancelled task group) is a failure too.
try:
    _FAILURES = (Exception, BaseExceptionGroup)  # noqa: F821 (Python 3.11+)
except NameError:
    _FAILURES = (Exception,)
_STAGES = {"start": "start-up", "initialize": "the initialize handshake", "tools/list": "tools/list"}


class ProbeFailed(PlatformError):
    """One server is not operational; the message is already free of secrets."""


class SdkMissing(Unavailable):
    """The Python MCP SDK cannot be imported here; ``reason`` is the import error."""

    def __init__(self, reason):
        self.reason = reason
        super(SdkMissing, self).__init__("the Python MCP SDK is needed (pip install 'mcp>=2.3'): %s" % reason,
                                         retryable=False)


def load_sdk():
    """The parts of the MCP SDK a probe uses (imported on first use: it is heavy), or SdkMissing."""
    try:
        import anyio
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared.exceptions import MCPError
        from mcp.types import PaginatedRequestParams
    except ImportError as exc:
        raise SdkMissing(exc)
    return {"anyio": anyio, "ClientSession": ClientSession, "StdioServerParameters": StdioServerParameters,
            "stdio_client": stdio_client, "streamable_http_client": streamable_http_client, "MCPError": MCPError,
            "PaginatedRequestParams": PaginatedRequestParams}


class Client:
    """Probes MCP servers, each within ``timeout`` seconds, ``${VAR}`` expanded for ``approved_env_vars``."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, approved_env_vars=()):
        self.timeout = float(timeout)
        self.approved_env_vars = set(approved_env_vars or ())

    def probe_all(self, targets):
        """{name: result} for ``targets`` [(name, server, cwd)], all probed at once."""
        if not targets:
            return {}
        sdk = load_sdk()
        return _run(lambda: self._probe_all(sdk, targets))

    async def _probe_all(self, sdk, targets):
        outcomes = await asyncio.gather(*[self._probe(sdk, server, cwd) for _unused, server, cwd in targets])
        return dict((name, outcome) for (name, _unused, _unused), outcome in zip(targets, outcomes))

    async def _probe(self, sdk, server, cwd):
        started = time.monotonic()
        scrubber = secrets.Scrubber()
        expander = mcp_vars.Expander(self.approved_env_vars, scrubber)
        transport = "remote" if server.get("url") else "stdio"
        state = {"stage": "start", "tools": None, "answered": None}
        error = None
        try:
            if server.get("url"):
                await self._remote(sdk, server, expander, state)
            elif server.get("command"):
                await self._stdio(sdk, server, cwd, expander, state)
            else:
                raise ProbeFailed("neither command (local server) nor url (remote server) is set")
        except (ProbeFailed, mcp_vars.SettingError) as exc:
            error = str(exc)
        except _FAILURES as exc:  # a probe bug must not hide the other servers' results
            error = "%s: %s" % (type(exc).__name__, exc)
        error = scrubber.scrub(error)
        # An operational server's time is its handshake's (tools listed); a failed one's, the whole probe.
        finished = state["answered"] if error is None else time.monotonic()
        return {"operational": error is None, "tools": state["tools"] if error is None else [],
                "error": error, "seconds": round(finished - started, 3), "transport": transport}

    async def _stdio(self, sdk, server, cwd, expander, state):
        env = expander.mapping(server, "env")
        args = server.get("args") or []
        if not isinstance(args, list):
            raise ProbeFailed("args must be a list of strings")
        args = [expander.value(arg) for arg in args]
        command = expander.value(server["command"])
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
                            processes.kill_marked(MARKER_VAR, marker)
                            raise
            except _FAILURES as exc:
                if state["tools"] is None:
                    raise ProbeFailed(self._explain(sdk, exc, state["stage"], command, _tail(errlog)))
            finally:
                processes.kill_marked(MARKER_VAR, marker)  # whatever the server left behind

    async def _remote(self, sdk, server, expander, state):
        import httpx2  # the HTTP client the MCP SDK itself uses

        url = expander.value(server["url"])
        expander.scrubber.add(url, secrets.url(url))
        headers = expander.mapping(server, "headers")
        anyio = sdk["anyio"]
        try:
            with anyio.fail_after(self.timeout):
                async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(self.timeout)) as http:
                    async with sdk["streamable_http_client"](url, http_client=http) as (read, write):
                        await self._handshake(sdk, read, write, state)
        except _FAILURES as exc:
            if state["tools"] is None:
                raise ProbeFailed(self._explain(sdk, exc, state["stage"], secrets.url(url), None))

    async def _handshake(self, sdk, read, write, state):
        async with sdk["ClientSession"](read, write) as session:
            state["stage"] = "initialize"
            await session.initialize()
            state["stage"] = "tools/list"
            names, cursor = [], None
            for _unused in range(MAX_TOOL_PAGES):
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


def _leaves(exc):
    """The exceptions inside (nested) exception groups."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        out = []
        for item in inner:
            out.extend(_leaves(item))
        return out
    return [exc]


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
