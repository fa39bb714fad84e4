# -*- coding: utf-8 -*-
"""The one textfile writer: its output parses with the Prometheus client's own parser."""

import math
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.kiro.platform.plugins.module_utils.common import promtext
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, UnsafePath


def parsed(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_counter_gauge_and_histogram_round_trip():
    families = [
        promtext.Family("kiro_operations_total", "counter", "Tool calls\nby outcome").add(
            {"env": "production", "outcome": "success", "agent": 'a"b\\c'}, 12),
        promtext.Family("kiro_security_findings", "gauge", "Open findings").add({"severity": "critical"}, 0),
        promtext.Family("kiro_agent_action_duration_seconds", "histogram", "Durations",
                        promtext.histogram_samples({"env": "production"}, [1, 5], [2, 3, 1], 17.5)),
    ]
    text = promtext.render(families)
    assert text.endswith("\n")
    fams = parsed(text)
    ops = fams["kiro_operations"]
    assert ops.type == "counter"
    assert ops.documentation == "Tool calls\nby outcome"
    assert ops.samples[0].labels["agent"] == 'a"b\\c'
    assert ops.samples[0].value == 12
    hist = {(s.name, s.labels.get("le")): s.value for s in fams["kiro_agent_action_duration_seconds"].samples}
    assert hist[("kiro_agent_action_duration_seconds_bucket", "1")] == 2
    assert hist[("kiro_agent_action_duration_seconds_bucket", "5")] == 5
    assert hist[("kiro_agent_action_duration_seconds_bucket", "+Inf")] == 6
    assert hist[("kiro_agent_action_duration_seconds_count", None)] == 6
    assert hist[("kiro_agent_action_duration_seconds_sum", None)] == 17.5


@pytest.mark.parametrize("value, text", [(3, "3"), (2.0, "2"), (0.25, "0.25"), (math.inf, "+Inf"),
                                         (float("nan"), "NaN"), (True, "1")])
def test_values_are_written_as_prometheus_reads_them(value, text):
    assert promtext.format_value(value) == text


def test_duplicates_and_bad_names_are_refused():
    with pytest.raises(InvalidInput, match="twice"):
        promtext.render([promtext.Family("a", "gauge", "x").add({"l": "1"}, 1).add({"l": "1"}, 2)])
    with pytest.raises(InvalidInput, match="appears twice"):
        promtext.render([promtext.Family("a", "gauge", "x"), promtext.Family("a", "gauge", "x")])
    with pytest.raises(InvalidInput, match="metric name"):
        promtext.Family("1bad", "gauge", "x")
    with pytest.raises(InvalidInput, match="label name"):
        promtext.render([promtext.Family("a", "gauge", "x").add({"bad-label": "1"}, 1)])


def test_write_is_atomic_and_refuses_links(tmp_path):
    target = tmp_path / "kiro.prom"
    promtext.write_textfile(target, "# HELP a x\n# TYPE a gauge\na 1\n")
    assert target.read_text() == "# HELP a x\n# TYPE a gauge\na 1\n"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["kiro.prom"]
    with pytest.raises(InvalidInput, match=r"\.prom"):
        promtext.write_textfile(tmp_path / "kiro.txt", "")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep")
    os.unlink(target)
    os.symlink(elsewhere, target)
    with pytest.raises(UnsafePath):
        promtext.write_textfile(target, "a 1\n")
    assert elsewhere.read_text() == "keep"
