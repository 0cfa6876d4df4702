"""A **simulated** dynamic provisioner: kind's ``rancher.io/local-path`` (local-path-provisioner).

Not part of Kubernetes itself: kind installs it as a Deployment in ``local-path-storage`` together
with the default StorageClass ``standard`` (kind pkg/build/nodeimage/const_storage.go)::

    provisioner: rancher.io/local-path
    volumeBindingMode: WaitForFirstConsumer
    reclaimPolicy: Delete          (annotated storageclass.kubernetes.io/is-default-class: "true")

This module plays that program (sigs.k8s.io/sig-storage-lib-external-provisioner driving
local-path-provisioner's ``Provision``/``Delete``):

1. It watches claims that the PV controller handed to ``rancher.io/local-path`` (annotation
   ``volume.kubernetes.io/storage-provisioner``). A WaitForFirstConsumer claim is only
   provisioned once the scheduler chose a node (``volume.kubernetes.io/selected-node``).
2. Event ``Provisioning``, then - after a helper pod made the directory on the node, here a
   fixed :data:`PROVISION_SECONDS` - it creates the PersistentVolume ``pvc-<claim uid>``: a
   ``hostPath`` ``/var/local-path-provisioner/pvc-<uid>_<namespace>_<claim>`` pinned to that
   node by ``nodeAffinity``, ``claimRef`` already naming the claim, the class's reclaim policy.
   Event ``ProvisioningSucceeded``. The PV controller then binds the two.
3. When such a volume is ``Released`` with reclaim policy ``Delete``, it removes the directory
   (the data is gone) and deletes the volume.

Simplifications: no ``local-path-storage`` namespace, Deployment or helper pods are created (they
would show up in every ``kubectl get pods -A``); the events' source is a fixed identity; only
ReadWriteOnce and ReadWriteOncePod claims are accepted (no shared-filesystem mode).
"""
from __future__ import annotations

from ..apiserver import UserInfo
from ..errors import ApiError
from ..objects import key_of
from .base import Controller
from .persistentvolume_util import (ANN_BETA_STORAGE_PROVISIONER, ANN_DYNAMICALLY_PROVISIONED,
                                    ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
                                    HOSTNAME_LABEL, WAIT_FOR_FIRST_CONSUMER, annotations,
                                    claim_class)

PROVISIONER = "rancher.io/local-path"
IDENTITY = "rancher.io/local-path_local-path-provisioner"  # events' source (simulated)
BASE_PATH = "/var/local-path-provisioner"  # kind's nodePathMap default
ANN_LOCAL_SELECTED_NODE = "local.path.provisioner/selected-node"
PROVISION_SECONDS = 2.0  # the helper pod's mkdir / rm -rf, simulated as a fixed delay
SERVICE_ACCOUNT = "system:serviceaccount:local-path-storage:local-path-provisioner-service-account"
SUPPORTED_MODES = ("ReadWriteOnce", "ReadWriteOncePod")

DEFAULT_STORAGE_CLASS = {
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "standard",
                 "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": PROVISIONER, "volumeBindingMode": WAIT_FOR_FIRST_CONSUMER,
    "reclaimPolicy": "Delete"}

_RBAC = [
    ("clusterroles", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                      "metadata": {"name": "local-path-provisioner-role"}, "rules": [
        {"apiGroups": [""], "resources": ["nodes", "persistentvolumeclaims", "configmaps"],
         "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["endpoints", "persistentvolumes", "pods"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"],
         "verbs": ["get", "list", "watch"]}]}),
    ("clusterrolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "local-path-provisioner-bind"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "local-path-provisioner-role"},
        "subjects": [{"kind": "ServiceAccount", "name": "local-path-provisioner-service-account",
                      "namespace": "local-path-storage"}]}),
]


def install_default_storage(api) -> None:
    """What kind applies at cluster creation: the provisioner's RBAC and the default class."""
    for resource, obj in _RBAC + [("storageclasses", DEFAULT_STORAGE_CLASS)]:
        try:
            api.create(resource, obj)
        except ApiError as e:
            if e.code != 409:
                raise


def volume_path(claim: dict) -> str:
    meta = claim["metadata"]
    return f"{BASE_PATH}/pvc-{meta['uid']}_{meta['namespace']}_{meta['name']}"


class LocalPathProvisioner(Controller):
    name = IDENTITY

    def setup(self) -> None:
        self.user = UserInfo(SERVICE_ACCOUNT, ("system:serviceaccounts",
                                               "system:serviceaccounts:local-path-storage",
                                               "system:authenticated"))
        self.claims = self.informers["persistentvolumeclaims"]
        self.volumes = self.informers["persistentvolumes"]
        self.classes = self.informers["storageclasses"]
        self._busy: set = set()
        self.claims.add_handler(self._claim, lambda o, n: self._claim(n), None)
        self.volumes.add_handler(self._volume, lambda o, n: self._volume(n), None)

    def _claim(self, claim: dict) -> None:
        if annotations(claim).get(ANN_STORAGE_PROVISIONER) == PROVISIONER or \
                annotations(claim).get(ANN_BETA_STORAGE_PROVISIONER) == PROVISIONER:
            self.queue.add(("claim", key_of(claim)))

    def _volume(self, pv: dict) -> None:
        if annotations(pv).get(ANN_DYNAMICALLY_PROVISIONED) == PROVISIONER:
            self.queue.add(("volume", pv["metadata"]["name"]))

    def reconcile(self, key) -> None:
        kind, k = key
        if kind == "claim":
            claim = self.claims.get(k)
            if claim is not None:
                self._maybe_provision(claim)
        else:
            pv = self.volumes.get(k)
            if pv is not None:
                self._maybe_delete(pv)

    # -- provisioning ---------------------------------------------------------------------------
    def _should_provision(self, claim: dict):
        """shouldProvision: unbound, ours, not done yet; a WaitForFirstConsumer claim needs its
        node. Returns the StorageClass, or None."""
        if (claim.get("spec") or {}).get("volumeName") or claim["metadata"].get("deletionTimestamp"):
            return None
        if claim["metadata"]["uid"] in self._busy or \
                self.volumes.get(f"pvc-{claim['metadata']['uid']}") is not None:
            return None
        sc = self.classes.get(claim_class(claim))
        if sc is None or sc.get("provisioner") != PROVISIONER:
            return None
        if sc.get("volumeBindingMode") == WAIT_FOR_FIRST_CONSUMER and \
                not annotations(claim).get(ANN_SELECTED_NODE):
            return None
        return sc

    def _maybe_provision(self, claim: dict) -> None:
        sc = self._should_provision(claim)
        if sc is None:
            return
        node = annotations(claim).get(ANN_SELECTED_NODE)
        modes = (claim.get("spec") or {}).get("accessModes") or ()
        problem = None
        if not node:
            problem = "configuration error, no node was specified"
        elif any(m not in SUPPORTED_MODES for m in modes):
            problem = "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        if problem:
            self.event(claim, "Warning", "ProvisioningFailed", "failed to provision volume with "
                       f'StorageClass "{sc["metadata"]["name"]}": {problem}')
            return
        self.event(claim, "Normal", "Provisioning",
                   f'External provisioner is provisioning volume for claim "{ns}/{name}"')
        uid = claim["metadata"]["uid"]
        self._busy.add(uid)
        self.loop.call_later(PROVISION_SECONDS, self._create_volume, key_of(claim), uid, node, sc)

    def _create_volume(self, key: str, uid: str, node: str, sc: dict) -> None:
        self._busy.discard(uid)
        claim = self.claims.get(key)
        if claim is None or claim["metadata"]["uid"] != uid:
            return  # deleted meanwhile
        pv = self.new_volume(claim, node, sc)
        try:
            self.api.create("persistentvolumes", pv, user=self.user)
        except ApiError as e:
            self.event(claim, "Warning", "ProvisioningFailed", "failed to provision volume with "
                       f'StorageClass "{sc["metadata"]["name"]}": {e.status.get("message", e)}')
            return
        self.event(claim, "Normal", "ProvisioningSucceeded",
                   f"Successfully provisioned volume {pv['metadata']['name']}")

    @staticmethod
    def new_volume(claim: dict, node: str, sc: dict) -> dict:
        """The PersistentVolume local-path-provisioner returns for a claim on ``node``."""
        meta, spec = claim["metadata"], claim.get("spec") or {}
        return {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"pvc-{meta['uid']}", "annotations": {
                ANN_DYNAMICALLY_PROVISIONED: PROVISIONER, ANN_LOCAL_SELECTED_NODE: node}},
            "spec": {
                "accessModes": list(spec.get("accessModes") or []),
                "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {})
                             .get("storage", "0")},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                             "name": meta["name"], "namespace": meta["namespace"],
                             "resourceVersion": meta.get("resourceVersion", ""),
                             "uid": meta["uid"]},
                "hostPath": {"path": volume_path(claim), "type": "DirectoryOrCreate"},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": HOSTNAME_LABEL, "operator": "In", "values": [node]}]}]}},
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": "Filesystem"}}

    # -- deleting -------------------------------------------------------------------------------
    def _maybe_delete(self, pv: dict) -> None:
        if (pv.get("status") or {}).get("phase") != "Released" or \
                pv["spec"].get("persistentVolumeReclaimPolicy") != "Delete" or \
                pv["metadata"].get("deletionTimestamp") or pv["metadata"]["uid"] in self._busy:
            return
        self._busy.add(pv["metadata"]["uid"])
        self.loop.call_later(PROVISION_SECONDS, self._delete_volume, pv["metadata"]["name"],
                             pv["metadata"]["uid"])

    def _delete_volume(self, name: str, uid: str) -> None:
        self._busy.discard(uid)
        pv = self.volumes.get(name)
        if pv is None or pv["metadata"]["uid"] != uid:
            return
        node = annotations(pv).get(ANN_LOCAL_SELECTED_NODE)
        kubelet = getattr(self.ctx.cluster, "kubelets", {}).get(node) if self.ctx.cluster else None
        if kubelet is not None:  # rm -rf the directory on the node
            getattr(kubelet, "host_paths", {}).pop((pv["spec"].get("hostPath") or {}).get("path"), None)
        try:
            self.api.delete("persistentvolumes", name, user=self.user)
        except ApiError as e:
            if e.code != 404:
                raise
