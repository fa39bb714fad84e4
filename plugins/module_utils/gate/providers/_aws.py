# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the AWS providers (cloudwatch, cost_explorer) share: one way to build a
boto3 client from a provider's settings, one mapping of botocore errors to
ProviderError, and the relative times criteria use for windows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import threading

from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError

from ansible_collections.kiro.platform.plugins.module_utils.common import aws

try:
    import botocore.exceptions
    HAS_BOTO3 = True
except ImportError:  # reported when a criterion needs it, not at import
    HAS_BOTO3 = False

SETTINGS_KEYS = aws.CONNECTION_KEYS

# Error codes that mean "ask again later" whatever the HTTP status says.
_RETRYABLE_CODES = frozenset((
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "LimitExceededException", "ProvisionedThroughputExceededException", "SlowDown",
    "RequestTimeout", "RequestTimeoutException", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalError", "InternalFailure", "InternalServiceError", "InternalServerError",
))

UTC = datetime.timezone.utc
_RELATIVE = re.compile(r"^\s*(?:now\s*)?([-+])\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def check_settings(provider):
    """Reject settings of the wrong shape when the provider is built."""
    problem = aws.check_settings(provider.settings)
    if problem:
        raise CriterionError("providers.%s" % provider.name, problem)


class ClientCache:
    """One boto3 client per provider instance, built on first use.

    A boto3 Session is not thread-safe while it builds clients, and criteria are
    measured concurrently, so building happens under a lock; the client itself is
    thread-safe.
    """

    def __init__(self, provider, service, default_region=None):
        self.provider = provider
        self.service = service
        self.default_region = default_region
        self._client = None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self):
        if not aws.HAS_BOTO3:
            raise ProviderError("provider %s needs the boto3 Python package on the controller"
                                % self.provider.name, retryable=False)
        # Provider.call retries with backoff; botocore must try exactly once.
        try:
            return aws.client(self.service, self.provider.settings, timeout=self.provider.timeout, attempts=1,
                              default_region=self.default_region)
        except aws.AwsSetupError as exc:
            raise ProviderError("%s: %s" % (self.provider.name, exc), retryable=False)


def translate(exc, provider, action):
    """A ProviderError for a boto3/botocore exception, free of credentials.

    ``action`` says what was being done (e.g. "GetMetricData") for the message.
    """
    where = "%s: %s" % (provider.name, action)
    settings = provider.settings
    if isinstance(exc, ProviderError):
        return exc
    if HAS_BOTO3 and isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error") or {}
        meta = exc.response.get("ResponseMetadata") or {}
        code = error.get("Code") or "Unknown"
        status = meta.get("HTTPStatusCode") or 0
        retryable = code in _RETRYABLE_CODES or status == 429 or status >= 500
        message = "%s failed: %s (HTTP %s): %s" % (where, code, status or "?", error.get("Message") or "")
        return ProviderError(aws.scrub(message.rstrip(": "), settings)[:1000], retryable=retryable)
    if HAS_BOTO3 and isinstance(exc, (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError)):
        # unreachable endpoint, connect/read timeout, connection closed mid-answer
        return ProviderError(aws.scrub("%s failed: %s" % (where, exc), settings)[:1000], retryable=True)
    if HAS_BOTO3 and isinstance(exc, botocore.exceptions.NoRegionError):
        return ProviderError("%s failed: no AWS region; set providers.%s.region" % (where, provider.name),
                             retryable=False)
    if HAS_BOTO3 and isinstance(exc, (botocore.exceptions.NoCredentialsError,
                                      botocore.exceptions.PartialCredentialsError)):
        return ProviderError("%s failed: no usable AWS credentials (set providers.%s.profile or the "
                             "aws_access_key_id / aws_secret_access_key settings, or the usual AWS "
                             "environment)" % (where, provider.name), retryable=False)
    # ProfileNotFound, ParamValidationError, credential process failures, ...
    return ProviderError(aws.scrub("%s failed: %s: %s" % (where, type(exc).__name__, exc), settings)[:1000],
                         retryable=False)


def aws_call(provider, action, func, **kwargs):
    """``func(**kwargs)`` with the provider's retries; botocore errors become ProviderError."""

    def once():
        try:
            return func(**kwargs)
        except Exception as exc:
            raise translate(exc, provider, action)

    return provider.call(once)


# --- time --------------------------------------------------------------------

def parse_time(value, now):
    """An aware UTC datetime for ``value``.

    ``value``: "now"; a signed offset from now such as "-30d", "-6h", "-15m",
    "-90s", "-2w" (also "now-1h"); an ISO 8601 date or date-time ("2024-05-01",
    "2024-05-01T12:00:00Z"; naive means UTC); or a date/datetime (YAML turns an
    unquoted 2024-05-01 into a date). ``now`` is seconds since the epoch.
    Raises ValueError with a readable reason.
    """
    reference = datetime.datetime.fromtimestamp(now, UTC)
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("%r is not a time; use now, -30d, -6h, -15m or an ISO date" % (value,))
    text = value.strip()
    if text.lower() == "now":
        return reference
    match = _RELATIVE.match(text.lower())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        seconds = float(match.group(2)) * _UNIT_SECONDS[match.group(3)]
        return reference + datetime.timedelta(seconds=sign * seconds)
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError("%r is not a time; use now, -30d, -6h, -15m or an ISO date such as 2024-05-01"
                         % (value,))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_window(window, now, default_start, default_end="now"):
    """(start, end) aware datetimes for a {start, end} mapping (None = defaults)."""
    window = {} if window is None else window
    if not isinstance(window, dict):
        raise ValueError("must be a mapping such as {start: -1h, end: now}")
    unknown = sorted(set(window) - {"start", "end"})
    if unknown:
        raise ValueError("takes only start and end, not %s" % ", ".join(unknown))
    start = parse_time(window.get("start", default_start), now)
    end = parse_time(window.get("end", default_end), now)
    if start >= end:
        raise ValueError("start (%s) must be before end (%s)" % (iso(start), iso(end)))
    return start, end


def iso(moment):
    """ISO 8601 in UTC with a Z, for reports and evidence."""
    if isinstance(moment, datetime.datetime):
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.isoformat() + "Z"
    return moment.isoformat()


def epoch(moment):
    """Seconds since the epoch for an aware (or naive = UTC) datetime or a date."""
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def jsonable(value):
    """A boto3 answer with datetimes as ISO strings (for the evidence bundle)."""
    if isinstance(value, dict):
        return dict((k, jsonable(v)) for k, v in value.items() if k != "ResponseMetadata")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return iso(value)
    return value
