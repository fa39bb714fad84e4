"""A stdio MCP server standing in for an AWS MCP server in the sandbox.

Usage: sandbox_mcp_server.py <package>[@version]; the tools offered are the
read-only tools of that package. Every tool answers with a note that this is
the sandbox.
"""

import sys

from mcp.server.mcpserver import MCPServer

TOOLS = {
    "awslabs.aws-api-mcp-server": ["call_aws", "suggest_aws_commands"],
    "awslabs.eks-mcp-server": ["list_k8s_resources", "list_api_versions", "get_k8s_events",
                               "get_cloudwatch_metrics", "search_eks_troubleshoot_guide"],
    "awslabs.cloudwatch-mcp-server": ["describe_log_groups", "get_metric_data", "get_metric_metadata",
                                      "get_active_alarms", "get_alarm_history"],
    "awslabs.cost-explorer-mcp-server": ["get_cost_and_usage", "get_dimension_values", "get_tag_values"],
}


def make_tool(package, name):
    def tool() -> str:
        return "sandbox stand-in for %s.%s: no data" % (package, name)
    tool.__name__ = name
    return tool


def main():
    package = (sys.argv[1] if len(sys.argv) > 1 else "").split("@")[0]
    if package not in TOOLS:
        sys.exit("sandbox_mcp_server: no stand-in for %r" % package)
    server = MCPServer(package)
    for name in TOOLS[package]:
        server.tool(name=name, description="%s (sandbox stand-in, read-only)" % name)(make_tool(package, name))
    server.run("stdio")


if __name__ == "__main__":
    main()
