# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: phase
short_description: The current rollout phase of environments, from their ledgers
version_added: 0.1.0
description:
  - Returns the current phase (0-5) of each environment given - the highest phase whose
    gate passed and was not rolled back since - derived from the environment's ledger
    (see M(kiro.platform.ledger)). 0 when the ledger is empty or absent.
  - Fails when a ledger does not verify (hash chain, MACs with the ledger key, head), so a
    tampered ledger never decides what runs next.
options:
  _terms:
    description: The environments.
    required: true
    type: list
    elements: str
extends_documentation_fragment:
  - kiro.platform.ledger
  - kiro.platform.aws
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
- name: Phase 4 needs staging at phase 3
  ansible.builtin.assert:
    that: lookup('kiro.platform.phase', 'staging', path=playbook_dir ~ '/../ledger', key_file='/etc/kiro-platform/ledger.key') | int >= 3
    fail_msg: staging has not passed phase 3 yet

- name: Where every environment stands, from the team's S3 ledger
  ansible.builtin.debug:
    msg: "{{ dict(envs | zip(query('kiro.platform.phase', *envs, backend='s3', bucket='example-kiro-ledger',
                                   kms_key_id='alias/kiro-ledger'))) }}"
  vars:
    envs: [development, staging, production]
"""

RETURN = r"""
_raw:
  description: The current phase of each environment, in the order given.
  type: list
  elements: int
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import KEY_OPTIONS
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.operations import open_for

display = Display()

_OPTIONS = ("backend", "path", "bucket", "prefix", "head_dir", "head_prefix") + KEY_OPTIONS + aws.CONNECTION_KEYS


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        params = dict((k, self.get_option(k)) for k in _OPTIONS)
        client = kms_client = None
        phases = []
        for environment in terms:
            try:
                # open_for resolves relative paths against the playbook's directory, not the current one.
                ledger = open_for(dict(params, environment=environment), self._loader.get_basedir(), client=client,
                                  kms_client=kms_client)
                client = getattr(ledger, "client", None)  # one S3 client for every environment
                kms_client = getattr(ledger.signer, "client", None)
                phases.append(ledger.state()["phase"])
                for warning in ledger.warnings:
                    display.warning(warning)
            except (LedgerError, UnsafePath) as exc:
                raise AnsibleLookupError("kiro.platform.phase: %s: %s" % (environment, exc))
        return phases
