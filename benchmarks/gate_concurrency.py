"""Benchmark: does the gate engine measure criteria concurrently?

Starts real services on 127.0.0.1 — Prometheus with backfilled history
(tests/fixtures/servers.py), moto_server with CloudWatch datapoints
(tests/fixtures/moto_aws.py), a JSON HTTP server answering after --latency
seconds — and writes metric files, then builds 20 criteria, 5 per provider
(prometheus, cloudwatch, http_json, file), and measures:

  (a) every criterion's provider call alone (a fresh provider, as a gate builds
      it) -> the slowest single call
  (b) the whole gate with engine.evaluate (default max_workers: concurrent)
  (c) the whole gate with max_workers=1 (sequential)

Prints the medians over --repeat runs, the ratio concurrent / slowest single
call (target <= 1.5), the sequential / concurrent speedup and every verdict
(all 20 must pass). Every server started is stopped on the way out.

  .venv/bin/python benchmarks/gate_concurrency.py --repeat 5 --latency 0.3
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
COLLECTIONS = os.path.join(ROOT, ".collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "kiro", "platform")
if not os.path.exists(LINK):  # what tests/conftest.py does for pytest
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink("../../..", LINK)
for path in (COLLECTIONS, TESTS):
    if path not in sys.path:
        sys.path.insert(0, path)

from fixtures import moto_aws, servers  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate import engine  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate import providers as registry  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context  # noqa: E402

PROVIDERS = ("prometheus", "cloudwatch", "http_json", "file")
NAMESPACE = "Kiro/Bench"
UTC = datetime.timezone.utc


# --- services ------------------------------------------------------------------

def seed_cloudwatch(moto):
    """Per-minute datapoints over the last 30 minutes for a few metrics."""
    now = datetime.datetime.now(UTC)
    dims = [{"Name": "env", "Value": "bench"}]
    series = {
        "Errors": lambda m: m % 3,                # 0..2
        "LatencyMs": lambda m: 120 + (m % 5) * 10,  # 120..160
        "Throttles": lambda m: 0,
        "Requests": lambda m: 1000 + m,
    }
    client = moto.client("cloudwatch")
    for metric, value in series.items():
        client.put_metric_data(Namespace=NAMESPACE, MetricData=[
            {"MetricName": metric, "Dimensions": dims, "Value": float(value(m)),
             "Timestamp": now - datetime.timedelta(minutes=m)} for m in range(1, 31)])


def route_http(server, latency):
    documents = {
        "/health": {"ok": True, "error_rate": 0.004},
        "/stats": {"items": [{"v": 0.97}, {"v": 0.99}, {"v": 0.95}], "p95_ms": 180},
        "/cost": {"now": 70.0, "before": 100.0},
        "/queue": {"depth": "3", "limit": 10},
        "/agents": {"agents": [{"name": "a", "up": True}, {"name": "b", "up": True}, {"name": "c", "up": True}]},
    }
    for path, body in documents.items():
        server.route(path, body, delay=latency)


def write_files(directory):
    with open(os.path.join(directory, "quality.json"), "w") as handle:
        json.dump({"coverage": 0.87, "flaky": 2, "cost": {"now": 80, "before": 100}}, handle)
    with open(os.path.join(directory, "satisfaction.csv"), "w") as handle:
        handle.write("environment,score\n" + "".join("development,%s\n" % s for s in
                                                     (4.5, 4.2, 4.8, 4.1, 4.4, 4.6, 4.3, 4.7, 4.0, 4.9)))
    with open(os.path.join(directory, "slo.yaml"), "w") as handle:
        handle.write("slo:\n  availability: 0.9995\n  incidents: [0, 1, 0]\n")


# --- the gate --------------------------------------------------------------------------

def criteria(http_url):
    ops = 'kiro_operations_total{env="%s"%s}'
    rate = "sum(increase(%s[1h])) / sum(increase(%s[1h]))"

    def cw(name, stat):
        return {"namespace": NAMESPACE, "metric_name": name, "dimensions": {"env": "bench"}, "stat": stat, "period": 60}

    return [
        # prometheus
        {"name": "prom_success_rate", "provider": "prometheus", "pass": "> 0.9", "warn": "> 0.85",
         "query": rate % (ops % ("development", ',outcome="success"'), ops % ("development", ""))},
        {"name": "prom_staging_rate", "provider": "prometheus", "pass": ">= 0.75",
         "query": rate % (ops % ("staging", ',outcome="success"'), ops % ("staging", ""))},
        {"name": "prom_latency", "provider": "prometheus", "pass": "< 2",
         "query": 'kiro_latency_seconds{env="development"}'},
        {"name": "prom_queue_max_1h", "provider": "prometheus", "pass": "<= 9", "aggregate": "max",
         "query": 'kiro_queue_depth{env="development"}', "range": "1h", "min_samples": 30},
        {"name": "prom_latency_vs_week", "provider": "prometheus", "pass": "change <= 0.25",
         "query": 'kiro_latency_seconds{env="development"}', "baseline_offset": "7d"},
        # cloudwatch
        {"name": "cw_errors_max", "provider": "cloudwatch", "pass": "< 5", "aggregate": "max",
         "metric": cw("Errors", "Maximum"), "min_samples": 10},
        {"name": "cw_latency_mean", "provider": "cloudwatch", "pass": "< 200", "aggregate": "mean",
         "metric": cw("LatencyMs", "Average")},
        {"name": "cw_throttles_sum", "provider": "cloudwatch", "pass": "== 0", "aggregate": "sum",
         "metric": cw("Throttles", "Sum")},
        {"name": "cw_requests_min", "provider": "cloudwatch", "pass": ">= 1000", "aggregate": "min",
         "metric": cw("Requests", "Minimum"), "window": {"start": "-45m", "end": "now"}},
        {"name": "cw_errors_p95", "provider": "cloudwatch", "pass": "between 0 and 2", "aggregate": "p95",
         "metric": cw("Errors", "Average")},
        # http_json (each answer takes --latency seconds)
        {"name": "http_health", "provider": "http_json", "url": http_url + "/health", "query": "ok", "pass": "== 1"},
        {"name": "http_error_rate", "provider": "http_json", "url": http_url + "/health", "query": "error_rate",
         "pass": "< 0.01"},
        {"name": "http_stats_mean", "provider": "http_json", "url": http_url + "/stats", "query": "items[].v",
         "aggregate": "mean", "pass": "> 0.95", "min_samples": 3},
        {"name": "http_cost_savings", "provider": "http_json", "url": http_url + "/cost", "query": "now",
         "baseline_query": "before", "pass": "savings >= 0.2"},
        {"name": "http_agents_up", "provider": "http_json", "url": http_url + "/agents",
         "query": "length(agents[?up])", "pass": ">= 3"},
        # file
        {"name": "file_coverage", "provider": "file", "path": "quality.json", "query": "coverage", "pass": "> 0.8"},
        {"name": "file_flaky", "provider": "file", "path": "quality.json", "query": "flaky", "pass": "<= 3"},
        {"name": "file_cost_savings", "provider": "file", "path": "quality.json", "query": "cost.now",
         "baseline_query": "cost.before", "pass": "savings >= 0.2"},
        {"name": "file_satisfaction", "provider": "file", "path": "satisfaction.csv",
         "query": "[?environment=='development'].score", "aggregate": "mean", "pass": "> 4.0", "min_samples": 10},
        {"name": "file_slo", "provider": "file", "path": "slo.yaml", "query": "slo.availability",
         "pass": ">= 0.999"},
    ]


def single_calls(items, settings, context_factory):
    """{name: seconds} for each criterion's provider call alone, with a fresh provider."""
    out = {}
    for item in items:
        criterion = criteria_mod.Criterion(item)
        provider = registry.load(criterion.provider)(settings.get(criterion.provider))
        provider.validate(criterion)
        context = context_factory()
        started = time.perf_counter()
        provider.measure(criterion, context)
        out[criterion.name] = time.perf_counter() - started
    return out


def gate(items, settings, context_factory, max_workers=None):
    started = time.perf_counter()
    report = engine.evaluate(items, settings, context_factory(), max_workers=max_workers)
    return time.perf_counter() - started, report


def check(report, label):
    bad = [(c["name"], c["verdict"], c["value"], c["error"] or c["reason"])
           for c in report["criteria"] if c["verdict"] != "pass"]
    assert not bad, "%s: criteria that did not pass: %s" % (label, bad)
    assert report["verdict"] == "pass" and report["passed"], label


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs to take the median of (default 5)")
    parser.add_argument("--latency", type=float, default=0.3,
                        help="seconds the JSON HTTP server waits before answering (default 0.3)")
    args = parser.parse_args()
    if args.repeat < 1 or args.latency < 0:
        parser.error("--repeat must be >= 1 and --latency >= 0")

    t0 = time.perf_counter()
    work = tempfile.mkdtemp(prefix="kiro-gate-bench-")
    prometheus = moto = http = None
    try:
        prometheus = servers.Prometheus(os.path.join(work, "prometheus"))
        prometheus.start()
        moto = moto_aws.MotoServer().start()
        seed_cloudwatch(moto)
        http = servers.JsonServer().start()
        route_http(http, args.latency)
        files = os.path.join(work, "files")
        os.makedirs(files)
        write_files(files)
        startup = time.perf_counter() - t0

        items = criteria(http.url)
        assert len(items) == 20 and all(sum(1 for i in items if i["provider"] == p) == 5 for p in PROVIDERS)
        settings = {
            "prometheus": {"url": prometheus.url, "timeout": 5, "retries": 1, "backoff": 0.1},
            "cloudwatch": moto.settings(timeout=5, retries=1, backoff=0.1),
            "http_json": {"timeout": 5 + args.latency, "retries": 1, "backoff": 0.1},
            "file": {"retries": 0},
        }

        def context():
            return Context(environment="development", phase=2, base_dir=files)

        # warm-up (imports, botocore's shared model loader), not counted
        _unused, report = gate(items, settings, context)
        check(report, "warm-up")

        singles, concurrent, sequential = [], [], []
        verdicts = dict((i["name"], []) for i in items)
        values = {}
        for run in range(args.repeat):
            singles.append(single_calls(items, settings, context))
            seconds, report = gate(items, settings, context)
            check(report, "concurrent run %d" % (run + 1))
            concurrent.append(seconds)
            for c in report["criteria"]:
                verdicts[c["name"]].append(c["verdict"])
                values[c["name"]] = c["value"]
            seconds, report = gate(items, settings, context, max_workers=1)
            check(report, "sequential run %d" % (run + 1))
            sequential.append(seconds)
            for c in report["criteria"]:
                verdicts[c["name"]].append(c["verdict"])

        per_name = dict((name, statistics.median(run[name] for run in singles)) for name in verdicts)
        slowest_each_run = [max(run.values()) for run in singles]
        slowest = statistics.median(slowest_each_run)
        slowest_name = max(per_name, key=per_name.get)
        conc, seq = statistics.median(concurrent), statistics.median(sequential)
        ratio = conc / slowest
        by_provider = dict((p, statistics.median(per_name[i["name"]] for i in items if i["provider"] == p))
                           for p in PROVIDERS)

        print("gate_concurrency: 20 criteria (5 each: %s), http latency %.3f s, %d repeat(s), %d CPU(s)"
              % (", ".join(PROVIDERS), args.latency, args.repeat, os.cpu_count() or 0))
        print("services started in %.2f s (prometheus %s, moto %s, http %s)"
              % (startup, prometheus.url, moto.url, http.url))
        print("")
        print("single provider call, median per provider: %s"
              % ", ".join("%s %.3f s" % (p, by_provider[p]) for p in PROVIDERS))
        print("slowest single call (median)      %.3f s   (slowest criterion: %s, %.3f s)"
              % (slowest, slowest_name, per_name[slowest_name]))
        print("sum of single calls (median)      %.3f s" % statistics.median(sum(r.values()) for r in singles))
        print("concurrent gate wall (median)     %.3f s   runs: %s" % (conc, " ".join("%.3f" % s for s in concurrent)))
        print("sequential gate wall (median)     %.3f s   runs: %s" % (seq, " ".join("%.3f" % s for s in sequential)))
        print("concurrent / slowest single       %.2f     (target <= 1.5: %s)"
              % (ratio, "met" if ratio <= 1.5 else "NOT MET"))
        print("sequential / concurrent speedup   %.1fx" % (seq / conc))
        print("")
        print("verdicts (%d gate runs each: %d concurrent + %d sequential):" % (2 * args.repeat, args.repeat,
                                                                                args.repeat))
        for item in items:
            name = item["name"]
            counts = dict((v, verdicts[name].count(v)) for v in sorted(set(verdicts[name])))
            print("  %-22s %-10s %-28s value %-10s %s" % (
                name, item["provider"], item["pass"], "%.6g" % values[name],
                " ".join("%s x%d" % kv for kv in counts.items())))
        everything = [v for vs in verdicts.values() for v in vs]
        assert len(everything) == 20 * 2 * args.repeat and set(everything) == {"pass"}, "not all criteria passed"
        print("all 20 criteria passed in all %d gate runs; total %.1f s" % (2 * args.repeat, time.perf_counter() - t0))
    finally:
        if http is not None:
            http.stop()
        if moto is not None:
            moto.stop()
        if prometheus is not None:
            prometheus.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
