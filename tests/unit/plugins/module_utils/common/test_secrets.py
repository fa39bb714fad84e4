"""The collection's one redaction module: one mask, one set of forms, every caller."""

import base64
import copy
import json
import urllib.parse

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets

EXPLICIT = "EXPLICIT-s3cret-42"


@pytest.mark.parametrize("given, expected", [
    ("https://user:pw@host/x?token=abc", "https://<redacted>@host/x?token=<redacted>"),
    ("see http://prom:9090/api/v1/query?query=up&x=1 now",
     "see http://prom:9090/api/v1/query?query=<redacted>&x=<redacted> now"),
    ("Authorization: Bearer eyabc.def-ghi", "Authorization: Bearer <redacted>"),
    ("bearer abc", "bearer <redacted>"),
    ("failed with token=abc123&page=2", "failed with token=<redacted>&page=2"),
    ("key AKIAIOSFODNN7EXAMPLE used", "key <redacted> used"),
    ("plain text 0.93 > 0.9", "plain text 0.93 > 0.9"),
    ("https://host/path", "https://host/path"),
    # already masked text is not masked twice
    ("GET http://h/p?token=<redacted>: 401", "GET http://h/p?token=<redacted>: 401"),
])
def test_text(given, expected):
    assert secrets.redact(given) == expected
    assert secrets.text(given) == expected


def test_redact_keys_secrets_and_copy():
    data = {"Token": "t", "PASSWORD": "p", "client_secret": "s", "Authorization": "Basic eA==",
            "x-api-key": "k", "bearer": "b", "nested": [{"db_password": {"a": "b", "n": 3}}],
            "max_tokens": 4096, "name": "ok", "msg": "prefix-%s-suffix" % EXPLICIT, "env": {"HOME": "/x"},
            "count": 7}
    before = copy.deepcopy(data)
    out = secrets.redact(data, secrets=[EXPLICIT, "", None])
    assert data == before
    assert out["Token"] == out["PASSWORD"] == out["client_secret"] == out["Authorization"] == secrets.MASK
    assert out["x-api-key"] == out["bearer"] == secrets.MASK
    assert out["nested"][0]["db_password"] == {"a": secrets.MASK, "n": 3}
    assert out["max_tokens"] == 4096 and out["name"] == "ok" and out["count"] == 7
    assert out["msg"] == "prefix-<redacted>-suffix"
    assert out["env"] == {"HOME": secrets.MASK}


def test_redact_explicit_secret_url_encoded():
    out = secrets.redact({"u": "https://h/p/a%20b%2Fc", "v": "a b/c"}, secrets=["a b/c"])
    assert out == {"u": "https://h/p/<redacted>", "v": "<redacted>"}


@pytest.mark.parametrize("form", [
    "raw", "json", "quote", "quote_plus",
])
def test_every_form_of_an_explicit_secret_is_scrubbed(form):
    secret = 'p@ss "word"/with space'
    shown = {"raw": secret, "json": json.dumps(secret)[1:-1], "quote": urllib.parse.quote(secret, safe=""),
             "quote_plus": urllib.parse.quote_plus(secret, safe="")}[form]
    out = secrets.Scrubber([secret]).scrub("before %s after" % shown)
    assert shown not in out and secret not in out
    assert out == "before <redacted> after"


def test_scrubber_collects_url_header_env_and_basic_forms():
    url = "https://alice:hunter22@hooks.example/T0/B1/XyZsecret?sig=abc123def&plain=1"
    scrubber = secrets.Scrubber().add_url(url)
    scrubber.add_headers({"Authorization": "Bearer tok-998877", "Accept": "application/json"})
    scrubber.add_env({"GITHUB_TOKEN": "ghp_zzz111", "AWS_REGION": "eu-west-1", "FLAG": "true"})
    scrubber.add_basic("alice", "hunter22")
    basic = base64.b64encode(b"alice:hunter22").decode()
    message = ("failed %s with Bearer tok-998877 and tok-998877 alone, ghp_zzz111, basic %s, "
               "region eu-west-1, sig abc123def, application/json" % (url, basic))
    out = scrubber.scrub(message)
    for leaked in ("hunter22", "tok-998877", "ghp_zzz111", basic, "abc123def", "alice:hunter22"):
        assert leaked not in out, leaked
    # plain values stay readable
    assert "eu-west-1" in out and "application/json" in out
    # a known URL is shown in its safe form, user info and query values masked
    assert "https://<redacted>@hooks.example/T0/B1/XyZsecret?sig=<redacted>&plain=<redacted>" in out


def test_short_values_are_not_scrubbed_as_substrings():
    # "1" or "on" as a secret would mask every digit of every message
    assert secrets.Scrubber(["1", "on", None, True, ""]).scrub("took 1.5 s on host-1") == "took 1.5 s on host-1"
    assert len("abc") == secrets.MIN_LENGTH
    assert secrets.Scrubber(["abc"]).scrub("xabcx") == "x<redacted>x"


def test_settings_secrets_are_found_at_any_depth():
    settings = {"prometheus": {"url": "http://p", "bearer_token": "tok-1234", "headers": {"X-Api-Key": "k-5678"}},
                "cloudwatch": {"aws_secret_access_key": "AWSSECRET99", "region": "us-east-1"},
                "clusters": [{"token": "kube-tok-42", "host": "https://k"}]}
    found = secrets.Scrubber().add_settings(settings).secrets()
    assert {"tok-1234", "k-5678", "AWSSECRET99", "kube-tok-42"} <= set(found)
    assert "us-east-1" not in found and "http://p" not in found


def test_config_keeps_switches_and_references_reviewable():
    server = {"command": "uvx", "env": {"AWS_REGION": "us-east-1", "READ_OPERATIONS_ONLY": "true",
                                        "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PAT}", "TOKEN": "raw-secret"},
              "headers": {"Authorization": "Bearer x-123"}, "url": "https://u:p@h/mcp?access_token=zz"}
    out = secrets.config({"mcpServers": {"s": server}})["mcpServers"]["s"]
    assert out["env"] == {"AWS_REGION": "us-east-1", "READ_OPERATIONS_ONLY": "true",
                          "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PAT}", "TOKEN": secrets.MASK}
    assert out["headers"] == {"Authorization": secrets.MASK}
    assert out["url"] == "https://<redacted>@h/mcp?access_token=<redacted>"
    assert secrets.holds_secrets({"mcpServers": {"s": server}})


def test_origin_and_origins_keep_scheme_host_and_port_only():
    assert secrets.origin("https://hooks.slack.com/services/T0/B1/secret") == "https://hooks.slack.com"
    assert secrets.origins('see https://u:p@hooks.example:8443/a/b?t=1 and "http://[::1]/x"') == \
        'see https://hooks.example:8443 and "http://[::1]"'


def test_split_server_secrets_moves_only_secret_values():
    split = secrets.split_server_secrets({"env": {"A": "true", "T": "tok-secret"}, "url": "https://h/?k=v"})
    assert split["env"] == {"A": "true"} and split["secret_env"] == {"T": "tok-secret"}
    assert split["secret_url"] == "https://h/?k=v" and "url" not in split
