"""The HTML report as a browser renders it: headless Chromium screenshot and DOM."""

import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import chart, writer

from fixtures import gate_reports

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1200, 2000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium():
    """The browser `make test` installs (tests/setup/debian-packages.sh): missing is a failure, not a skip."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail("%s is missing: run tests/setup/debian-packages.sh as root (Debian package chromium)" % CHROMIUM)
    try:
        done = subprocess.run([CHROMIUM, "--version"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.fail("%s does not run: %s" % (CHROMIUM, exc))
    if done.returncode != 0 or b"Chromium" not in done.stdout:
        output = (done.stdout + done.stderr).decode("utf-8", "replace")[-2000:]
        pytest.fail("%s --version exited %d: %s" % (CHROMIUM, done.returncode, output))
    return CHROMIUM


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The fail report of tests/fixtures/gate_reports.py written by write_all, as an HTML file."""
    out = tmp_path_factory.mktemp("chromium-report")
    paths = writer.write_all(gate_reports.make_report(), str(out / "reports"), secrets=[gate_reports.EXPLICIT],
                             gate_definition=gate_reports.gate_definition(), now=gate_reports.NOW)
    return out, paths, gate_reports


def _run(chromium, tmp, *args):
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    profile = tmp / ("profile-%d" % len(os.listdir(str(tmp))))
    env = dict(os.environ, HOME=str(home))
    cmd = [chromium] + FLAGS + ["--user-data-dir=%s" % profile] + list(args)
    done = subprocess.run(cmd, capture_output=True, timeout=120, env=env, check=False)
    shutil.rmtree(str(profile), ignore_errors=True)
    return done


def read_png(path):
    """(width, height, channels, rows) with rows the unfiltered pixel bytes of every scanline."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + chunk) & 0xffffffff == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _comp, _filter, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    return width, height, channels, stride, raw


def unfilter(raw, stride, channels, rows):
    """Undo PNG filtering for the first ``rows`` scanlines."""
    out, prev = [], bytearray(stride)
    for y in range(rows):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xff
        elif kind == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        out.append(bytes(line))
        prev = line
    return out


def colours(lines, channels):
    seen = set()
    for line in lines:
        for i in range(0, len(line), channels):
            seen.add(line[i:i + 3])
    return seen


def test_screenshot_is_a_real_rendered_page(chromium, rendered):
    out, paths, _fixtures_mod = rendered
    png = out / "report.png"
    done = _run(chromium, out, "--screenshot=%s" % png, "--window-size=%d,%d" % (WIDTH, HEIGHT),
                "file://" + paths["html"])
    assert png.exists(), done.stderr.decode("utf-8", "replace")[-2000:]
    width, height, channels, stride, raw = read_png(str(png))
    assert (width, height) == (WIDTH, HEIGHT)
    # not blank: a blank page is the same scanline 2000 times
    scanlines = set(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)] for y in range(height))
    assert len(scanlines) > 200
    # the top of the page: the red FAIL banner, white text on it, cards, charts (anti-aliased text)
    top = unfilter(raw, stride, channels, 420)
    seen = colours(top, channels)
    assert len(seen) > 50
    banner = bytes.fromhex(chart.COLOURS["fail"][1:])
    assert top[10][600 * channels:600 * channels + 3] == banner
    assert b"\xff\xff\xff" in seen and banner in seen
    assert bytes.fromhex(chart.COLOURS["pass"][1:]) not in [top[10][i:i + 3] for i in range(0, stride, channels)]


def test_dom_has_verdict_and_charts(chromium, rendered):
    out, paths, fixtures = rendered
    done = _run(chromium, out, "--dump-dom", "file://" + paths["html"])
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    banner = re.search(r'<header class="banner v-fail"[^>]*>.*?</header>', dom, re.S)
    assert banner and '<div class="verdict">FAIL</div>' in banner.group(0)
    assert "Gate phase 2 in development" in dom
    assert len(re.findall(r"<svg\b", dom)) == 5
    charted = set(re.findall(r'<svg[^>]*data-criterion="([^"]+)"', dom))
    assert charted == {c["name"] for c in fixtures.make_report()["criteria"]} - {"health_endpoint"}
    assert len(re.findall(r'class="threshold threshold-pass"', dom)) == 6
    assert "no data" in dom
    for secret in fixtures.SECRETS:
        assert secret not in dom
