"""kiro.platform.kill_switch's action plugin run directly: in the worker for the controller, else the module."""

from ansible_collections.kiro.platform.plugins.action.kill_switch import ActionModule

TOKEN = "kube-Tok3n-Ks4Wq9"


def test_nothing_configured_engages_nothing_in_process(action):
    result = action(ActionModule, {"state": "engaged", "incident_id": "INC-3"}).run(task_vars={})
    assert result["changed"] is False and result["iam"] == [] and result["kubernetes"] == []
    assert result["msg"] == "kill switch engaged for INC-3: nothing to change"
    assert result["invocation"]["module_args"]["policy_name"] == "kiro-emergency-deny-all"


def test_an_unreachable_cluster_fails_naming_it_and_its_token_is_masked(action):
    cluster = {"name": "prod-eks", "host": "https://127.0.0.1:9", "token": TOKEN, "verify_tls": False}
    result = action(ActionModule, {"state": "engaged", "incident_id": "INC-3", "clusters": [cluster],
                                   "timeout": 2}).run(task_vars={})
    assert result["failed"] is True and "prod-eks" in result["msg"]
    assert [item["action"] for item in result["kubernetes"]] == ["failed"]
    assert result["invocation"]["module_args"]["clusters"][0]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert TOKEN not in repr(result)


def test_bad_arguments_fail_with_the_modules_message(action):
    result = action(ActionModule, {"state": "pulled", "incident_id": "INC-3"}).run(task_vars={})
    assert result["failed"] is True
    assert "state must be one of: engaged, released, got: pulled" in result["msg"]


def test_a_remote_host_runs_the_module(action):
    plugin = action(ActionModule, {"state": "released", "incident_id": "INC-3"}, transport="ssh")
    calls = []
    plugin._execute_module = lambda **kwargs: calls.append(kwargs) or {"changed": True, "msg": "from the module"}
    plugin._remove_tmp_path = lambda path: None
    assert plugin.run(task_vars={})["msg"] == "from the module"
    assert calls[0]["module_name"] == "kiro.platform.kill_switch"
    assert calls[0]["module_args"] == {"state": "released", "incident_id": "INC-3"}
