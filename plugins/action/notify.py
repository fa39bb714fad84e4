# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.notify: tell stakeholders about an incident (Slack, SNS, webhook) from the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common import aws, secrets
from ansible_collections.kiro.platform.plugins.module_utils.emergency import notify

# No choices and nothing required inside a channel: a channel of unknown type or without
# its url/topic_arn is reported as a failed channel while the others are sent.
CHANNEL_SPEC = dict(
    type=dict(type="str"),
    name=dict(type="str"),
    url=dict(type="str", no_log=True),
    headers=dict(type="dict", no_log=True),
    topic_arn=dict(type="str"),
    **aws.ARGUMENT_SPEC
)

ARGUMENT_SPEC = dict(
    channels=dict(type="list", elements="dict", required=True, options=CHANNEL_SPEC),
    payload=dict(type="dict", required=True),
    summary=dict(type="str"),
    timeout=dict(type="float", default=notify.DEFAULT_TIMEOUT),
    fail_on_error=dict(type="bool", default=False),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            # A conversion error may quote the value it could not convert.
            message = remove_values(secrets.origins("; ".join(validation.error_messages)),
                                    validation._no_log_values)
            raise AnsibleActionFail("kiro.platform.notify: %s" % message)
        args = validation.validated_parameters
        try:
            outcome = notify.notify(args["channels"], args["payload"], summary=args["summary"],
                                    timeout=args["timeout"], fail_on_error=args["fail_on_error"],
                                    check_mode=self._play_context.check_mode)
        except notify.NotifyError as exc:
            raise AnsibleActionFail("kiro.platform.notify: %s" % exc, result={"changed": False})
        # Each channel scrubs its own secrets out of its error: no other text of the result
        # comes from outside.
        warnings = outcome.pop("warnings")
        result.update(outcome)
        if warnings:
            result["warnings"] = list(result.get("warnings") or []) + warnings
        return result
