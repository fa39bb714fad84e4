# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.notify: tell stakeholders about an incident (Slack, SNS, webhook) from the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.module_utils.common import aws, secrets
from ansible_collections.kiro.platform.plugins.module_utils.emergency import notify
from ansible_collections.kiro.platform.plugins.modules import notify as documented
from ansible_collections.kiro.platform.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    """A channel has no choices and nothing required (DOCUMENTATION says so): a channel of
    unknown type or without its url/topic_arn is reported as a failed channel while the others
    are sent."""

    MODULE = documented
    NO_LOG = ("channels.url", "channels.headers") + tuple("channels." + key for key in aws.SECRET_KEYS)

    def scrub(self, message):
        # A conversion error may quote a webhook URL given where a secret was not expected.
        return secrets.origins(message)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validated_args()
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
