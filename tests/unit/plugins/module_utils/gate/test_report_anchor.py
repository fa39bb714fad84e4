"""The ledger anchor in every gate report: JSON, Markdown, HTML, JUnit and the evidence manifest."""

import hashlib
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import writer

from fixtures.gate_reports import NOW, make_report, tar_members

SHA = hashlib.sha256(b"entry 7").hexdigest()
ANCHOR = {"seq": 7, "sha256": SHA}


@pytest.fixture
def anchored(tmp_path):
    return writer.write_all(make_report(), str(tmp_path / "reports"), now=NOW, ledger_anchor=dict(ANCHOR))


def test_json_report_carries_the_anchor(anchored):
    with open(anchored["json"], encoding="utf-8") as handle:
        assert json.load(handle)["ledger_anchor"] == ANCHOR


def test_markdown_and_html_show_the_anchor(anchored):
    line = "Ledger anchor: seq 7, sha256 %s" % SHA
    assert line in anchored["markdown_text"].splitlines()
    with open(anchored["markdown"], encoding="utf-8") as handle:
        assert line in handle.read().splitlines()
    with open(anchored["html"], encoding="utf-8") as handle:
        page = handle.read()
    assert '<span id="ledger-anchor">Ledger anchor: seq <b>7</b>, sha256 <code>%s</code></span>' % SHA in page


def test_junit_has_anchor_properties(anchored):
    suite = ET.parse(anchored["junit"]).getroot().find("testsuite")
    props = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert props["ledger_anchor_seq"] == "7" and props["ledger_anchor_sha256"] == SHA


def test_evidence_manifest_and_bundled_report_carry_the_anchor(anchored):
    members = tar_members(anchored["evidence"])
    manifest = json.loads(members["manifest.json"])
    assert manifest["ledger_anchor"] == ANCHOR
    assert json.loads(members["report.json"])["ledger_anchor"] == ANCHOR
    # The anchor is inside what the ledger's report_sha256 covers.
    with open(anchored["evidence"], "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == anchored["evidence_sha256"]
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(members[name]).hexdigest() == digest


def test_another_anchor_gives_another_evidence_sha256(tmp_path, anchored):
    other = writer.write_all(make_report(), str(tmp_path / "other"), now=NOW,
                             ledger_anchor={"seq": 8, "sha256": SHA})
    assert other["evidence_sha256"] != anchored["evidence_sha256"]


def test_without_an_anchor_the_reports_say_none(tmp_path):
    result = writer.write_all(make_report(), str(tmp_path / "reports"), now=NOW)
    with open(result["json"], encoding="utf-8") as handle:
        assert json.load(handle)["ledger_anchor"] is None
    assert "Ledger anchor" not in result["markdown_text"]
    manifest = json.loads(tar_members(result["evidence"])["manifest.json"])
    assert set(manifest) == {"sha256"}


def test_an_empty_ledger_anchors_at_seq_0(tmp_path):
    result = writer.write_all(make_report(), str(tmp_path), now=NOW, ledger_anchor={"seq": 0, "sha256": "0" * 64})
    with open(result["json"], encoding="utf-8") as handle:
        assert json.load(handle)["ledger_anchor"] == {"seq": 0, "sha256": "0" * 64}


def test_upper_case_hex_is_kept_in_lower_case():
    assert writer.checked_anchor({"seq": 3, "sha256": SHA.upper()}) == {"seq": 3, "sha256": SHA}


@pytest.mark.parametrize("bad", [
    {"seq": -1, "sha256": SHA}, {"seq": True, "sha256": SHA}, {"seq": "7", "sha256": SHA},
    {"seq": 7, "sha256": SHA[:-1]}, {"seq": 7, "sha256": "z" * 64}, {"seq": 7}, {"sha256": SHA}, [7, SHA], "7",
])
def test_a_malformed_anchor_is_refused_before_anything_is_written(tmp_path, bad):
    with pytest.raises(InvalidInput) as info:
        writer.write_all(make_report(), str(tmp_path / "reports"), now=NOW, ledger_anchor=bad)
    assert "ledger_anchor" in str(info.value) and "64 hex digits" in str(info.value)
    assert not (tmp_path / "reports").exists()
