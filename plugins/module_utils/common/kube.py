# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to build a Kubernetes ApiClient from connection settings, for every
Kubernetes caller of the collection (the gate's kubernetes provider, the kill
switch's cluster switches), and one way to keep tokens out of error texts.

Settings: ``host`` + ``token`` (take precedence), else ``kubeconfig`` / ``context``
(default: $KUBECONFIG or ~/.kube/config, then the in-cluster service account);
``verify_tls``, ``ca_file``.

The ``kubernetes`` package is imported when a client is built, not when this file
is: importing it costs most of a second, which a caller with no cluster to talk to
should not pay.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError

SETTINGS_KEYS = ("kubeconfig", "context", "host", "token", "verify_tls", "ca_file")
_TEXT_KEYS = ("kubeconfig", "context", "host", "token", "ca_file")


class KubeSetupError(PlatformError):
    """The client cannot be built: no kubernetes package, bad settings, no or broken
    cluster configuration. The message never holds a token."""


def check_settings(settings):
    """A message saying what is wrong with ``settings`` (SETTINGS_KEYS), or None."""
    for key in _TEXT_KEYS:
        if settings.get(key) is not None and not isinstance(settings[key], str):
            return "%s must be text" % key
    if settings.get("verify_tls") is not None and not isinstance(settings["verify_tls"], bool):
        return "verify_tls must be true or false"
    host = settings.get("host")
    if host and not host.startswith(("http://", "https://")):
        return "host must be a URL such as https://api.cluster.example:6443"
    # a kubeconfig is not read when host is set, so only then may it be missing
    for key in ("ca_file",) if host else ("kubeconfig", "ca_file"):
        path = settings.get(key)
        if path and not os.path.isfile(os.path.expanduser(path)):
            return "%s %s does not exist" % (key, path)
    return None


def default_kubeconfig_exists():
    paths = os.environ.get("KUBECONFIG")
    if paths:
        return any(os.path.isfile(os.path.expanduser(p)) for p in paths.split(os.pathsep) if p)
    return os.path.isfile(os.path.expanduser("~/.kube/config"))


def api_client(settings, retries=False):
    """An ApiClient of its own (never the process-wide default configuration) for ``settings``.

    ``retries`` goes to urllib3: False (the default) tries each request exactly once,
    for callers that retry, or must not wait, on their own. Raises KubeSetupError.
    """
    settings = settings or {}
    problem = check_settings(settings)
    if problem:
        raise KubeSetupError(problem)
    try:
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config
    except ImportError:
        raise KubeSetupError("the kubernetes Python package is needed on the controller (pip install kubernetes)")
    configuration = k8s_client.Configuration()
    try:
        if settings.get("host"):
            configuration.host = settings["host"].rstrip("/")
        elif settings.get("kubeconfig") or settings.get("context") or default_kubeconfig_exists():
            # $KUBECONFIG is read here, not by the library (which reads it once, at import)
            paths = settings.get("kubeconfig") or os.environ.get("KUBECONFIG") or "~/.kube/config"
            paths = os.pathsep.join(os.path.expanduser(p) for p in paths.split(os.pathsep))
            k8s_config.load_kube_config(config_file=paths, context=settings.get("context") or None,
                                        client_configuration=configuration, persist_config=False)
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s_config.load_incluster_config(client_configuration=configuration)
        else:
            raise KubeSetupError("no cluster configured: set host and token, or kubeconfig "
                                 "(no $KUBECONFIG, no ~/.kube/config, not in a pod)")
    except KubeSetupError:
        raise
    except Exception as exc:  # ConfigException, unreadable YAML, failing exec plugin...
        raise KubeSetupError(scrub("cannot load the cluster configuration: %s: %s" % (type(exc).__name__, exc),
                                   settings, configuration))
    if settings.get("token"):
        configuration.api_key = {"BearerToken": settings["token"]}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
        configuration.refresh_api_key_hook = None
    if settings.get("verify_tls") is not None:
        configuration.verify_ssl = settings["verify_tls"]
    if settings.get("ca_file"):
        configuration.ssl_ca_cert = os.path.expanduser(settings["ca_file"])
    configuration.retries = retries
    return k8s_client.ApiClient(configuration)


def scrub(text, settings=None, configuration=None):
    """``text`` without the token of ``settings``, the credentials a kubeconfig put in
    ``configuration`` (an ApiClient's ``.configuration``), or any Bearer value."""
    # Some proxies echo the Authorization header they refused: the scrubber also masks
    # any "Bearer <value>".
    scrubber = secrets.Scrubber([(settings or {}).get("token")])
    if configuration is not None:
        for value in (getattr(configuration, "api_key", None) or {}).values():
            scrubber.add(value)
        scrubber.add(getattr(configuration, "password", None))
    return scrubber.scrub(text)


def status_message(body):
    """The ``message`` of a Kubernetes Status answer, if the body is one."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    return str(data.get("message"))[:300] if isinstance(data, dict) and data.get("message") else None


def reason(exc):
    """Why a request got no HTTP answer (refused, reset, DNS, timeout), from a urllib3 error."""
    cause = getattr(exc, "reason", None)  # MaxRetryError wraps the real cause
    text = str(cause or exc)
    if "timed out" in text.lower():
        return "timed out (%s)" % text
    return text
