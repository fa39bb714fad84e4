"""A created instance: an empty host tree, and an interpreter that can run the collection."""

import os

ROOT = os.environ["KIRO_MOLECULE_ROOT"]


def test_empty_host_tree(host):
    tree = host.file(ROOT)
    assert tree.is_directory
    assert tree.mode == 0o700
    assert tree.listdir() == []


def test_interpreter_runs_the_collection(host):
    python = host.ansible.get_variables()["ansible_python_interpreter"]
    # The Python packages the roles' modules import on the host (requirements.txt).
    probe = host.run("%s -c 'import jmespath, yaml; print(yaml.safe_load(\"ok: 1\"))'" % python)
    assert probe.rc == 0, probe.stderr
    assert probe.stdout.strip() == "{'ok': 1}"
