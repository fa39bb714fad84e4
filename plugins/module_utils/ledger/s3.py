# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 ledger backend, for teams and AWX: optimistic concurrency with conditional writes.

The ledger is one object, ``<prefix>/<environment>/ledger.jsonl``. An append reads it
(keeping its ETag), verifies it, adds the entry and writes it back only if nobody wrote
in between (``IfMatch`` the ETag, or ``IfNoneMatch='*'`` for the first entry). On 412
Precondition Failed it reads again and retries, so concurrent appenders all land with
consecutive seqs. The run lock, ``<prefix>/<environment>/lock.json``, is created with
``IfNoneMatch='*'`` and extended or broken with ``IfMatch`` its ETag.

After each append the head object, ``<prefix>/<environment>/head.json`` (or under
``head_prefix``), is moved to the new entry with ``IfMatch`` its ETag, and only ever
forward. With bucket versioning on, a ledger object that was deleted leaves versions
behind, which is reported even when the head went with it.

``client`` is a boto3 S3 client; nothing here builds one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import time

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.ledger import anchor as anchor_mod
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.base import LedgerBase
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken, LedgerError

MAX_ATTEMPTS = 10
BACKOFF = 0.05  # seconds; doubled per attempt, capped, jittered
BACKOFF_CAP = 1.0


def _error_code(exc):
    response = getattr(exc, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return code, status


def _is_conflict(exc):
    """412 (the object changed since we read it), or 409 (a concurrent conditional write is in flight)."""
    code, status = _error_code(exc)
    return code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


def _is_missing(exc):
    code, status = _error_code(exc)
    # NoSuchBucket is a 404 too, and must not read as an empty ledger.
    return code in ("NoSuchKey", "404", "NotFound") or (code is None and status == 404)


class _Conflict(PlatformError):
    """The object changed under us: read again."""

    def __init__(self):
        PlatformError.__init__(self, "the ledger object changed while this run wrote it")


def _folder(prefix, environment):
    base = "/".join(part for part in (prefix or "").strip("/").split("/") if part)
    return "%s/%s" % (base, environment) if base else environment


class S3Ledger(LedgerBase):

    def __init__(self, client, bucket, prefix, environment, signer, head_prefix=None):
        LedgerBase.__init__(self, environment, signer)
        self.client = client
        self.bucket = bucket
        folder = _folder(prefix, environment)
        self.key = "%s/ledger.jsonl" % folder
        self.lock_key = "%s/lock.json" % folder
        self.head_key = "%s/head.json" % (_folder(head_prefix, environment) if head_prefix else folder)
        self.location = "s3://%s/%s" % (bucket, self.key)
        self.head_location = "s3://%s/%s" % (bucket, self.head_key)
        self.conflicts = 0  # 412/409 answers retried, over this object's life
        self.head_etag = None

    # --- objects --------------------------------------------------------------

    def _call(self, what, key, method, **kwargs):
        try:
            return method(Bucket=self.bucket, Key=key, **kwargs)
        except Exception as exc:  # botocore's ClientError and connection errors, without importing botocore
            if _is_conflict(exc):
                raise _Conflict()
            if _is_missing(exc) and what == "get":
                return None
            if _is_missing(exc) and kwargs.get("IfMatch"):
                raise _Conflict()  # deleted since we read it
            raise LedgerError("s3://%s/%s: %s failed: %s" % (self.bucket, key, what, exc))

    def _get(self, key):
        """(bytes, etag) of ``key``, or (b"", None) when it does not exist."""
        answer = self._call("get", key, self.client.get_object)
        if answer is None:
            return b"", None
        return answer["Body"].read(), answer["ETag"]

    def _put(self, key, body, etag, **extra):
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        condition.update(extra)
        return self._call("put", key, self.client.put_object, Body=body, **condition)

    def _retrying(self, attempt_once):
        for attempt in range(MAX_ATTEMPTS):
            try:
                return attempt_once()
            except _Conflict:
                self.conflicts += 1
                if attempt + 1 < MAX_ATTEMPTS:
                    time.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF * (2 ** attempt))))
        raise LedgerError("%s: gave up after %d attempts: another writer changed the object each time; run again"
                          % (self.location, MAX_ATTEMPTS))

    def _deleted_versions(self, key):
        """How many delete markers ``key`` has: a versioned bucket keeps one for each deletion
        (an unversioned bucket has none, and an object created since we looked is not one)."""
        try:
            answer = self.client.list_object_versions(Bucket=self.bucket, Prefix=key, MaxKeys=10)
        except Exception as exc:  # botocore errors, without importing botocore
            raise LedgerError("s3://%s/%s: list_object_versions failed: %s" % (self.bucket, key, exc))
        return len([v for v in answer.get("DeleteMarkers") or [] if v.get("Key") == key])

    def _load(self):
        head, self.head_etag = self._get(self.head_key)
        self.head = anchor_mod.parse_head(head, self.head_location) if self.head_etag else None
        data, etag = self._get(self.key)
        self.exists = etag is not None
        if self.head is None and self._deleted_versions(self.head_key):
            raise ChainBroken(None, "the head object %s was deleted (the bucket keeps its versions); restore "
                                    "its latest version" % self.head_location, line=1,
                              source=self.location)
        if not self.exists and self.head is None and self._deleted_versions(self.key):
            raise ChainBroken(None, "the ledger object %s and its head were deleted (the bucket keeps their "
                                    "versions); restore their latest versions" % self.key, line=1,
                              source=self.location)
        entries, torn = model.parse_lines(data, source=self.location)
        self.torn = torn
        self.warnings = [model.torn_warning(torn, self.location)] if torn else []
        return data, etag, entries, torn

    # --- entries --------------------------------------------------------------

    def read(self):
        """The entries, oldest first. ``warnings`` says when a torn last line was left out."""
        return self._load()[2]

    def append(self, phase, event, actor, run_id, details=None, report_sha256=None, now=None):
        """Append one signed entry and return it; refused (ChainBroken) when the ledger does not verify."""
        entry = self._retrying(lambda: self._append_once(phase, event, actor, run_id, details, report_sha256, now))
        self._advance_head(entry)
        return entry

    def _advance_head(self, entry):
        """Move the head to ``entry``, never back: a later appender may have moved it past already."""
        body = anchor_mod.head_bytes(anchor_mod.head_record(entry, self.signer))

        def once():
            data, etag = self._get(self.head_key)
            if etag and anchor_mod.parse_head(data, self.head_location)["seq"] >= entry["seq"]:
                return
            self._put(self.head_key, body, etag, ContentType="application/json")
        self._retrying(once)

    def _append_once(self, phase, event, actor, run_id, details, report_sha256, now):
        data, etag, entries, torn = self._load()
        entry = self._next(entries, phase, event, actor, run_id, details, report_sha256, now)
        if torn:
            # Kept as evidence; an object is written whole, so this came from outside.
            stamp = clock.compact(precise=True)
            aside = "%s.torn-%s" % (self.key, stamp)
            self._call("put", aside, self.client.put_object, Body=torn["data"])
            torn["moved_to"] = "s3://%s/%s" % (self.bucket, aside)
            self.warnings = [model.torn_warning(torn, self.location)]
            data = data[:torn["offset"]]
        if data and not data.endswith(b"\n"):
            data += b"\n"
        self._put(self.key, data + model.to_line(entry), etag, ContentType="application/x-ndjson")
        return entry

    def migrate(self, actor, run_id, reason, now=None):
        """Sign an unsigned (legacy) ledger after verifying its chain; records ledger_migrated.
        The unsigned object stays as a version (versioned bucket) and as ``<key>.unsigned-<stamp>``."""
        def once():
            data, etag, entries, torn = self._load()
            if torn:
                raise LedgerError(model.torn_warning(torn, self.location) + "; repair it before migrating")
            migrated, entry = self.plan_migration(entries, actor, run_id, reason, now)
            aside = "%s.unsigned-%s" % (self.key, clock.compact(precise=True))
            self._call("put", aside, self.client.put_object, Body=data)
            self._put(self.key, b"".join(model.to_line(e) for e in migrated), etag, ContentType="application/x-ndjson")
            return entry
        entry = self._retrying(once)
        self._advance_head(entry)
        return entry

    # --- the run lock ---------------------------------------------------------

    def _get_lock(self):
        data, etag = self._get(self.lock_key)
        if etag is None:
            return None, None
        return model.parse_lock(data, "s3://%s/%s" % (self.bucket, self.lock_key)), etag

    def current_lock(self):
        return self._get_lock()[0]

    def lock(self, run_id, holder, ttl_seconds, break_lock=False, now=None, host=None, pid=None):
        """Take (or, for the same run_id, extend) the run lock; see LocalLedger.lock."""
        return self._retrying(lambda: self._lock_once(run_id, holder, ttl_seconds, break_lock, now, host, pid))

    def _lock_once(self, run_id, holder, ttl_seconds, break_lock, now, host, pid):
        existing, etag = self._get_lock()
        action = model.decide_lock(existing, self.environment, run_id, break_lock=break_lock, now=now)
        record = model.lock_record(run_id, holder, ttl_seconds, now=now, host=host, pid=pid,
                                   acquired=existing["acquired"] if action == "extend" else None)
        if action == "break":
            # Refuse before touching the lock if the lock_broken entry could not be recorded.
            self._check(self._load()[2])
        body = json.dumps(record, sort_keys=True).encode("utf-8") + b"\n"
        self._put(self.lock_key, body, etag, ContentType="application/json")
        if action == "break":
            # Only the run whose conditional write replaced the stale lock records it.
            self.append(None, "lock_broken", holder, run_id, details=model.broken_details(existing, now), now=now)
        return dict(record, status={"acquire": "acquired", "extend": "extended", "break": "broken"}[action],
                    previous=existing if action == "break" else None)

    def unlock(self, run_id):
        """Remove the lock if ``run_id`` holds it (True); False when there is none; LedgerError if it is another's."""
        def once():
            existing, etag = self._get_lock()
            if not model.check_unlock(existing, self.environment, run_id):
                return False
            self._call("delete", self.lock_key, self.client.delete_object, IfMatch=etag)
            return True
        return self._retrying(once)
