# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both ledger backends do the same way: verify (chain, MACs, head, evidence), build the
next signed entry, migrate an unsigned ledger. A backend supplies the storage:

- ``_load()`` -> (raw, entries, torn) and sets ``self.head`` (the head record or None) and
  ``self.exists`` (whether the ledger itself is there);
- ``location`` and ``head_location`` for messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.ledger import anchor as anchor_mod
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import NO_KEY
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive, refuse_under_override

MIN_REASON = 10


class LedgerBase:

    def __init__(self, environment, signer):
        self.environment = model.check_environment(environment)
        if signer is None:
            raise LedgerError(NO_KEY)
        self.signer = signer
        self.head = None
        self.exists = False
        self.torn = None
        self.warnings = []
        self.reports_checked = 0
        # Where this environment's gate reports are (<reports_dir>/<environment>/*.json): verify
        # checks their ledger anchors against the entries.
        self.reports_dir = None

    # --- verification ---------------------------------------------------------

    def audit(self, entries, reports=False):
        """None when ``entries`` (as last loaded) verify - chain, MACs, head and, with
        ``reports``, the gate evidence and the gate reports' ledger anchors - else the ChainBroken naming the first bad seq."""
        broken = model.verify(entries, source=self.location, environment=self.environment, signer=self.signer)
        if broken is not None:
            return broken
        broken, warnings = anchor_mod.check_head(entries, self.head, self.signer, self.environment, self.location,
                                                 self.head_location, ledger_exists=self.exists)
        if broken is not None:
            return broken
        self.warnings = [w for w in self.warnings if w not in warnings] + warnings
        if reports:
            broken, self.reports_checked = anchor_mod.check_reports(entries, self.location, self.reports_dir,
                                                                    self.environment)
        return broken

    def _check(self, entries, reports=False):
        broken = self.audit(entries, reports=reports)
        if broken is not None:
            raise broken

    def verify(self, reports=True):
        """None when the ledger verifies, else the ChainBroken naming the first bad seq."""
        return self.audit(self.read(), reports=reports)

    def state(self):
        """The derived state; raises ChainBroken when the ledger does not verify."""
        entries = self.read()
        self._check(entries)
        return derive(entries, self.environment)

    def anchor(self, entries=None):
        return anchor_mod.anchor(self.read() if entries is None else entries)

    def _next(self, entries, phase, event, actor, run_id, details, report_sha256, now):
        """The signed entry that follows the verified ``entries``; refused under an active override."""
        self._check(entries)
        refuse_under_override(entries, event, self.environment)
        if phase is None:
            phase = derive(entries)["phase"]
        entry = model.new_entry(entries[-1] if entries else None, self.environment, phase, event, actor, run_id,
                                details=details, report_sha256=report_sha256, now=now)
        return model.sign(entry, self.signer)

    def preview(self, phase, event, actor, run_id, details=None, report_sha256=None):
        """(entries, the entry append would write): check mode."""
        entries = self.read()
        return entries, self._next(entries, phase, event, actor, run_id, details, report_sha256, None)

    # --- migration ------------------------------------------------------------

    def plan_migration(self, entries, actor, run_id, reason, now):
        """(every entry signed + the ledger_migrated entry, that entry) for an unsigned ``entries``."""
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON or len(reason.split()) < 2:
            raise LedgerError("reason: say why this ledger is signed now, in a few words (got %r); pass it as JSON: "
                              "-e '{\"reason\": \"signing the ledger written before MACs\"}'" % (reason,))
        if not entries:
            raise LedgerError("%s: there is no ledger to migrate" % self.location)
        signed = [entry for entry in entries if model.is_signed(entry)]
        if signed:
            raise LedgerError("%s: only a wholly unsigned ledger is migrated, and seq %d is already signed%s"
                              % (self.location, signed[0]["seq"],
                                 "" if len(signed) == len(entries) else "; unsigned entries after signed ones were "
                                 "not written by this collection: have the ledger investigated"))
        model.check(entries, source=self.location, environment=self.environment)
        migrated = [model.sign(entry, self.signer) for entry in entries]
        last = migrated[-1]
        entry = model.sign(model.new_entry(
            last, self.environment, derive(entries)["phase"], "ledger_migrated", actor, run_id,
            details={"reason": reason.strip(), "signed_entries": len(entries), "last_unsigned_sha256": last["sha256"],
                     "key_id": self.signer.key_id, "scheme": self.signer.scheme}, now=now), self.signer)
        return migrated + [entry], entry
