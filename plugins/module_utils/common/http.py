# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP for the collection (the prometheus and http_json gate providers, notifications),
standard library only.

One GET returning JSON, with a timeout, authentication (bearer token, basic
auth from settings or from the URL's userinfo, extra headers), TLS options,
and errors classified for the retry helper:

  connection refused / reset, timeouts, HTTP 5xx, 408 and 429  -> retryable
  other HTTP 4xx, TLS verification failures, answers that are
  not JSON                                                     -> not retryable

No message produced here contains a credential: URLs are shown without their
userinfo and with every query value masked, and every known secret (token,
password, URL password, secret-looking header and query values) is scrubbed
from any text taken from the server's answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets as secrets_mod
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, Unavailable

USER_AGENT = "kiro.platform-gate/1"
MAX_BODY = 64 * 1024 * 1024
_RETRYABLE_4XX = (408, 425, 429)
_TRUTHY = ("true", "yes", "on", "1")
_FALSY = ("false", "no", "off", "0")


def as_bool(value, where, key):
    """A settings boolean; accepts the strings Ansible may hand over."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUTHY + _FALSY:
        return value.strip().lower() in _TRUTHY
    raise InvalidInput(where, "%s must be true or false" % key)


def check_headers(value, where, key="headers"):
    """A mapping of header name to text; returns a plain dict of str."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(where, "%s must be a mapping of header name to value" % key)
    out = {}
    for name, val in value.items():
        if not isinstance(name, str) or not name or isinstance(val, (dict, list)) or val is None:
            raise InvalidInput(where, "%s: header %r must map a name to a text value" % (key, name))
        if any(c in str(name) + str(val) for c in "\r\n"):
            raise InvalidInput(where, "%s: header %s contains a line break" % (key, name))
        out[name] = str(val)
    return out


def check_url(value, where, key="url"):
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(where, "%s must be an http:// or https:// URL" % key)
    parts = urllib.parse.urlsplit(value.strip())
    try:
        _unused = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise InvalidInput(where, "%s has an invalid port: %s" % (key, secrets_mod.safe_url(value)))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(where, "%s must be an http:// or https:// URL, not %s" % (key, secrets_mod.safe_url(value)))
    return value.strip()


class Client:
    """Connection settings shared by the requests of one provider."""

    def __init__(self, name, timeout, bearer_token=None, username=None, password=None, headers=None,
                 verify_tls=True, ca_file=None):
        self.name = name
        self.timeout = float(timeout)
        self.bearer_token = bearer_token or None
        self.username = username
        self.password = password
        self.headers = dict(headers or {})
        self.verify_tls = verify_tls
        self.ca_file = ca_file
        if self.bearer_token and self.username:
            raise InvalidInput("providers.%s" % name, "set bearer_token or username/password, not both")
        self._context = None

    # -- secrets -----------------------------------------------------------
    def scrubber(self, url=None, headers=None):
        """The secrets of this client and of one request (URL credentials, secret headers)."""
        scrubber = secrets_mod.Scrubber([self.bearer_token, self.password])
        scrubber.add_basic(self.username, self.password)
        scrubber.add_headers(self.headers).add_headers(headers)
        return scrubber.add_url(url)

    def scrub(self, text, url=None, headers=None):
        return self.scrubber(url, headers).scrub(text)

    # -- TLS ---------------------------------------------------------------
    def ssl_context(self):
        if self._context is None:
            if not self.verify_tls:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                try:
                    context = ssl.create_default_context(cafile=self.ca_file or None)
                except (OSError, ssl.SSLError) as exc:
                    raise Unavailable("%s: cannot load ca_file %s: %s"
                                      % (self.name, self.ca_file, getattr(exc, "strerror", None) or exc),
                                      retryable=False)
            self._context = context
        return self._context

    # -- the request -------------------------------------------------------
    def get_json(self, url, params=None, headers=None):
        """GET ``url`` (+ ``params``) and return the decoded JSON document.

        Raises ProviderError; the message names the URL without credentials.
        """
        parts = urllib.parse.urlsplit(url)
        user, password = parts.username, parts.password
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = "[%s]" % netloc
        if parts.port:
            netloc += ":%d" % parts.port
        query = parts.query
        if params:
            extra = urllib.parse.urlencode([(k, v) for k, v in params if v is not None])
            query = query + "&" + extra if query else extra
        target = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))
        shown = secrets_mod.safe_url(target)
        where = "%s: GET %s" % (self.name, shown)

        request = urllib.request.Request(target, method="GET")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        # Credentials (and secret-looking headers) go in unredirected headers:
        # urllib does not forward those when it follows a redirect.
        for name, value in all_headers.items():
            if secrets_mod.is_secret_header(name):
                request.add_unredirected_header(name, value)
            else:
                request.add_header(name, value)
        if self.bearer_token:
            request.add_unredirected_header("Authorization", "Bearer %s" % self.bearer_token)
        elif self.username or user:
            pair = "%s:%s" % ((self.username, self.password or "") if self.username
                              else (urllib.parse.unquote(user), urllib.parse.unquote(password or "")))
            request.add_unredirected_header("Authorization",
                                            "Basic %s" % base64.b64encode(pair.encode("utf-8")).decode("ascii"))

        def fail(detail, retryable):
            raise Unavailable(self.scrub("%s: %s" % (where, detail), url, headers), retryable=retryable)

        handlers = [urllib.request.HTTPSHandler(context=self.ssl_context())] if parts.scheme == "https" else []
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=self.timeout) as answer:
                body = answer.read(MAX_BODY + 1)
                status = answer.status
        except (http.client.HTTPException, OSError) as exc:
            detail, _unused, retryable = failure(exc, "timed out after %g s" % self.timeout)
            fail(detail, retryable)
        if len(body) > MAX_BODY:
            fail("answer larger than %d MiB" % (MAX_BODY // (1024 * 1024)), False)
        try:
            return json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            fail("HTTP %d answer is not JSON (%s)%s" % (status, exc, excerpt(body, ": ")), False)


def failure(exc, timed_out):
    """(detail, HTTP status or None, retryable) for what urllib raised; ``timed_out`` is the detail of a timeout."""
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read(4096)
        except Exception:
            body = b""
        finally:
            exc.close()
        return ("HTTP %d %s%s" % (exc.code, exc.reason or "", excerpt(body)), exc.code,
                exc.code >= 500 or exc.code in _RETRYABLE_4XX)
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            return timed_out, None, True
        return describe_error(exc.reason), None, _retryable(exc.reason)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return timed_out, None, True
    if isinstance(exc, ssl.SSLError):
        return "TLS error: %s" % describe_error(exc), None, False
    return describe_error(exc), None, True


def excerpt(body, prefix=": "):
    """A short, single-line piece of an answer; the ``error`` field of a JSON error if any."""
    if not body:
        return ""
    try:
        text = body.decode("utf-8", "replace")
    except Exception:
        return ""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            for key in ("error", "message", "detail", "title"):
                if isinstance(doc.get(key), str):
                    text = doc[key]
                    if doc.get("errorType"):
                        text = "%s: %s" % (doc["errorType"], text)
                    break
    except ValueError:
        pass
    text = " ".join(text.split())
    if len(text) > 200:
        text = text[:200] + "..."
    return prefix + text if text else ""


def describe_error(reason):
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed: %s" % (reason.verify_message or reason)
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "cannot resolve host (%s)" % (reason.strerror or reason)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[:1].lower() + reason.strerror[1:]
    return str(reason) or type(reason).__name__


def _retryable(reason):
    # A certificate or TLS setup problem does not go away by asking again.
    return not isinstance(reason, ssl.SSLError)


def client_from_settings(name, timeout, settings, where):
    """The Client a provider's settings describe (auth, headers, TLS), validated."""
    if settings.get("password") and not settings.get("username"):
        raise InvalidInput(where, "password is set without username")
    return Client(
        name, timeout,
        bearer_token=settings.get("bearer_token"),
        username=settings.get("username"), password=settings.get("password"),
        headers=check_headers(settings.get("headers"), where),
        verify_tls=as_bool(settings.get("verify_tls", True), where, "verify_tls"),
        ca_file=settings.get("ca_file"))
