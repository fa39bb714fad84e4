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
"""
