"""The local ledger writes no file through a symbolic link: a ledger file, flock, lock, head,
torn-aside name or key file that is a link is refused, naming the link, and its target is left
as it was."""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import signing_key  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import load_key_file  # noqa: E402

KEY = signing_key()


@pytest.fixture
def ledger(tmp_path):
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", KEY)
    os.makedirs(ledger.directory)
    return ledger


@pytest.fixture
def elsewhere(tmp_path):
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_bytes(b"not the ledger's\n")
    return target


def link(path, target):
    os.symlink(str(target), path)
    return path


@pytest.mark.parametrize("which", ["path", "flock_path"])
def test_an_append_through_a_linked_ledger_file_is_refused_naming_the_link(ledger, elsewhere, which):
    linked = link(getattr(ledger, which), elsewhere)
    with pytest.raises(UnsafePath) as caught:
        ledger.append(1, "applied", "alice", "r1")
    assert caught.value.path == linked and str(elsewhere) in str(caught.value)
    assert elsewhere.read_bytes() == b"not the ledger's\n"
    assert os.path.islink(linked) and not os.path.exists(ledger.head_path)


def test_a_linked_ledger_file_is_not_read_either(ledger, elsewhere):
    linked = link(ledger.path, elsewhere)
    with pytest.raises(UnsafePath, match="symbolic link"):
        ledger.read()
    assert os.path.islink(linked)


def test_a_linked_lock_file_is_refused_and_not_written(ledger, elsewhere):
    ledger.append(1, "applied", "alice", "r1")
    linked = link(ledger.lock_path, elsewhere)
    with pytest.raises(UnsafePath) as caught:
        ledger.lock("r2", "alice", 60)
    assert caught.value.path == linked
    assert elsewhere.read_bytes() == b"not the ledger's\n"


def test_a_linked_head_file_is_refused_and_not_written(ledger, elsewhere):
    ledger.append(1, "applied", "alice", "r1")
    os.unlink(ledger.head_path)
    link(ledger.head_path, elsewhere)
    with pytest.raises(UnsafePath) as caught:
        ledger.append(1, "applied", "alice", "r2")
    assert caught.value.path == ledger.head_path
    assert elsewhere.read_bytes() == b"not the ledger's\n"


def test_a_torn_tail_is_not_set_aside_through_a_link(ledger, elsewhere, monkeypatch):
    ledger.append(1, "applied", "alice", "r1")
    with open(ledger.path, "ab") as handle:
        handle.write(b'{"seq": 2, "torn')
    from ansible_collections.kiro.platform.plugins.module_utils.common import clock
    monkeypatch.setattr(clock, "compact", lambda *a, **k: "20250101T000000.000000Z")
    link("%s.torn-20250101T000000.000000Z" % ledger.path, elsewhere)
    ledger.append(1, "applied", "alice", "r2")
    # The linked name is passed over (O_EXCL never follows a link); the torn bytes go beside it.
    assert elsewhere.read_bytes() == b"not the ledger's\n"
    with open("%s.torn-20250101T000000.000000Z.1" % ledger.path, "rb") as handle:
        assert handle.read() == b'{"seq": 2, "torn'
    assert [e["seq"] for e in ledger.read()] == [1, 2]


def test_a_dangling_link_where_the_key_file_is_to_be_made_is_refused(tmp_path):
    target = tmp_path / "elsewhere" / "stolen.key"
    target.parent.mkdir()
    (tmp_path / "keys").mkdir()
    link(str(tmp_path / "keys" / "ledger.key"), target)
    with pytest.raises(LedgerError, match="symbolic link"):
        load_key_file(str(tmp_path / "keys" / "ledger.key"), create=True)
    assert not target.exists()
