# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a notification goes: the Slack, SNS and webhook channels. Each one checks its own
configuration (a wrong one gets ``problem`` set and is reported, not sent), knows its
secrets (scrubbed from any text it produces) and says what body it takes. Nothing here
sends: transport.py does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import re
import urllib.parse

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kiro.platform.plugins.module_utils.common.http import check_headers
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify import message

TYPES = ("slack", "sns", "webhook")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]{1,256}\Z")


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
        return message.one_line(secrets.origins(self._secrets.scrub(text)))

    def check(self):
        """Set ``problem`` when the configuration cannot work."""
        extra = [k for k in sorted(self.spec) if self.spec[k] not in (None, "", {}, []) and k not in
                 ("type", "name") + self.KEYS]
        if extra:
            used = [t for t in TYPES if any(k in CHANNELS[t].KEYS for k in extra)]
            self.problem = "%s %s not used by %s channels%s" % (
                ", ".join(extra), "is" if len(extra) == 1 else "are", self.type,
                " (only by %s)" % " and ".join(used) if used else "")

    def body(self, payload, summary):
        """What this channel is sent for ``payload`` under the one-line ``summary``."""
        raise NotImplementedError


class HttpChannel(Channel):
    """A channel that is an HTTP endpoint taking a JSON POST; ``headers`` go with it."""

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
            _unused = parts.port  # raises ValueError for a bad port
        except ValueError:
            self.problem = "url has an invalid port"
            return
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem = "url must be an http:// or https:// URL with a host"


class SlackChannel(HttpChannel):
    """A Slack incoming webhook: https://hooks.slack.com/services/T.../B.../<token>."""

    def body(self, payload, summary):
        return message.slack_message(payload, summary)


class WebhookChannel(HttpChannel):
    """Any HTTP endpoint taking the payload as JSON, with optional headers (credentials)."""

    KEYS = ("url", "headers")

    def __init__(self, index, spec):
        HttpChannel.__init__(self, index, spec)
        for value in (spec.get("headers") or {}).values() if isinstance(spec.get("headers"), dict) else ():
            self.add_secret(str(value))

    def check(self):
        HttpChannel.check(self)
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

    def body(self, payload, summary):
        """The Subject and Message of the SNS Publish call."""
        return {"Subject": message.sns_subject(summary), "Message": message.to_json(payload)}


class InvalidChannel(Channel):
    """A channel of no known type."""

    def check(self):
        if self.type in (None, ""):
            self.problem = "type is required (%s)" % ", ".join(TYPES)
        else:
            self.problem = "unknown type %r (%s)" % (message.cut(str(self.type), 40), ", ".join(TYPES))


CHANNELS = {"slack": SlackChannel, "sns": SnsChannel, "webhook": WebhookChannel}


def make_channels(specs):
    """Channel objects for ``specs`` (a list of mappings), each checked; a bad one has ``problem`` set."""
    out = []
    names = {}
    for index, spec in enumerate(specs):
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
