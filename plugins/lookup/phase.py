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
  - Fails when a ledger's hash chain does not verify, so a tampered ledger never decides
    what runs next.
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
    that: lookup('kiro.platform.phase', 'staging', path=playbook_dir ~ '/../ledger') | int >= 3
    fail_msg: staging has not passed phase 3 yet

- name: Where every environment stands, from the team's S3 ledger
  ansible.builtin.debug:
    msg: "{{ dict(envs | zip(query('kiro.platform.phase', *envs, backend='s3', bucket='example-kiro-ledger'))) }}"
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
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import open_ledger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.operations import ledger_dir

display = Display()


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        # A str option: Ansible would resolve a relative "path" option against the current directory.
        path = ledger_dir(self.get_option("path"), self._loader.get_basedir())
        settings = dict((k, self.get_option(k)) for k in aws.CONNECTION_KEYS)
        client = None
        phases = []
        for environment in terms:
            try:
                ledger = open_ledger(self.get_option("backend"), environment, path=path,
                                     bucket=self.get_option("bucket"), prefix=self.get_option("prefix"),
                                     client=client, **settings)
                client = getattr(ledger, "client", None)  # one S3 client for every environment
                phases.append(ledger.state()["phase"])
                for warning in ledger.warnings:
                    display.warning(warning)
            except LedgerError as exc:
                raise AnsibleLookupError("kiro.platform.phase: %s: %s" % (environment, exc))
        return phases
