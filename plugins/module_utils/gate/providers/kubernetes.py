# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects through the official Python client.

    provider: kubernetes
    kind: Deployment            # StatefulSet | DaemonSet | CronJob | Job | Pod | Node
    namespace: kiro             # all namespaces when absent
    label_selector: app=kiro-agent
    measure: available_ratio    # share of objects fully available
    pass: "== 1"

``measure`` says what the value is:
  count            how many objects were listed (or how many the ``query`` list holds)
  ratio            len(query result) / objects listed, for a filtering ``query`` such as
                   "[?status.phase == 'Running']"
  available_ratio  share of objects that are available: Deployment / StatefulSet /
                   DaemonSet with all desired replicas available, Pod / Node Ready,
                   Job Complete
  value            the ``query`` result itself: a number, a boolean (1 / 0) or a list
                   of numbers reduced by ``aggregate`` (the default when ``query`` is set)
``query`` is a JMESPath expression over the list of objects as the API spells
them (camelCase: ``status.availableReplicas``). ``resource_name`` (one object;
``name`` is the criterion's own) and ``field_selector`` narrow the list on the
server.

Settings (providers.kubernetes): ``host`` + ``token`` (take precedence), else
``kubeconfig`` / ``context`` (default: $KUBECONFIG or ~/.kube/config, then the
in-cluster service account); ``verify_tls``, ``ca_file``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.kiro.platform.plugins.module_utils.common import kube
from ansible_collections.kiro.platform.plugins.module_utils.gate.criteria import aggregate
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:
    HAS_JMESPATH = False

try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes.client.exceptions import ApiException
    HAS_KUBERNETES = True
except ImportError:
    HAS_KUBERNETES = False

# kind -> (API class, namespaced list call, all-namespaces list call, API path for messages)
KINDS = {
    "Deployment": ("AppsV1Api", "list_namespaced_deployment", "list_deployment_for_all_namespaces",
                   "/apis/apps/v1", "deployments"),
    "StatefulSet": ("AppsV1Api", "list_namespaced_stateful_set", "list_stateful_set_for_all_namespaces",
                    "/apis/apps/v1", "statefulsets"),
    "DaemonSet": ("AppsV1Api", "list_namespaced_daemon_set", "list_daemon_set_for_all_namespaces",
                  "/apis/apps/v1", "daemonsets"),
    "CronJob": ("BatchV1Api", "list_namespaced_cron_job", "list_cron_job_for_all_namespaces",
                "/apis/batch/v1", "cronjobs"),
    "Job": ("BatchV1Api", "list_namespaced_job", "list_job_for_all_namespaces", "/apis/batch/v1", "jobs"),
    "Pod": ("CoreV1Api", "list_namespaced_pod", "list_pod_for_all_namespaces", "/api/v1", "pods"),
    "Node": ("CoreV1Api", None, "list_node", "/api/v1", "nodes"),
}
# "Deployment", "deployment", "deployments" -> "Deployment"
_KIND_NAMES = dict((n.lower(), n) for n in KINDS)
_KIND_NAMES.update((spec[4], kind) for kind, spec in KINDS.items())
MEASURES = ("count", "ratio", "available_ratio", "value")
PAGE_SIZE = 500
MAX_PAGES = 200
RAW_OBJECTS = 200  # objects summarised in the evidence bundle


def kind_of(value):
    return _KIND_NAMES.get(str(value).strip().lower()) if value else None


class KubernetesProvider(Provider):
    name = "kubernetes"
    required = ("kind",)
    optional = ("namespace", "label_selector", "field_selector", "resource_name", "query", "measure")
    settings_keys = kube.SETTINGS_KEYS

    def __init__(self, settings=None):
        super(KubernetesProvider, self).__init__(settings)
        problem = kube.check_settings(self.settings)
        if problem:
            raise CriterionError("providers.kubernetes", problem)
        self._api_client = None
        self._lock = threading.Lock()

    # --- validation ----------------------------------------------------------

    def validate(self, criterion):
        super(KubernetesProvider, self).validate(criterion)
        params = criterion.params
        kind = kind_of(params.get("kind"))
        if kind is None:
            raise CriterionError(criterion.name, "kind must be one of %s, not %r"
                                 % (", ".join(KINDS), params.get("kind")))
        for key in ("namespace", "label_selector", "field_selector", "resource_name", "query"):
            if params.get(key) is not None and not isinstance(params[key], str):
                raise CriterionError(criterion.name, "%s must be text" % key)
        if kind == "Node" and params.get("namespace"):
            raise CriterionError(criterion.name, "Nodes are not namespaced; drop 'namespace'")
        measure = self._measure_of(criterion)
        if measure not in MEASURES:
            raise CriterionError(criterion.name, "measure must be one of %s" % ", ".join(MEASURES))
        if measure in ("ratio", "value") and not params.get("query"):
            raise CriterionError(criterion.name, "measure %s needs a query (JMESPath over the listed objects)"
                                 % measure)
        if measure == "available_ratio":
            if kind == "CronJob":
                raise CriterionError(criterion.name, "available_ratio has no meaning for CronJobs; use a "
                                     "query such as \"[?status.lastSuccessfulTime]\" with measure: ratio")
            if params.get("query"):
                raise CriterionError(criterion.name, "measure available_ratio takes no query; narrow the "
                                     "objects with label_selector / field_selector / resource_name")
        if params.get("query"):
            if not HAS_JMESPATH:
                raise CriterionError(criterion.name, "a kubernetes query needs the jmespath Python package")
            try:
                jmespath.compile(params["query"])
            except jmespath.exceptions.JMESPathError as exc:
                raise CriterionError(criterion.name, "query is not valid JMESPath: %s" % exc)

    @staticmethod
    def _measure_of(criterion):
        default = "value" if criterion.params.get("query") else "count"
        return criterion.params.get("measure") or default

    # --- client --------------------------------------------------------------

    def _client(self):
        """This provider's own ApiClient (never the process-wide default configuration)."""
        with self._lock:
            if self._api_client is None:
                self._api_client = self._build_client()
            return self._api_client

    def _build_client(self):
        if not HAS_KUBERNETES:
            raise ProviderError("provider kubernetes needs the kubernetes Python package on the controller",
                                retryable=False)
        try:
            # Provider.call retries with backoff; urllib3 must try exactly once.
            return kube.api_client(self.settings, retries=False)
        except kube.KubeSetupError as exc:
            raise ProviderError("kubernetes: %s (providers.kubernetes)" % exc, retryable=False)

    def _scrub(self, text):
        configuration = self._api_client.configuration if self._api_client is not None else None
        return kube.scrub(text, self.settings, configuration)[:1000]

    # --- measurement ---------------------------------------------------------

    def measure(self, criterion, context):
        params = criterion.params
        kind = kind_of(params["kind"])
        api_client = self._client()
        objects = self._list(api_client, kind, params)
        if params.get("resource_name"):  # also when a server ignores the field selector
            objects = [o for o in objects if (o.get("metadata") or {}).get("name") == params["resource_name"]]
        measure = self._measure_of(criterion)
        result = None
        if params.get("query"):
            try:
                result = jmespath.search(params["query"], objects)
            except jmespath.exceptions.JMESPathError as exc:
                raise ProviderError("kubernetes: query failed on the listed %ss: %s" % (kind, exc), retryable=False)
        samples = 1
        if measure == "count":
            if result is None and not params.get("query"):
                value = len(objects)
            elif isinstance(result, list):
                value = len(result)
            else:
                raise ProviderError("kubernetes: measure count needs a query that returns a list, got %s"
                                    % type(result).__name__, retryable=False)
        elif measure == "ratio":
            if not isinstance(result, list):
                raise ProviderError("kubernetes: measure ratio needs a query that returns a list (a filter such "
                                    "as \"[?status.phase == 'Running']\"), got %s" % type(result).__name__,
                                    retryable=False)
            value = len(result) / float(len(objects)) if objects else None
            samples = len(objects)
        elif measure == "available_ratio":
            flags = [_available(kind, o) for o in objects]
            value = sum(flags) / float(len(flags)) if flags else None
            samples = len(objects)
        else:
            value, samples = _number(result, criterion.aggregate)
        details = {"kind": kind, "measure": measure, "objects": len(objects),
                   "namespace": params.get("namespace") or None, "label_selector": params.get("label_selector")}
        if measure == "available_ratio":
            details["unavailable"] = [_ref(o) for o in objects if not _available(kind, o)][:50]
        raw = {"kind": kind, "path": _path(kind, params.get("namespace")),
               "label_selector": params.get("label_selector"), "field_selector": self._field_selector(params),
               "objects": [_summary(kind, o) for o in objects[:RAW_OBJECTS]],
               "truncated": len(objects) > RAW_OBJECTS}
        if params.get("query"):
            raw["query"] = params["query"]
            raw["result"] = _evidence(result)
        return Measurement(value=value, samples=samples, raw=raw, details=details)

    @staticmethod
    def _field_selector(params):
        parts = [params["field_selector"]] if params.get("field_selector") else []
        if params.get("resource_name"):
            parts.append("metadata.name=%s" % params["resource_name"])
        return ",".join(parts) or None

    def _list(self, api_client, kind, params):
        """Every object of ``kind`` matching the criterion, serialised as the API spells it."""
        api_class, namespaced, everywhere, _prefix, _plural = KINDS[kind]
        api = getattr(k8s_client, api_class)(api_client)
        namespace = params.get("namespace")
        kwargs = {"limit": PAGE_SIZE}
        if namespace:
            call, kwargs["namespace"] = getattr(api, namespaced), namespace
        else:
            call = getattr(api, everywhere)
        if params.get("label_selector"):
            kwargs["label_selector"] = params["label_selector"]
        field_selector = self._field_selector(params)
        if field_selector:
            kwargs["field_selector"] = field_selector
        path = _path(kind, namespace)
        objects = []
        for _page in range(MAX_PAGES):
            answer = self.call(self._request, call, path, kind, kwargs)
            page = api_client.sanitize_for_serialization(answer)
            objects.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return objects
            kwargs["_continue"] = token
        raise ProviderError("kubernetes: GET %s kept paginating after %d pages" % (path, MAX_PAGES),
                            retryable=False)

    def _request(self, call, path, kind, kwargs):
        try:
            return call(_request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            raise self._api_error(exc, path, kind)
        except urllib3.exceptions.HTTPError as exc:
            # refused, reset, DNS, connect/read timeout: the server may answer next time
            raise ProviderError(self._scrub("kubernetes: GET %s failed: %s" % (path, kube.reason(exc))), retryable=True)
        except ValueError as exc:  # pydantic ValidationError: the answer does not fit the typed model
            raise ProviderError(self._scrub("kubernetes: GET %s: the answer does not fit the %sList model (%s)"
                                            % (path, kind, (str(exc).splitlines() or [""])[0])), retryable=False)

    def _api_error(self, exc, path, kind):
        status = exc.status or 0
        if status == 0:  # TLS failure or an unparsable answer: configuration, not luck
            reason = (str(exc.reason or "no answer").splitlines() or [""])[0]
            return ProviderError(self._scrub("kubernetes: GET %s failed: %s" % (path, reason)), retryable=False)
        message = "kubernetes: GET %s: HTTP %s %s" % (path, status, exc.reason or "")
        detail = kube.status_message(exc.body)
        if detail:
            message += ": %s" % detail
        if status in (401, 403):
            message += " (check providers.kubernetes token / kubeconfig and its RBAC: list %s)" % KINDS[kind][4]
        return ProviderError(self._scrub(message), retryable=status == 429 or status >= 500)


def _path(kind, namespace):
    _api, _namespaced, _everywhere, prefix, plural = KINDS[kind]
    if namespace:
        return "%s/namespaces/%s/%s" % (prefix, namespace, plural)
    return "%s/%s" % (prefix, plural)


def _condition(obj, kind):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


def _replicas(kind, obj):
    """(desired, available) for the workload kinds."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet":
        return status.get("desiredNumberScheduled") or 0, status.get("numberAvailable") or 0
    desired = spec.get("replicas")
    desired = 1 if desired is None else desired
    available = status.get("availableReplicas")
    if available is None and kind == "StatefulSet":  # before Kubernetes 1.22
        available = status.get("readyReplicas")
    return desired, available or 0


def _available(kind, obj):
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        desired, available = _replicas(kind, obj)
        return available >= desired
    if kind in ("Pod", "Node"):
        return _condition(obj, "Ready")
    if kind == "Job":
        return _condition(obj, "Complete")
    return False


def _ref(obj):
    metadata = obj.get("metadata") or {}
    return "%s/%s" % (metadata["namespace"], metadata.get("name")) if metadata.get("namespace") \
        else str(metadata.get("name"))


def _summary(kind, obj):
    """What the evidence bundle keeps of an object: identity and status, never a
    spec (Pod specs can carry literal environment values)."""
    metadata, status = obj.get("metadata") or {}, obj.get("status") or {}
    out = {"name": metadata.get("name"), "namespace": metadata.get("namespace")}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        out["desired"], out["available"] = _replicas(kind, obj)
    elif kind == "Pod":
        out["phase"] = status.get("phase")
        out["ready"] = _condition(obj, "Ready")
        out["restarts"] = sum(c.get("restartCount") or 0 for c in status.get("containerStatuses") or [])
    elif kind == "Node":
        out["ready"] = _condition(obj, "Ready")
        out["unschedulable"] = bool((obj.get("spec") or {}).get("unschedulable"))
        out["kubelet"] = (status.get("nodeInfo") or {}).get("kubeletVersion")
    elif kind == "Job":
        out.update((k, status.get(k) or 0) for k in ("active", "succeeded", "failed"))
        out["complete"] = _condition(obj, "Complete")
    elif kind == "CronJob":
        out["schedule"] = (obj.get("spec") or {}).get("schedule")
        out["suspend"] = bool((obj.get("spec") or {}).get("suspend"))
        out["last_schedule"] = status.get("lastScheduleTime")
        out["last_success"] = status.get("lastSuccessfulTime")
    return out


def _evidence(result):
    """A query result for the evidence bundle: whole objects become namespace/name."""
    if isinstance(result, list):
        return [_ref(item) if isinstance(item, dict) and "metadata" in item else item
                for item in result[:RAW_OBJECTS]]
    if isinstance(result, dict) and "metadata" in result:
        return _ref(result)
    return result


def _number(result, how):
    """(value, samples) for a ``measure: value`` query result."""
    if result is None or result == []:
        return None, 0
    if isinstance(result, bool):
        return (1.0 if result else 0.0), 1
    if isinstance(result, (int, float)):
        return float(result), 1
    if isinstance(result, list):
        numbers = []
        for item in result:
            if isinstance(item, bool):
                numbers.append(1.0 if item else 0.0)
            elif isinstance(item, (int, float)):
                numbers.append(float(item))
            elif item is not None:
                raise ProviderError("kubernetes: the query returned a list holding %s; it must hold numbers "
                                    "(or use measure: count / ratio)" % type(item).__name__, retryable=False)
        return aggregate(numbers, how), len(numbers)
    try:
        return float(result), 1
    except (TypeError, ValueError):
        raise ProviderError("kubernetes: the query returned %s, not a number" % type(result).__name__,
                            retryable=False)
