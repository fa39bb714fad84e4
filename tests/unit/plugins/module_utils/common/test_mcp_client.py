"""The MCP client on its own (no gate): a real handshake, failures as results, a missing SDK."""

import asyncio
import os
import sys

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import mcp_client

SERVERS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "mcp_servers"))
# Starting a Python MCP server costs ~1.5 s of CPU; a busy 2-core machine needs room.
TIMEOUT = 30.0


def test_a_healthy_server_and_a_misconfigured_one_probed_together():
    healthy = {"command": sys.executable, "args": [os.path.join(SERVERS, "healthy.py"), "--tools", "a_tool,b_tool"]}
    results = mcp_client.Client(TIMEOUT).probe_all([("ok", healthy, None), ("empty", {}, None),
                                                    ("bad-args", {"command": "x", "args": "--flag"}, None)])
    assert results["ok"] == dict(results["ok"], operational=True, error=None, tools=["a_tool", "b_tool"],
                                 transport="stdio")
    assert results["empty"]["operational"] is False
    assert results["empty"]["error"] == "neither command (local server) nor url (remote server) is set"
    assert results["bad-args"]["error"] == "args must be a list of strings"


def test_a_wrongly_typed_setting_is_a_failed_probe_not_a_crash():
    results = mcp_client.Client(5).probe_all([("s", {"command": "x", "env": {"API_TOKEN": {"nested": 1}}}, None)])
    assert results["s"]["operational"] is False and results["s"]["error"] == "API_TOKEN must be a string"


def test_nothing_to_probe_needs_no_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp", None)
    assert mcp_client.Client().probe_all([]) == {}


def test_a_missing_sdk_is_unavailable_and_not_retryable(monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp", None)  # makes ``import mcp`` fail
    with pytest.raises(mcp_client.SdkMissing, match=r"Python MCP SDK is needed \(pip install 'mcp>=2.3'\)") as err:
        mcp_client.Client().probe_all([("s", {"command": "x"}, None)])
    assert err.value.retryable is False


def test_probing_from_inside_a_running_event_loop():
    async def caller():
        return mcp_client.Client(5).probe_all([("s", {}, None)])

    assert asyncio.run(caller())["s"]["error"].startswith("neither command")
