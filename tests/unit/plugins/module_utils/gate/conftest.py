"""Fixtures for the gate provider tests: real servers from tests/fixtures/servers.py."""

import os
import sys

import pytest

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from fixtures import servers  # noqa: E402  (needs the path above)
from fixtures.local_http import FAST  # noqa: E402


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory):
    """A real Prometheus holding 8 days of per-minute history (see servers.write_history)."""
    for binary in (servers.PROMTOOL, servers.PROMETHEUS):
        if not servers.wait_for_file(binary):
            pytest.fail("%s is missing: run tests/setup/debian-packages.sh (Debian package prometheus)" % binary)
    server = servers.Prometheus(str(tmp_path_factory.mktemp("prometheus")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.remove()


@pytest.fixture(scope="session")
def _json_server():
    server = servers.JsonServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def json_server(_json_server):
    """The threaded JSON server with no routes and an empty request log."""
    _json_server.reset()
    yield _json_server
    _json_server.reset()


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    """The JSON server over HTTPS with a self-signed certificate; ``.cafile`` is that certificate."""
    pair = servers.self_signed_certificate(str(tmp_path_factory.mktemp("tls")))
    if pair is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    server = servers.JsonServer(*pair).start()
    server.cafile = pair[0]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def closed_port():
    return servers.closed_port()


@pytest.fixture
def fast():
    """Provider settings with small timeout, one retry and a short backoff."""
    return dict(FAST)
