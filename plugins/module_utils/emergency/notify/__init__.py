# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tell stakeholders about an incident: a Slack incoming webhook, an SNS topic, a generic
JSON webhook - all at once, each bounded by one timeout.

A notification is best effort: a channel that fails (an error status, a refused
connection, a timeout, a bad configuration) is reported, never raised, and never delays
the other channels; the whole call takes about ``timeout`` seconds however many channels
there are. Only a problem of the whole request (the payload is not a mapping, no channel
list, a bad timeout) raises NotifyError.

Secrets stay secret: a webhook URL's path and query (Slack's token is in the path), header
values and AWS keys never appear in a result - a URL is described as scheme://host[:port]
and every error text is scrubbed of the channel's secrets.

message.py says what is sent, channels.py where it goes (each channel checked),
transport.py how it travels; this file is the request: check it, send, report each channel.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify.channels import make_channels
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify.message import summary_line
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify.transport import send_all

DEFAULT_TIMEOUT = 5.0


class NotifyError(PlatformError):
    """The request as a whole is wrong (not one channel): nothing was sent."""


def notify(channels, payload, summary=None, timeout=DEFAULT_TIMEOUT, fail_on_error=False, check_mode=False):
    """Send ``payload`` to every channel at once and report each one.

    Returns {changed, msg, notifications, sent, failed_channels, warnings[, failed]}:
    ``failed`` is set only with ``fail_on_error`` when a channel failed (every channel is
    tried first). In check mode nothing is sent: valid channels are reported with
    ``ok: null`` and ``would_send: true``. Raises NotifyError for a bad request.
    """
    if not isinstance(payload, dict):
        raise NotifyError("payload must be a mapping (it is sent as JSON)")
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        raise NotifyError("timeout must be a number of seconds")
    if not timeout > 0:
        raise NotifyError("timeout must be more than 0 seconds")
    if summary is not None and not isinstance(summary, str):
        raise NotifyError("summary must be text")
    summary = summary_line(payload, summary)
    if not isinstance(channels, (list, tuple)):
        raise NotifyError("channels must be a list of mappings")
    prepared = make_channels(channels)
    valid = [c for c in prepared if not c.problem]
    outcomes = {} if check_mode else send_all(valid, payload, summary, timeout)

    notifications = []
    for channel in prepared:
        entry = {"name": channel.name, "type": channel.type if isinstance(channel.type, str) else None,
                 "target": channel.target if not channel.problem else None}
        if channel.problem:
            entry.update(ok=False, status=None, error=channel.scrub("bad configuration: %s" % channel.problem),
                         elapsed=0.0)
        elif check_mode:
            entry.update(ok=None, status=None, error=None, elapsed=0.0)
        else:
            entry.update(outcomes[channel.index])
        if check_mode:
            entry["would_send"] = not channel.problem
        if channel.type == "sns":
            entry.setdefault("message_id", None)
        notifications.append(entry)

    failed = [n for n in notifications if n["ok"] is False]
    sent = sum(1 for n in notifications if n["ok"])
    warnings = ["notify: channel %d %r (%s) failed: %s" % (
        index, str(n["name"]), ", ".join(p for p in (n["type"], n["target"]) if p) or "no type", n["error"])
        for index, n in enumerate(notifications) if n["ok"] is False]
    if check_mode:
        msg = "check mode: would notify %d of %d channels" % (len(valid), len(prepared))
    else:
        msg = "notified %d of %d channels" % (sent, len(prepared))
    if failed:
        msg += "; %s: %s" % ("invalid" if check_mode else "failed", ", ".join(n["name"] for n in failed))
    result = {"changed": sent > 0, "msg": msg, "summary": summary, "notifications": notifications,
              "sent": sent, "failed_channels": len(failed), "warnings": warnings}
    if fail_on_error and failed:
        result["failed"] = True
    return result
