# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger's keys: every entry and every head record carries a MAC made with a key that
is not stored with the ledger, so whoever can write the ledger cannot forge an entry.

- HmacKey: HMAC-SHA256 with a secret from a key file (0600, outside the ledger directory)
  or given as a variable (from Vault).
- KmsHmacKey: AWS KMS GenerateMac/VerifyMac with an HMAC_256 key; the secret never leaves
  KMS, and only principals allowed ``kms:GenerateMac`` can write.

A MAC is ``{"scheme", "key_id", "value"}``. ``key_id`` names the key (a fingerprint of an
HMAC secret, which does not reveal it; the KMS key id) so an error can say which key an
entry was made with.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import errno
import hashlib
import hmac
import os
import stat

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError

MIN_SECRET_BYTES = 32
KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700
_FINGERPRINT_PREFIX = b"kiro.platform ledger key id\x00"

NO_KEY = ("no ledger key is configured: every entry is MACed with a key kept apart from the ledger. Set "
          "rollout_ledger_key_file (a 0600 file outside the ledger directory), rollout_ledger_key (a secret of at "
          "least %d bytes, from Vault) or rollout_ledger_kms_key_id (an AWS KMS HMAC_256 key); the sandbox "
          "inventory creates its key file on first use" % MIN_SECRET_BYTES)


class HmacKey:
    scheme = "hmac-sha256"

    def __init__(self, secret, source):
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES:
            raise LedgerError("%s: a ledger key needs at least %d bytes, it has %d"
                              % (source, MIN_SECRET_BYTES, len(secret)))
        self._secret = secret
        self.source = source
        self.key_id = "hmac:" + hashlib.sha256(_FINGERPRINT_PREFIX + secret).hexdigest()[:16]

    def mac(self, message):
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def valid(self, message, value):
        return isinstance(value, str) and hmac.compare_digest(self.mac(message), value)

    def __repr__(self):
        return "HmacKey(%s)" % self.key_id  # never the secret


class KmsHmacKey:
    scheme = "kms-hmac-sha256"
    ALGORITHM = "HMAC_SHA_256"

    def __init__(self, client, key_id):
        self.client = client
        self.key_id = key_id
        self.source = "KMS key %s" % key_id
        self._valid = {}  # (message, value) -> bool: one VerifyMac per entry per run, not per read

    def mac(self, message):
        try:
            answer = self.client.generate_mac(KeyId=self.key_id, Message=message, MacAlgorithm=self.ALGORITHM)
        except Exception as exc:  # botocore errors, without importing botocore
            raise LedgerError("%s: GenerateMac failed (%s); the writer needs kms:GenerateMac on that key"
                              % (self.source, exc))
        return base64.b64encode(answer["Mac"]).decode("ascii")

    def valid(self, message, value):
        if not isinstance(value, str):
            return False
        known = self._valid.get((message, value))
        if known is not None:
            return known
        try:
            mac = base64.b64decode(value.encode("ascii"), validate=True)
        except (ValueError, binascii.Error):
            return False
        try:
            answer = self.client.verify_mac(KeyId=self.key_id, Message=message, MacAlgorithm=self.ALGORITHM, Mac=mac)
            result = bool(answer.get("MacValid"))
        except Exception as exc:  # botocore errors, without importing botocore
            code = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Code")
            if code != "KMSInvalidMacException":
                raise LedgerError("%s: VerifyMac failed (%s); readers need kms:VerifyMac on that key"
                                  % (self.source, exc))
            result = False
        self._valid[(message, value)] = result
        return result

    def __repr__(self):
        return "KmsHmacKey(%s)" % self.key_id


def _inside(path, directory):
    path = os.path.realpath(path)
    directory = os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _create_key_file(path):
    parent = os.path.dirname(path)
    try:
        if not os.path.isdir(parent):
            fileio.make_dirs(parent, KEY_DIR_MODE)
        fd = fileio.open_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except UnsafePath as exc:
        raise LedgerError("cannot create the ledger key file: %s" % exc)
    except (IOError, OSError) as exc:
        if exc.errno == errno.EEXIST:
            return  # another run made it first: use theirs
        raise LedgerError("%s: cannot create the ledger key file (%s)" % (path, exc))
    try:
        os.fchmod(fd, KEY_FILE_MODE)
        os.write(fd, binascii.hexlify(os.urandom(MIN_SECRET_BYTES)) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key_file(path, create=False, ledger_dir=None):
    """The HmacKey in ``path``: a regular file, not a link, readable by its owner only,
    outside ``ledger_dir``. ``create`` makes a new random key when the file does not exist."""
    path = os.path.abspath(os.path.expanduser(path))
    if ledger_dir and _inside(path, ledger_dir):
        raise LedgerError("%s: the ledger key must not be stored with the ledger (it is inside %s); move it "
                          "elsewhere and set rollout_ledger_key_file" % (path, ledger_dir))
    if create and not os.path.lexists(path):
        _create_key_file(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            raise LedgerError("%s: the ledger key file does not exist; create it (32 random bytes, mode 0600, "
                              "e.g. `umask 077; openssl rand -hex 32 > %s`) or set rollout_ledger_key_create=true"
                              % (path, path))
        if exc.errno == errno.ELOOP:
            raise LedgerError("%s: the ledger key file is a symbolic link; point rollout_ledger_key_file at the "
                              "file itself" % path)
        raise LedgerError("%s: cannot read the ledger key file (%s)" % (path, exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LedgerError("%s: the ledger key file is not a regular file" % path)
        if info.st_mode & 0o077:
            raise LedgerError("%s: the ledger key file is readable or writable by group or others (mode %04o); "
                              "run `chmod 0600 %s`" % (path, stat.S_IMODE(info.st_mode), path))
        data = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return HmacKey(data.strip(), path)


def build_signer(key_file=None, key=None, kms_key_id=None, key_create=False, ledger_dir=None, kms_client=None):
    """The one key the options name; LedgerError when none or several are given."""
    given = [name for name, value in (("key_file", key_file), ("key", key), ("kms_key_id", kms_key_id)) if value]
    if not given:
        raise LedgerError(NO_KEY)
    if len(given) > 1:
        raise LedgerError("ledger key: give one of key_file, key and kms_key_id, not %s" % " and ".join(given))
    if key_file:
        return load_key_file(key_file, create=key_create, ledger_dir=ledger_dir)
    if key:
        return HmacKey(key, "the ledger key variable")
    if kms_client is None:
        raise LedgerError("kms_key_id %s: no KMS client" % kms_key_id)
    return KmsHmacKey(kms_client, kms_key_id)
