"""The ledger is evidence: MACed entries (key file, variable, KMS), a head that catches a removed
tail or a deleted ledger (local and S3 with versioning), gate_passed entries checked against
their stored reports, the explicit migration of unsigned ledgers."""

import hashlib
import json
import os
import stat
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import drop_line, read_lines, signing_key, write_lines  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import open_ledger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken, LedgerError  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.s3 import S3Ledger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import (  # noqa: E402
    HmacKey, KmsHmacKey, load_key_file)

KEY = signing_key()
OTHER = HmacKey(b"another-key-" + b"1" * 32, "another key")


@pytest.fixture
def ledger(tmp_path):
    return LocalLedger(str(tmp_path / "ledger"), "staging", KEY)


def fill(ledger, count):
    return [ledger.append(1, "applied", "alice", "run-%d" % n, details={"n": n}) for n in range(1, count + 1)]


def forge(previous, event, details, **extra):
    """An entry hashed exactly as the collection would, without the key: what an attacker can write."""
    entry = model.new_entry(previous, previous["environment"], previous["phase"], event, "mallory", "forged",
                            details=details, **extra)
    return json.dumps(entry).encode()


# --- MACs ---------------------------------------------------------------------

def test_a_correctly_hashed_forged_override_cleared_is_refused_naming_its_seq(ledger):
    ledger.append(2, "override_set", "oncall", "r1", details={"incident_id": "INC-1"})
    lines = read_lines(ledger.path)
    write_lines(ledger.path, lines + [forge(ledger.read()[-1], "override_cleared", {"incident_id": "INC-1"})])
    broken = ledger.verify()
    assert broken.seq == 2 and "not signed" in str(broken) and ledger.path in str(broken)
    with pytest.raises(ChainBroken, match="seq 2"):
        ledger.state()
    with pytest.raises(ChainBroken, match="seq 2"):
        ledger.append(3, "gate_passed", "mallory", "r3")


def test_an_entry_signed_with_another_key_is_refused(ledger, tmp_path):
    fill(ledger, 2)
    assert LocalLedger(ledger.directory, "staging", OTHER).verify().seq == 1
    message = str(LocalLedger(ledger.directory, "staging", OTHER).verify())
    assert "bad signature" in message and KEY.key_id in message and OTHER.key_id in message


def test_a_changed_mac_value_is_refused(ledger):
    fill(ledger, 3)
    lines = read_lines(ledger.path)
    entry = json.loads(lines[2])
    entry["mac"]["value"] = "0" * 64
    lines[2] = json.dumps(entry).encode()
    write_lines(ledger.path, lines)
    assert ledger.verify().seq == 3


def test_no_key_is_refused_everywhere(tmp_path):
    with pytest.raises(LedgerError, match="no ledger key is configured.*rollout_ledger_key_file"):
        open_ledger("local", "staging", path=str(tmp_path / "ledger"))
    with pytest.raises(LedgerError, match="no ledger key"):
        LocalLedger(str(tmp_path / "ledger"), "staging", None)
    with pytest.raises(LedgerError, match="not key_file and key"):
        open_ledger("local", "staging", path=str(tmp_path / "l"), key_file=str(tmp_path / "k"), key="x" * 40)


def test_key_files_are_created_0600_and_refused_when_readable_by_others_or_inside_the_ledger(tmp_path):
    path = tmp_path / "keys" / "ledger.key"
    with pytest.raises(LedgerError, match="does not exist.*0600"):
        load_key_file(str(path))
    created = load_key_file(str(path), create=True, ledger_dir=str(tmp_path / "ledger"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert load_key_file(str(path)).key_id == created.key_id  # made once, then reused
    os.chmod(path, 0o640)
    with pytest.raises(LedgerError, match="%s.*group or others.*chmod 0600" % path):
        load_key_file(str(path))
    os.chmod(path, 0o600)
    link = tmp_path / "link.key"
    link.symlink_to(path)
    with pytest.raises(LedgerError, match="symbolic link"):
        load_key_file(str(link))
    inside = tmp_path / "ledger" / "ledger.key"
    with pytest.raises(LedgerError, match="must not be stored with the ledger"):
        load_key_file(str(inside), create=True, ledger_dir=str(tmp_path / "ledger"))
    assert not inside.exists()
    short = tmp_path / "short.key"
    short.write_text("tooshort")
    os.chmod(short, 0o600)
    with pytest.raises(LedgerError, match="at least 32 bytes"):
        load_key_file(str(short))
    assert "secret" not in repr(created) and created.key_id.startswith("hmac:")


def test_kms_hmac_keys_sign_and_verify_on_s3(s3, moto):
    client, bucket = s3
    kms = moto.client("kms")
    key_id = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    other = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    ledger = open_ledger("s3", "production", bucket=bucket, client=client, kms_key_id=key_id, kms_client=kms)
    assert isinstance(ledger.signer, KmsHmacKey)
    written = [ledger.append(1, "applied", "alice", "r%d" % n) for n in range(3)]
    assert written[0]["mac"]["scheme"] == "kms-hmac-sha256" and written[0]["mac"]["key_id"] == key_id
    assert ledger.verify() is None and ledger.state()["entries"] == 3
    broken = S3Ledger(client, bucket, "kiro-ledger", "production", KmsHmacKey(kms, other)).verify()
    assert broken.seq == 1 and "bad signature" in str(broken)
    # An HMAC key in the attacker's hands does not pass for the KMS key.
    forged = S3Ledger(client, bucket, "kiro-ledger", "production", KEY)
    assert "bad signature" in str(forged.verify())


# --- the head -----------------------------------------------------------------

def test_a_removed_tail_is_caught_by_the_head(ledger):
    fill(ledger, 4)
    assert os.path.dirname(ledger.head_path) == ledger.directory + "-head"
    drop_line(ledger.path, 4)
    broken = ledger.verify()
    assert broken.seq == 4 and "ends at seq 3" in str(broken) and ledger.head_path in str(broken)
    with pytest.raises(ChainBroken, match="entries were removed"):
        ledger.append(1, "applied", "mallory", "r")


def test_a_deleted_ledger_is_caught_by_the_head(ledger):
    fill(ledger, 2)
    os.unlink(ledger.path)
    broken = ledger.verify()
    assert broken.seq == 2 and "missing while its head" in str(broken)
    with pytest.raises(ChainBroken):
        ledger.state()


def test_a_rewritten_ledger_is_caught_by_the_head(ledger, tmp_path):
    """Even with the key (an insider), a ledger rebuilt with other entries does not match the head."""
    fill(ledger, 3)
    other = LocalLedger(str(tmp_path / "rebuilt"), "staging", KEY)
    fill(other, 2)
    other.append(1, "gate_passed", "mallory", "r")
    write_lines(ledger.path, read_lines(other.path))
    assert other.verify() is None
    broken = ledger.verify()
    assert broken.seq == 3 and "differs from the one its head" in str(broken)


def test_a_forged_head_is_refused(ledger):
    fill(ledger, 3)
    drop_line(ledger.path, 3)
    head = json.loads(open(ledger.head_path).read())
    head.update(seq=2, sha256=ledger.read()[-1]["sha256"])
    with open(ledger.head_path, "w") as handle:
        json.dump(head, handle)
    assert "not signed with the configured key" in str(ledger.verify())


def test_a_head_one_entry_behind_is_a_warning_and_moved_on(ledger):
    fill(ledger, 2)
    with open(ledger.head_path, "rb") as handle:
        behind = handle.read()
    ledger.append(1, "applied", "alice", "r3")
    with open(ledger.head_path, "wb") as handle:
        handle.write(behind)  # the run stopped between its two writes
    assert ledger.verify() is None and "2, 1 signed entries behind" in " ".join(ledger.warnings)
    ledger.append(1, "applied", "alice", "r4")
    assert json.loads(open(ledger.head_path).read())["seq"] == 4


def test_on_s3_a_removed_tail_and_a_deleted_ledger_and_head_are_caught(s3):
    client, bucket = s3
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ledger = S3Ledger(client, bucket, "kiro-ledger", "production", KEY, head_prefix="kiro-ledger-head")
    for n in range(3):
        ledger.append(1, "applied", "alice", "r%d" % n)
    assert ledger.head_key == "kiro-ledger-head/production/head.json"
    head = json.loads(client.get_object(Bucket=bucket, Key=ledger.head_key)["Body"].read())
    assert head["seq"] == 3 and head["sha256"] == ledger.read()[-1]["sha256"]
    data = client.get_object(Bucket=bucket, Key=ledger.key)["Body"].read()
    client.put_object(Bucket=bucket, Key=ledger.key, Body=b"\n".join(data.split(b"\n")[:2]) + b"\n")
    assert "ends at seq 2" in str(ledger.verify())
    client.delete_object(Bucket=bucket, Key=ledger.key)
    assert "missing while its head" in str(ledger.verify())
    client.delete_object(Bucket=bucket, Key=ledger.head_key)
    with pytest.raises(ChainBroken, match="was deleted .the bucket keeps its versions"):
        ledger.read()


# --- gate evidence ------------------------------------------------------------

def test_gate_passed_is_checked_against_its_stored_report(ledger, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    evidence = reports / "phase2-20250301T090000Z.evidence.tar.gz"
    evidence.write_bytes(b"the evidence bundle")
    digest = hashlib.sha256(b"the evidence bundle").hexdigest()
    report = reports / "phase2-20250301T090000Z.json"
    report.write_text(json.dumps({"evidence_sha256": digest}))
    ledger.append(2, "gate_passed", "alice", "r1", report_sha256=digest, details={"report": str(report)})
    ledger.append(2, "gate_passed", "alice", "r2", report_sha256="1" * 64,
                  details={"report": str(reports / "gone.json")})  # not on this controller: not checked
    assert ledger.verify() is None and ledger.reports_checked == 2
    evidence.write_bytes(b"another bundle")
    broken = ledger.verify()
    assert broken.seq == 1 and str(evidence) in str(broken) and digest in str(broken)
    assert ledger.state()["entries"] == 2  # reports are a verify check, not a read check
    evidence.write_bytes(b"the evidence bundle")
    report.write_text(json.dumps({"evidence_sha256": "2" * 64}))
    broken = ledger.verify()
    assert broken.seq == 1 and str(report) in str(broken)


# --- migration ----------------------------------------------------------------

def unsigned_ledger(directory, count=3):
    """A ledger as the collection wrote it before entries were MACed."""
    os.makedirs(directory, exist_ok=True)
    entries, prev = [], None
    for n in range(count):
        prev = model.new_entry(prev, "staging", 1, "gate_passed" if n == 1 else "applied", "alice", "r%d" % n)
        entries.append(prev)
    write_lines(os.path.join(directory, "staging.jsonl"), [json.dumps(e).encode() for e in entries])
    return entries


def test_an_unsigned_ledger_is_refused_naming_the_migration_then_migrated_explicitly(ledger):
    old = unsigned_ledger(ledger.directory)
    broken = ledger.verify()
    assert broken.seq == 1 and "playbooks/ledger_migrate.yml" in str(broken)
    with pytest.raises(ChainBroken, match="ledger_migrate.yml"):
        ledger.append(1, "applied", "bob", "r")
    with pytest.raises(LedgerError, match="reason"):
        ledger.migrate("carol", "run-m", "x")
    entry = ledger.migrate("carol", "run-m", "signing the ledger from release 0.1")
    assert entry["event"] == "ledger_migrated" and entry["actor"] == "carol" and entry["seq"] == 4
    assert entry["details"]["reason"] == "signing the ledger from release 0.1"
    assert entry["details"]["signed_entries"] == 3 and entry["details"]["key_id"] == KEY.key_id
    entries = ledger.read()
    assert [e["sha256"] for e in entries[:3]] == [e["sha256"] for e in old]  # the chain is kept
    assert ledger.verify() is None and ledger.state()["phase"] == 1
    assert len([p for p in os.listdir(ledger.directory) if ".unsigned-" in p]) == 1
    with pytest.raises(LedgerError, match="only a wholly unsigned ledger is migrated"):
        ledger.migrate("carol", "run-m", "signing the ledger once more")


def test_a_forged_unsigned_entry_after_signed_ones_is_not_migrated(ledger):
    fill(ledger, 2)
    write_lines(ledger.path, read_lines(ledger.path) + [forge(ledger.read()[-1], "gate_passed", {})])
    with pytest.raises(LedgerError, match="seq 1 is already signed.*investigated"):
        ledger.migrate("mallory", "r", "launder my forged entry")


def test_a_tampered_unsigned_ledger_is_not_migrated(ledger):
    unsigned_ledger(ledger.directory)
    lines = read_lines(ledger.path)
    entry = json.loads(lines[1])
    entry["actor"] = "mallory"
    lines[1] = json.dumps(entry).encode()
    write_lines(ledger.path, lines)
    with pytest.raises(ChainBroken, match="seq 2"):
        ledger.migrate("carol", "r", "signing the old ledger")


def test_migration_on_s3(s3):
    client, bucket = s3
    entries, prev = [], None
    for n in range(2):
        prev = model.new_entry(prev, "staging", 1, "applied", "alice", "r%d" % n)
        entries.append(prev)
    client.put_object(Bucket=bucket, Key="kiro-ledger/staging/ledger.jsonl",
                      Body=b"".join(model.to_line(e) for e in entries))
    ledger = S3Ledger(client, bucket, "kiro-ledger", "staging", KEY)
    assert "ledger_migrate.yml" in str(ledger.verify())
    assert ledger.migrate("carol", "run-m", "signing the S3 ledger")["seq"] == 3
    assert ledger.verify() is None and json.loads(
        client.get_object(Bucket=bucket, Key=ledger.head_key)["Body"].read())["seq"] == 3
