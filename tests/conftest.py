"""Make the collection importable as ``ansible_collections.kiro.platform`` for pytest."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "kiro", "platform")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink("../../..", LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def moto():
    """A moto server (tests/fixtures/moto_aws.py) for the lifetime of a test module."""
    if TESTS not in sys.path:
        sys.path.insert(0, TESTS)
    from fixtures.moto_aws import MotoServer
    server = MotoServer().start()
    yield server
    server.stop()
