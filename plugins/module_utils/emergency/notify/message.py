# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a notification says: the summary line, the Slack message (text and blocks), the
SNS subject, the JSON of a payload. Pure formatting: nothing here sends or checks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import unicodedata

SNS_SUBJECT_MAX = 100
# Slack's limits on a header block and a section's text.
_SLACK_HEADER_MAX = 150
_SLACK_SECTION_MAX = 3000
_SLACK_BLOCKS_MAX = 50
_SLACK_TEXT_MAX = 39000
# Payload fields shown first in chat, with their labels; any other field follows.
SLACK_FIELDS = (("incident_id", "Incident"), ("reason", "Reason"), ("actor", "Who"), ("done", "Done"),
                ("failed", "Failed"))


def one_line(text):
    return " ".join(str(text).split())


def cut(text, limit):
    """``text`` in at most ``limit`` characters, an ellipsis saying it was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def summary_line(payload, summary=None):
    """One line for chat and the SNS subject: ``summary``, else built from the payload."""
    if summary and str(summary).strip():
        return one_line(summary)
    incident, reason = payload.get("incident_id"), payload.get("reason")
    if incident not in (None, ""):
        text = "Kiro incident %s" % incident
    else:
        text = "Kiro notification"
        if payload.get("event") and reason in (None, ""):
            text += " (%s)" % payload["event"]
    if reason not in (None, ""):
        text += ": %s" % reason
    return one_line(text)


def _slack_escape(text):
    # The three characters Slack's mrkdwn wants escaped (they start links and mentions).
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_value(value):
    """A payload value as mrkdwn: a scalar inline, a list or mapping as bullet lines."""
    if isinstance(value, dict):
        items = ["%s: %s" % (k, _compact(v)) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [_compact(v) for v in value]
    else:
        return " " + _slack_escape("-" if value is None else _compact(value))
    if not items:
        return " none"
    return "".join("\n\u2022 %s" % _slack_escape(item) for item in items)


def _compact(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _slack_fields(payload):
    labels = dict(SLACK_FIELDS)
    keys = [k for k, _label in SLACK_FIELDS if k in payload] + [k for k in payload if k not in labels]
    for key in keys:
        label = labels.get(key) or str(key).replace("_", " ").capitalize()
        yield "*%s:*%s" % (_slack_escape(label), _slack_value(payload[key]))


def slack_message(payload, summary):
    """The body posted to a Slack incoming webhook: ``text`` (what notifications and
    clients without blocks show) holds every field, and so do the blocks."""
    fields = list(_slack_fields(payload))
    text = "*%s*\n%s" % (_slack_escape(summary), "\n".join(fields))
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": cut(summary, _SLACK_HEADER_MAX),
                                          "emoji": True}}]
    room = _SLACK_BLOCKS_MAX - len(blocks)
    shown = fields if len(fields) <= room else fields[:room - 1] + [
        "_%d more fields: see the notification text_" % (len(fields) - room + 1)]
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": cut(field, _SLACK_SECTION_MAX)}}
                  for field in shown)
    return {"text": cut(text, _SLACK_TEXT_MAX), "blocks": blocks}


def sns_subject(summary):
    """An SNS Subject: printable ASCII on one line, at most 100 characters."""
    text = unicodedata.normalize("NFKD", str(summary)).encode("ascii", "ignore").decode("ascii")
    text = " ".join("".join(c if " " <= c <= "~" else " " for c in text).split())
    return text[:SNS_SUBJECT_MAX].strip() or "Kiro notification"


def to_json(value):
    """A payload or message as JSON text; a value JSON has no form for is sent as its text."""
    return json.dumps(value, default=str)
