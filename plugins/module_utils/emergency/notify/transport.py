# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a notification travels: every channel at once, all under one deadline; an HTTP
channel's body as a JSON POST (redirects not followed, errors described by
common.http.failure), an SNS channel's as a Publish (common.aws).

A channel that fails (an error status, a refused connection, a timeout, whatever a
library raises) comes back as its outcome, never raised, and never delays the others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import threading
import time
import urllib.request

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common.http import failure
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify import message
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify.channels import SnsChannel

USER_AGENT = "kiro.platform-notify/1"
# A channel that does not return within its timeout (a DNS lookup, a server answering a
# byte at a time, building an AWS client) is given up this long after it.
GRACE = 0.5


class ChannelFailed(Unavailable):
    """One channel could not deliver; ``status`` is the HTTP status when there was one."""

    def __init__(self, detail, status=None):
        Unavailable.__init__(self, detail, retryable=False, status=status)


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
        detail, status, _unused = failure(exc, too_slow)
        raise ChannelFailed(detail, status=status)


def publish(channel, payload, summary, deadline):
    """Publish to an SNS channel's topic before ``deadline``; (status, {message_id}), or ChannelFailed."""
    try:
        client = aws.client("sns", channel.settings, timeout=_remaining(deadline), attempts=1)
        answer = client.publish(TopicArn=channel.topic_arn, **channel.body(payload, summary))
    except aws.AwsSetupError as exc:
        raise ChannelFailed(str(exc))
    except Exception as exc:  # botocore's ClientError and connection errors
        raise ChannelFailed(aws.describe(exc, channel.settings), status=aws.error_code(exc)[1])
    status = (answer.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    if not answer.get("MessageId"):
        raise ChannelFailed("SNS answered without a MessageId", status=status)
    return status, {"message_id": answer["MessageId"]}


def deliver(channel, payload, summary, deadline, timeout):
    """Send one checked channel (HTTP or SNS) its body: (status, more fields of its outcome), or ChannelFailed."""
    if isinstance(channel, SnsChannel):
        return publish(channel, payload, summary, deadline)
    data = message.to_json(channel.body(payload, summary)).encode("utf-8")
    return post_json(channel.url, data, channel.headers, deadline, timeout), {}


def send_all(channels, payload, summary, timeout):
    """{index: outcome} for ``channels``, sent concurrently; returns after about ``timeout``."""
    start = time.monotonic()
    deadline = start + timeout
    outcomes = {}
    lock = threading.Lock()

    def target(channel):
        try:
            status, extra = deliver(channel, payload, summary, deadline, timeout)
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
