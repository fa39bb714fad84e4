"""workflows: scheduled Kiro CLI agents as GitHub Actions workflows (.github/workflows/kiro-<name>.yml)."""

import datetime
import os

import pytest
import yaml

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, facts, profile, snapshot, workflows
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, tree, write

COST = {"name": "cost-optimizer", "agent": "cost-optimizer", "schedule": "0 6 * * 1",
        "prompt": "Review last month's cost; open a \"PR\" with $SAVINGS and `notes`.",
        "trust_tools": ["fs_read", "grep", "glob"]}
DOCS = {"name": "docs-maintainer", "agent": "docs-maintainer", "schedule": "0 7 * * 5",
        "prompt": "Keep the runbooks in step with the code.", "trust_tools": ["fs_read"],
        "timeout_minutes": 15, "runs_on": "self-hosted"}
HAND_WRITTEN = b"""# the team's own CI: not ours
name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def _apply(changes):
    plan = Plan()
    plan.extend(changes)
    plan.apply()
    return plan


def _ws_root(tmp_path, name="ws"):
    ws = make_workspace(tmp_path, name)
    (root,) = roots([ws])
    return ws, root


def _wfdir(ws):
    return os.path.join(ws, ".github", "workflows")


def _plan(root, specs, purge=False):
    return workflows.plan(root, workflows.validate_specs(specs), purge=purge)


def _spec(**changes):
    return workflows.validate_specs([dict(COST, **changes)])[0]


def test_render_parse_round_trip():
    for raw in (COST, DOCS, dict(COST, enabled=False), dict(DOCS, trust_tools=[])):
        spec = workflows.validate_specs([raw])[0]
        data = workflows.render(workflows.document(spec), spec["agent"])
        assert data.startswith(b"# Managed by kiro.platform")
        # plan() renders without the agent: the header finds it in the document's --agent.
        assert workflows.render(workflows.document(spec)) == data
        assert ("agent %s on a schedule" % spec["agent"]).encode() in data.splitlines()[0]
        doc = workflows.parse(data.decode("utf-8"), "kiro-x.yml")
        assert doc == workflows.document(spec)
        # A disabled workflow has no schedule at all, so its cron cannot be read back.
        assert workflows.spec_of(spec["name"], doc) == (spec if spec["enabled"] else dict(spec, schedule=None))


def test_defaults_are_filled_in():
    spec = workflows.validate_specs([{k: COST[k] for k in ("name", "agent", "schedule", "prompt")}])[0]
    assert spec["enabled"] is True and spec["timeout_minutes"] == 30 and spec["runs_on"] == "ubuntu-latest"
    assert spec["trust_tools"] == [] and spec["state"] == "present"
    run = workflows.document(spec)["jobs"]["kiro-agent"]["steps"][-1]["run"]
    assert "--trust-tools" not in run


def test_rendered_yaml_is_a_github_workflow():
    spec = _spec()
    doc = yaml.safe_load(workflows.render(workflows.document(spec)))
    assert set(doc) >= {"name", "on", "permissions", "jobs"}  # 'on' stays a string key (quoted)
    assert doc["on"] == {"schedule": [{"cron": "0 6 * * 1"}], "workflow_dispatch": {}}
    assert doc["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert doc["concurrency"]["group"] == "kiro-cost-optimizer"
    (job,) = doc["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] == 30
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert "curl -fsSL https://cli.kiro.dev/install | bash" in steps[1]["run"]
    run = steps[2]["run"]
    assert "kiro-cli chat --no-interactive --agent cost-optimizer" in run
    assert "--trust-tools=fs_read,grep,glob" in run and run.endswith('"$KIRO_PROMPT"')
    assert steps[2]["env"]["KIRO_API_KEY"] == "${{ secrets.KIRO_API_KEY }}"
    assert steps[2]["env"]["KIRO_PROMPT"] == COST["prompt"]  # quotes, $ and backticks never reach the shell line


def test_enabled_and_disabled(tmp_path):
    ws, root = _ws_root(tmp_path)
    path = os.path.join(_wfdir(ws), "kiro-cost-optimizer.yml")
    changes = _plan(root, [COST])
    assert [c.action for c in changes] == ["created"] and changes[0].path == path
    _apply(changes)
    assert mode_of(path) == 0o644
    assert workflows.read(path)[1]["on"]["schedule"] == [{"cron": "0 6 * * 1"}]
    assert workflows.describe(root) == [{"name": "cost-optimizer", "path": path, "agent": "cost-optimizer",
                                         "enabled": True, "schedule": "0 6 * * 1",
                                         "trust_tools": ["fs_read", "grep", "glob"]}]
    assert not any(c.changed for c in _plan(root, [COST]))

    changes = _plan(root, [dict(COST, enabled=False)])
    assert [c.action for c in changes] == ["updated"]
    _apply(changes)
    doc = workflows.read(path)[1]
    assert doc["on"] == {"workflow_dispatch": {}}  # file kept; manual dispatch only
    (described,) = workflows.describe(root)
    assert described["enabled"] is False and described["schedule"] is None and described["agent"] == "cost-optimizer"
    assert not any(c.changed for c in _plan(root, [dict(COST, enabled=False)]))

    _apply(_plan(root, [{"name": "cost-optimizer", "state": "absent"}]))
    assert not os.path.exists(path)
    assert _plan(root, [{"name": "cost-optimizer", "state": "absent"}]) == []


def test_changes_are_decided_on_parsed_documents(tmp_path):
    ws, root = _ws_root(tmp_path)
    _apply(_plan(root, [COST]))
    path = os.path.join(_wfdir(ws), "kiro-cost-optimizer.yml")
    # Same document, other bytes (comments gone, flow style): not a change, the bytes stay.
    same = yaml.safe_dump(workflows.read(path)[1], default_flow_style=True).encode("utf-8")
    write(path, same)
    assert [c.action for c in _plan(root, [COST])] == ["unchanged"]
    assert read_bytes(path) == same
    # A key we do not manage is not kept: the file is owned whole.
    doc = workflows.read(path)[1]
    doc["env"] = {"EXTRA": "1"}
    write(path, yaml.safe_dump(doc, sort_keys=False))
    (change,) = _plan(root, [COST])
    assert change.action == "updated" and "EXTRA" not in change.after.decode("utf-8")
    assert change.after == workflows.render(workflows.document(_spec()))


def test_hand_written_workflows_are_never_touched(tmp_path):
    ws, root = _ws_root(tmp_path)
    wfdir = _wfdir(ws)
    ci = write(os.path.join(wfdir, "ci.yml"), HAND_WRITTEN)
    deploy = write(os.path.join(wfdir, "deploy.yaml"), b"name: deploy\non: [push]\njobs: {}\n")
    broken = write(os.path.join(wfdir, "broken.yml"), b"{{{ not yaml\n")
    kiro_like = write(os.path.join(wfdir, "kiro.yml"), b"name: not a kiro-*.yml file\n")
    old = write(os.path.join(wfdir, "kiro-old.yml"), workflows.render(workflows.document(_spec(name="old"))))
    others = dict((p, read_bytes(p)) for p in (ci, deploy, broken, kiro_like))

    changes = _plan(root, [COST], purge=True)
    assert sorted((os.path.basename(c.path), c.action) for c in changes) == [
        ("kiro-cost-optimizer.yml", "created"), ("kiro-old.yml", "deleted")]
    _apply(changes)
    assert not os.path.exists(old)
    assert dict((p, read_bytes(p)) for p in others) == others
    assert sorted(os.listdir(wfdir)) == ["broken.yml", "ci.yml", "deploy.yaml", "kiro-cost-optimizer.yml", "kiro.yml"]
    assert [w["name"] for w in workflows.describe(root)] == ["cost-optimizer"]
    # Purging with nothing listed removes ours only.
    _apply(_plan(root, [], purge=True))
    assert sorted(os.listdir(wfdir)) == ["broken.yml", "ci.yml", "deploy.yaml", "kiro.yml"]
    assert dict((p, read_bytes(p)) for p in others) == others


def test_user_root_has_no_workflows(tmp_path):
    ws = make_workspace(tmp_path)
    home = os.path.join(str(tmp_path), "home", ".kiro")
    targets = roots([ws], home)
    assert [r.scope for r in targets] == ["workspace", "user"]
    assert workflows.plan(targets[1], workflows.validate_specs([COST]), purge=True) == []
    assert workflows.describe(targets[1]) == []
    validated = profile.validate({"workflows": [COST]})
    result = profile.plan(targets, validated, purge=False)
    assert [c.path for c in result.changes if c.path.endswith(".yml")] == [
        os.path.join(_wfdir(ws), "kiro-cost-optimizer.yml")]
    with pytest.raises(KiroValidationError, match="profile.user.*workflows"):
        profile.validate({"user": {"workflows": [COST]}})


@pytest.mark.parametrize("specs, item, fragment", [
    ([COST, dict(COST, agent="other")], "workflow cost-optimizer", "listed twice"),
    ([dict(COST, schedule="0 6 * *")], "workflow cost-optimizer", "5 fields"),
    ([dict(COST, schedule="61 6 * * 1")], "workflow cost-optimizer", "minute"),
    ([dict(COST, schedule="0 25 * * 1")], "workflow cost-optimizer", "hour"),
    ([dict(COST, schedule="0 6 * * 8")], "workflow cost-optimizer", "day of week"),
    ([dict(COST, schedule="0 6 * FOO *")], "workflow cost-optimizer", "month"),
    ([dict(COST, schedule="@weekly")], "workflow cost-optimizer", "5 fields"),
    ([dict(COST, schedule=None)], "workflow cost-optimizer", "schedule is required"),
    ([dict(COST, agent=None)], "workflow cost-optimizer", "agent is required"),
    ([dict(COST, agent="bad agent; rm -rf /")], "workflow cost-optimizer", "agent"),
    ([dict(COST, prompt="")], "workflow cost-optimizer", "prompt is required"),
    ([dict(COST, prompt="leak ${{ secrets.KIRO_API_KEY }}")], "workflow cost-optimizer", "${{"),
    ([dict(COST, trust_tools=["fs_read", "*"])], "workflow cost-optimizer", "'*'"),
    ([dict(COST, trust_tools="fs_read")], "workflow cost-optimizer", "list"),
    ([dict(COST, trust_tools=["fs_read,fs_write"])], "workflow cost-optimizer", "tool name"),
    ([dict(COST, timeout_minutes=0)], "workflow cost-optimizer", "timeout_minutes"),
    ([dict(COST, timeout_minutes=True)], "workflow cost-optimizer", "timeout_minutes"),
    ([dict(COST, enabled="maybe")], "workflow cost-optimizer", "enabled"),
    ([dict(COST, state="gone")], "workflow cost-optimizer", "state"),
    ([dict(COST, cron="0 6 * * 1")], "workflow cost-optimizer", "unknown key"),
    ([dict(COST, name="../escape")], "workflows[0]", "file stem"),
    ([COST, "not a mapping"], "workflows[1]", "mapping"),
])
def test_invalid_specs_are_rejected_naming_the_item(specs, item, fragment):
    with pytest.raises(KiroValidationError) as raised:
        workflows.validate_specs(specs)
    assert raised.value.item == item
    assert fragment in str(raised.value)
    with pytest.raises(KiroValidationError, match=item.replace("[", r"\[").replace("]", r"\]")):
        profile.validate({"workflows": specs})


def test_valid_cron_forms_are_accepted():
    for cron in ("*/15 * * * *", "0 0 1 JAN-MAR MON-FRI", "0,30 8-18/2 * * 1-5", "5 4 * * sun", "  0   6 * * 1 "):
        assert workflows.cron_error(cron) is None, cron
    assert _spec(schedule="  0   6 * * 1 ")["schedule"] == "0 6 * * 1"
    assert _spec(state="absent", agent=None, prompt=None) == {"name": "cost-optimizer", "state": "absent"}


@pytest.mark.parametrize("data", [b"name: [unclosed\n", b"- a list\n", b"", b"\xff\xfe not utf-8"])
def test_corrupt_existing_file_fails_naming_it_and_writes_nothing(tmp_path, data):
    ws, root = _ws_root(tmp_path)
    path = write(os.path.join(_wfdir(ws), "kiro-cost-optimizer.yml"), data)
    kdir = os.path.join(ws, ".kiro")
    before = tree(tmp_path)
    validated = profile.validate({"steering": [{"name": "ops", "content": "# Ops\n"}], "workflows": [COST, DOCS]})
    with pytest.raises(KiroParseError) as raised:
        profile.plan(roots([ws]), validated)
    assert raised.value.path == path and path in str(raised.value)
    assert tree(tmp_path) == before and not os.path.exists(kdir)
    assert read_bytes(path) == data
    with pytest.raises(KiroParseError):
        workflows.plan(root, workflows.validate_specs([dict(COST, state="absent")]))
    described = facts.describe_root(root)
    assert described["workflows"] == [] and path in described["errors"][0]
    assert facts.manual_mode(described) is False


def test_compose_with_a_manual_level_disables_every_workflow(tmp_path):
    content = {"agents": [{"name": "cost-optimizer", "config": {"allowedTools": ["fs_read"]}}],
               "workflows": [COST, dict(DOCS, enabled=True), {"name": "retired", "state": "absent"}]}
    manual = {"agent_autonomy": "Supervised", "hooks_enabled": False, "mcp_enabled": False, "agents_enabled": False}
    composed = profile.compose(content, manual)
    assert [w.get("enabled") for w in composed["workflows"]] == [False, False, None]
    assert composed["workflows"][2] == {"name": "retired", "state": "absent"}
    assert content["workflows"][0] is COST and "enabled" not in COST  # input untouched

    active = profile.compose(content, {"agent_autonomy": "Autopilot", "agents_enabled": True})
    assert [w.get("enabled") for w in active["workflows"][:2]] == [True, True]
    kept_off = profile.compose({"workflows": [dict(COST, enabled=False)]}, {"agents_enabled": True})
    assert kept_off["workflows"][0]["enabled"] is False
    assert profile.compose({}, manual)["workflows"] == []

    # Applied: the files stay, with no schedule; a move back to an active level re-enables them.
    ws, root = _ws_root(tmp_path)
    _apply(profile.plan([root], profile.validate(active)).changes)
    assert [w["enabled"] for w in workflows.describe(root)] == [True, True]
    plan = profile.plan([root], profile.validate(composed))
    assert sorted(c.action for c in plan.changes if c.path.endswith(".yml")) == ["updated", "updated"]
    _apply(plan.changes)
    described = workflows.describe(root)
    assert [(w["name"], w["enabled"], w["schedule"]) for w in described] == [
        ("cost-optimizer", False, None), ("docs-maintainer", False, None)]
    assert profile.summary(profile.validate(composed))["workspace"]["workflows"] == [
        "cost-optimizer", "docs-maintainer", "retired"]


T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("prune", [True, False])
def test_snapshot_create_modify_restore_covers_workflow_files(tmp_path, prune):
    ws, root = _ws_root(tmp_path)
    wfdir = _wfdir(ws)
    _apply(_plan(root, [COST]))
    ours = os.path.join(wfdir, "kiro-cost-optimizer.yml")
    os.chmod(ours, 0o640)
    ci = write(os.path.join(wfdir, "ci.yml"), HAND_WRITTEN)
    original = read_bytes(ours)

    directories, files = snapshot.managed_locations([root])
    assert ours in files and ci not in files and wfdir not in directories
    snapdir = os.path.join(str(tmp_path), "snaps")
    changed, manifest, _unused = snapshot.create([root], snapdir, now=T0)
    assert changed
    assert [f["path"] for f in manifest["files"]] == [ours]
    assert manifest["scanned"]["patterns"] == [os.path.join(wfdir, "kiro-*.yml")]

    # Modify ours, add a new kiro workflow and a new hand-written one, change the hand-written CI.
    write(ours, b"name: hand-edited\n")
    os.chmod(ours, 0o600)
    added = write(os.path.join(wfdir, "kiro-new.yml"), workflows.render(workflows.document(_spec(name="new"))))
    release = write(os.path.join(wfdir, "release.yml"), b"name: release\n")
    write(ci, HAND_WRITTEN + b"# edited\n")
    assert snapshot.create([root], snapdir, now=T0 + datetime.timedelta(minutes=1))[0]  # digest saw the change

    _unused, changes = snapshot.restore_plan(snapdir, manifest["id"], prune=prune)
    touched = sorted((os.path.basename(c.path), c.action) for c in changes if c.changed)
    assert touched == ([("kiro-cost-optimizer.yml", "updated"), ("kiro-new.yml", "deleted")] if prune
                       else [("kiro-cost-optimizer.yml", "updated")])
    _apply(changes)
    assert read_bytes(ours) == original and mode_of(ours) == 0o640
    assert os.path.exists(added) is (not prune)
    assert read_bytes(release) == b"name: release\n" and read_bytes(ci) == HAND_WRITTEN + b"# edited\n"

    # A deleted workflow comes back, directory and all.
    for name in os.listdir(wfdir):
        os.unlink(os.path.join(wfdir, name))
    os.rmdir(wfdir)
    _apply(snapshot.restore_plan(snapdir, manifest["id"], prune=prune)[1])
    assert os.listdir(wfdir) == ["kiro-cost-optimizer.yml"] and read_bytes(ours) == original


def test_facts_manual_mode_false_while_a_workflow_is_enabled(tmp_path):
    ws, root = _ws_root(tmp_path)
    write(os.path.join(ws, ".vscode", "settings.json"),
          '{"kiroAgent.agentAutonomy": "Supervised", "kiroAgent.trustedCommands": []}\n')
    write(os.path.join(_wfdir(ws), "ci.yml"), HAND_WRITTEN)  # a scheduled non-kiro workflow is not ours to judge
    assert facts.manual_mode(facts.describe_root(root)) is True

    _apply(_plan(root, [COST, dict(DOCS, enabled=False)]))
    described = facts.describe_root(root)
    assert [(w["name"], w["enabled"]) for w in described["workflows"]] == [
        ("cost-optimizer", True), ("docs-maintainer", False)]
    assert facts.manual_mode(described) is False
    summary = facts.gather([root])["summary"]
    assert summary["workflows"] == 2 and summary["workflows_enabled"] == 1 and summary["manual_mode"] is False

    _apply(_plan(root, [dict(COST, enabled=False), dict(DOCS, enabled=False)]))
    assert facts.manual_mode(facts.describe_root(root)) is True
    summary = facts.gather([root])["summary"]
    assert summary["workflows"] == 2 and summary["workflows_enabled"] == 0 and summary["manual_mode"] is True


def test_planned_workflows_are_seen_through_the_overlay(tmp_path):
    ws, root = _ws_root(tmp_path)
    planned = profile.plan([root], profile.validate({"workflows": [COST]}))
    assert workflows.describe(root) == []
    with changeset.Overlay(planned.changes):
        (described,) = workflows.describe(root)
        assert described["enabled"] is True
        assert facts.gather([root], digest=False)["summary"]["workflows_enabled"] == 1
    assert not os.path.exists(_wfdir(ws))
