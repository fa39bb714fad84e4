# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollout status from the ledgers: lines for the play output, an HTML page with a timeline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html

from ansible_collections.kiro.platform.plugins.module_utils.rollout import plan

_COLOURS = {"gate_passed": "#1a7f37", "gate_failed": "#cf222e", "rolled_back": "#bc4c00",
            "override_set": "#8250df", "override_cleared": "#0969da", "incident_opened": "#8250df",
            "approved": "#0969da", "lock_broken": "#bc4c00"}


def _summary(result):
    env = result.get("item") or (result.get("state") or {}).get("environment")
    state = result.get("state") or {}
    gate = state.get("last_gate") or {}
    override = state.get("override") or {}
    lock = result.get("lock") or None
    return env, state, gate, override, lock


def _ledger(result):
    """The ledger's anchor (seq, sha256 of its last entry) and whether it verified, as the ledger action read it."""
    anchor = result.get("anchor") or {}
    if not anchor:
        return "unknown"
    verdict = "verified" if result.get("chain_ok") else "DOES NOT VERIFY (seq %s)" % result.get("bad_seq")
    return "seq %s, sha256 %s, %s" % (anchor.get("seq"), anchor.get("sha256"), verdict)


def lines(results):
    out = []
    for result in results:
        env, state, gate, override, lock = _summary(result)
        phase = state.get("phase", 0)
        name = plan.PHASES.get(phase, {}).get("name", "not started")
        text = "%s: phase %s (%s)" % (env, phase, name)
        last = "phase %s %s at %s" % (gate.get("phase"), gate.get("verdict"), gate.get("ts")) if gate else "none"
        text += "; last gate: %s" % last
        text += "; lock: %s" % ("held by %s (run %s) until %s" % (lock.get("holder"), lock.get("run_id"),
                                                                  lock.get("expires")) if lock else "free")
        text += "; override: %s" % ("ACTIVE since %s (incident %s)" % (override.get("ts"), override.get("incident_id"))
                                    if override.get("active") else "none")
        text += "; ledger: %s" % _ledger(result)
        out.append(text)
    return out


def page(results):
    cards = []
    for result in results:
        env, state, gate, override, lock = _summary(result)
        rows = []
        for entry in result.get("entries") or []:
            colour = _COLOURS.get(entry.get("event"), "#57606a")
            detail = entry.get("details") or {}
            note = ", ".join("%s=%s" % (k, detail[k]) for k in sorted(detail) if k in
                             ("verdict", "score", "level", "to_phase", "approver", "reason", "incident_id"))
            rows.append('<li><span class="dot" style="background:%s"></span><time>%s</time> '
                        '<b>%s</b> phase %s by %s <small>%s</small></li>'
                        % (colour, html.escape(str(entry.get("ts"))), html.escape(str(entry.get("event"))),
                           html.escape(str(entry.get("phase"))), html.escape(str(entry.get("actor"))),
                           html.escape(note)))
        badge = "override" if override.get("active") else ("pass" if gate.get("verdict") == "pass" else
                                                           ("fail" if gate else "none"))
        cards.append(
            '<section class="env"><h2>%s <span class="badge %s">phase %s</span></h2>'
            '<p>Last gate: %s. Lock: %s. Override: %s.</p><p class="anchor">Ledger anchor: <code>%s</code></p>'
            '<ol class="timeline">%s</ol></section>'
            % (html.escape(str(env)), badge, html.escape(str(state.get("phase", 0))),
               html.escape("phase %s %s at %s" % (gate.get("phase"), gate.get("verdict"), gate.get("ts"))
                           if gate else "none"),
               html.escape("held by %s until %s" % (lock.get("holder"), lock.get("expires")) if lock else "free"),
               html.escape("ACTIVE, incident %s: %s" % (override.get("incident_id"), override.get("reason"))
                           if override.get("active") else "none"),
               html.escape(_ledger(result)),
               "".join(rows) or "<li>no entries</li>"))
    return """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kiro rollout status</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2328}
.env{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.5rem;margin-bottom:1.5rem}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;color:#fff;background:#57606a}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.override{background:#8250df}
.timeline{list-style:none;padding-left:0;border-left:2px solid #d0d7de;margin-left:.5rem}
.timeline li{margin:.3rem 0 .3rem -7px}
.dot{display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:.5rem;vertical-align:middle}
time{color:#57606a;margin-right:.5rem}
</style></head><body><h1>Kiro rollout status</h1>%s</body></html>
""" % "".join(cards)
