# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the rollout ledger lives: shared by the ledger action and the phase lookup."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  backend:
    description: Where the ledgers are kept.
    type: str
    default: local
    choices: [local, s3]
  path:
    description: The ledger directory for O(backend=local); a relative path resolves against the playbook's directory.
    type: str
    default: ledger
  bucket:
    description: The S3 bucket, for O(backend=s3).
    type: str
  prefix:
    description: The key prefix inside O(bucket).
    type: str
    default: kiro-ledger
  key_file:
    description:
      - A file holding the ledger's HMAC-SHA256 key (at least 32 bytes; C(openssl rand -hex 32)).
        It must be a regular file, not a link, of mode 0600 (readable by its owner only), outside
        the ledger directory; a group- or world-readable key file is refused. A relative path
        resolves against the playbook's directory.
      - Every entry and head record is MACed with the key, and a ledger whose entries are not is
        refused. Exactly one of O(key_file), O(key) and O(kms_key_id) is needed - without a key
        the ledger is refused.
    type: path
  key:
    description:
      - The ledger's HMAC-SHA256 key itself (at least 32 bytes), for example from Ansible Vault or
        an AWX credential. Never logged.
    type: str
  kms_key_id:
    description:
      - An AWS KMS key (id, ARN or alias) of key spec C(HMAC_256) and usage C(GENERATE_VERIFY_MAC).
        Entries are MACed with KMS GenerateMac and checked with VerifyMac, with the connection
        options of the S3 backend, so the key never leaves KMS; writers need C(kms:GenerateMac),
        readers C(kms:VerifyMac).
    type: str
  key_create:
    description:
      - Create O(key_file) (32 random bytes, mode 0600, in a 0700 directory) when it does not exist.
        For the sandbox; real inventories provision their key.
    type: bool
    default: false
  head_dir:
    description:
      - For O(backend=local), the directory of the head records (C(<environment>.head.json), the
        ledger's last seq and sha256, MACed), kept apart from the ledger so that a removed tail or a
        deleted ledger is detected. Default, C(<path>-head) beside the ledger directory.
    type: path
  head_prefix:
    description:
      - For O(backend=s3), the key prefix of the head object (C(<head_prefix>/<environment>/head.json),
        written with conditional writes); default, beside the ledger object. Keep the bucket versioned,
        so that a deleted ledger object is detected even with its head gone.
    type: str
"""
