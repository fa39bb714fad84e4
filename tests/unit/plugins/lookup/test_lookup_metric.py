"""The kiro.platform.metric lookup, loaded as Ansible loads it."""

import json

import pytest

from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader


@pytest.fixture
def metric(tmp_path):
    loader = DataLoader()
    loader.set_basedir(str(tmp_path))
    return lookup_loader.get("kiro.platform.metric", loader=loader, templar=None)


def test_measures_a_file_relative_to_the_playbook_directory(metric, tmp_path):
    (tmp_path / "satisfaction.csv").write_text("environment,score\ndevelopment,4\ndevelopment,5\nstaging,1\n")
    term = {"provider": "file", "path": "satisfaction.csv", "query": "[?environment=='development'].score",
            "aggregate": "mean"}
    assert metric.run([term], variables={}) == [4.5]


def test_several_terms_and_no_data(metric, tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"a": 3, "b": []}))
    assert metric.run([{"provider": "file", "path": "m.json", "query": "a"},
                       {"provider": "file", "path": "m.json", "query": "b", "aggregate": "mean"}],
                      variables={}) == [3.0, None]


def test_errors_name_the_lookup(metric):
    with pytest.raises(AnsibleLookupError, match="kiro.platform.metric: each term must be a mapping"):
        metric.run(["up"], variables={})
    with pytest.raises(AnsibleLookupError, match="kiro.platform.metric: .*nagios"):
        metric.run([{"provider": "nagios", "query": "up"}], variables={})
