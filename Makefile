# The two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLLECTION_LINK := .collections/ansible_collections/kiro/platform
SANITY_ROOT := .ansible-test/ansible_collections/kiro/platform
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help demo test venv collection debian-packages unit integration lint sanity molecule benchmark clean

help:
	@echo "make demo   - set up and run the main job on the local sandbox inventory"
	@echo "make test   - set up and run every test tier"

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test: requirements.txt requirements-test.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

venv: $(VENV)/.runtime
collection: $(COLLECTION_LINK)

demo: $(VENV)/.runtime $(COLLECTION_LINK)
	$(BIN)/ansible-playbook playbooks/demo.yml

test: $(VENV)/.test $(COLLECTION_LINK) debian-packages
	$(MAKE) --no-print-directory unit integration lint sanity molecule

# Prometheus + promtool (gate provider tests, the alert_rules scenario), Chromium
# (HTML report rendering) and shellcheck (ansible-test sanity); the tests fail, not
# skip, without them. Every tier that uses them depends on this, so `make unit` alone
# works too (a no-op when installed).
debian-packages:
	tests/setup/debian-packages.sh

unit: $(VENV)/.test $(COLLECTION_LINK) debian-packages
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

integration: $(VENV)/.test $(COLLECTION_LINK) debian-packages
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

lint: $(VENV)/.test $(COLLECTION_LINK)
	$(BIN)/ansible-lint --offline -q
	$(BIN)/ruff check --quiet .

# ansible-test needs a real ansible_collections/kiro/platform tree (a symlink
# resolves elsewhere), and fetches get-pip unless a stand-in is cached. Every sanity
# test runs except pslint: it needs PowerShell, which no registry we reach offers.
sanity: $(VENV)/.test debian-packages
	tests/sanity/prepare.sh $(SANITY_ROOT)
	cd $(SANITY_ROOT) && $(BIN)/ansible-test sanity --venv --python 3.11 --skip-test pslint

molecule: $(VENV)/.test $(COLLECTION_LINK) debian-packages
	$(BIN)/molecule test --all

benchmark: $(VENV)/.test $(COLLECTION_LINK)
	$(BIN)/python benchmarks/apply_phase1.py

clean:
	rm -rf .sandbox .collections .ansible-test reports
