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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.client
import json
import re
import threading
import time
import unicodedata
import urllib.parse
import urllib.request

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, PlatformError, Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common.http import (
    check_headers, failure)

TYPES = ("slack", "sns", "webhook")
DEFAULT_TIMEOUT = 5.0
USER_AGENT = "kiro.platform-notify/1"
# A channel that does not return within its timeout (a DNS lookup, a server answering a
# byte at a time, building an AWS client) is given up this long after it.
GRACE = 0.5
SNS_SUBJECT_MAX = 100
# Slack's limits on a header block and a section's text.
_SLACK_HEADER_MAX = 150
_SLACK_SECTION_MAX = 3000
_SLACK_BLOCKS_MAX = 50
_SLACK_TEXT_MAX = 39000
# Payload fields shown first in chat, with their labels; any other field follows.
SLACK_FIELDS = (("incident_id", "Incident"), ("reason", "Reason"), ("actor", "Who"), ("done", "Done"),
                ("failed", "Failed"))
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]{1,256}$")


class NotifyError(PlatformError):
    """The request as a whole is wrong (not one channel): nothing was sent."""


class ChannelFailed(Unavailable):
    """One channel could not deliver; ``status`` is the HTTP status when there was one."""

    def __init__(self, message, status=None):
        Unavailable.__init__(self, message, retryable=False, status=status)


def _one_line(text):
    return " ".join(str(text).split())


# --- messages --------------------------------------------------------------

def summary_line(payload, summary=None):
    """One line for chat and the SNS subject: ``summary``, else built from the payload."""
    if summary and str(summary).strip():
        return _one_line(summary)
    incident, reason = payload.get("incident_id"), payload.get("reason")
    if incident not in (None, ""):
        text = "Kiro incident %s" % incident
    else:
        text = "Kiro notification"
        if payload.get("event") and reason in (None, ""):
            text += " (%s)" % payload["event"]
    if reason not in (None, ""):
        text += ": %s" % reason
    return _one_line(text)


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


def _cut(text, limit):
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def slack_message(payload, summary):
    """The body posted to a Slack incoming webhook: ``text`` (what notifications and
    clients without blocks show) holds every field, and so do the blocks."""
    fields = list(_slack_fields(payload))
    text = "*%s*\n%s" % (_slack_escape(summary), "\n".join(fields))
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _cut(summary, _SLACK_HEADER_MAX),
                                          "emoji": True}}]
    room = _SLACK_BLOCKS_MAX - len(blocks)
    shown = fields if len(fields) <= room else fields[:room - 1] + [
        "_%d more fields: see the notification text_" % (len(fields) - room + 1)]
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": _cut(field, _SLACK_SECTION_MAX)}}
                  for field in shown)
    return {"text": _cut(text, _SLACK_TEXT_MAX), "blocks": blocks}


def sns_subject(summary):
    """An SNS Subject: printable ASCII on one line, at most 100 characters."""
    text = unicodedata.normalize("NFKD", str(summary)).encode("ascii", "ignore").decode("ascii")
    text = " ".join("".join(c if " " <= c <= "~" else " " for c in text).split())
    return text[:SNS_SUBJECT_MAX].strip() or "Kiro notification"


def payload_json(payload):
    return json.dumps(payload, default=str)


# --- channels --------------------------------------------------------------

class Channel:
    """One configured destination. ``problem`` is set when its configuration is wrong."""

    KEYS = ()

    def __init__(self, index, spec):
        self.index = index
        self.spec = spec
        self.type = spec.get("type")
        self.name = spec.get("name") or "%s-%d" % (self.type or "channel", index)
        self.target = None
        self.problem = None
        self._secrets = secrets.Scrubber()

    @property
    def label(self):
        return "channel %d (%s)" % (self.index, self.name)

    def add_secret(self, value):
        """Remember a string that must never be shown, with its URL-quoted spellings."""
        if not isinstance(value, str):
            return
        self._secrets.add(value)
        self._secrets.add(urllib.parse.unquote(value))

    def scrub(self, text):
        return _one_line(secrets.origins(self._secrets.scrub(text)))

    def check(self):
        """Set ``problem`` when the configuration cannot work."""
        extra = [k for k in sorted(self.spec) if self.spec[k] not in (None, "", {}, []) and k not in
                 ("type", "name") + self.KEYS]
        if extra:
            used = [t for t in TYPES if any(k in CHANNELS[t].KEYS for k in extra)]
            self.problem = "%s %s not used by %s channels%s" % (
                ", ".join(extra), "is" if len(extra) == 1 else "are", self.type,
                " (only by %s)" % " and ".join(used) if used else "")

    def send(self, payload, summary, deadline, timeout):
        raise NotImplementedError


class _WebhookBase(Channel):
    KEYS = ("url",)

    def __init__(self, index, spec):
        Channel.__init__(self, index, spec)
        self.url = spec.get("url")
        self.headers = {}
        if not isinstance(self.url, str):
            return
        self.url = self.url.strip()
        self.add_secret(self.url)
        parts = urllib.parse.urlsplit(self.url)
        for piece in (parts.path, parts.query, parts.fragment, parts.username, parts.password):
            self.add_secret(piece)
        for segment in parts.path.split("/"):
            if len(segment) >= 4:
                self.add_secret(segment)
        for pair in re.split(r"[&;]", parts.query):
            self.add_secret(pair)
            self.add_secret(pair.split("=", 1)[-1])
        if parts.username is not None:
            # urllib would take user:password@ for part of the host name: it goes as basic auth.
            pair = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
            credentials = base64.b64encode(pair.encode("utf-8")).decode("ascii")
            self.add_secret(credentials)
            self.headers["Authorization"] = "Basic %s" % credentials
            self.url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
        self.target = secrets.origin(self.url)

    def check(self):
        Channel.check(self)
        if self.problem:
            return
        if self.url in (None, ""):
            self.problem = "url is required for %s channels" % self.type
            return
        if not isinstance(self.url, str):
            self.problem = "url must be text"
            return
        try:
            parts = urllib.parse.urlsplit(self.url)
            parts.port
        except ValueError:
            self.problem = "url has an invalid port"
            return
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem = "url must be an http:// or https:// URL with a host"

    def body(self, payload, summary):
        raise NotImplementedError

    def send(self, payload, summary, deadline, timeout):
        data = json.dumps(self.body(payload, summary), default=str).encode("utf-8")
        return post_json(self.url, data, self.headers, deadline, timeout), {}


class SlackChannel(_WebhookBase):
    """A Slack incoming webhook: https://hooks.slack.com/services/T.../B.../<token>."""

    def body(self, payload, summary):
        return slack_message(payload, summary)


class WebhookChannel(_WebhookBase):
    """Any HTTP endpoint taking the payload as JSON, with optional headers (credentials)."""

    KEYS = ("url", "headers")

    def __init__(self, index, spec):
        _WebhookBase.__init__(self, index, spec)
        for value in (spec.get("headers") or {}).values() if isinstance(spec.get("headers"), dict) else ():
            self.add_secret(str(value))

    def check(self):
        _WebhookBase.check(self)
        if self.problem:
            return
        try:
            headers = check_headers(self.spec.get("headers"), self.label)
        except InvalidInput as exc:
            self.problem = exc.detail
            return
        # Headers given win over the basic auth of the URL's user:password@.
        if any(name.lower() == "authorization" for name in headers):
            self.headers.pop("Authorization", None)
        self.headers.update(headers)

    def body(self, payload, summary):
        return payload


class SnsChannel(Channel):
    """An SNS topic; subscribers get the payload as JSON (the Message) with the summary as Subject."""

    KEYS = ("topic_arn",) + aws.CONNECTION_KEYS

    def __init__(self, index, spec):
        Channel.__init__(self, index, spec)
        self.topic_arn = spec.get("topic_arn")
        self.settings = dict((k, spec.get(k)) for k in aws.CONNECTION_KEYS)
        for key in aws.SECRET_KEYS:
            self.add_secret(self.settings.get(key))
        self.target = self.topic_arn if isinstance(self.topic_arn, str) else None

    def check(self):
        Channel.check(self)
        if self.problem:
            return
        if not self.topic_arn:
            self.problem = "topic_arn is required for sns channels"
            return
        match = _TOPIC_ARN.match(str(self.topic_arn))
        if not match:
            self.problem = "topic_arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            return
        self.problem = aws.check_settings(self.settings)
        # A topic is published to in its own region, whatever the profile's default.
        self.settings["region"] = self.settings.get("region") or match.group(1)

    def send(self, payload, summary, deadline, timeout):
        try:
            client = aws.client("sns", self.settings, timeout=_remaining(deadline), attempts=1)
            answer = client.publish(TopicArn=self.topic_arn, Subject=sns_subject(summary),
                                    Message=payload_json(payload))
        except aws.AwsSetupError as exc:
            raise ChannelFailed(str(exc))
        except Exception as exc:  # botocore's ClientError and connection errors
            raise ChannelFailed(aws.describe(exc, self.settings), status=aws.error_code(exc)[1])
        status = (answer.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if not answer.get("MessageId"):
            raise ChannelFailed("SNS answered without a MessageId", status=status)
        return status, {"message_id": answer["MessageId"]}


class InvalidChannel(Channel):
    """A channel of no known type."""

    def check(self):
        if self.type in (None, ""):
            self.problem = "type is required (%s)" % ", ".join(TYPES)
        else:
            self.problem = "unknown type %r (%s)" % (_cut(str(self.type), 40), ", ".join(TYPES))


CHANNELS = {"slack": SlackChannel, "sns": SnsChannel, "webhook": WebhookChannel}


def make_channels(channels):
    """Channel objects for ``channels`` (a list of mappings), each checked; a bad one has ``problem`` set."""
    if not isinstance(channels, (list, tuple)):
        raise NotifyError("channels must be a list of mappings")
    out = []
    names = {}
    for index, spec in enumerate(channels):
        if not isinstance(spec, dict):
            channel = InvalidChannel(index, {})
            channel.problem = "must be a mapping with a type (%s)" % ", ".join(TYPES)
            out.append(channel)
            continue
        kind = spec.get("type")
        cls = CHANNELS.get(kind) if isinstance(kind, str) else None
        channel = (cls or InvalidChannel)(index, spec)
        if not isinstance(channel.name, str):
            channel.name = "%s-%d" % (channel.type if cls else "channel", index)
            channel.problem = "name must be text"
        else:
            channel.check()
        if channel.name in names and not channel.problem:
            channel.problem = "name %s is already channel %d's" % (channel.name, names[channel.name])
        names.setdefault(channel.name, index)
        out.append(channel)
    return out


# --- sending ---------------------------------------------------------------

def _remaining(deadline):
    return max(0.05, deadline - time.monotonic())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not followed: it would resend the payload (and headers) elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post_json(url, data, headers, deadline, timeout):
    """POST ``data`` (JSON bytes) to ``url`` before ``deadline``; the 2xx status, or ChannelFailed."""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_unredirected_header(name, value)
    opener = urllib.request.build_opener(_NoRedirect())
    too_slow = "no answer within %g s" % timeout
    try:
        # The status is the answer: a body that never ends does not undo a delivery.
        with opener.open(request, timeout=_remaining(deadline)) as answer:
            return answer.status
    except (http.client.HTTPException, OSError, ValueError) as exc:
        detail, status, _ = failure(exc, too_slow)
        raise ChannelFailed(detail, status=status)


def _send_all(channels, payload, summary, timeout):
    """{index: outcome} for ``channels``, sent concurrently; returns after about ``timeout``."""
    start = time.monotonic()
    deadline = start + timeout
    outcomes = {}
    lock = threading.Lock()

    def target(channel):
        try:
            status, extra = channel.send(payload, summary, deadline, timeout)
            outcome = dict(ok=True, status=status, error=None, **extra)
        except ChannelFailed as exc:
            outcome = dict(ok=False, status=exc.status, error=channel.scrub(exc))
        except Exception as exc:  # whatever a library raises, the other channels carry on
            outcome = dict(ok=False, status=None, error=channel.scrub("%s: %s" % (type(exc).__name__, exc)))
        outcome["elapsed"] = round(time.monotonic() - start, 3)
        with lock:
            outcomes.setdefault(channel.index, outcome)

    # Daemon threads, not a ThreadPoolExecutor: the interpreter waits for a pool's threads
    # at exit, so a channel stuck in a DNS lookup would hold the run after we gave up on it.
    threads = [threading.Thread(target=target, args=(channel,), name="kiro-notify-%d" % channel.index)
               for channel in channels]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + GRACE - time.monotonic()))
    with lock:
        for channel in channels:
            outcomes.setdefault(channel.index, dict(ok=False, status=None, error="no answer within %g s" % timeout,
                                                    elapsed=round(time.monotonic() - start, 3)))
        return dict(outcomes)


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
    prepared = make_channels(channels)
    valid = [c for c in prepared if not c.problem]
    outcomes = {} if check_mode else _send_all(valid, payload, summary, timeout)

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
