"""common.fileio never writes through a link, refuses a linked target, keeps owner and mode."""

import os
import stat

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath


def _write(path, data):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "wb") as handle:
        handle.write(data)
    return str(path)


def _read(path):
    with open(str(path), "rb") as handle:
        return handle.read()


def test_atomic_write_refuses_a_linked_directory_below_its_root_naming_link_and_target(tmp_path):
    root = tmp_path / "ws"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root.mkdir()
    os.symlink(str(elsewhere), str(root / ".kiro"))
    with pytest.raises(UnsafePath) as err:
        fileio.atomic_write(str(root / ".kiro" / "settings" / "mcp.json"), b"{}\n", root=str(root))
    assert str(root / ".kiro") in str(err.value) and str(elsewhere) in str(err.value)
    assert os.listdir(str(elsewhere)) == [], "nothing was made or written through the link"


def test_atomic_write_refuses_a_target_that_is_a_link_and_leaves_both_as_they_were(tmp_path):
    secret = _write(tmp_path / "secret" / "credentials", b"aws_secret_access_key=x\n")
    directory = tmp_path / "ws" / ".vscode"
    directory.mkdir(parents=True)
    os.symlink(secret, str(directory / "settings.json"))
    with pytest.raises(UnsafePath) as err:
        fileio.atomic_write(str(directory / "settings.json"), b"{}\n", root=str(tmp_path / "ws"))
    assert "symbolic link to %s" % secret in str(err.value)
    assert os.path.islink(str(directory / "settings.json")), "the link is not replaced by a copy of anything"
    assert _read(secret) == b"aws_secret_access_key=x\n"
    assert os.listdir(str(directory)) == ["settings.json"], "no temp file left"
    # Without a root (a report, a snapshot) the file's own directory is the boundary: same refusal.
    with pytest.raises(UnsafePath):
        fileio.atomic_write(str(directory / "settings.json"), b"{}\n")


def test_read_bytes_with_a_root_never_follows_a_link(tmp_path):
    secret = _write(tmp_path / "secret.txt", b"token\n")
    ws = tmp_path / "ws"
    _write(ws / ".kiro" / "steering" / "real.md", b"# real\n")
    os.symlink(secret, str(ws / ".kiro" / "steering" / "leak.md"))
    os.symlink(str(tmp_path), str(ws / ".vscode"))
    assert fileio.read_bytes(str(ws / ".kiro" / "steering" / "real.md"), root=str(ws)) == b"# real\n"
    assert fileio.read_bytes(str(ws / ".kiro" / "steering" / "absent.md"), root=str(ws)) is None
    with pytest.raises(UnsafePath, match="leak.md: is a symbolic link to"):
        fileio.read_bytes(str(ws / ".kiro" / "steering" / "leak.md"), root=str(ws))
    with pytest.raises(UnsafePath, match=r"\.vscode: is a symbolic link to %s" % tmp_path):
        fileio.read_bytes(str(ws / ".vscode" / "secret.txt"), root=str(ws))


def test_read_bytes_refuses_a_fifo_without_hanging(tmp_path):
    os.mkfifo(str(tmp_path / "mcp.json"))
    with pytest.raises(UnsafePath, match="not a regular file"):
        fileio.read_bytes(str(tmp_path / "mcp.json"), root=str(tmp_path))


def test_make_dirs_does_not_create_through_a_link(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(str(elsewhere), str(tmp_path / "reports"))
    with pytest.raises(UnsafePath, match="reports: is a symbolic link"):
        fileio.make_dirs(str(tmp_path / "reports" / "2026" / "run"), 0o700, root=str(tmp_path))
    assert os.listdir(str(elsewhere)) == []
    fileio.make_dirs(str(tmp_path / "real" / "a" / "b"), 0o700)
    assert stat.S_IMODE(os.stat(str(tmp_path / "real" / "a" / "b")).st_mode) == 0o700


def test_unlink_refuses_a_link_and_a_path_outside_its_root(tmp_path):
    target = _write(tmp_path / "keep.txt", b"keep\n")
    os.symlink(target, str(tmp_path / "link.txt"))
    with pytest.raises(UnsafePath):
        fileio.unlink(str(tmp_path / "link.txt"))
    assert os.path.islink(str(tmp_path / "link.txt"))
    with pytest.raises(UnsafePath, match="is not inside"):
        fileio.unlink(target, root=str(tmp_path / "sub"))
    assert _read(target) == b"keep\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_rewrite_by_root_keeps_owner_group_and_mode(tmp_path):
    path = _write(tmp_path / "settings.json", b"{}\n")
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o640)
    fileio.atomic_write(path, b'{"a": 1}\n')
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)
    assert _read(path) == b'{"a": 1}\n'
