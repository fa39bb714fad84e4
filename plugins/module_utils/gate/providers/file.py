# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""file: read a JSON, YAML or CSV file, select with jmespath, reduce to a number.

Criterion keys:
  path            (required) relative paths resolve against the context's base_dir
  format          json | yaml | csv (default: from the extension .json, .yaml/.yml, .csv)
  query           jmespath expression (default: the whole document)
  baseline_query  jmespath expression over the same document giving the baseline
A CSV file becomes a list of objects keyed by its header row; values that look
numeric become numbers, empty cells null. The selection is reduced like
http_json's (a number, a boolean, or a list of numbers -> ``aggregate``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import hashlib
import io
import json
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.http_json import (
    as_series, compile_query, numbers, reduce, search, trim)

try:
    import yaml
    HAS_YAML = True
    YAML_ERRORS = (yaml.YAMLError,)
except ImportError:
    HAS_YAML = False
    YAML_ERRORS = ()

FORMATS = ("json", "yaml", "csv")
EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
MAX_SIZE = 64 * 1024 * 1024
_NUMERIC = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def format_of(criterion):
    declared = criterion.params.get("format")
    path = criterion.params.get("path")
    if declared not in (None, ""):
        declared = str(declared).lower()
        declared = "yaml" if declared == "yml" else declared
        if declared not in FORMATS:
            raise CriterionError(criterion.name, "format must be one of %s" % ", ".join(FORMATS))
        return declared
    extension = os.path.splitext(str(path or ""))[1].lower()
    if extension not in EXTENSIONS:
        raise CriterionError(criterion.name, "cannot tell the format of %s from its extension; set format: "
                             "json, yaml or csv" % path)
    return EXTENSIONS[extension]


def _cell(text):
    if text is None:
        return None
    stripped = text.strip()
    if stripped == "":
        return None
    if _NUMERIC.match(stripped):
        return float(stripped)
    return text


def parse_csv(text):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = [row for row in reader if row and any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    if any(name == "" for name in header):
        raise ValueError("the header row has an empty column name")
    if len(set(header)) != len(header):
        raise ValueError("the header row repeats a column name")
    out = []
    for number, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            raise ValueError("row %d has %d fields, the header has %d" % (number, len(row), len(header)))
        out.append(dict((name, _cell(cell)) for name, cell in zip(header, row)))
    return out


class FileProvider(Provider):
    name = "file"
    required = ("path",)
    optional = ("format", "query", "baseline_query")
    settings_keys = ()

    def validate(self, criterion):
        super(FileProvider, self).validate(criterion)
        if not isinstance(criterion.params.get("path"), str):
            raise CriterionError(criterion.name, "path must be text")
        if format_of(criterion) == "yaml" and not HAS_YAML:
            raise CriterionError(criterion.name, "reading YAML needs the PyYAML Python library")
        compile_query(criterion, "query")
        compile_query(criterion, "baseline_query")

    def _read(self, path, kind):
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SIZE + 1)
        except FileNotFoundError:
            raise ProviderError("file: %s not found" % path, retryable=False)
        except IsADirectoryError:
            raise ProviderError("file: %s is a directory, not a file" % path, retryable=False)
        except OSError as exc:
            raise ProviderError("file: cannot read %s: %s" % (path, exc.strerror or exc), retryable=False)
        if len(data) > MAX_SIZE:
            raise ProviderError("file: %s is larger than %d MiB" % (path, MAX_SIZE // (1024 * 1024)), retryable=False)
        try:
            text = data.decode("utf-8-sig")
            if kind == "json":
                document = json.loads(text)
            elif kind == "yaml":
                document = yaml.safe_load(text)
            else:
                document = parse_csv(text)
        except (ValueError, csv.Error) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ProviderError("file: cannot parse %s as %s: %s" % (path, kind, " ".join(str(exc).split())),
                                retryable=False)
        except YAML_ERRORS as exc:
            raise ProviderError("file: cannot parse %s as yaml: %s" % (path, " ".join(str(exc).split())),
                                retryable=False)
        return document, hashlib.sha256(data).hexdigest()

    def measure(self, criterion, context):
        params = criterion.params
        kind = format_of(criterion)
        query = compile_query(criterion, "query")
        baseline_query = compile_query(criterion, "baseline_query")
        path = os.path.expanduser(params["path"])
        if not os.path.isabs(path):
            path = os.path.join(context.base_dir or ".", path)
        path = os.path.normpath(path)
        what = "file: %s" % path

        document, digest = self._read(path, kind)
        result = search(query, document, what)
        values, is_list = numbers(result, what)
        value = criteria_mod.aggregate(values, criterion.aggregate) if values else None
        raw = {"path": path, "format": kind, "sha256": digest, "result": trim(result)}
        baseline = None
        if baseline_query is not None:
            baseline_result = search(baseline_query, document, what + " (baseline_query)")
            baseline, _count = reduce(criterion, baseline_result, what + " (baseline_query)")
            raw["baseline_result"] = trim(baseline_result)
        details = {"path": path, "sha256": digest}
        if is_list:
            details["items"] = len(values)
        return Measurement(value=value, baseline=baseline, samples=len(values), series=as_series(values, is_list),
                           raw=raw, details=details)
