"""While an environment's ledger shows an active manual override, no entry claiming progress or
success is appended - by either backend, and also when the override lands between a writer's
read and its write."""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import signing_key  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger import operations  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError, OverrideActive  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.s3 import S3Ledger  # noqa: E402

KEY = signing_key()
REFUSED = ("started", "applied", "gate_passed", "approved")
ALLOWED = {"gate_failed": {}, "rolled_back": {"to_phase": 1}, "override_set": {"incident_id": "INC-8"},
           "lock_broken": {}, "incident_opened": {"incident_id": "INC-7"}}


@pytest.fixture(params=["local", "s3"])
def ledger(request, tmp_path):
    if request.param == "local":
        return LocalLedger(str(tmp_path / "ledger"), "production", KEY)
    client, bucket = request.getfixturevalue("s3")
    return S3Ledger(client, bucket, "kiro-ledger", "production", KEY)


def test_the_refused_events_are_exactly_those_claiming_progress():
    assert set(model.PROGRESS_EVENTS) == set(REFUSED)
    assert set(model.EVENTS) - set(REFUSED) == set(ALLOWED) | {"override_cleared", "ledger_migrated"}


def test_progress_is_refused_while_an_override_is_active_and_allowed_once_cleared(ledger):
    ledger.append(2, "gate_passed", "alice", "run-1")
    ledger.append(2, "override_set", "oncall", "run-2", details={"incident_id": "INC-7", "reason": "agents off"})
    before = ledger.read()
    for event in REFUSED:
        with pytest.raises(OverrideActive) as caught:
            ledger.append(3, event, "bob", "run-3")
        message = str(caught.value)
        assert "production" in message and "INC-7" in message and "playbooks/clear_override.yml" in message
        assert event in message and isinstance(caught.value, LedgerError)
        assert caught.value.incident_id == "INC-7" and caught.value.environment == "production"
    assert ledger.read() == before
    for event, details in ALLOWED.items():
        ledger.append(2, event, "oncall", "run-4", details=details)
    # Two incidents are open now (INC-7, INC-8): clearing one is not enough.
    ledger.append(2, "override_cleared", "carol", "run-5", details={"incident_id": "INC-7", "reason": "fixed"})
    with pytest.raises(OverrideActive, match="INC-8"):
        ledger.append(3, "started", "bob", "run-6")
    ledger.append(2, "override_cleared", "carol", "run-5", details={"incident_id": "INC-8", "reason": "fixed"})
    assert ledger.append(3, "started", "bob", "run-6")["event"] == "started"
    assert ledger.verify() is None


def test_an_override_set_between_read_and_write_is_seen_on_s3(s3):
    """The kill switch writes between the phase run's read and its conditional write:
    the write gets 412, the retry reads the override and refuses."""
    client, bucket = s3
    killer = S3Ledger(client, bucket, "kiro-ledger", "production", KEY)
    killer.append(2, "applied", "alice", "run-1")

    class KillSwitchFirst:
        fired = False

        def put_object(self, **kwargs):
            if not self.fired and kwargs["Key"].endswith("ledger.jsonl"):
                self.fired = True
                killer.append(2, "override_set", "oncall", "kill", details={"incident_id": "INC-9"})
            return client.put_object(**kwargs)

        def __getattr__(self, name):
            return getattr(client, name)

    racer = S3Ledger(KillSwitchFirst(), bucket, "kiro-ledger", "production", KEY)
    with pytest.raises(OverrideActive, match="INC-9"):
        racer.append(2, "gate_passed", "bob", "run-2")
    assert racer.conflicts == 1
    assert [e["event"] for e in killer.read()] == ["applied", "override_set"]


def test_check_mode_append_is_refused_too(tmp_path):
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", KEY)
    ledger.append(1, "override_set", "oncall", "r", details={"incident_id": "INC-1"})
    params = {"operation": "append", "environment": "staging", "phase": 2, "event": "gate_passed", "actor": "bob",
              "run_id": "r2", "details": None, "report_sha256": None}
    with pytest.raises(OverrideActive) as caught:
        operations.operate(ledger, params, check_mode=True)
    assert operations.error_result(caught.value)["incident_id"] == "INC-1"
