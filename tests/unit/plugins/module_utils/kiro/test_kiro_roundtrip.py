"""parse(render(x)) == x for every file format the model reads and writes."""

import json
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, hooks, mcp, permissions, settings, steering)
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.steering import SteeringDoc

PROPS = hsettings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Any character but lone surrogates: C1 controls, NEL, DEL and U+FFFE/U+FFFF, which
# PyYAML refuses or folds when raw, must survive because steering._scalar escapes them.
SAFE_CHARS = st.characters(exclude_categories=("Cs",))
YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "~"}
BARE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _./-]*$")


def _bare_string_is_retyped(text):
    """True for strings steering._scalar emits bare although YAML reads them as non-strings."""
    return bool(BARE_RE.match(text)) and not isinstance(yaml.safe_load(text), str)


tricky_strings = st.sampled_from([
    "", " lead", "trail ", "[1]", "{a: 1}", "- x", "a: b", "#x", "yes", "No", "null", "~", "'q'", '"dq"',
    "*.tf", "infra/**/*.tf", "@x", "%x", "x\ny", "tab\there", "back\\slash", "\u00e9t\u00e9", "\U0001f600",
    "---", "x\u2028y", "ctrl\x01", "plain words 1.2",
])
front_text = st.one_of(
    tricky_strings,
    st.text(SAFE_CHARS, max_size=30),
    st.sampled_from(["123", "1.5", "2024-01-01", "017", "1_000", "0x1F", "1e3"]),
)
front_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10 ** 12, max_value=10 ** 12),
    st.floats(allow_nan=False, allow_infinity=False),
    front_text,
)
extra_key = st.from_regex(r"[a-z][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda k: k not in steering.FRONT_KEYS and k.lower() not in YAML_WORDS)


@st.composite
def steering_docs(draw):
    if not draw(st.booleans()):
        # without front matter a body starting with '---' would read as front matter
        return SteeringDoc(None, draw(st.text(max_size=200).filter(lambda b: not b.startswith("---"))))
    body = draw(st.text(max_size=200))  # after front matter, any body (even one starting with ---)
    front = {}
    inclusion = draw(st.sampled_from(steering.INCLUSIONS))
    front["inclusion"] = inclusion
    if inclusion == "fileMatch":
        front["fileMatchPattern"] = draw(st.one_of(st.sampled_from(["infra/**/*.tf", "**/*.ts", "*.md", "src/{a,b}/*.py"]),
                                                   front_text))
    if inclusion == "auto" or draw(st.booleans()):
        front["name"] = draw(front_text)
        front["description"] = draw(front_text)
    front.update(draw(st.dictionaries(extra_key, front_scalar, max_size=5)))
    return SteeringDoc(front, body)


@PROPS
@given(steering_docs())
def test_steering_render_parse_roundtrip(doc):
    text = steering.render(doc)
    back = steering.parse(text, "x.md")
    assert back == doc
    # exact types survive too (SteeringDoc.__eq__ treats 1 == 1.0 == True alike)
    assert [(k, type(v)) for k, v in (back.front or {}).items()] == \
        [(k, type(v)) for k, v in (doc.front or {}).items()]
    assert steering.render(back) == text


def test_steering_without_front_matter_is_body_only():
    doc = steering.parse("# Rules\nPlan only.\n", "tech.md")
    assert doc.front is None
    assert doc.inclusion == "always"
    assert steering.render(doc) == "# Rules\nPlan only.\n"


def test_steering_unclosed_front_matter_is_a_parse_error_naming_the_file():
    with pytest.raises(KiroParseError) as err:
        steering.parse("---\ninclusion: always\n# no close\n", "/x/steering/ops.md")
    assert "/x/steering/ops.md" in str(err.value)


def test_steering_parses_kiro_documented_example():
    text = ('---\ninclusion: fileMatch\nfileMatchPattern: "infra/**/*.tf"\n---\n'
            "# Terraform rules\nPlan only; never `terraform apply`. Conventions: #[[file:infra/README.md]]\n")
    doc = steering.parse(text)
    assert doc.front == {"inclusion": "fileMatch", "fileMatchPattern": "infra/**/*.tf"}
    assert doc.body.startswith("# Terraform rules\n")
    assert steering.parse(steering.render(doc)) == doc


@pytest.mark.parametrize("value", ["123", "1.5", "2024-01-01", "017", "1_000"])
def test_steering_numeric_looking_string_stays_a_string(value):
    doc = SteeringDoc({"inclusion": "auto", "name": "ops", "description": value}, "body\n")
    back = steering.parse(steering.render(doc))
    assert back.front["description"] == value and isinstance(back.front["description"], str)


def test_steering_exponent_float_stays_a_float():
    doc = SteeringDoc({"inclusion": "always", "weight": 1e16}, "body\n")
    back = steering.parse(steering.render(doc))
    assert back.front["weight"] == 1e16 and isinstance(back.front["weight"], float)


@pytest.mark.parametrize("value", ["a\x7fb", "a\x85b", "a\x9bb"])
def test_steering_control_characters_in_front_matter_roundtrip(value):
    doc = SteeringDoc({"inclusion": "always", "note": value}, "body\n")
    assert steering.parse(steering.render(doc)) == doc


# ---------------------------------------------------------------- JSON formats

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 53, max_value=2 ** 53),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_value = st.recursive(json_scalar, lambda c: st.one_of(st.lists(c, max_size=3),
                                                           st.dictionaries(st.text(max_size=8), c, max_size=3)),
                          max_leaves=8)
str_list = st.lists(st.text(max_size=12), max_size=4)
str_map = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=20), max_size=4)
unknown_keys = st.dictionaries(st.text(min_size=1, max_size=10).filter(
    lambda k: k not in ("command", "args", "env", "url", "headers")), json_value, max_size=3)


@st.composite
def mcp_servers(draw):
    if draw(st.booleans()):
        server = {"command": draw(st.text(min_size=1, max_size=20)), "args": draw(str_list), "env": draw(str_map)}
    else:
        server = {"url": "https://" + draw(st.text(max_size=20)), "headers": draw(str_map)}
    for key in ("disabled",):
        if draw(st.booleans()):
            server[key] = draw(st.booleans())
    for key in ("autoApprove", "disabledTools"):
        if draw(st.booleans()):
            server[key] = draw(str_list)
    server.update(draw(unknown_keys))
    return server


@st.composite
def mcp_docs(draw):
    doc = {"mcpServers": draw(st.dictionaries(st.text(min_size=1, max_size=15), mcp_servers(), max_size=4))}
    doc.update(draw(st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k != "mcpServers"),
                                    json_value, max_size=2)))
    return doc


@PROPS
@given(mcp_docs())
def test_mcp_render_parse_roundtrip(doc):
    data = mcp.render(doc)
    assert isinstance(data, bytes) and data.endswith(b"\n")
    assert mcp.parse(data.decode("utf-8"), "mcp.json") == doc


@st.composite
def hook_specs(draw, allow_v1_only=False, name=None):
    triggers = list(hooks.CLASSIC_TO_V1) + (list(hooks.V1_ONLY) if allow_v1_only else [])
    trigger = draw(st.sampled_from(triggers))
    when = {"type": trigger}
    if trigger in hooks.FILE_TRIGGERS:
        when["patterns"] = draw(st.lists(st.sampled_from(["**/*.ts", "infra/**/*.tf", "*.md", "docs/*.rst"]),
                                         min_size=1, max_size=3, unique=True))
    if trigger in hooks.TOOL_TRIGGERS and draw(st.booleans()):
        when["toolTypes"] = draw(st.lists(st.sampled_from(sorted(hooks.TOOL_TYPES) + ["@eks"]),
                                          min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        then = {"type": "askAgent", "prompt": draw(st.text(min_size=1, max_size=40))}
    else:
        then = {"type": "runCommand", "command": draw(st.text(min_size=1, max_size=40))}
    spec = {"name": name or draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)),
            "when": when, "then": then, "enabled": draw(st.booleans()),
            "description": draw(st.text(max_size=30))}
    if draw(st.booleans()):
        spec["timeout"] = draw(st.integers(min_value=1, max_value=600))
    return spec


@PROPS
@given(hook_specs(), unknown_keys)
def test_classic_hook_render_parse_roundtrip(spec, extra):
    norm = hooks.validate_spec(spec, "hooks[0]")
    doc = dict(extra)
    doc.update(hooks.classic_entry(norm))
    assert doc["version"] == "1" and doc["when"]["type"] == spec["when"]["type"]
    assert hooks.parse_classic(hooks.render(doc).decode("utf-8"), "x.kiro.hook") == doc


@PROPS
@given(st.lists(hook_specs(allow_v1_only=True), min_size=0, max_size=4), unknown_keys)
def test_v1_hook_doc_render_parse_roundtrip(specs, extra):
    doc = dict(extra)
    doc.update({"version": "v1", "hooks": [hooks.v1_entry(hooks.validate_spec(s, "h")) for s in specs]})
    for entry, spec in zip(doc["hooks"], specs):
        assert entry["trigger"] == hooks.CLASSIC_TO_V1.get(spec["when"]["type"], spec["when"]["type"])
    assert hooks.parse_v1(hooks.render(doc).decode("utf-8"), "x.json") == doc


tool_names = st.sampled_from(["read", "grep", "glob", "write", "shell", "@eks", "@github/get_issue", "fs_read"])


@st.composite
def agent_configs(draw):
    name = draw(st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True))
    config = {"name": name, "description": draw(st.text(max_size=30)),
              "prompt": draw(st.one_of(st.text(max_size=40), st.just("file://./prompt.md"))),
              "tools": draw(st.lists(tool_names, max_size=5, unique=True)),
              "allowedTools": draw(st.lists(tool_names, max_size=3, unique=True)),
              "mcpServers": draw(st.dictionaries(st.sampled_from(["eks", "aws", "gh"]), mcp_servers(), max_size=2)),
              "includeMcpJson": draw(st.booleans()),
              "hooks": draw(st.dictionaries(st.sampled_from(agents.AGENT_HOOK_TRIGGERS), st.lists(
                  st.fixed_dictionaries({"command": st.text(min_size=1, max_size=20)},
                                        optional={"matcher": st.text(max_size=10),
                                                  "timeout_ms": st.integers(1, 60000)}),
                  max_size=2), max_size=2))}
    if draw(st.booleans()):
        config["model"] = draw(st.text(min_size=1, max_size=20))
    config["x-unknown"] = draw(json_value)
    return config


@PROPS
@given(agent_configs())
def test_agent_render_parse_roundtrip(config):
    norm = agents.validate_spec({"name": config["name"], "config": config}, "agents[0]")
    assert norm["config"] == config
    assert agents.parse(agents.render(norm["config"]).decode("utf-8"), "a.json") == config


# settings.json is JSONC: comments and trailing commas must be accepted.
COMMENT_TEXTS = ["note", 'has "quotes"', "url http://x/y", "trailing, }", "brace ] }", "/* opener",
                 "slashes // again", "\u00e9\U0001f600", ""]


def _comment(rnd, pad):
    roll = rnd.random()
    text = rnd.choice(COMMENT_TEXTS)
    if roll < 0.3:
        return pad + "// " + text + "\n"
    if roll < 0.55:
        return pad + "/* " + text + " */ "
    return ""


def to_jsonc(value, rnd, depth=0):
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value:
        parts = [_comment(rnd, pad) + pad + json.dumps(k, ensure_ascii=False) + ": " + to_jsonc(v, rnd, depth + 1)
                 + (" /* after */" if rnd.random() < 0.2 else "")
                 for k, v in value.items()]
        trailing = "," if rnd.random() < 0.5 else ""
        return "{\n" + ",\n".join(parts) + trailing + "\n" + "  " * depth + "}"
    if isinstance(value, list) and value:
        parts = [_comment(rnd, pad) + pad + to_jsonc(v, rnd, depth + 1) for v in value]
        trailing = "," if rnd.random() < 0.5 else ""
        return "[\n" + ",\n".join(parts) + trailing + "\n" + "  " * depth + "]"
    return json.dumps(value, ensure_ascii=False)


settings_docs = st.dictionaries(
    st.one_of(st.sampled_from([settings.AUTONOMY_KEY, settings.TRUSTED_KEY, settings.DENYLIST_KEY,
                               "editor.tabSize", "files.exclude"]), st.text(max_size=15)),
    json_value, max_size=6)


@PROPS
@given(settings_docs, st.randoms(use_true_random=False))
def test_settings_jsonc_parse_roundtrip(doc, rnd):
    text = "// VS Code settings\n" + to_jsonc(doc, rnd) + "\n// end\n"
    assert settings.parse(text, "settings.json") == doc
    # and what render writes is plain JSON that parses back identically
    rendered = settings.render(doc)
    assert json.loads(rendered.decode("utf-8")) == doc
    assert settings.parse(rendered.decode("utf-8")) == doc


def test_settings_jsonc_comment_markers_inside_strings_are_kept():
    text = '{\n  "a": "http://x//y", /* c */\n  "b": "/* not a comment */",\n  "c": ",}",\n}\n'
    assert settings.parse(text) == {"a": "http://x//y", "b": "/* not a comment */", "c": ",}"}


def test_settings_empty_file_is_empty_object():
    assert settings.parse("") == {}
    assert settings.parse("  \n") == {}


@pytest.mark.parametrize("text, expected", [
    ('{\n  "kiroAgent.agentAutonomy": "Supervised", // lockdown\n}\n', {"kiroAgent.agentAutonomy": "Supervised"}),
    ('{\n  "a": [1, 2, /* more later */\n  ],\n}\n', {"a": [1, 2]}),
])
def test_settings_trailing_comma_followed_by_comment(text, expected):
    assert settings.parse(text, "settings.json") == expected


rule_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)


@st.composite
def permission_docs(draw):
    rules = []
    for _unused in range(draw(st.integers(0, 5))):
        rule = {"capability": draw(st.sampled_from(["shell", "read", "write", "web", "mcp"]) | rule_text),
                "effect": draw(st.sampled_from(permissions.EFFECTS))}
        if draw(st.booleans()):
            rule["match"] = draw(st.one_of(rule_text, st.lists(rule_text, min_size=1, max_size=3)))
        if draw(st.booleans()):
            rule["exclude"] = draw(st.lists(rule_text, min_size=1, max_size=2))
        if draw(st.booleans()):
            rule["x-note"] = draw(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x85"),
                                          max_size=20))
        rules.append(rule)
    doc = {"rules": rules}
    if draw(st.booleans()):
        doc["version"] = draw(st.integers(1, 3))
    return doc


@PROPS
@given(permission_docs())
def test_permissions_render_parse_roundtrip(doc):
    data = permissions.render(doc)
    assert permissions.parse(data.decode("utf-8"), "permissions.yaml") == doc


def test_permissions_nel_character_roundtrips():
    doc = {"rules": [{"capability": "shell", "match": "echo a\x85b", "effect": "deny"}]}
    assert permissions.parse(permissions.render(doc).decode("utf-8")) == doc


def test_permissions_parse_rejects_non_list_rules():
    with pytest.raises(KiroParseError) as err:
        permissions.parse("rules: {a: 1}\n", "/h/settings/permissions.yaml")
    assert "/h/settings/permissions.yaml" in str(err.value)


def test_json_files_are_written_in_kiro_style():
    data = mcp.render({"mcpServers": {"s": {"command": "uvx", "env": {"K": "\u00e9"}}}})
    text = data.decode("utf-8")
    assert text.endswith("}\n")
    assert '\n  "mcpServers": {\n    "s": {' in text
    assert "\u00e9" in text  # UTF-8 kept, not \\u escaped
