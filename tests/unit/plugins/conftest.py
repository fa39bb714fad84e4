"""Plugins as Ansible loads them: the collection loader installed (doc fragments, plugin
options), and action plugin objects built the way ansible-core's own unit tests build them."""

import os
import sys
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import init_plugin_loader

TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(os.path.dirname(TESTS), ".collections")

# Before any test module imports the collection: ansible-test units does the same.
init_plugin_loader([COLLECTIONS])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


def make_task(args, check_mode=False, diff=False, async_val=0, action="kiro.platform.test", search_path=None):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = async_val
    task.action = action
    task.get_search_path.return_value = list(search_path or [])
    return task


def make_connection(transport="local"):
    connection = MagicMock()
    connection.transport = transport
    connection._shell.tmpdir = None
    connection.has_native_async = False
    return connection


@pytest.fixture
def action(tmp_path):
    """``action(ActionModule, args, check_mode=False, ...)``: the plugin object, ready to ``run()``.

    The playbook directory (the loader's basedir) is ``tmp_path``.
    """

    def build(cls, args, check_mode=False, diff=False, async_val=0, transport="local", become=False,
              search_path=None):
        loader = DataLoader()
        loader.set_basedir(str(tmp_path))
        play_context = PlayContext()
        play_context.check_mode = check_mode
        play_context.become = become
        task = make_task(args, check_mode=check_mode, diff=diff, async_val=async_val,
                         search_path=search_path or [str(tmp_path)])
        return cls(task, make_connection(transport), play_context, loader=loader, templar=None,
                   shared_loader_obj=None)

    return build
