# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kill switch's cluster switches: the Kiro agents running in Kubernetes stop.

Engaging, in every cluster, for the objects matching the label selector (default
``kiro.dev/agent=true``), CronJobs first so that no new Job starts:

- a CronJob not suspended gets ``spec.suspend: true`` and the annotation
  ``kiro.dev/suspended-by: <incident>``; one already suspended is left as it is
  (no annotation, so a release leaves it suspended);
- a Deployment with replicas gets, in one patch, ``spec.replicas: 0`` and the annotations
  ``kiro.dev/replicas-before: "<n>"`` and ``kiro.dev/scaled-down-by: <incident>``; one
  already at 0 is left as it is.

Releasing undoes exactly what that incident did: CronJobs annotated as suspended by it
resume, Deployments annotated as scaled down by it get their replicas back, and the
annotations go. Objects of another incident, or not stopped by the kill switch, are
left alone.

Objects are read and patched as plain JSON through the official client's
CustomObjectsApi (the same paths as AppsV1Api / BatchV1Api): those two import some
three hundred typed models, ~0.7 s that the kill switch cannot spare. Each request is
tried once, within the timeout: a cluster that does not answer is reported at once,
and nothing stops the other clusters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common import kube

try:
    import urllib3
    from kubernetes.client import CustomObjectsApi
    from kubernetes.client.exceptions import ApiException
except ImportError:  # kube.api_client reports it, per cluster, before any of these is used
    pass

DEFAULT_LABEL_SELECTOR = "kiro.dev/agent=true"
SUSPENDED_BY = "kiro.dev/suspended-by"
SCALED_DOWN_BY = "kiro.dev/scaled-down-by"
REPLICAS_BEFORE = "kiro.dev/replicas-before"
# (kind, group, version, plural), in the order they are switched
KINDS = (("CronJob", "batch", "v1", "cronjobs"), ("Deployment", "apps", "v1", "deployments"))
PAGE_SIZE = 500
MAX_PAGES = 200
MERGE_PATCH = "application/merge-patch+json"


class _ClusterDown(Unavailable):
    """The cluster cannot be talked to at all (unreachable, TLS, credentials refused)."""


def cluster_name(cluster):
    return str(cluster.get("name") or cluster.get("context") or cluster.get("host") or "default")


def switch(state, cluster, incident_id, label_selector=DEFAULT_LABEL_SELECTOR, timeout=10, check_mode=False):
    """Engage (``state`` engaged) or release (released) the switches of one cluster.

    ``cluster``: kube.SETTINGS_KEYS, ``name`` (labels the results) and ``namespaces``
    (empty: all namespaces). Returns one result per object:
    {cluster, kind, namespace, name, action, msg} (Deployments also ``replicas_before``
    and ``replicas``), and for a change a ``diff`` the caller pops. A cluster that
    cannot be reached, or a list that fails, is one failed result without a ``name``
    whose ``msg`` starts with "cluster NAME:". Never raises.
    """
    name = cluster_name(cluster)
    if not (label_selector or "").strip():
        return [_result(name, None, None, None, "failed", "cluster %s: the label selector is empty; it would stop "
                        "every CronJob and Deployment of the cluster" % name)]
    settings = dict((key, cluster[key]) for key in kube.SETTINGS_KEYS if cluster.get(key) is not None)
    results = []
    configuration = None
    try:
        api_client = kube.api_client(settings, retries=False)
        configuration = api_client.configuration
        api = CustomObjectsApi(api_client)
        for kind, group, version, plural in KINDS:
            for namespace in cluster.get("namespaces") or [None]:
                where = "%s in %s" % (plural, "namespace %s" % namespace if namespace else "all namespaces")
                try:
                    objects = _list(api, group, version, plural, namespace, label_selector, timeout)
                except ApiException as exc:
                    if _cluster_down(exc):
                        raise _ClusterDown(_api_error(exc, "cannot list %s" % where))
                    results.append(_result(name, kind, namespace, None, "failed",
                                           "cluster %s: %s" % (name, _api_error(exc, "cannot list %s" % where))))
                    continue
                for obj in objects:
                    results.append(_switch_one(state, api, name, kind, (group, version, plural), obj, incident_id,
                                               timeout, check_mode))
    except (kube.KubeSetupError, _ClusterDown) as exc:
        results.append(_result(name, None, None, None, "failed", "cluster %s: %s" % (name, exc)))
    except Exception as exc:  # one cluster's surprise must not stop the kill switch
        results.append(_result(name, None, None, None, "failed", "cluster %s: %s: %s"
                               % (name, type(exc).__name__, exc)))
    for result in results:
        result["msg"] = kube.scrub(result["msg"], settings, configuration)[:1000]
    return results


def _list(api, group, version, plural, namespace, label_selector, timeout):
    kwargs = {"label_selector": label_selector, "limit": PAGE_SIZE, "_request_timeout": timeout}
    objects = []
    for _page in range(MAX_PAGES):
        try:
            if namespace:
                page = api.list_namespaced_custom_object(group, version, namespace, plural, **kwargs)
            else:
                page = api.list_cluster_custom_object(group, version, plural, **kwargs)
        except urllib3.exceptions.HTTPError as exc:
            raise _ClusterDown("unreachable at %s: %s" % (api.api_client.configuration.host, kube.reason(exc)))
        objects.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return objects
        kwargs["_continue"] = token
    raise ValueError("listing %s kept paginating after %d pages" % (plural, MAX_PAGES))


def _switch_one(state, api, cluster, kind, resource, obj, incident_id, timeout, check_mode):
    metadata = obj.get("metadata") or {}
    namespace, name = metadata.get("namespace"), metadata.get("name")
    annotations = metadata.get("annotations") or {}
    spec = obj.get("spec") or {}
    action, msg, patch, extra, diff = (_cron_job if kind == "CronJob" else _deployment)(
        state, spec, annotations, incident_id)
    result = _result(cluster, kind, namespace, name, action, msg)
    result.update(extra)
    if patch is None:
        return result
    if check_mode:
        result["msg"] = "would be " + msg
    else:
        try:
            api.patch_namespaced_custom_object(resource[0], resource[1], namespace, resource[2], name, patch,
                                               _content_type=MERGE_PATCH, _request_timeout=timeout)
        except ApiException as exc:
            if exc.status == 404:  # deleted since it was listed: nothing left to stop or restore
                result.update(action="unchanged", msg="deleted since it was listed")
                return result
            if _cluster_down(exc):
                raise _ClusterDown(_api_error(exc, "cannot patch %s %s/%s" % (kind, namespace, name)))
            result.update(action="failed", msg=_api_error(exc, "cannot patch %s %s/%s" % (kind, namespace, name)))
            return result
        except urllib3.exceptions.HTTPError as exc:
            raise _ClusterDown("unreachable while patching %s %s/%s: %s" % (kind, namespace, name, kube.reason(exc)))
    header = "%s %s/%s (cluster %s)" % (kind, namespace, name, cluster)
    result["diff"] = {"before_header": header, "after_header": header,
                      "before": diff[0] + "\n", "after": diff[1] + "\n"}
    return result


def _cron_job(state, spec, annotations, incident_id):
    """(action, msg, patch or None, extra result keys, (diff before, diff after))."""
    suspended = spec.get("suspend") is True
    if state == "engaged":
        if suspended:
            by = annotations.get(SUSPENDED_BY)
            return "unchanged", "already suspended%s" % (" by incident %s" % by if by else ""), None, {}, None
        patch = {"metadata": {"annotations": {SUSPENDED_BY: incident_id}}, "spec": {"suspend": True}}
        return "suspended", "suspended", patch, {}, ("suspend: false", "suspend: true")
    if annotations.get(SUSPENDED_BY) != incident_id:
        return "unchanged", _not_ours(annotations.get(SUSPENDED_BY), "suspended"), None, {}, None
    patch = {"metadata": {"annotations": {SUSPENDED_BY: None}}, "spec": {"suspend": False}}
    return "resumed", "resumed", patch, {}, ("suspend: %s" % str(suspended).lower(), "suspend: false")


def _deployment(state, spec, annotations, incident_id):
    replicas = spec.get("replicas")
    replicas = 1 if replicas is None else replicas  # the API's default
    if state == "engaged":
        if replicas == 0:
            return "unchanged", "already at 0 replicas", None, {"replicas_before": 0, "replicas": 0}, None
        patch = {"metadata": {"annotations": {REPLICAS_BEFORE: str(replicas), SCALED_DOWN_BY: incident_id}},
                 "spec": {"replicas": 0}}
        return ("scaled_down", "scaled down from %d to 0 replicas" % replicas, patch,
                {"replicas_before": replicas, "replicas": 0}, ("replicas: %d" % replicas, "replicas: 0"))
    same = {"replicas_before": replicas, "replicas": replicas}
    if annotations.get(SCALED_DOWN_BY) != incident_id:
        return "unchanged", _not_ours(annotations.get(SCALED_DOWN_BY), "scaled down"), None, same, None
    text = annotations.get(REPLICAS_BEFORE)
    try:
        before = int(text)
        if before < 0:
            raise ValueError
    except (TypeError, ValueError):
        return ("failed", "scaled down by incident %s but its annotation %s is %s: set the replicas by hand, "
                "then remove the annotations %s and %s" % (incident_id, REPLICAS_BEFORE,
                                                           "missing" if text is None else "%r, not a count" % text,
                                                           REPLICAS_BEFORE, SCALED_DOWN_BY),
                None, same, None)
    patch = {"metadata": {"annotations": {REPLICAS_BEFORE: None, SCALED_DOWN_BY: None}},
             "spec": {"replicas": before}}
    return ("scaled_up", "scaled back up from %d to %d replicas" % (replicas, before), patch,
            {"replicas_before": replicas, "replicas": before}, ("replicas: %d" % replicas, "replicas: %d" % before))


def _not_ours(by, what):
    if by:
        return "%s by incident %s, not this one: left alone" % (what, by)
    return "not %s by the kill switch: left alone" % what


def _cluster_down(exc):
    # 0: TLS failure or no HTTP answer at all; 401: the credentials are refused everywhere
    return (exc.status or 0) in (0, 401)


def _api_error(exc, action):
    status = exc.status or 0
    if status == 0:
        return "%s: %s" % (action, (str(exc.reason or "no answer").splitlines() or [""])[0])
    message = "%s: HTTP %s %s" % (action, status, exc.reason or "")
    detail = kube.status_message(exc.body)
    if detail:
        message += ": %s" % detail
    if status in (401, 403):
        message += " (check the cluster's token / kubeconfig and its RBAC: list and patch cronjobs.batch and " \
                   "deployments.apps)"
    return message


def _result(cluster, kind, namespace, name, action, msg):
    return {"cluster": cluster, "kind": kind, "namespace": namespace, "name": name, "action": action, "msg": msg}
