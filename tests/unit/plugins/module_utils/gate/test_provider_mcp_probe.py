"""The mcp_probe provider against real MCP servers (tests/fixtures/mcp_servers, written with the SDK)."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid

# The SDK must be installed; importing it here keeps its load time out of the timings.
import mcp  # noqa: F401  # pylint: disable=unused-import
import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.criteria import Criterion
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.mcp_probe import McpProbeProvider
from ansible_collections.kiro.platform.plugins.module_utils.kiro import mcp as kiro_mcp
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset as kplan

SERVERS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "mcp_servers"))
PY = sys.executable
# Long enough for three Python servers starting at once on a busy 2-core machine.
# Starting a Python MCP server costs ~1.5 s of CPU; on a loaded 2-core machine a healthy
# server needs several seconds, so the timeouts leave room for that.
MIX_TIMEOUT = 10.0
# For probes with no hanging server the timeout costs nothing when all goes well.
CALM_TIMEOUT = 30.0


def server(script, *args, **fields):
    spec = {"command": PY, "args": [os.path.join(SERVERS, script)] + list(args)}
    spec.update(fields)
    return spec


def criterion(**params):
    data = {"name": "mcp_operational", "provider": "mcp_probe", "pass": "== 1"}
    data.update(params)
    return Criterion(data)


def measure(settings=None, base_dir=".", **params):
    provider = McpProbeProvider(settings or {})
    crit = criterion(**params)
    provider.validate(crit)
    started = time.monotonic()
    result = provider.measure(crit, Context(base_dir=str(base_dir)))
    return result, time.monotonic() - started


def gone(pid):
    """True when ``pid`` no longer exists at all (killed and reaped: no zombie either)."""
    return not os.path.exists("/proc/%d" % pid)


def processes_mentioning(token):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                if token.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def read_pid(path, within=5.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read())
        time.sleep(0.05)
    raise AssertionError("%s was never written: the server did not start" % path)


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- one gate with a healthy, a hung and a crashing server, probed together -----------------------

@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mix")
    token = "healthy-%s" % uuid.uuid4().hex
    pidfile = str(tmp / "hang.pid")
    items = [{"name": "mcp_integrations", "provider": "mcp_probe", "pass": "== 1", "servers": {
        "monitoring": server("healthy.py", "--name", token, "--tools", "list_clusters,get_metric_data"),
        "stuck": server("hang.py", "--pidfile", pidfile),
        "broken": server("exit_at_once.py"),
    }, "expect_tools": {"monitoring": ["list_clusters"]}}]
    started = time.monotonic()
    report = engine.evaluate(items, {"mcp_probe": {"timeout": MIX_TIMEOUT, "retries": 0}}, Context())
    elapsed = time.monotonic() - started
    return {"report": report, "result": report["criteria"][0], "elapsed": elapsed, "token": token,
            "hang_pid": read_pid(pidfile)}


def test_mix_of_three_is_one_third_and_fails_the_gate(mix):
    result = mix["result"]
    assert result["value"] == pytest.approx(1.0 / 3)
    assert result["samples"] == 3
    assert result["verdict"] == "fail"
    assert mix["report"]["verdict"] == "fail" and mix["report"]["passed"] is False
    assert sorted(result["details"]) == ["broken", "monitoring", "stuck"]
    assert [name for name, r in result["details"].items() if r["operational"]] == ["monitoring"]
    assert result["raw"] == [result["details"]]


def test_healthy_server_is_operational_with_its_tools(mix):
    healthy = mix["result"]["details"]["monitoring"]
    assert healthy["operational"] is True
    assert healthy["error"] is None
    assert healthy["tools"] == ["get_metric_data", "list_clusters"]
    assert healthy["transport"] == "stdio"
    assert 0 < healthy["seconds"] < MIX_TIMEOUT


def test_exit_at_once_is_not_operational_with_an_error(mix):
    broken = mix["result"]["details"]["broken"]
    assert broken["operational"] is False and broken["tools"] == []
    assert "closed the connection" in broken["error"]
    # What the server said on stderr is kept (it explains the failure).
    assert "configuration invalid" in broken["error"]
    assert broken["seconds"] < MIX_TIMEOUT


def test_hung_server_times_out_and_is_killed_in_the_mix(mix):
    stuck = mix["result"]["details"]["stuck"]
    assert stuck["operational"] is False
    assert "no answer within %.1f s" % MIX_TIMEOUT in stuck["error"]
    assert MIX_TIMEOUT - 0.5 <= stuck["seconds"] < MIX_TIMEOUT + 3
    assert mix["elapsed"] < MIX_TIMEOUT + 3
    # hang.py ignores SIGTERM: only a SIGKILL of the tree gets rid of it.
    assert gone(mix["hang_pid"])


def test_no_server_process_is_left_after_the_mix(mix):
    assert processes_mentioning(mix["token"]) == []
    assert processes_mentioning(os.path.join(SERVERS, "hang.py")) == []
    assert processes_mentioning(os.path.join(SERVERS, "exit_at_once.py")) == []


# -- a hung server alone, with a short timeout -------------------------------------------------------

def test_hung_server_returns_within_timeout_and_leaves_no_process(tmp_path):
    pidfile = str(tmp_path / "hang.pid")
    result, elapsed = measure({"timeout": 2}, servers={"stuck": server("hang.py", "--pidfile", pidfile)})
    pid = read_pid(pidfile)
    assert elapsed < 2 + 3
    assert result.value == 0.0 and result.samples == 1
    assert result.details["stuck"]["operational"] is False
    assert "no answer within 2.0 s" in result.details["stuck"]["error"]
    assert gone(pid), "the hung server (pid %d) is still there" % pid


def test_unknown_command_is_not_operational():
    result, elapsed = measure({"timeout": 5}, servers={"ghost": {"command": "/nonexistent/kiro-mcp-server"}})
    assert result.value == 0.0
    assert result.details["ghost"]["error"] == "cannot start /nonexistent/kiro-mcp-server: No such file or directory"
    assert elapsed < 5


# -- config files, disabled servers, expected tools -----------------------------------------------

def _write_mcp(root_dir, servers_spec):
    """mcp.json written by the real model (kiro.mcp plan + apply)."""
    root = kplan.Root(os.path.join(str(root_dir), ".kiro"), "workspace", str(root_dir))
    for change in kiro_mcp.plan(root, kiro_mcp.validate_servers(servers_spec)):
        change.apply()
    return os.path.join(root.path, "settings", "mcp.json")


def test_config_files_skip_disabled_servers_and_check_expected_tools(tmp_path):
    ws = tmp_path / "platform-infra"
    home = tmp_path / "home"
    ws.mkdir()
    home.mkdir()
    user_file = _write_mcp(home, [
        # Overridden by the workspace's eks (later files win), so never started.
        dict(server("exit_at_once.py"), name="eks"),
    ])
    _write_mcp(ws, [
        dict(server("healthy.py", "--name", "eks", "--tools", "list_k8s_resources,get_pod_logs"), name="eks",
             disabled_tools=["get_pod_logs"]),
        dict(server("exit_at_once.py"), name="retired", disabled=True),
    ])
    result, _unused = measure({"timeout": CALM_TIMEOUT}, base_dir=ws, config=[user_file, ".kiro/settings/mcp.json"],
                              expect_tools={"eks": ["list_k8s_resources", "manage_eks_stacks", "get_pod_logs"]})
    assert sorted(result.details) == ["eks"]  # the disabled one is not probed
    assert result.samples == 1 and result.value == 0.0
    eks = result.details["eks"]
    # The workspace's eks answered (the user file's would have failed with "closed the connection").
    assert eks["tools"] == ["get_pod_logs", "list_k8s_resources"]
    assert eks["operational"] is False
    assert eks["error"] == ("does not offer the expected tool(s) manage_eks_stacks; "
                            "has the expected tool(s) get_pod_logs in disabledTools")


def test_disabled_servers_are_probed_only_when_asked():
    servers = {"retired": server("exit_at_once.py", disabled=True)}
    skipped, elapsed = measure({"timeout": 5}, servers=servers)
    assert skipped.value is None and skipped.samples == 0 and skipped.details == {}
    assert elapsed < 1  # nothing was started
    probed, _unused = measure({"timeout": 5}, servers=servers, include_disabled=True)
    assert probed.samples == 1 and probed.value == 0.0
    assert "closed the connection" in probed.details["retired"]["error"]


def test_expected_tools_of_a_disabled_server_fail_closed():
    result, _unused = measure({"timeout": 5}, servers={"gh": server("healthy.py", disabled=True)},
                              expect_tools={"gh": ["search_code"]})
    assert result.value == 0.0 and result.samples == 1
    assert "is disabled" in result.details["gh"]["error"]


def test_missing_or_corrupt_config_is_a_provider_error(tmp_path):
    provider = McpProbeProvider({})
    with pytest.raises(ProviderError, match="no such file"):
        provider.measure(criterion(config="absent/mcp.json"), Context(base_dir=str(tmp_path)))
    (tmp_path / "mcp.json").write_text('{"mcpServers": {"a": ')
    with pytest.raises(ProviderError, match="invalid JSON"):
        provider.measure(criterion(config="mcp.json"), Context(base_dir=str(tmp_path)))
    report = engine.evaluate([{"name": "mcp", "provider": "mcp_probe", "pass": "== 1", "config": "mcp.json"}],
                             {"mcp_probe": {"retries": 0}}, Context(base_dir=str(tmp_path)))
    assert report["verdict"] == "fail" and "mcp.json" in report["criteria"][0]["reason"]


# -- secrets ---------------------------------------------------------------------------------------

def test_env_and_header_values_never_reach_the_result(monkeypatch):
    secret_env = "sk-live-%s" % uuid.uuid4().hex
    secret_header = "ghp_%s" % uuid.uuid4().hex
    secret_query = "q%s" % uuid.uuid4().hex
    secret_expanded = "pat-%s" % uuid.uuid4().hex
    monkeypatch.setenv("KIRO_TEST_PAT", secret_expanded)
    servers = {
        # Operational only if the env from the config reached it.
        "needs-token": server("healthy.py", "--require-env", "API_TOKEN,AWS_REGION",
                              env={"API_TOKEN": secret_env, "AWS_REGION": "us-east-1"}),
        # A careless server that prints its token when it fails.
        "leaky": server("exit_at_once.py", "--echo-env", "API_TOKEN", env={"API_TOKEN": secret_env}),
        # ${VAR} expanded (approved variable), then printed by the server.
        "leaky-ref": server("exit_at_once.py", "--echo-env", "GH", env={"GH": "${KIRO_TEST_PAT}"}),
        "remote": {"url": "http://127.0.0.1:%d/mcp?token=%s" % (free_port(), secret_query),
                   "headers": {"Authorization": "Bearer %s" % secret_header}},
    }
    items = [{"name": "mcp", "provider": "mcp_probe", "pass": "== 1", "servers": servers}]
    report = engine.evaluate(items, {"mcp_probe": {"timeout": MIX_TIMEOUT, "retries": 0,
                                                   "approved_env_vars": ["KIRO_TEST_PAT"]}}, Context())
    details = report["criteria"][0]["details"]
    assert details["needs-token"]["operational"] is True
    assert "API_TOKEN=<redacted>" in details["leaky"]["error"]
    assert "GH=<redacted>" in details["leaky-ref"]["error"]  # expanded, then scrubbed
    assert details["remote"]["operational"] is False and "cannot connect" in details["remote"]["error"]
    result = report["criteria"][0]
    # The criterion's definition is the operator's own input; everything the probe produced is clean.
    produced = json.dumps({"details": result["details"], "raw": result["raw"], "error": result["error"],
                           "measurements": result["measurements"]})
    for secret in (secret_env, secret_header, secret_query, secret_expanded):
        assert secret not in produced


# -- a remote server over streamable HTTP -----------------------------------------------------------

@pytest.fixture(scope="module")
def http_server():
    port = free_port()
    proc = subprocess.Popen([PY, os.path.join(SERVERS, "healthy.py"), "--http", str(port), "--name", "github",
                             "--tools", "search_code,get_file_contents"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, "healthy.py --http exited"
                time.sleep(0.1)
        else:
            pytest.fail("healthy.py --http did not listen on %d" % port)
        yield "http://127.0.0.1:%d/mcp" % port
    finally:
        proc.terminate()
        proc.wait(5)


def test_remote_server_over_streamable_http(http_server):
    result, _unused = measure({"timeout": CALM_TIMEOUT}, servers={
        "github": {"url": http_server, "headers": {"X-MCP-Readonly": "true"}},
        "wrong-path": {"url": http_server.replace("/mcp", "/nope")},
    })
    assert result.details["github"] == dict(result.details["github"], operational=True, error=None,
                                            tools=["get_file_contents", "search_code"], transport="remote")
    assert result.details["wrong-path"]["operational"] is False
    assert "Not Found" in result.details["wrong-path"]["error"]
    assert result.value == 0.5


# -- validation (before anything is started) ----------------------------------------------------

@pytest.mark.parametrize("params, message", [
    ({}, "exactly one of 'config'"),
    ({"config": "a.json", "servers": {"a": {"command": "x"}}}, "exactly one of 'config'"),
    ({"config": ["a.json", 3]}, "config must be a path or a list"),
    ({"servers": ["a"]}, "servers must be a mapping"),
    ({"servers": {"a": "uvx"}}, "mcpServers.a must be an object"),
    ({"servers": {"a": {"command": "x"}}, "include_disabled": "yes"}, "include_disabled must be true or false"),
    ({"servers": {"a": {"command": "x"}}, "expect_tools": {"a": "list_clusters"}}, "expect_tools must map"),
    ({"servers": {"a": {"command": "x"}}, "query": "up"}, "does not take query"),
])
def test_invalid_criteria_are_rejected_before_probing(params, message):
    items = [dict({"name": "mcp", "provider": "mcp_probe", "pass": "== 1"}, **params)]
    with pytest.raises(CriterionError, match=message) as err:
        engine.prepare(items, {})
    assert err.value.criterion == "mcp"


def test_invalid_settings_are_rejected():
    with pytest.raises(CriterionError, match="approved_env_vars"):
        McpProbeProvider({"approved_env_vars": "GITHUB_PAT"})
    with pytest.raises(CriterionError, match="unknown setting"):
        McpProbeProvider({"headers": {}})


def test_a_missing_sdk_is_a_provider_error_naming_the_provider(monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp", None)  # makes ``import mcp`` fail
    with pytest.raises(ProviderError, match=r"the mcp_probe provider needs the Python MCP SDK on the controller "
                                            r"\(pip install 'mcp>=2.3'\)") as err:
        measure(servers={"a": {"command": "x"}})
    assert err.value.retryable is False
