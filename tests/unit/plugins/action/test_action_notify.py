"""kiro.platform.notify's action plugin run directly against a local webhook receiver."""

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.action.notify import ActionModule

from fixtures.receivers import Receiver

TOKEN = "hook-Tok3n-Nw5Rt8"
HEADER = "hdr-S3cret-Zq2Lp7"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def channels(receiver):
    return [{"type": "webhook", "name": "pager", "url": "%s/hook/%s" % (receiver.url, TOKEN),
             "headers": {"Authorization": "Bearer " + HEADER}},
            {"type": "webhook", "name": "nowhere"}]


def test_sends_to_every_channel_and_reports_a_bad_one_without_failing(action, receiver):
    result = action(ActionModule, {"channels": channels(receiver),
                                   "payload": {"incident_id": "INC-9", "reason": "test"}}).run(task_vars={})
    assert (result["sent"], result["failed_channels"]) == (1, 1)
    assert receiver.bodies == [{"incident_id": "INC-9", "reason": "test"}]
    assert receiver.requests[0]["headers"]["authorization"] == "Bearer " + HEADER
    pager, nowhere = result["notifications"]
    assert pager["ok"] is True and pager["target"] == receiver.url
    assert nowhere["ok"] is False and "url" in nowhere["error"]
    assert any("nowhere" in w for w in result["warnings"])
    assert TOKEN not in repr(result) and HEADER not in repr(result)


def test_check_mode_sends_nothing(action, receiver):
    result = action(ActionModule, {"channels": channels(receiver), "payload": {"incident_id": "INC-9"}},
                    check_mode=True).run(task_vars={})
    assert receiver.requests == []
    assert [n["would_send"] for n in result["notifications"]] == [True, False]


def test_fail_on_error_fails_after_trying_every_channel(action, receiver):
    result = action(ActionModule, {"channels": channels(receiver), "payload": {"incident_id": "INC-9"},
                                   "fail_on_error": True}).run(task_vars={})
    assert result["failed"] is True and result["sent"] == 1
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("quoted", ["url", "header"])
def test_argument_errors_mask_channel_secrets(action, receiver, quoted):
    # A bool conversion error quotes the value it was given: here a channel's secret.
    value = channels(receiver)[0]["url"] if quoted == "url" else "Bearer " + HEADER
    with pytest.raises(AnsibleActionFail) as caught:
        action(ActionModule, {"channels": channels(receiver), "payload": {}, "fail_on_error": value}).run(task_vars={})
    message = str(caught.value)
    assert message.startswith("kiro.platform.notify: ") and "boolean" in message
    assert TOKEN not in message and HEADER not in message
