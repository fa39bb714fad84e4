"""What the phase_gate role writes: one report set per gate evaluation, checked with testinfra."""

import hashlib
import json
import os
import tarfile
import xml.etree.ElementTree as ET

import pytest

ROOT = os.environ["KIRO_MOLECULE_ROOT"]
REPORTS = os.path.join(ROOT, "reports")
SUFFIXES = (".json", ".md", ".xml", ".html", ".evidence.tar.gz")


def newest(host, environment, phase):
    """The report set of the last evaluation (converge and idempotence each write one)."""
    directory = os.path.join(REPORTS, environment)
    stamps = sorted(name[:-len(".json")] for name in host.file(directory).listdir()
                    if name.startswith("phase%d-" % phase) and name.endswith(".json"))
    assert stamps, "no phase %d report in %s" % (phase, directory)
    base = os.path.join(directory, stamps[-1])
    return dict((suffix, base + suffix) for suffix in SUFFIXES)


def report(host, environment, phase):
    return json.loads(host.file(newest(host, environment, phase)[".json"]).content_string)


@pytest.mark.parametrize("environment,phase", [("staging", 3), ("development", 2)])
def test_every_report_written_private(host, environment, phase):
    paths = newest(host, environment, phase)
    for suffix, path in paths.items():
        assert host.file(path).is_file, path
        assert host.file(path).mode == (0o600 if suffix == ".evidence.tar.gz" else 0o640), path
    assert host.file(os.path.join(REPORTS, environment)).mode == 0o750


def test_staging_phase3_passes_on_its_file_criteria(host):
    found = report(host, "staging", 3)
    assert found["verdict"] == "pass" and found["passed"] is True and found["score"] == 100.0
    criteria = dict((c["name"], c) for c in found["criteria"])
    # The built-in phase-3 gate less the inventory's removals (converge.yml).
    assert sorted(criteria) == ["quality_gates_functional", "rollback_drill", "security_validation"]
    assert criteria["security_validation"]["value"] == 0.0
    assert criteria["quality_gates_functional"]["value"] == 1.0
    assert criteria["quality_gates_functional"]["samples"] == 2
    assert criteria["rollback_drill"]["value"] == 1.0
    assert all(c["provider"] == "file" and c["verdict"] == "pass" for c in criteria.values())
    # Each measurement names the file it read and that file's digest.
    scan = os.path.join(ROOT, "metrics", "security-scan.json")
    digest = hashlib.sha256(host.file(scan).content).hexdigest()
    assert criteria["security_validation"]["details"] == {"path": scan, "sha256": digest}


def test_development_phase2_fails_and_names_the_criterion(host):
    found = report(host, "development", 2)
    assert found["verdict"] == "fail" and found["passed"] is False
    [criterion] = found["criteria"]
    assert criterion["name"] == "developer_satisfaction"
    assert criterion["verdict"] == "fail"
    assert criterion["value"] == pytest.approx(3.2)
    assert criterion["samples"] == 10
    assert criterion["condition"] == "> 4.0"


def test_junit_and_markdown_agree_with_the_verdicts(host):
    passed = ET.fromstring(host.file(newest(host, "staging", 3)[".xml"]).content_string)
    assert passed.get("tests") == "3" and passed.get("failures") == "0"
    failed = ET.fromstring(host.file(newest(host, "development", 2)[".xml"]).content_string)
    [failure] = failed.findall(".//testcase[@name='developer_satisfaction']/failure")
    assert "needs > 4.0" in failure.get("message")
    text = host.file(newest(host, "development", 2)[".md"]).content_string
    assert text.startswith("## Gate phase 2 in development: FAIL")
    assert "| developer_satisfaction | FAIL | 3.2 | > 4.0 | 10 | file |" in text
    assert "<svg" in host.file(newest(host, "staging", 3)[".html"]).content_string


def test_evidence_bundle_matches_the_report(host, tmp_path):
    paths = newest(host, "staging", 3)
    bundle = host.file(paths[".evidence.tar.gz"]).content
    assert hashlib.sha256(bundle).hexdigest() == report(host, "staging", 3)["evidence_sha256"]
    archive = tmp_path / "evidence.tar.gz"
    archive.write_bytes(bundle)
    with tarfile.open(archive) as tar:
        members = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile())
    manifest = json.loads(members.pop("manifest.json"))["sha256"]
    # The manifest lists the digest of every other member: the report, the gate, each raw reading.
    assert sorted(manifest) == ["gate.json", "raw/quality_gates_functional.json", "raw/rollback_drill.json",
                                "raw/security_validation.json", "report.json"]
    assert manifest == dict((name, hashlib.sha256(data).hexdigest()) for name, data in members.items())
