"""Gate report renderers: files, evidence bundle, Markdown, JUnit, HTML."""

import datetime
import hashlib
import json
import os
import re
import stat
import tarfile
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate import providers as registry
from ansible_collections.kiro.platform.plugins.module_utils.gate import report
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context, Measurement, Provider

BEARER = "BEARER-abc123xyz-secret"
URL_TOKEN = "URLTOKEN-9f8e7d"
URL_PASSWORD = "pw-in-url-77"
EXPLICIT = "EXPLICIT-s3cret-42"
SECRETS = (BEARER, URL_TOKEN, URL_PASSWORD, EXPLICIT)
NOW = datetime.datetime(2025, 3, 14, 9, 26, 53, tzinfo=datetime.timezone.utc)
STAMP = "20250314T092653Z"


def _measurement(index, value, outcome, samples=120, baseline=None, series=None, error=None, elapsed=0.25):
    entry = {"index": index, "started": "2025-03-14T09:2%d:00.000000Z" % index, "value": value,
             "baseline": baseline, "samples": samples if value is not None else 0, "series": series or [],
             "details": {}, "outcome": outcome, "elapsed": elapsed}
    if error:
        entry["error"] = error
    return entry


def _criterion(name, provider, condition, verdict, measurements, warn=None, dry_run=False, weight=1,
               thresholds=None, query=None, raw=None, reason=None, error=None, details=None, description="",
               stopped=None, extra=None):
    usable = [m for m in measurements if m["outcome"] in ("pass", "warn", "fail")]
    last = usable[-1] if usable else (measurements[-1] if measurements else {})
    definition = {"name": name, "description": description, "provider": provider, "pass": condition,
                  "warn": warn, "on_no_data": "fail", "min_samples": 1, "count": len(measurements),
                  "interval": 0, "failure_limit": 0, "consecutive_error_limit": 0, "dry_run": dry_run,
                  "weight": weight, "aggregate": "last"}
    definition.update(extra or {})
    return {
        "name": name, "description": description, "provider": provider, "query": query,
        "condition": condition, "warn_condition": warn, "verdict": verdict, "value": last.get("value"),
        "baseline": last.get("baseline"), "samples": last.get("samples"),
        "values": [m["value"] for m in measurements], "measurements": measurements, "stopped": stopped,
        "error": error, "reason": reason, "dry_run": dry_run, "weight": weight,
        "thresholds": thresholds if thresholds is not None else [float(re.findall(r"[-\d.]+", condition)[0])],
        "definition": definition, "raw": raw if raw is not None else [{"answer": m["value"]} for m in usable],
        "details": details or {},
    }


def make_report(verdict="fail", approver=None):
    """A realistic report: pass, warn, fail (baseline), inconclusive (no data), dry run, series."""
    latency_series = [[1741943000 + 60 * i, str(700 + 15 * i)] for i in range(12)]
    criteria = [
        _criterion("autonomous_success_rate", "prometheus", "> 0.9", "pass",
                   [_measurement(1, 0.93, "pass"), _measurement(2, 0.95, "pass"), _measurement(3, 0.94, "pass")],
                   warn="> 0.85", query='sum(rate(kiro_operations_total{outcome="success"}[7d]))',
                   description="Share of autonomous operations that succeeded over the last 7 days",
                   raw=[{"status": "success", "request": {"headers": {"Authorization": "Bearer " + BEARER}}}],
                   extra={"query": "sum(rate(kiro_operations_total[7d]))"}),
        _criterion("p95_latency_ms", "cloudwatch", "< 800", "warn",
                   [_measurement(1, 865.0, "warn", samples=12, series=latency_series)], warn="< 1000",
                   query="AWS/ApiGateway Latency p95", description="p95 latency of the agent API",
                   details={"note": "sent Authorization: Bearer %s" % BEARER}),
        _criterion("cost_savings", "cost_explorer", "savings >= 0.20", "fail",
                   [_measurement(1, 1400.0, "fail", samples=30, baseline=1600.0)], weight=2, thresholds=[0.2],
                   query="UnblendedCost", description="Savings against the previous 30 days",
                   raw=[{"ResultsByTime": [{"Total": {"UnblendedCost": {"Amount": "1400"}}}],
                         "note": "caller passed %s" % EXPLICIT}]),
        _criterion("health_endpoint", "http_json",
                   "== 1", "inconclusive",
                   [_measurement(1, None, "error", error="HTTP 503 from https://api.example.com/health?token=%s"
                                 % URL_TOKEN),
                    _measurement(2, None, "nodata")],
                   query="https://svc:%s@api.example.com/health?token=%s" % (URL_PASSWORD, URL_TOKEN),
                   error="HTTP 503 from https://api.example.com/health?token=%s" % URL_TOKEN,
                   reason="HTTP 503 from https://api.example.com/health?token=%s; %s" % (URL_TOKEN, EXPLICIT),
                   stopped="consecutive_error_limit", raw=[],
                   extra={"url": "https://svc:%s@api.example.com/health?token=%s" % (URL_PASSWORD, URL_TOKEN),
                          "headers": {"X-Api-Key": EXPLICIT}}),
        _criterion("developer_satisfaction", "file", "between 4 and 5", "fail",
                   [_measurement(1, 3.6, "fail", samples=14)], dry_run=True, thresholds=[4.0, 5.0],
                   query="[?environment=='development'].score", description="Survey <score> & \"mood\""),
        _criterion("mcp_tools_available", "mcp_probe", ">= 3", "pass", [_measurement(1, 5.0, "pass", samples=5)],
                   details={"servers": {"github": ["search", "get_issue"], "aws": ["describe"]}}),
    ]
    return {
        "phase": 2, "environment": "development", "verdict": verdict, "passed": bool(approver),
        "score": 41.7, "started": "2025-03-14T09:20:00.000000Z", "finished": "2025-03-14T09:26:52.500000Z",
        "duration": 412.5, "approver": approver, "approval_reason": "known CloudWatch lag" if approver else None,
        "fail_closed": True, "needs_approval": verdict == "warn", "criteria": criteria,
    }


def gate_definition():
    return {
        "criteria": [c["definition"] for c in make_report()["criteria"]],
        "providers": {
            "prometheus": {"url": "https://prom.example.com", "headers": {"Authorization": "Bearer " + BEARER}},
            "http_json": {"bearer_token": BEARER, "timeout": 5},
            "cost_explorer": {"region": "us-east-1", "aws_secret_access_key": EXPLICIT},
        },
    }


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tar_members(path):
    with tarfile.open(path, "r:gz") as tar:
        return dict((m.name, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers())


@pytest.fixture
def written(tmp_path):
    old = os.umask(0o022)
    try:
        result = report.write_all(make_report(), str(tmp_path / "reports"), secrets=[EXPLICIT],
                                  gate_definition=gate_definition(), now=NOW)
    finally:
        os.umask(old)
    return tmp_path, result


# --------------------------------------------------------------------------- files

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
    first = report.write_all(make_report(), str(tmp_path / "a"), now=NOW.timestamp())
    second = report.write_all(make_report(), str(tmp_path / "b"), now=NOW)
    assert first["evidence_sha256"] == second["evidence_sha256"]
    assert first["json"].endswith("phase2-%s.json" % STAMP)
    gate = json.loads(tar_members(first["evidence"])["gate.json"])
    assert gate["criteria"][3]["url"] == "https://<redacted>@api.example.com/health?token=<redacted>"
    assert gate["criteria"][3]["headers"] == {"X-Api-Key": secrets.MASK}
    assert gate["thresholds"]["developer_satisfaction"] == [4.0, 5.0]


def test_write_all_sanitises_path_parts(tmp_path):
    data = make_report()
    data["environment"] = "../../etc"
    result = report.write_all(data, str(tmp_path / "r"), now=NOW)
    assert os.path.dirname(result["json"]) == str(tmp_path / "r" / "etc")


# --------------------------------------------------------------------------- markdown

def test_markdown_headline_table_and_failures():
    text = report.markdown(make_report())
    lines = text.splitlines()
    assert lines[0] == "## Gate phase 2 in development: FAIL (score 41.7)"
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Criterion")]
    assert len(rows) == 6
    for criterion in make_report()["criteria"]:
        assert sum(1 for row in rows if row.startswith("| %s" % criterion["name"])) == 1
    assert "| developer_satisfaction (dry run) | FAIL |" in text
    assert "| cost_savings | FAIL | savings 0.125 (1400 vs 1600) | savings >= 0.20 | 30 | cost_explorer |" in text
    assert "| health_endpoint | INCONCLUSIVE | no data |" in text
    section = text.split("### Failures and warnings", 1)[1]
    assert "autonomous_success_rate" not in section and "mcp_tools_available" not in section
    for name in ("p95_latency_ms (WARN)", "cost_savings (FAIL)", "health_endpoint (INCONCLUSIVE)",
                 "developer_satisfaction (FAIL, dry run)"):
        assert "- " + name in section
    assert "HTTP 503" in section and "stopped after 2 measurement(s) by consecutive_error_limit" in section
    assert "Approved by" not in text
    assert all(len(line) <= 400 for line in lines)


def test_markdown_approver_and_clean_pass():
    data = make_report(verdict="warn", approver="alice")
    text = report.markdown(data)
    assert "Approved by alice: known CloudWatch lag" in text
    assert "Result: passed with approval" in text
    clean = make_report(verdict="pass")
    clean["criteria"] = [clean["criteria"][0]]
    clean["score"] = 100.0
    text = report.markdown(clean)
    assert text.startswith("## Gate phase 2 in development: PASS (score 100.0)")
    assert text.rstrip().endswith("None.")


def test_markdown_escapes_pipes():
    data = make_report()
    data["criteria"][0]["condition"] = "> 0.9 | evil"
    assert "> 0.9 \\| evil" in report.markdown(data)


# --------------------------------------------------------------------------- junit

def test_junit_counts_and_cases():
    root = ET.fromstring(report.junit(make_report()))
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "gate.phase2.development"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        ("6", "1", "1", "1")
    cases = dict((c.get("name"), c) for c in suite.findall("testcase"))
    assert len(cases) == 6
    assert cases["autonomous_success_rate"].get("classname") == "prometheus"
    assert float(cases["autonomous_success_rate"].get("time")) == pytest.approx(0.75)
    assert cases["cost_savings"].find("failure") is not None
    assert "needs savings >= 0.20" in cases["cost_savings"].find("failure").get("message")
    assert cases["health_endpoint"].find("error") is not None
    assert cases["developer_satisfaction"].find("skipped").get("message") == "dry run: verdict fail"
    assert cases["developer_satisfaction"].find("failure") is None
    warn = cases["p95_latency_ms"]
    assert warn.find("failure") is None and warn.find("error") is None and warn.find("skipped") is None
    assert "WARNING" in warn.find("system-out").text
    assert cases["mcp_tools_available"].find("failure") is None
    failures = sum(1 for c in cases.values() if c.find("failure") is not None)
    errors = sum(1 for c in cases.values() if c.find("error") is not None)
    skipped = sum(1 for c in cases.values() if c.find("skipped") is not None)
    assert (failures, errors, skipped) == (1, 1, 1)


def test_junit_survives_hostile_text():
    data = make_report()
    data["criteria"][2]["reason"] = 'bad \x00\x1b[31m <tag> & "quotes" \ud800'
    data["environment"] = "dev<&>"
    root = ET.fromstring(report.junit(data).encode("utf-8"))
    assert root.find("testsuite").get("name") == "gate.phase2.dev<&>"


# --------------------------------------------------------------------------- html

def test_html_banner_cards_and_charts():
    page = report.html(make_report())
    assert page.startswith("<!DOCTYPE html>")
    assert 'class="banner v-fail"' in page and ">FAIL<" in page and "41.7" in page
    assert page.count('<section class="card') == 6
    # one chart per criterion with data; the no-data one says so
    assert page.count("<svg") == 5
    assert page.count('class="nodata-box">no data<') == 1
    svgs = dict((m.group(1), m.group(0)) for m in
                re.finditer(r'<svg[^>]*data-criterion="([^"]+)"[^>]*>.*?</svg>', page, re.S))
    assert set(svgs) == {"autonomous_success_rate", "p95_latency_ms", "cost_savings", "developer_satisfaction",
                         "mcp_tools_available"}
    success = svgs["autonomous_success_rate"]
    assert 'class="threshold threshold-pass"' in success and 'data-value="0.9"' in success
    assert 'class="threshold threshold-warn"' in success and 'data-value="0.85"' in success
    assert 'stroke-dasharray' in success and 'class="pass-region"' in success
    assert success.count('class="point"') == 3
    latency = svgs["p95_latency_ms"]
    assert "series of the last measurement (12 points)" in latency
    assert 'data-value="800.0"' in latency
    between = svgs["developer_satisfaction"]
    assert between.count("threshold-pass") == 2
    assert 'data-value="0.2"' in svgs["cost_savings"]
    for svg in svgs.values():
        ET.fromstring(svg)  # well-formed


def test_html_is_self_contained_and_escaped():
    data = make_report()
    data["criteria"][0]["description"] = '<script>alert("x")</script>'
    page = report.html(data)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "Survey &lt;score&gt; &amp; &quot;mood&quot;" in page
    assert not re.search(r'\s(?:src|href)\s*=', page)
    assert "url(" not in page and "@import" not in page
    assert "<link" not in page


def test_html_all_none_and_empty():
    data = make_report(verdict="inconclusive")
    for criterion in data["criteria"]:
        criterion["value"] = criterion["baseline"] = criterion["samples"] = None
        criterion["measurements"] = []
        criterion["values"] = []
    page = report.html(data)
    assert "<svg" not in page and page.count('class="nodata-box">no data<') == 6
    empty = {"phase": None, "environment": None, "verdict": None, "criteria": None}
    assert "No criteria." in report.html(empty)
    assert report.markdown(empty).startswith("## Gate phase ? in ?: INCONCLUSIVE")
    assert ET.fromstring(report.junit(empty)).find("testsuite").get("tests") == "0"


def test_html_bare_measurement_draws_no_absurd_threshold():
    criterion = make_report()["criteria"][5]
    criterion["condition"], criterion["thresholds"] = ">= -1e308", [-1e308]
    svg = report.svg_chart(criterion)
    assert svg and "threshold" not in svg and "e+308" not in svg


# --------------------------------------------------------------------------- with the real engine

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
    paths = report.write_all(result, str(tmp_path), secrets=[BEARER],
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


def test_outcome_line_names_the_blockers():
    assert "Result: blocked, failed: cost_savings\n" in report.markdown(make_report())
    data = make_report(verdict="inconclusive")
    assert "Result: blocked, inconclusive (fail-closed): health_endpoint" in report.html(data)


def test_many_measurements_and_sparse_criteria_render():
    data = make_report()
    values = [0.9 + 0.005 * (i % 7) if i % 5 else None for i in range(25)]
    data["criteria"][0]["measurements"] = [
        _measurement(i + 1, v, "nodata" if v is None else ("pass" if v > 0.9 else "fail"))
        for i, v in enumerate(values)]
    data["criteria"].append({"name": "bare"})
    data["criteria"].append({"name": "odd", "value": "n/a", "measurements": None, "thresholds": None,
                             "verdict": "weird", "condition": "> 1", "series": "x"})
    page = report.html(data)
    svg = re.search(r'<svg[^>]*data-criterion="autonomous_success_rate".*?</svg>', page, re.S).group(0)
    ET.fromstring(svg)
    assert svg.count('class="nodata"') == 5 and svg.count('class="point"') == 20
    labels = re.findall(r'>(#\d+)</text>', svg)
    assert labels[0] == "#1" and labels[-1] == "#25" and len(labels) <= 7
    assert page.count('<section class="card') == 8
    report.markdown(data)
    ET.fromstring(report.junit(data))


def test_now_as_iso_text(tmp_path):
    result = report.write_all(make_report(), str(tmp_path), now="2025-03-14T10:26:53+01:00")
    assert result["json"].endswith("phase2-%s.json" % STAMP)
