# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open a ledger by backend name: what the action plugin and the phase lookup share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.s3 import S3Ledger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import build_signer

BACKENDS = ("local", "s3")
DEFAULT_PREFIX = "kiro-ledger"


KEY_OPTIONS = ("key_file", "key", "kms_key_id", "key_create")


def s3_client(service="s3", **settings):
    """A boto3 client (S3, or KMS for the ledger key) from aws.CONNECTION_KEYS settings (unset: boto3's own chain)."""
    try:
        return aws.client(service, settings)
    except aws.AwsSetupError as exc:
        raise LedgerError("ledger %s: %s" % (service, exc))


def open_ledger(backend, environment, path=None, bucket=None, prefix=DEFAULT_PREFIX, client=None, signer=None,
                key_file=None, key=None, kms_key_id=None, key_create=False, head_dir=None, head_prefix=None,
                kms_client=None, **client_settings):
    """A LocalLedger (``path`` is its directory) or an S3Ledger (``bucket``; ``client`` or ``client_settings``).

    The key is ``signer``, or built from ``key_file``, ``key`` or ``kms_key_id`` (signing.py);
    without one the ledger is refused. ``head_dir`` / ``head_prefix`` place the head record.
    """
    if backend not in BACKENDS:
        raise LedgerError("backend: %r is not one of %s" % (backend, ", ".join(BACKENDS)))
    if backend == "local" and not path:
        raise LedgerError("backend local needs path (the ledger directory)")
    if backend == "s3" and not bucket:
        raise LedgerError("backend s3 needs bucket")
    if signer is None:
        if kms_key_id and kms_client is None:
            kms_client = s3_client("kms", **client_settings)
        signer = build_signer(key_file=key_file, key=key, kms_key_id=kms_key_id, key_create=key_create,
                              ledger_dir=path if backend == "local" else None, kms_client=kms_client)
    if backend == "local":
        return LocalLedger(path, environment, signer, head_dir=head_dir)
    if client is None:
        client = s3_client(**client_settings)
    return S3Ledger(client, bucket, DEFAULT_PREFIX if prefix is None else prefix, environment, signer,
                    head_prefix=head_prefix)
