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

BACKENDS = ("local", "s3")
DEFAULT_PREFIX = "kiro-ledger"


def s3_client(**settings):
    """A boto3 S3 client from aws.CONNECTION_KEYS settings (unset: boto3's own chain)."""
    try:
        return aws.client("s3", settings)
    except aws.AwsSetupError as exc:
        raise LedgerError("backend s3: %s" % exc)


def open_ledger(backend, environment, path=None, bucket=None, prefix=DEFAULT_PREFIX, client=None, **client_settings):
    """A LocalLedger (``path`` is its directory) or an S3Ledger (``bucket``; ``client`` or ``client_settings``)."""
    if backend == "local":
        if not path:
            raise LedgerError("backend local needs path (the ledger directory)")
        return LocalLedger(path, environment)
    if backend == "s3":
        if not bucket:
            raise LedgerError("backend s3 needs bucket")
        if client is None:
            client = s3_client(**client_settings)
        return S3Ledger(client, bucket, DEFAULT_PREFIX if prefix is None else prefix, environment)
    raise LedgerError("backend: %r is not one of %s" % (backend, ", ".join(BACKENDS)))
