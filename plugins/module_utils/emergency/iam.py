# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kill switch's IAM deny: an inline deny-all policy on the agents' IAM roles.

An explicit Deny beats every Allow, so once it is attached nothing signed with the
role's credentials can act, wherever the agent runs, reachable or not. Engaging puts
the policy on each role (unless it is already there, word for word); releasing
deletes it. Each role is its own result: one role failing never stops the others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.common import aws

POLICY_NAME = "kiro-emergency-deny-all"
DENY_ALL = {"Version": "2012-10-17",
            "Statement": [{"Sid": "KiroEmergencyDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]}
# Roles are handled side by side: IAM answers in ~100 ms, and an incident may name dozens.
WORKERS = 8
# IAM is global; a region is still needed to sign requests.
DEFAULT_REGION = "us-east-1"


def role_name(value):
    """The role name of a name or a role ARN (arn:aws:iam::123456789012:role/path/name).
    Raises ValueError for anything else."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ValueError("%s is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)" % text)
        text = parts[5].rsplit("/", 1)[-1]
    if not text or "/" in text:
        raise ValueError("%r is not an IAM role name or role ARN" % value)
    return text


def switch(state, roles, settings=None, policy_name=POLICY_NAME, timeout=10, check_mode=False):
    """Engage (``state`` engaged) or release (released) the deny on every role of ``roles``.

    ``settings``: aws.CONNECTION_KEYS. Returns one result per role, in order:
    {role, action: attached|unchanged|removed|absent|failed, msg}, and for a change a
    ``diff`` ({before_header, after_header, before, after}) the caller pops; never raises.
    """
    names, results = [], []
    for value in roles:
        try:
            name = role_name(value)
        except ValueError as exc:
            results.append(_result(str(value), "failed", str(exc)))
            continue
        if name not in names:  # a role given by name and by ARN is one role
            names.append(name)
            results.append(name)
    if not names:
        return results
    try:
        # one retry (after ~50 ms, or ~1 s when throttled), then the role is reported failed
        client = aws.client("iam", settings, timeout=timeout, attempts=2, default_region=DEFAULT_REGION)
    except aws.AwsSetupError as exc:
        done = dict((name, _result(name, "failed", "cannot use IAM: %s" % exc)) for name in names)
    else:
        one = _engage if state == "engaged" else _release

        def run(name):
            try:
                return one(client, name, policy_name, check_mode)
            except Exception as exc:  # ClientError, endpoint errors, timeouts: this role only
                return _result(name, "failed", _describe(exc, name, settings))

        with ThreadPoolExecutor(max_workers=min(WORKERS, len(names))) as pool:
            done = dict(zip(names, pool.map(run, names)))
    return [done[item] if isinstance(item, str) else item for item in results]


def _engage(client, name, policy_name, check_mode):
    current = _current(client, name, policy_name)
    if current is not None and _same(current, DENY_ALL):
        return _result(name, "unchanged", "the deny-all policy %s is already attached" % policy_name)
    if check_mode:
        if current is None:
            _require_role(client, name)
    else:
        client.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(DENY_ALL))
    verb = "would attach" if check_mode else "attached"
    result = _result(name, "attached", "%s the deny-all policy %s%s" % (
        verb, policy_name, "" if current is None else " (replacing a different document of that name)"))
    result["diff"] = _diff(name, policy_name, "absent" if current is None else "a different document",
                           "present (deny all)")
    return result


def _release(client, name, policy_name, check_mode):
    if _current(client, name, policy_name) is None:
        _require_role(client, name)
        return _result(name, "absent", "no inline policy %s to remove" % policy_name)
    if not check_mode:
        client.delete_role_policy(RoleName=name, PolicyName=policy_name)
    result = _result(name, "removed", "%s the inline policy %s" % ("would remove" if check_mode else "removed",
                                                                   policy_name))
    result["diff"] = _diff(name, policy_name, "present", "absent")
    return result


def _current(client, name, policy_name):
    """The role's inline policy document of that name, or None when it has none (or the
    role does not exist: NoSuchEntity says either)."""
    try:
        return client.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]  # decoded by botocore
    except Exception as exc:
        if aws.error_code(exc)[0] == "NoSuchEntity":
            return None
        raise


def _require_role(client, name):
    try:
        client.get_role(RoleName=name)
    except Exception as exc:
        if aws.error_code(exc)[0] == "NoSuchEntity":
            raise _MissingRole(name)
        raise


class _MissingRole(PlatformError):
    pass


def _same(document, expected):
    def canonical(doc):
        if not isinstance(doc, dict):
            return doc
        doc = dict(doc)
        if isinstance(doc.get("Statement"), dict):
            doc["Statement"] = [doc["Statement"]]
        return json.dumps(doc, sort_keys=True)
    return canonical(document) == canonical(expected)


def _describe(exc, name, settings):
    if isinstance(exc, _MissingRole) or aws.error_code(exc)[0] == "NoSuchEntity":
        return "role %s does not exist (NoSuchEntity): check iam_roles and the AWS account" % name
    return aws.describe(exc, settings)


def _diff(name, policy_name, before, after):
    header = "IAM role %s: inline policy %s" % (name, policy_name)
    return {"before_header": header, "after_header": header, "before": before + "\n", "after": after + "\n"}


def _result(role, action, msg):
    return {"role": role, "action": action, "msg": msg}
