"""Two small controllers that furnish every namespace (pkg/controller/serviceaccount,
pkg/controller/certificates/rootcacertpublisher, v1.33).

- **ServiceAccountController** keeps a ``default`` ServiceAccount in every active namespace and
  recreates it if someone deletes it. A pod that names no ``serviceAccountName`` runs as it.
  (Since v1.24 no long-lived token Secret is created for it: pods get short-lived projected
  tokens instead.)
- **RootCACertPublisher** keeps a ConfigMap ``kube-root-ca.crt`` in every namespace holding the
  cluster CA certificate (``data["ca.crt"]``), so pods can verify the API server when they call
  ``https://kubernetes.default.svc``. Edits to it are reverted, deletions undone.

Both write with their own identities (``service-account-controller``, ``root-ca-cert-publisher``).

The CA is a fixed, deterministic certificate (``CN=kubernetes``, valid 2025-01-01 to 2034-12-30,
an Ed25519 key derived from a constant seed): every mini cluster publishes the same bytes, so
notebook output is stable. Simplification: a kubeadm CA uses an RSA 2048 key; it is also the
issuer of the API server's serving certificate, which the loopback HTTP server does not use.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone
from .base import Controller

DEFAULT_SERVICE_ACCOUNT = "default"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"  # rootcacertpublisher.RootCACertConfigMapName
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
               "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
               "guaranteed across distributions of Kubernetes clusters.")

#: the mini cluster's root CA certificate (see the module docstring)
CLUSTER_CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBITCB1KADAgECAggBRLHe/PdWEDAFBgMrZXAwFTETMBEGA1UEAwwKa3ViZXJu
ZXRlczAeFw0yNTAxMDEwMDAwMDBaFw0zNDEyMzAwMDAwMDBaMBUxEzARBgNVBAMM
Cmt1YmVybmV0ZXMwKjAFBgMrZXADIQDALcIZSlyT3OCDU2QVej/dn8N4PCsjTkEx
I1FrsCSVq6NCMEAwDgYDVR0PAQH/BAQDAgKkMA8GA1UdEwEB/wQFMAMBAf8wHQYD
VR0OBBYEFPVgTTaXxU6vNdSprdxmNRImA1FtMAUGAytlcANBAJ/z4KteJ5YYjO+e
md0pQwzfZh8pYJ2tt3gEP1Eu0oIJzV8j4nC1vNkUw1hceXvkYWJboUa97GeEHM0v
d+Giigw=
-----END CERTIFICATE-----
"""


def _active(ns) -> bool:
    return ns is not None and not ns["metadata"].get("deletionTimestamp") and \
        (ns.get("status") or {}).get("phase", "Active") == "Active"


class ServiceAccountController(Controller):
    """Ensures the ``default`` ServiceAccount; also starts the root CA publisher."""

    name = "service-account-controller"

    def setup(self):
        self.namespaces = self.informers["namespaces"]
        self.accounts = self.informers["serviceaccounts"]
        self.namespaces.add_handler(self._on_ns, lambda old, new: self._on_ns(new))
        self.accounts.add_handler(on_delete=self._on_sa_delete, replay=False)
        self.publisher = RootCACertPublisher(self.ctx)

    def _on_ns(self, ns):
        if _active(ns):
            self.queue.add(ns["metadata"]["name"])

    def _on_sa_delete(self, sa):
        if sa["metadata"]["name"] == DEFAULT_SERVICE_ACCOUNT:
            self.queue.add(sa["metadata"]["namespace"])

    def reconcile(self, namespace):
        if not _active(self.namespaces.get(namespace)):
            return
        if self.accounts.get(DEFAULT_SERVICE_ACCOUNT, namespace) is not None:
            return
        sa = {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace}}
        try:
            self.api.create("serviceaccounts", sa, namespace, user=self.user)
        except ApiError as e:
            if e.code not in (403, 404, 409):  # terminating or gone namespace; already there
                raise


class RootCACertPublisher(Controller):
    """Publishes ``kube-root-ca.crt`` into every namespace and keeps it unchanged."""

    name = "root-ca-cert-publisher"
    ca_pem = CLUSTER_CA_PEM

    def setup(self):
        self.namespaces = self.informers["namespaces"]
        self.configmaps = self.informers["configmaps"]
        self.namespaces.add_handler(self._on_ns, lambda old, new: self._on_ns(new))
        self.configmaps.add_handler(None, lambda old, new: self._on_cm(new), self._on_cm,
                                    replay=False)

    def _on_ns(self, ns):
        if _active(ns):
            self.queue.add(ns["metadata"]["name"])

    def _on_cm(self, cm):
        if cm["metadata"]["name"] == ROOT_CA_CONFIGMAP:
            self.queue.add(cm["metadata"]["namespace"])

    def _wanted(self):
        return {"ca.crt": self.ca_pem}

    def reconcile(self, namespace):
        if not _active(self.namespaces.get(namespace)):
            return
        cm = self.configmaps.get(ROOT_CA_CONFIGMAP, namespace)
        if cm is None:
            new = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": namespace,
                                "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                   "data": self._wanted()}
            try:
                self.api.create("configmaps", new, namespace, user=self.user)
            except ApiError as e:
                if e.code not in (403, 404, 409):
                    raise
            return
        annotations = cm["metadata"].get("annotations") or {}
        if cm.get("data") == self._wanted() and not cm.get("binaryData") and \
                annotations.get(DESCRIPTION_ANNOTATION) == DESCRIPTION:
            return
        cm = clone(cm)
        cm["data"] = self._wanted()
        cm.pop("binaryData", None)
        cm["metadata"].setdefault("annotations", {})[DESCRIPTION_ANNOTATION] = DESCRIPTION
        self.api.update("configmaps", cm, namespace, user=self.user)
