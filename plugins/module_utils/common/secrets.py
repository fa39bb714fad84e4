# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never reach output: the collection's one redaction module.

One mask (:data:`MASK`) and one set of forms. A secret is known either by where it sits
or by what it is:

- by place: every value under a secret-like key (token, password, authorization, ...);
  MCP ``env`` and HTTP ``headers`` values that are not plain switches or ``${VAR}``
  references; a URL's user info and query values;
- by shape, in free text: ``Bearer <token>``, ``token=<value>``, AWS access key ids,
  GitHub, Slack and JWT tokens;
- explicitly: the values a caller hands over (a webhook path, a cluster token, AWS
  keys), in each form they may be printed in: raw, JSON-quoted, URL-encoded, and the
  parts of ``Bearer <token>`` / ``user:password`` / base64 basic credentials.

:func:`redact` masks a whole JSON-like value (reports, evidence, results);
:func:`config` masks a Kiro configuration for diffs and facts while keeping it
reviewable; :class:`Scrubber` collects the explicit secrets of one caller and scrubs
every message it builds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re
import urllib.parse

MASK = "<redacted>"
# Shorter strings are not scrubbed as substrings: masking "1" or "on" everywhere would
# make every message unreadable, and such values are switches, not credentials.
MIN_LENGTH = 3

# Keys whose values are secrets (matched on the lower-cased key, '-' read as '_').
_SECRET_KEY = re.compile(
    r"token|passw|passphrase|secret|authorization|api_?key|apikey|bearer|credential|"
    r"private_?key|access_?key|cookie|^auth$|^pwd$")
# Header names whose values are credentials.
_SECRET_HEADER = re.compile(r"auth|token|key|secret|password|passwd|cookie|session|signature|credential", re.I)
# Containers whose string values may be credentials (MCP env, HTTP headers).
CONTAINERS = ("env", "headers")
# Values that are switches, not secrets; shown so diffs stay reviewable.
_PLAIN_VALUES = {"true", "false", "1", "0", "yes", "no", "on", "off"}
_PLAIN_KEYS = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "READ_OPERATIONS_ONLY",
               "REQUIRE_MUTATION_CONSENT", "GITHUB_READ_ONLY", "FASTMCP_LOG_LEVEL",
               "GITHUB_TOOLSETS", "X-MCP-Readonly", "X-MCP-Toolsets"}
_VAR_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]+")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)(?!%s)[^\s\"',;<>]+" % re.escape(MASK))
_KEY_VALUE = re.compile(
    r"(?i)\b((?:access_|api_|auth_|refresh_|id_|session_)?token|password|passwd|pwd|secret|"
    r"client_secret|api_?key|apikey|access_key)(\s*[=:]\s*)([\"']?)(?!%s)([^\s\"'&,;<>]+)" % re.escape(MASK))
# Well-known credential shapes: AWS access key ids, GitHub tokens, JWTs, Slack tokens.
_SHAPES = re.compile(
    r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}\b"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+|\bxox[abposr]-[A-Za-z0-9-]{10,}")


# --- what is secret ----------------------------------------------------------

def is_secret_key(key):
    """True for a mapping key whose value is a credential (token, password, ...)."""
    if not isinstance(key, str):
        return False
    return bool(_SECRET_KEY.search(key.lower().replace("-", "_")))


def is_secret_header(name):
    return isinstance(name, str) and bool(_SECRET_HEADER.search(name))


def value(key, val):
    """The value to show for an env var or header ``key``: plain switches and ``${VAR}`` stay."""
    if not isinstance(val, str):
        return val
    if key in _PLAIN_KEYS or _VAR_REF.match(val) or val.lower() in _PLAIN_VALUES:
        return val
    return MASK


def mapping(values):
    """An env/headers mapping with every secret value masked."""
    if not isinstance(values, dict):
        return values
    return dict((k, value(k, v)) for k, v in values.items())


def url(text):
    """A URL without its user info (``<redacted>@``) and with every query value masked."""
    if not isinstance(text, str):
        return text
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)(.*)$", text, re.S)
    if not match:
        return text
    scheme, authority, tail = match.groups()
    if "@" in authority:
        authority = MASK + "@" + authority.rsplit("@", 1)[1]
    if "?" in tail:
        path, query = tail.split("?", 1)
        fragment = ""
        if "#" in query:
            query, fragment = query.split("#", 1)
            fragment = "#" + fragment
        pairs = [part.split("=", 1) for part in re.split(r"[&;]", query) if part]
        # An empty value stays empty: nothing to hide, and a text already masked
        # ("?token=<redacted>", cut at "<") is not masked twice.
        tail = path + "?" + "&".join("%s=%s" % (pair[0], MASK if pair[1:] and pair[1] else "")
                                     for pair in pairs) + fragment
    return scheme + authority + tail


def _host_port(parts):
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    try:
        port = parts.port
    except ValueError:
        port = None
    return host + (":%d" % port if port else "")


def safe_url(text):
    """A URL as an error message may show it: no user info at all, every query value masked."""
    try:
        parts = urllib.parse.urlsplit(str(text))
        return url(urllib.parse.urlunsplit((parts.scheme, _host_port(parts), parts.path, parts.query, "")))
    except Exception:  # never let an odd URL leak through an error message
        return "<url>"


def origin(text):
    """``scheme://host[:port]`` of a URL: all of a webhook URL that may be shown."""
    try:
        parts = urllib.parse.urlsplit(str(text))
        return "%s://%s" % (parts.scheme, _host_port(parts))
    except (ValueError, TypeError, AttributeError):
        return "<url>"


_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s\"'<>]+")


def origins(message):
    """``message`` with every http(s) URL cut to its :func:`origin` (a webhook's path and query hold its token)."""
    return _URL_IN_TEXT.sub(lambda match: origin(match.group(0)), str(message))


def forms(secret):
    """Every form in which ``secret`` may be printed: raw, JSON-quoted, URL-encoded."""
    if secret is None or isinstance(secret, bool):
        return set()
    if isinstance(secret, bytes):
        secret = secret.decode("utf-8", "replace")
    secret = str(secret)
    if len(secret.strip()) < MIN_LENGTH:
        return set()
    found = {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""),
             urllib.parse.quote_plus(secret, safe="")}
    return set(form for form in found if len(form) >= MIN_LENGTH)


# --- free text ---------------------------------------------------------------

def _url_sub(match):
    text = match.group(0)
    trailing = re.search(r"[.,;:!)\]}]*$", text).group(0)
    if trailing:
        text = text[:-len(trailing)]
    return url(text) + trailing


def _shapes(text):
    text = _URL.sub(_url_sub, text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + m.group(2) + m.group(3) + MASK, text)
    return _SHAPES.sub(MASK, text)


class Scrubber:
    """The explicit secrets of one caller, and the scrubbing of every text it shows.

    ``add`` a value (with an optional replacement: a URL is replaced by its safe form),
    or ``add_url`` / ``add_headers`` / ``add_env`` / ``add_basic`` for the secrets such a
    place holds; ``scrub(text)`` replaces each form of each secret, longest first, then
    masks what looks like a credential.
    """

    def __init__(self, secrets=()):
        self._pairs = {}
        for secret in secrets or ():
            self.add(secret)

    def add(self, secret, replacement=MASK):
        for form in forms(secret):
            self._pairs.setdefault(form, replacement)
        if isinstance(secret, str):
            # A token inside a value ("Bearer <token>", "user:password") may be printed alone.
            for part in re.split(r"\s+", secret.strip())[1:]:
                for form in forms(part):
                    self._pairs.setdefault(form, replacement)
        return self

    def add_url(self, text):
        """The user info and query values of a URL, and the URL itself (shown safe)."""
        if not isinstance(text, str) or not text:
            return self
        try:
            parts = urllib.parse.urlsplit(text)
            password, username = parts.password, parts.username
        except ValueError:
            return self.add(text, "<url>")
        if password:
            self.add(password)
            self.add(urllib.parse.unquote(password))
            if username:
                self.add("%s:%s" % (username, password))
                self.add_basic(urllib.parse.unquote(username), urllib.parse.unquote(password))
        for _name, val in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
            self.add(val)
        if url(text) != text:
            self._pairs.setdefault(text, url(text))
        return self

    def add_headers(self, headers):
        for name, val in (headers or {}).items():
            if is_secret_header(name):
                self.add(val)
        return self

    def add_env(self, env):
        for key, val in (env or {}).items():
            if value(key, val) != val:
                self.add(val)
        return self

    def add_basic(self, username, password):
        if username and password:
            self.add(base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii"))
        return self

    def add_settings(self, obj, key=""):
        """Every string under a secret-like key, at any depth of connection settings."""
        if isinstance(obj, dict):
            for name, val in obj.items():
                self.add_settings(val, str(name))
        elif isinstance(obj, (list, tuple)):
            for val in obj:
                self.add_settings(val, key)
        elif isinstance(obj, str) and is_secret_key(key):
            self.add(obj)
        return self

    def secrets(self):
        """The forms scrubbed, longest first (for tests and callers that replace themselves)."""
        return sorted(self._pairs, key=lambda s: (-len(s), s))

    def scrub(self, text):
        if text is None:
            return None
        text = str(text)
        for secret in self.secrets():
            if secret in text:
                text = text.replace(secret, self._pairs[secret])
        return _shapes(text)

    __call__ = scrub


def text(message, secrets=()):
    """One string with secrets masked (explicit ``secrets``, URLs, bearer tokens, key=value)."""
    if not isinstance(message, str):
        return message
    return Scrubber(secrets).scrub(message)


# --- structures --------------------------------------------------------------

def _mask_all(obj):
    """Every string under a secret key; numbers, booleans and None stay."""
    if isinstance(obj, dict):
        return dict((k, _mask_all(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_mask_all(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float)):
        return obj
    return MASK


def _walk(obj, scrubber, numbers):
    if isinstance(obj, dict):
        out = {}
        for key, val in obj.items():
            new_key = scrubber.scrub(key) if isinstance(key, str) else key
            if is_secret_key(key) or (key in CONTAINERS and isinstance(val, dict)):
                out[new_key] = _mask_all(val)
            else:
                out[new_key] = _walk(val, scrubber, numbers)
        return out
    if isinstance(obj, (list, tuple)):
        return [_walk(v, scrubber, numbers) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((_walk(v, scrubber, numbers) for v in obj), key=str)
    if isinstance(obj, bytes):
        return scrubber.scrub(obj.decode("utf-8", "replace"))
    if isinstance(obj, str):
        return scrubber.scrub(obj)
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, (int, float)):
        return MASK if str(obj) in numbers else obj
    # Anything else (datetime, custom objects) becomes its redacted text.
    return scrubber.scrub(str(obj))


def redact(obj, secrets=()):
    """A deep copy of ``obj`` (any JSON-like value) with every secret masked.

    Masked: values under secret-like keys and every value of ``env``/``headers``
    mappings; URL user info and query values; ``Bearer xxx``; ``token=xxx`` in free
    text; well-known credential shapes; and each form of every string in ``secrets``
    (or of every secret a :class:`Scrubber` holds) wherever it occurs.
    """
    scrubber = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
    numbers = set(scrubber.secrets())
    return _walk(obj, scrubber, numbers)


def config(obj):
    """A Kiro configuration (JSON-like) with env/header secrets and URL credentials masked.

    Unlike :func:`redact`, plain switches (``"true"``, ``"1"``), region names and
    ``${VAR}`` references stay visible, so a diff of an ``mcp.json`` stays reviewable.
    """
    if isinstance(obj, dict):
        out = {}
        for key, val in obj.items():
            if key in CONTAINERS and isinstance(val, dict):
                out[key] = mapping(val)
            elif key == "url":
                out[key] = url(val)
            else:
                out[key] = config(val)
        return out
    if isinstance(obj, list):
        return [config(v) for v in obj]
    return obj


def holds_secrets(obj):
    """True when ``obj`` has a non-empty env/headers mapping anywhere (its file is made 0600)."""
    if isinstance(obj, dict):
        for key, val in obj.items():
            if key in CONTAINERS and isinstance(val, dict) and val:
                return True
            if holds_secrets(val):
                return True
    elif isinstance(obj, list):
        return any(holds_secrets(v) for v in obj)
    return False


def diff_text(path, data):
    """Text of a file for a diff: JSON documents are shown with secrets masked."""
    if data is None:
        return ""
    body = data.decode("utf-8-sig", "replace")  # an editor's BOM is not part of the document
    if path.endswith(".json") or path.endswith(".hook"):
        try:
            return json.dumps(config(json.loads(body)), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            return "<unparsable JSON, %d bytes, not shown>\n" % len(data)
    return body


def split_server_secrets(server):
    """Move an MCP server's secret values to ``secret_env``/``secret_headers``/``secret_url``.

    The modules declare those ``no_log``, so Ansible masks exactly the secrets
    (in results, -vvv invocations and the host's syslog) and nothing else:
    declaring ``env`` itself no_log would mask every "1" or "true" in the output.
    """
    if not isinstance(server, dict):
        return server
    server = dict(server)
    for key in CONTAINERS:
        values = server.get(key)
        if not isinstance(values, dict):
            continue
        plain = dict((k, v) for k, v in values.items() if value(k, v) == v)
        hidden = dict((k, v) for k, v in values.items() if value(k, v) != v)
        server[key] = plain
        if hidden:
            merged = dict(server.get("secret_" + key) or {})
            merged.update(hidden)
            server["secret_" + key] = merged
    if isinstance(server.get("url"), str) and url(server["url"]) != server["url"]:
        server["secret_url"] = server.pop("url")
    return server


def _text_secrets(text):
    """The credentials inside a free-text string: URL user info and query values, ``Bearer``
    tokens, ``token=value`` pairs and well-known credential shapes."""
    found = set()
    for match in _URL.finditer(text):
        try:
            parts = urllib.parse.urlsplit(match.group(0))
            password = parts.password
            query = urllib.parse.parse_qsl(parts.query, keep_blank_values=False)
        except ValueError:
            found.add(match.group(0))
            continue
        if password:
            found.update((password, urllib.parse.unquote(password)))
        found.update(val for _name, val in query)
    found.update(m.group(0).split(None, 1)[1] for m in _BEARER.finditer(text))
    found.update(m.group(4) for m in _KEY_VALUE.finditer(text))
    found.update(m.group(0) for m in _SHAPES.finditer(text))
    return found


def _collect(obj, key, found):
    if isinstance(obj, dict):
        for name, val in obj.items():
            if name in CONTAINERS and isinstance(val, dict):
                for var, item in val.items():
                    if isinstance(item, str) and value(var, item) != item:
                        found.add(item)
                    else:
                        _collect(item, var, found)
            else:
                _collect(val, name, found)
    elif isinstance(obj, (list, tuple)):
        for val in obj:
            _collect(val, key, found)
    elif isinstance(obj, str):
        if is_secret_key(key) and not _VAR_REF.match(obj):
            found.add(obj)
        found.update(_text_secrets(obj))


def secret_values(obj):
    """Every string in ``obj`` (task arguments, at any depth) that is or holds a secret, sorted.

    The secrets are those :func:`redact` and :func:`config` mask: values under secret-like
    keys, ``env``/``headers`` values that are not switches or ``${VAR}`` references, URL
    user info and query values, ``Bearer`` tokens, ``token=value`` pairs and credential
    shapes. An action plugin passes them to its module as the no_log option
    ``secret_values``, so Ansible masks exactly these strings wherever they appear (the
    ``-vvv`` invocation, the result, the host's syslog) and the rest stays reviewable.
    """
    found = set()
    _collect(obj, "", found)
    return sorted(val for val in found if len(val.strip()) >= MIN_LENGTH and val != MASK and not _VAR_REF.match(val))
