"""The changelog: fragments that antsibull-changelog accepts, and a CHANGELOG.rst that is exactly
what antsibull-changelog generates from them (a released fragment edited later, or a
CHANGELOG.rst edited by hand, fails here)."""

import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANTSIBULL = os.path.join(os.path.dirname(sys.executable), "antsibull-changelog")
FRAGMENTS = os.path.join(ROOT, "changelogs", "fragments")


def antsibull(cwd, *args):
    proc = subprocess.run([ANTSIBULL] + list(args), cwd=str(cwd), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_fragments_and_changelog_yaml_lint_clean():
    assert antsibull(ROOT, "lint") == ""
    assert antsibull(ROOT, "lint-changelog-yaml", os.path.join("changelogs", "changelog.yaml")) == ""


def test_every_fragment_says_something():
    sections = set(name for name, _title in
                   yaml.safe_load(open(os.path.join(ROOT, "changelogs", "config.yaml")))["sections"])
    names = sorted(os.listdir(FRAGMENTS))
    assert names, "no changelog fragment"
    for name in names:
        with open(os.path.join(FRAGMENTS, name)) as handle:
            fragment = yaml.safe_load(handle)
        assert fragment, name
        for section, entries in fragment.items():
            if section == "release_summary":
                assert isinstance(entries, str) and entries.strip(), name
                continue
            assert section in sections | {"trivial"}, (name, section)
            assert entries and all(isinstance(e, str) and len(e.split()) >= 4 for e in entries), (name, section)


def test_changelog_rst_is_generated_from_the_fragments(tmp_path):
    # A copy: generate --refresh-fragments rewrites changelog.yaml and CHANGELOG.rst in place.
    shutil.copytree(os.path.join(ROOT, "changelogs"), str(tmp_path / "changelogs"))
    shutil.copy(os.path.join(ROOT, "galaxy.yml"), str(tmp_path / "galaxy.yml"))
    # (changelog.yaml is not compared: a refresh drops the trivial entries a release keeps.)
    antsibull(tmp_path, "generate", "--refresh-fragments")
    with open(os.path.join(ROOT, "CHANGELOG.rst")) as committed, open(str(tmp_path / "CHANGELOG.rst")) as generated:
        assert committed.read() == generated.read(), (
            "CHANGELOG.rst is not what antsibull-changelog generates: run `antsibull-changelog generate "
            "--refresh-fragments` (or `release --version X` for a new release) and commit it")
