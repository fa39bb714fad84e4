"""write_all: file names and modes, the JSON report, the evidence bundle, no secret in any file."""

import hashlib
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import writer
from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate import providers as registry
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context, Measurement, Provider

from fixtures.gate_reports import (
    BEARER, EXPLICIT, NOW, SECRETS, STAMP, URL_PASSWORD, URL_TOKEN, gate_definition, make_report, mode_of,
    tar_members)


@pytest.fixture
def written(tmp_path):
    old = os.umask(0o022)
    try:
        result = writer.write_all(make_report(), str(tmp_path / "reports"), secrets=[EXPLICIT],
                                  gate_definition=gate_definition(), now=NOW)
    finally:
        os.umask(old)
    return tmp_path, result


def test_write_all_names_modes_and_no_leftovers(written):
    tmp_path, result = written
    env_dir = tmp_path / "reports" / "development"
    base = str(env_dir / ("phase2-" + STAMP))
    assert result["json"] == base + ".json"
    assert result["markdown"] == base + ".md"
    assert result["junit"] == base + ".xml"
    assert result["html"] == base + ".html"
    assert result["evidence"] == base + ".evidence.tar.gz"
    for key in ("json", "markdown", "junit", "html"):
        assert mode_of(result[key]) == 0o640, key
    assert mode_of(result["evidence"]) == 0o600
    assert mode_of(str(env_dir)) == 0o750
    assert mode_of(str(tmp_path / "reports")) == 0o750
    assert sorted(os.listdir(str(env_dir))) == sorted(os.path.basename(result[k]) for k in
                                                      ("json", "markdown", "junit", "html", "evidence"))
    assert result["markdown_text"] == open(result["markdown"], encoding="utf-8").read()


def test_json_round_trips_with_evidence_sha256(written):
    _tmp, result = written
    data = json.load(open(result["json"], encoding="utf-8"))
    digest = hashlib.sha256(open(result["evidence"], "rb").read()).hexdigest()
    assert data["evidence_sha256"] == digest == result["evidence_sha256"]
    assert data["verdict"] == "fail" and data["phase"] == 2 and data["environment"] == "development"
    assert [c["name"] for c in data["criteria"]] == [c["name"] for c in make_report()["criteria"]]
    assert data["criteria"][0]["values"] == [0.93, 0.95, 0.94]
    assert data["criteria"][3]["value"] is None


def test_evidence_bundle_members(written):
    _tmp, result = written
    members = tar_members(result["evidence"])
    names = sorted(members)
    expected_raw = ["raw/%s.json" % c["name"] for c in make_report()["criteria"]]
    for name in ["report.json", "gate.json"] + expected_raw:
        assert name in names
    bundled = json.loads(members["report.json"])
    on_disk = json.load(open(result["json"], encoding="utf-8"))
    assert "evidence_sha256" not in bundled
    on_disk.pop("evidence_sha256")
    assert bundled == on_disk
    gate = json.loads(members["gate.json"])
    assert gate["providers"]["http_json"]["bearer_token"] == secrets.MASK
    assert gate["providers"]["http_json"]["timeout"] == 5
    assert gate["providers"]["prometheus"]["headers"]["Authorization"] == secrets.MASK
    assert gate["providers"]["cost_explorer"]["region"] == "us-east-1"
    assert [c["name"] for c in gate["criteria"]] == [c["name"] for c in make_report()["criteria"]]
    raw = json.loads(members["raw/cost_savings.json"])
    assert raw["raw"][0]["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"] == "1400"
    manifest = json.loads(members["manifest.json"])["sha256"]
    for name, digest in manifest.items():
        assert hashlib.sha256(members[name]).hexdigest() == digest


def test_no_secret_in_any_written_file(written):
    tmp_path, _result = written
    contents = {}
    for root, _dirs, files in os.walk(str(tmp_path)):
        for name in files:
            path = os.path.join(root, name)
            contents[path] = open(path, "rb").read()
            if name.endswith(".tar.gz"):
                for member, data in tar_members(path).items():
                    if data is not None:
                        contents[path + "!" + member] = data
    assert len(contents) >= 5 + 3 + 6
    for path, data in contents.items():
        for secret in SECRETS:
            assert secret.encode() not in data, (secret, path)
    html_text = contents[[p for p in contents if p.endswith(".html")][0]].decode()
    assert "https://&lt;redacted&gt;@api.example.com/health?token=&lt;redacted&gt;" in html_text


def test_bundle_is_deterministic_and_timestamp_accepts_epoch(tmp_path):
    first = writer.write_all(make_report(), str(tmp_path / "a"), now=NOW.timestamp())
    second = writer.write_all(make_report(), str(tmp_path / "b"), now=NOW)
    assert first["evidence_sha256"] == second["evidence_sha256"]
    assert first["json"].endswith("phase2-%s.json" % STAMP)
    gate = json.loads(tar_members(first["evidence"])["gate.json"])
    assert gate["criteria"][3]["url"] == "https://<redacted>@api.example.com/health?token=<redacted>"
    assert gate["criteria"][3]["headers"] == {"X-Api-Key": secrets.MASK}
    assert gate["thresholds"]["developer_satisfaction"] == [4.0, 5.0]


def test_write_all_sanitises_path_parts(tmp_path):
    data = make_report()
    data["environment"] = "../../etc"
    result = writer.write_all(data, str(tmp_path / "r"), now=NOW)
    assert os.path.dirname(result["json"]) == str(tmp_path / "r" / "etc")


def test_now_as_iso_text(tmp_path):
    result = writer.write_all(make_report(), str(tmp_path), now="2025-03-14T10:26:53+01:00")
    assert result["json"].endswith("phase2-%s.json" % STAMP)


class _FakeProvider(Provider):
    name = "fake"
    required = ("metric",)
    optional = ("url",)
    settings_keys = ("token", "url")
    script = {}

    def measure(self, criterion, context):
        values = self.script[criterion.name]
        value = values.pop(0) if values else None
        if isinstance(value, Exception):
            raise value
        return Measurement(value=value, samples=10, series=[[1741943000 + i, value] for i in range(3)]
                           if value is not None else None, raw={"echo": self.settings.get("token")})


def test_engine_report_renders(tmp_path, monkeypatch):
    real_load = registry.load
    monkeypatch.setattr(registry, "load", lambda name: _FakeProvider if name == "fake" else real_load(name))
    _FakeProvider.script = {"ok": [0.95, 0.96], "slow": [0.87], "broken": [None, None]}
    items = [
        {"name": "ok", "provider": "fake", "metric": "m1", "pass": "> 0.9", "count": 2, "failure_limit": 0},
        {"name": "slow", "provider": "fake", "metric": "m2", "pass": "> 0.9", "warn": "> 0.85"},
        {"name": "broken", "provider": "fake", "metric": "m3", "pass": "> 0.9", "count": 2,
         "consecutive_error_limit": 2, "on_no_data": "inconclusive",
         "url": "https://u:%s@x.example/q?token=%s" % (URL_PASSWORD, URL_TOKEN)},
    ]
    settings = {"fake": {"token": BEARER, "url": "https://x.example"}}
    result = engine.evaluate(items, settings, Context(environment="staging", phase=3), sleep=lambda s: None)
    assert result["verdict"] == "inconclusive"
    paths = writer.write_all(result, str(tmp_path), secrets=[BEARER],
                             gate_definition={"criteria": items, "providers": settings}, now=NOW)
    root = ET.parse(paths["junit"]).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == "gate.phase3.staging"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "0", "1")
    page = open(paths["html"], encoding="utf-8").read()
    assert page.count("<svg") == 2 and ">no data<" in page
    for path in (paths["json"], paths["markdown"], paths["junit"], paths["html"]):
        data = open(path, encoding="utf-8").read()
        assert BEARER not in data and URL_TOKEN not in data and URL_PASSWORD not in data
    for data in tar_members(paths["evidence"]).values():
        if data:
            assert BEARER.encode() not in data and URL_TOKEN.encode() not in data
    assert "| slow | WARN | 0.87 | > 0.9 (warn > 0.85) | 10 | fake |" in paths["markdown_text"]
