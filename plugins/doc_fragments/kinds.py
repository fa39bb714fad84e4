# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option docs for the desired items of each Kiro file kind, shared by the modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    STEERING = r"""
options:
  steering:
    description:
      - Steering documents, written to C(.kiro/steering/<name>.md).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File name without C(.md).
        type: str
        required: true
      state:
        description: C(absent) removes the document.
        type: str
        choices: [present, absent]
        default: present
      content:
        description: The Markdown body, without front matter. This or O(steering[].source) is required when O(steering[].state=present).
        type: str
      source:
        description:
          - A Markdown file on the controller whose text becomes O(steering[].content); a relative path is
            searched in the role's or playbook's C(files/). Read by the action plugin of M(kiro.platform.profile).
        type: path
      inclusion:
        description: When Kiro includes the document.
        type: str
        choices: [always, fileMatch, manual, auto]
        default: always
      file_match_pattern:
        description: Glob for O(steering[].inclusion=fileMatch).
        type: str
        aliases: [fileMatchPattern]
      title:
        description: Front matter C(name) for O(steering[].inclusion=auto); defaults to O(steering[].name).
        type: str
      description:
        description: Front matter C(description); required for O(steering[].inclusion=auto).
        type: str
"""

    HOOKS = r"""
options:
  hooks:
    description:
      - Agent hooks, in the classic C(.kiro.hook) form or the 2026 v1 C(.json) form (see O(hooks_format)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File stem, for example C(cost-optimization).
        type: str
        required: true
      state:
        description: C(absent) removes the hook (in both forms).
        type: str
        choices: [present, absent]
        default: present
      title:
        description: Display name (classic C(name)); defaults to O(hooks[].name).
        type: str
      description:
        description: What the hook does.
        type: str
      enabled:
        description: Whether Kiro runs the hook.
        type: bool
        default: true
      when:
        description:
          - The trigger, C({type, patterns, toolTypes, matcher}). C(type) is a classic trigger
            (fileEdited, fileCreated, fileDeleted, userTriggered, promptSubmit, agentStop,
            preToolUse, postToolUse, preTaskExecution, postTaskExecution) or a v1 one
            (PostFileSave, SessionStart, ...). File triggers need C(patterns) (globs).
        type: dict
      then:
        description: "The action: C({type: askAgent, prompt}) or C({type: runCommand, command})."
        type: dict
      timeout:
        description: Seconds (v1 form only).
        type: int
"""

    MCP = r"""
options:
  mcp_servers:
    description:
      - MCP servers, merged into C(settings/mcp.json) under C(mcpServers).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Server name (the key in C(mcpServers)).
        type: str
        required: true
      state:
        description: C(absent) removes the server.
        type: str
        choices: [present, absent]
        default: present
      command:
        description: Command of a local (stdio) server. Exactly one of O(mcp_servers[].command) and O(mcp_servers[].url).
        type: str
      args:
        description: Arguments of a local server.
        type: list
        elements: str
      env:
        description:
          - Environment of a local server.
          - The action plugin moves every value that may be a secret (anything but C(${VAR}) references,
            switches such as C(true) or C(1), and region/profile names) to O(mcp_servers[].secret_env)
            before the module runs, so secrets never appear in output or logs.
        type: dict
      secret_env:
        description: Environment values that are secrets (masked by Ansible). Merged into O(mcp_servers[].env).
        type: dict
      url:
        description:
          - URL of a remote server (https, or http for localhost).
          - A URL with credentials or a query string is moved to O(mcp_servers[].secret_url) by the action plugin.
        type: str
      secret_url:
        description: A URL that holds a credential (masked by Ansible). Used instead of O(mcp_servers[].url).
        type: str
      headers:
        description: HTTP headers of a remote server. Secret values are moved to O(mcp_servers[].secret_headers).
        type: dict
      secret_headers:
        description: Header values that are secrets (masked by Ansible). Merged into O(mcp_servers[].headers).
        type: dict
      disabled:
        description: Whether the server is off. Unset keeps the current value.
        type: bool
      auto_approve:
        description: Tools run without asking. Unset keeps the current value.
        type: list
        elements: str
        aliases: [autoApprove]
      disabled_tools:
        description: Tools hidden from the agent.
        type: list
        elements: str
        aliases: [disabledTools]
      timeout:
        description: Request timeout in milliseconds (Kiro CLI).
        type: int
      oauth:
        description: OAuth settings of a remote server.
        type: dict
      extra:
        description: Other C(mcp.json) keys to set on the server.
        type: dict
"""

    AGENTS = r"""
options:
  agents:
    description:
      - Kiro CLI custom agents, written to C(.kiro/agents/<name>.json).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Agent name and file stem.
        type: str
        required: true
      state:
        description: C(absent) removes the agent file.
        type: str
        choices: [present, absent]
        default: present
      config:
        description:
          - The agent document (description, prompt, tools, allowedTools, mcpServers, hooks, ...).
          - Top-level keys given here replace the file's; other keys are kept.
          - Reference secrets as C(${VAR}); literal values here are not masked in module arguments.
        type: dict
"""

    WORKFLOWS = r"""
options:
  workflows:
    description:
      - Scheduled Kiro CLI agents, each a GitHub Actions workflow written whole to
        C(<workspace>/.github/workflows/kiro-<name>.yml) in every workspace (never in O(kiro_home)).
      - The workflow installs the Kiro CLI and runs C(kiro-cli chat --no-interactive --agent <agent>) on
        O(workflows[].schedule) and on manual dispatch, with C(KIRO_API_KEY) taken from the repository
        secret of that name.
      - The files are owned whole (keys edited into them are not kept); other workflows in the directory
        are never touched, even with O(purge), which removes only unlisted C(kiro-*.yml) files.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Workflow name; the file is C(kiro-<name>.yml).
        type: str
        required: true
      state:
        description: C(absent) removes the workflow file.
        type: str
        choices: [present, absent]
        default: present
      agent:
        description: The Kiro CLI custom agent to run (see O(agents)). Required when O(workflows[].state=present).
        type: str
      schedule:
        description: A 5-field cron expression in UTC, for example C(0 6 * * 1). Required when O(workflows[].state=present).
        type: str
      enabled:
        description:
          - Whether the schedule is active. A disabled workflow keeps its file but has no schedule,
            so it runs only when dispatched by hand.
        type: bool
        default: true
      prompt:
        description: What the agent is asked to do. Required when O(workflows[].state=present).
        type: str
      trust_tools:
        description: Tools the agent may use without asking (C(--trust-tools)). C(*) is refused.
        type: list
        elements: str
      timeout_minutes:
        description: Job timeout in minutes (1-360).
        type: int
        default: 30
      runs_on:
        description: The runner label of the job.
        type: str
        default: ubuntu-latest
"""
