# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to build a boto3 client from connection settings, for every AWS caller of the
collection (the gate's AWS providers, the S3 ledger, the kill switch's IAM deny, SNS
notifications), and one way to describe an AWS error without leaking credentials.

Unset settings fall back to boto3's own chain (environment, profile, instance role).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import re
import threading

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError

# boto3 is imported when a client is built, not with this module (~0.3 s): a task that only
# needs the option names (the kill switch without IAM roles) does not pay for it.
HAS_BOTO3 = importlib.util.find_spec("boto3") is not None

CONNECTION_KEYS = ("region", "profile", "endpoint_url", "aws_access_key_id", "aws_secret_access_key",
                   "aws_session_token")
SECRET_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
# The connection options of every task that calls AWS, as an argument spec (keys are no_log).
ARGUMENT_SPEC = dict((key, dict(type="str", no_log=key in SECRET_KEYS)) for key in CONNECTION_KEYS)


class AwsSetupError(PlatformError):
    """The client cannot be built: no boto3, half a key pair, unknown profile, bad endpoint..."""


_LOADER = []
_LOADER_LOCK = threading.Lock()


def _botocore_session():
    """A fresh botocore session sharing one data loader per process: every session
    would otherwise parse the service models again (~0.3 s a client)."""
    import botocore.loaders
    import botocore.session
    with _LOADER_LOCK:
        if not _LOADER:
            _LOADER.append(botocore.loaders.create_loader())
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER[0])
    return session


def settings_of(params):
    """The connection settings among ``params`` (a task's validated options), unset ones left out."""
    return dict((key, params[key]) for key in CONNECTION_KEYS if params.get(key) is not None)


def check_settings(settings):
    """A message saying what is wrong with ``settings``, or None."""
    for key in CONNECTION_KEYS:
        value = settings.get(key)
        if value is not None and not isinstance(value, str):
            return "%s must be text" % key
    if bool(settings.get("aws_access_key_id")) != bool(settings.get("aws_secret_access_key")):
        return "aws_access_key_id and aws_secret_access_key go together"
    endpoint = settings.get("endpoint_url")
    if endpoint and not re.match(r"^https?://", endpoint):
        return "endpoint_url must start with http:// or https://"
    return None


def client(service, settings=None, timeout=None, attempts=None, default_region=None):
    """A boto3 client for ``service`` from ``settings`` (CONNECTION_KEYS; None or missing = boto3's chain).

    ``timeout`` (seconds) bounds connecting and each read; ``attempts`` is botocore's
    total_max_attempts (1 when the caller retries on its own). Raises AwsSetupError.
    """
    settings = settings or {}
    if not HAS_BOTO3:
        raise AwsSetupError("the boto3 Python package is needed on the controller (pip install boto3)")
    problem = check_settings(settings)
    if problem:
        raise AwsSetupError(problem)
    options = {}
    if timeout is not None:
        options.update(connect_timeout=timeout, read_timeout=timeout)
    if attempts is not None:
        options["retries"] = {"total_max_attempts": attempts, "mode": "standard"}
    import boto3
    import botocore.config
    try:
        session = boto3.session.Session(
            botocore_session=_botocore_session(),
            profile_name=settings.get("profile") or None,
            aws_access_key_id=settings.get("aws_access_key_id") or None,
            aws_secret_access_key=settings.get("aws_secret_access_key") or None,
            aws_session_token=settings.get("aws_session_token") or None)
        region = settings.get("region") or session.region_name or default_region
        return session.client(service, region_name=region, endpoint_url=settings.get("endpoint_url") or None,
                              config=botocore.config.Config(**options) if options else None)
    except Exception as exc:  # botocore raises many types here; all are configuration problems
        raise AwsSetupError(scrub("cannot build the %s client: %s: %s" % (service, type(exc).__name__, exc),
                                  settings))


def scrub(text, settings=None):
    """``text`` without any credential from ``settings`` (or in a URL's user info)."""
    return secrets.Scrubber((settings or {}).get(key) for key in SECRET_KEYS).scrub(text)


def error_code(exc):
    """(code, HTTP status) of a botocore ClientError; (None, None) for anything else."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None, None
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    return error.get("Code"), meta.get("HTTPStatusCode")


def describe(exc, settings=None):
    """One line saying what went wrong in an AWS call, free of credentials."""
    code, status = error_code(exc)
    if HAS_BOTO3:
        import botocore.exceptions
    if code is not None or status is not None:
        message = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or ""
        text = "%s (HTTP %s)%s" % (code or "Unknown", status or "?", ": %s" % message if message else "")
    elif HAS_BOTO3 and isinstance(exc, (botocore.exceptions.NoCredentialsError,
                                        botocore.exceptions.PartialCredentialsError)):
        text = "no usable AWS credentials (set a profile, or aws_access_key_id / aws_secret_access_key, " \
               "or the usual AWS environment)"
    elif HAS_BOTO3 and isinstance(exc, botocore.exceptions.NoRegionError):
        text = "no AWS region: set region"
    else:
        text = "%s: %s" % (type(exc).__name__, exc)
    return scrub(text, settings)[:1000]
