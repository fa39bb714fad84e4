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

The servers are probed with :mod:`common.mcp_client` (stdio or streamable HTTP), all
at once, each within the provider ``timeout`` (default 10 s). ``${VAR}`` in env,
headers, args and url is expanded only for the variables named in the provider
setting ``approved_env_vars`` (as Kiro does with ``kiroAgent.mcpApprovedEnvVars``).
A server counts as operational only when the handshake and the tool listing
complete, and it offers every tool of ``expect_tools`` that is not in its
``disabledTools``. Results never hold env values, header values or URL credentials.

value = operational / probed; samples = probed;
details = raw = {server: {operational, tools, error, seconds, transport}}.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.kiro.platform.plugins.module_utils.common import mcp_client
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider
from ansible_collections.kiro.platform.plugins.module_utils.kiro import mcp as kiro_mcp
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError


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
                _unused, doc = kiro_mcp.read(full)
            except KiroError as exc:
                raise ProviderError(str(exc), retryable=False)
            except (IOError, OSError) as exc:
                raise ProviderError("%s: %s" % (full, exc.strerror or exc), retryable=False)
            if doc is None:
                raise ProviderError("%s: no such file (config of criterion %s)" % (full, criterion.name),
                                    retryable=False)
            cwd = kiro_mcp.workspace_of(full) or default_cwd
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
        try:
            results = mcp_client.Client(self.timeout, self.approved_env_vars).probe_all(targets)
        except mcp_client.SdkMissing as exc:
            raise ProviderError("the mcp_probe provider needs the Python MCP SDK on the controller "
                                "(pip install 'mcp>=2.3'): %s" % exc.reason, retryable=False)
        specs = dict((name, server) for name, server, _unused in configured)
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
