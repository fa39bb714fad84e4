"""Notifications against real local receivers and a real moto SNS: what arrives, what fails, how fast,
and that no secret ever shows in a result."""

import base64
import json
import os
import sys
import time
import urllib.parse
import uuid

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures import local_http  # noqa: E402
from fixtures.receivers import Receiver  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.emergency import notify  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify import message  # noqa: E402

PAYLOAD = {
    "event": "kiro.emergency_rollback",
    "incident_id": "INC-42",
    "reason": "agent deleting pods",
    "actor": "alice",
    "done": ["locked down 5 of 6 hosts", "IAM deny on 2 roles"],
    "failed": ["staging-runner-1 unreachable"],
}
# Strings that cannot occur by chance in a result.
SLACK_TOKEN = "SlackTok3n-q7Zx9Wv2"
HEADER_SECRET = "hdr-S3cret-k4Lm8Np1"
QUERY_SECRET = "qry-S3cret-b6Tr5Yu0"
AWS_SECRET = "aws-S3cret-Hj2Kl9Qw4Er"
AWS_KEY_ID = "AKIAKIROTEST7F3A9C12"


@pytest.fixture(scope="module")
def _receivers():
    servers = [Receiver().start() for _index in range(3)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def slack(_receivers):
    """A Slack-like incoming webhook answering 200; ``.hook`` is its URL with the token in the path."""
    server = _receivers[0].configure()
    server.hook = "%s/services/T0KIRO/B0KIRO/%s" % (server.url, SLACK_TOKEN)
    return server


@pytest.fixture
def webhook(_receivers):
    return _receivers[1].configure()


@pytest.fixture
def other(_receivers):
    return _receivers[2].configure()


def sns_topic(moto):
    """A new topic with an SQS queue subscribed: (topic ARN, queue URL)."""
    name = "kiro-incidents-%s" % uuid.uuid4().hex[:8]
    arn = moto.client("sns").create_topic(Name=name)["TopicArn"]
    sqs = moto.client("sqs")
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    moto.client("sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    return arn, queue


def sns_channel(moto, arn, **extra):
    channel = {"type": "sns", "topic_arn": arn, "endpoint_url": moto.url, "aws_access_key_id": AWS_KEY_ID,
               "aws_secret_access_key": AWS_SECRET}
    channel.update(extra)
    return channel


def by_name(result):
    return dict((n["name"], n) for n in result["notifications"])


def assert_no_secret(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        for spelling in (secret, urllib.parse.quote(secret, safe="")):
            assert spelling not in text, "%s leaked: %s" % (secret, text)


def test_slack_gets_every_field_of_the_payload_as_text_and_blocks(slack):
    result = notify.notify([{"type": "slack", "name": "oncall-slack", "url": slack.hook}], PAYLOAD, timeout=2)
    assert result["sent"] == 1 and result["failed_channels"] == 0 and result["changed"] is True
    assert result["notifications"] == [{"name": "oncall-slack", "type": "slack", "target": slack.url, "ok": True,
                                        "status": 200, "error": None,
                                        "elapsed": result["notifications"][0]["elapsed"]}]
    assert result["warnings"] == [] and "failed" not in result
    [request] = slack.requests
    assert request["method"] == "POST" and request["path"] == "/services/T0KIRO/B0KIRO/%s" % SLACK_TOKEN
    assert request["headers"]["content-type"] == "application/json"
    body = request["json"]
    assert set(body) == {"text", "blocks"}
    assert body["text"].splitlines() == [
        "*Kiro incident INC-42: agent deleting pods*",
        "*Incident:* INC-42",
        "*Reason:* agent deleting pods",
        "*Who:* alice",
        "*Done:*",
        "\u2022 locked down 5 of 6 hosts",
        "\u2022 IAM deny on 2 roles",
        "*Failed:*",
        "\u2022 staging-runner-1 unreachable",
        "*Event:* kiro.emergency_rollback",
    ]
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                            "text": "Kiro incident INC-42: agent deleting pods"}}
    blocks = "\n".join(b["text"]["text"] for b in body["blocks"][1:])
    for value in ("INC-42", "agent deleting pods", "alice", "locked down 5 of 6 hosts", "IAM deny on 2 roles",
                  "staging-runner-1 unreachable"):
        assert value in blocks


def test_slack_escapes_mrkdwn_and_shows_empty_lists_and_other_fields(slack):
    payload = {"incident_id": "INC-7", "reason": "<!channel> & friends", "failed": [], "hosts": {"a": 1}}
    notify.notify([{"type": "slack", "url": slack.hook}], payload, summary="Line one\nline two", timeout=2)
    text = slack.bodies[0]["text"]
    assert text.splitlines() == ["*Line one line two*", "*Incident:* INC-7",
                                 "*Reason:* &lt;!channel&gt; &amp; friends", "*Failed:* none", "*Hosts:*",
                                 "\u2022 a: 1"]


def test_webhook_gets_exactly_the_payload_with_its_headers(webhook):
    headers = {"Authorization": "Bearer %s" % HEADER_SECRET, "X-Kiro-Incident": "INC-42"}
    result = notify.notify([{"type": "webhook", "url": webhook.url + "/incident", "headers": headers}], PAYLOAD,
                           timeout=2)
    assert by_name(result)["webhook-0"]["ok"] is True and by_name(result)["webhook-0"]["status"] == 200
    [request] = webhook.requests
    assert request["json"] == PAYLOAD and request["raw"] == json.dumps(PAYLOAD).encode()
    assert request["path"] == "/incident"
    assert request["headers"]["authorization"] == "Bearer %s" % HEADER_SECRET
    assert request["headers"]["x-kiro-incident"] == "INC-42"
    assert request["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_channel_answering_an_error_fails_and_the_others_are_still_sent(slack, webhook, status):
    webhook.configure(status=status, body="database down")
    result = notify.notify([{"type": "slack", "url": slack.hook}, {"type": "webhook", "url": webhook.url}], PAYLOAD,
                           timeout=2)
    sent, failed = result["notifications"]
    assert sent["ok"] is True and len(slack.requests) == 1
    assert failed["ok"] is False and failed["status"] == status and len(webhook.requests) == 1
    assert failed["error"].startswith("HTTP %d " % status) and failed["error"].endswith(": database down")
    assert result["sent"] == 1 and result["failed_channels"] == 1 and result["changed"] is True
    warning = "notify: channel 1 'webhook-1' (webhook, %s) failed: %s" % (webhook.url, failed["error"])
    assert result["warnings"] == [warning]
    assert result["msg"] == "notified 1 of 2 channels; failed: webhook-1"


def test_a_refused_connection_fails_at_once(slack):
    started = time.monotonic()
    result = notify.notify([{"type": "webhook", "url": local_http.closed_url() + "/x"},
                            {"type": "slack", "url": slack.hook}], PAYLOAD, timeout=2)
    assert time.monotonic() - started < 1
    refused, sent = result["notifications"]
    assert refused == dict(refused, ok=False, status=None, error="connection refused")
    assert sent["ok"] is True


def test_hanging_channels_time_out_together_without_delaying_the_others(slack, webhook, other):
    webhook.configure(hang=10)
    # A byte every 0.2 s: the socket timeout never fires, the overall deadline does.
    other.configure(drip=0.2)
    started = time.monotonic()
    result = notify.notify([{"type": "webhook", "name": "stuck-%d" % i, "url": webhook.url} for i in range(3)] +
                           [{"type": "webhook", "name": "drip", "url": other.url},
                            {"type": "slack", "name": "chat", "url": slack.hook}], PAYLOAD, timeout=1)
    took = time.monotonic() - started
    chat, drip = by_name(result)["chat"], by_name(result)["drip"]
    for stuck in result["notifications"][:3]:
        assert stuck["ok"] is False and stuck["error"] == "no answer within 1 s" and stuck["status"] is None
        assert 0.9 <= stuck["elapsed"] < 1.45
    assert drip["ok"] is False and drip["error"] == "no answer within 1 s"
    assert 1.45 <= drip["elapsed"] < 2 and took < 2.1, "given up at timeout + GRACE"
    assert chat["ok"] is True and chat["elapsed"] < 0.5
    assert len(webhook.requests) == 3 and len(other.requests) == 1


def test_sns_publishes_the_payload_to_subscribers(moto):
    arn, queue = sns_topic(moto)
    # No region: it is the topic's.
    result = notify.notify([sns_channel(moto, arn, name="pager")], PAYLOAD, timeout=5)
    pager = by_name(result)["pager"]
    assert pager["ok"] is True and pager["status"] == 200 and pager["error"] is None and pager["target"] == arn
    messages = moto.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    [envelope] = [json.loads(m["Body"]) for m in messages]
    assert envelope["TopicArn"] == arn and envelope["MessageId"] == pager["message_id"]
    assert envelope["Subject"] == "Kiro incident INC-42: agent deleting pods"
    assert json.loads(envelope["Message"]) == PAYLOAD
    assert_no_secret(result, AWS_SECRET, AWS_KEY_ID)


def test_sns_to_a_missing_topic_or_a_dead_endpoint_fails_quickly_with_a_clear_error(moto):
    missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic-%s" % uuid.uuid4().hex[:6]
    started = time.monotonic()
    result = notify.notify([sns_channel(moto, missing, name="missing"),
                            sns_channel(moto, missing, name="down", endpoint_url=local_http.closed_url())],
                           PAYLOAD, timeout=2)
    assert time.monotonic() - started < 1.5
    gone, down = by_name(result)["missing"], by_name(result)["down"]
    assert gone["ok"] is False and gone["status"] == 404 and gone["error"].startswith("NotFound (HTTP 404)")
    assert down["ok"] is False and down["status"] is None and down["message_id"] is None
    assert down["error"].startswith("EndpointConnectionError: Could not connect to the endpoint URL")
    assert result["sent"] == 0 and result["changed"] is False
    assert_no_secret(result, AWS_SECRET, AWS_KEY_ID)


def test_secrets_never_appear_in_the_result(slack, webhook):
    # Both receivers answer 500 and echo the URL, path and credentials they were sent.
    slack.configure(status=500, echo=True)
    webhook.configure(status=401, echo=True)
    url = "http://kiro:%s@127.0.0.1:%d/hooks/%s?token=%s" % (
        HEADER_SECRET[::-1], webhook.port, SLACK_TOKEN[::-1], QUERY_SECRET)
    result = notify.notify([
        {"type": "slack", "url": slack.hook},
        {"type": "webhook", "url": url, "headers": {"Authorization": "Bearer " + HEADER_SECRET,
                                                    "X-Api-Key": AWS_SECRET[::-1]}},
        {"type": "slack", "url": "https://127.0.0.1:99999/services/%s" % SLACK_TOKEN},
        {"type": "webhook", "url": "ftp://host/%s" % SLACK_TOKEN, "name": "ftp"},
        {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "endpoint_url": local_http.closed_url(),
         "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET, "aws_session_token": QUERY_SECRET},
    ], PAYLOAD, timeout=2)
    assert [n["ok"] for n in result["notifications"]] == [False] * 5
    assert "no_service" in result["notifications"][0]["error"], "the echo should be in the error, scrubbed"
    assert slack.requests and webhook.requests[0]["headers"]["authorization"] == "Bearer " + HEADER_SECRET
    assert webhook.requests[0]["path"] == "/hooks/%s?token=%s" % (SLACK_TOKEN[::-1], QUERY_SECRET)
    assert result["notifications"][1]["status"] == 401
    assert result["notifications"][2]["error"] == "bad configuration: url has an invalid port"
    assert result["notifications"][3]["error"] == \
        "bad configuration: url must be an http:// or https:// URL with a host"
    assert_no_secret(result, SLACK_TOKEN, HEADER_SECRET, HEADER_SECRET[::-1], SLACK_TOKEN[::-1], QUERY_SECRET,
                     AWS_SECRET, AWS_SECRET[::-1], AWS_KEY_ID, "/services/T0KIRO")


def test_check_mode_sends_nothing(slack, webhook):
    result = notify.notify([{"type": "slack", "url": slack.hook}, {"type": "webhook", "url": webhook.url},
                            {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:t",
                             "endpoint_url": local_http.closed_url()},
                            {"type": "webhook", "name": "broken"}], PAYLOAD, check_mode=True, fail_on_error=True)
    assert slack.requests == [] and webhook.requests == []
    assert [(n["ok"], n["would_send"]) for n in result["notifications"]] == [
        (None, True), (None, True), (None, True), (False, False)]
    assert result["changed"] is False and result["sent"] == 0 and result["failed_channels"] == 1
    assert result["failed"] is True, "fail_on_error predicts the real run"
    assert result["msg"] == "check mode: would notify 3 of 4 channels; invalid: broken"


def test_bad_channel_config_is_named_before_anything_is_sent(webhook):
    arn = "arn:aws:sns:us-east-1:123456789012:t"
    result = notify.notify([
        {"type": "slack"},
        {"type": "teams", "url": webhook.url},
        {"url": webhook.url},
        {"type": "sns"},
        {"type": "sns", "topic_arn": "kiro-incidents"},
        {"type": "sns", "topic_arn": arn, "url": webhook.url},
        {"type": "sns", "topic_arn": arn, "aws_access_key_id": AWS_KEY_ID},
        {"type": "slack", "url": webhook.url, "headers": {"Authorization": HEADER_SECRET}},
        {"type": "webhook", "url": webhook.url, "headers": {"X-Bad": "a\r\nInjected: yes"}},
        {"type": "webhook", "url": 42},
        "https://hooks.example/%s" % SLACK_TOKEN,
        {"type": "webhook", "name": "good", "url": webhook.url},
        {"type": "webhook", "name": "good", "url": webhook.url},
    ], PAYLOAD, timeout=2)
    assert [(n["name"], n["error"]) for n in result["notifications"] if not n["ok"]] == [
        ("slack-0", "bad configuration: url is required for slack channels"),
        ("teams-1", "bad configuration: unknown type 'teams' (slack, sns, webhook)"),
        ("channel-2", "bad configuration: type is required (slack, sns, webhook)"),
        ("sns-3", "bad configuration: topic_arn is required for sns channels"),
        ("sns-4", "bad configuration: topic_arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"),
        ("sns-5", "bad configuration: url is not used by sns channels (only by slack and webhook)"),
        ("sns-6", "bad configuration: aws_access_key_id and aws_secret_access_key go together"),
        ("slack-7", "bad configuration: headers is not used by slack channels (only by webhook)"),
        ("webhook-8", "bad configuration: headers: header X-Bad contains a line break"),
        ("webhook-9", "bad configuration: url must be text"),
        ("channel-10", "bad configuration: must be a mapping with a type (slack, sns, webhook)"),
        ("good", "bad configuration: name good is already channel 11's"),
    ]
    assert result["warnings"][1] == ("notify: channel 1 'teams-1' (teams) failed: bad configuration: "
                                     "unknown type 'teams' (slack, sns, webhook)")
    assert result["sent"] == 1 and result["failed_channels"] == 12 and len(webhook.requests) == 1
    assert_no_secret(result, SLACK_TOKEN, HEADER_SECRET)


def test_fail_on_error_fails_after_trying_every_channel(slack):
    result = notify.notify([{"type": "webhook", "url": local_http.closed_url()}, {"type": "slack", "url": slack.hook}],
                           PAYLOAD, timeout=2, fail_on_error=True)
    assert result["failed"] is True and result["sent"] == 1 and len(slack.requests) == 1


@pytest.mark.parametrize("kwargs, error", [
    ({"payload": ["not", "a", "mapping"]}, "payload must be a mapping"),
    ({"timeout": 0}, "timeout must be more than 0 seconds"),
    ({"timeout": "soon"}, "timeout must be a number of seconds"),
    ({"channels": {"type": "slack"}}, "channels must be a list of mappings"),
    ({"summary": 42}, "summary must be text"),
])
def test_a_bad_request_raises_and_sends_nothing(webhook, kwargs, error):
    args = dict(channels=[{"type": "webhook", "url": webhook.url}], payload=PAYLOAD)
    args.update(kwargs)
    with pytest.raises(notify.NotifyError, match=error):
        notify.notify(**args)
    assert webhook.requests == []


def test_summary_and_sns_subject():
    assert message.summary_line(PAYLOAD) == "Kiro incident INC-42: agent deleting pods"
    assert message.summary_line({"reason": "drill"}) == "Kiro notification: drill"
    assert message.summary_line({"event": "kiro.override_cleared"}) == "Kiro notification (kiro.override_cleared)"
    assert message.summary_line(PAYLOAD, "  two\n lines ") == "two lines"
    assert message.sns_subject("Caf\u00e9 \u2014 down\r\nnow\x07") == "Cafe down now"
    assert message.sns_subject("x" * 150) == "x" * 100
    assert message.sns_subject("\u2014\u2014") == "Kiro notification"


def test_a_webhook_url_with_user_and_password_sends_basic_auth(webhook):
    url = "http://kiro:%s@127.0.0.1:%d/incident" % (HEADER_SECRET, webhook.port)
    result = notify.notify([{"type": "webhook", "url": url}], PAYLOAD, timeout=2)
    assert result["sent"] == 1 and result["notifications"][0]["target"] == webhook.url
    assert webhook.requests[0]["headers"]["authorization"] == "Basic %s" % base64.b64encode(
        ("kiro:" + HEADER_SECRET).encode()).decode()
    assert webhook.requests[0]["path"] == "/incident"
