"""The PersistentVolume controller ("persistentvolume-binder", upstream
pkg/controller/volume/persistentvolume/pv_controller.go, v1.37).

A **PersistentVolumeClaim** asks for storage ("1Gi, ReadWriteOnce, class standard"); a
**PersistentVolume** is a piece of storage. This controller marries them, one to one:

* **Binding** (``syncUnboundClaim``): for a new claim it looks for the best matching volume
  (:mod:`.persistentvolume_util`: smallest that fits). It then writes both sides - the volume
  gets ``spec.claimRef`` (and ``pv.kubernetes.io/bound-by-controller: "yes"``), the claim gets
  ``spec.volumeName`` and ``pv.kubernetes.io/bind-completed: "yes"`` - and both become
  ``Bound``; the claim's status copies the volume's capacity and access modes.
* **Dynamic provisioning**: no volume fits but the claim has a StorageClass → the class's
  provisioner must create one. Every provisioner here is *external* (a separate program, like
  kind's ``rancher.io/local-path``): the controller marks the claim with
  ``volume.kubernetes.io/storage-provisioner`` and records ``ExternalProvisioning``; the
  provisioner creates a volume whose ``claimRef`` already names the claim, and the next sync
  binds them. A missing class gives ``ProvisioningFailed``.
* **WaitForFirstConsumer** classes: the controller does *not* choose. It records
  ``WaitForFirstConsumer`` ("waiting for first consumer to be created before binding") until
  the scheduler places a pod using the claim and writes ``volume.kubernetes.io/selected-node``;
  then provisioning starts, on that node.
* **Reclaiming** (``syncVolume``): when a bound claim is deleted, its volume becomes
  ``Released`` and its ``persistentVolumeReclaimPolicy`` runs: ``Retain`` keeps it (and its
  data) with the old ``claimRef``: no new claim can take it until an administrator removes
  the claimRef; ``Delete`` deletes it (for provisioned volumes, their provisioner does).

Claims and volumes are also re-synced every 15 s (``--pvclaimbinder-sync-period``): a claim
created *before* its volume is bound at the next resync, as on a real cluster.

Simplifications: no in-tree volume plugins (``kubernetes.io/...`` provisioners fail with "no
volume plugin matched name"; a static volume with ``Delete`` is only deleted for a hostPath under
``/tmp``, the in-tree hostPath deleter's rule), no Recycle policy, no CSI migration, no
volume attributes classes.
"""
from __future__ import annotations

from ..apiserver import UserInfo
from ..errors import ApiError
from ..objects import clone, key_of
from .base import Controller
from .persistentvolume_util import (ANN_BETA_DEFAULT_CLASS, ANN_BETA_STORAGE_CLASS,
                                    ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED,
                                    ANN_BOUND_BY_CONTROLLER, ANN_DEFAULT_CLASS,
                                    ANN_DYNAMICALLY_PROVISIONED, ANN_STORAGE_PROVISIONER,
                                    annotations, capacity_bytes, claim_class, claims_of,
                                    find_best_match, requested_bytes,
                                    is_delay_binding_mode, is_delay_binding_provisioning,
                                    is_volume_bound_to_claim, volume_class)

RESYNC_SECONDS = 15  # --pvclaimbinder-sync-period default
USER = "system:serviceaccount:kube-system:persistent-volume-binder"
EXTERNAL_MSG = ("Waiting for a volume to be created either by the external provisioner '{}' or "
                "manually by the system administrator. If volume creation is delayed, please "
                "verify that the provisioner is running and correctly registered.")


def check_volume_satisfies_claim(pv: dict, claim: dict) -> str | None:
    """checkVolumeSatisfyClaim: why a volume the claim asked for by name does not fit."""
    spec, cspec = pv.get("spec") or {}, claim.get("spec") or {}
    if pv["metadata"].get("deletionTimestamp"):
        return f'the volume is marked for deletion "{pv["metadata"]["name"]}"'
    if capacity_bytes(pv) < requested_bytes(claim):
        return "requested PV is too small"
    if volume_class(pv) != claim_class(claim):
        return "storageClassName does not match"
    if (spec.get("volumeMode") or "Filesystem") != (cspec.get("volumeMode") or "Filesystem"):
        return "incompatible volumeMode"
    if not set(cspec.get("accessModes") or ()) <= set(spec.get("accessModes") or ()):
        return "incompatible accessMode"
    return None


def default_class(classes) -> dict | None:
    """GetDefaultClass: the newest class annotated as default (either annotation)."""
    marked = [c for c in classes if "true" in (annotations(c).get(ANN_DEFAULT_CLASS),
                                               annotations(c).get(ANN_BETA_DEFAULT_CLASS))]
    marked.sort(key=lambda c: (c["metadata"].get("creationTimestamp", ""), c["metadata"]["name"]))
    return marked[-1] if marked else None


class PersistentVolumeController(Controller):
    name = "persistentvolume-controller"  # the events' source component

    def setup(self) -> None:
        self.user = UserInfo(USER, ("system:serviceaccounts", "system:serviceaccounts:kube-system",
                                    "system:authenticated"))
        self.claims = self.informers["persistentvolumeclaims"]
        self.volumes = self.informers["persistentvolumes"]
        self.classes = self.informers["storageclasses"]
        self.pods = self.informers["pods"]
        self.claims.add_handler(self._claim_changed, lambda o, n: self._claim_changed(n),
                                self._claim_deleted)
        self.volumes.add_handler(self._volume_changed, lambda o, n: self._volume_changed(n),
                                 self._volume_deleted)
        self.loop.call_later(RESYNC_SECONDS, self._resync, background=True)

    # -- events -> queue ----------------------------------------------------------------------
    def _claim_changed(self, claim: dict) -> None:
        self.queue.add(("claim", key_of(claim)))

    def _claim_deleted(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if name:
            self.queue.add(("volume", name))

    def _volume_changed(self, pv: dict) -> None:
        self.queue.add(("volume", pv["metadata"]["name"]))

    def _volume_deleted(self, pv: dict) -> None:
        ref = (pv.get("spec") or {}).get("claimRef")
        if ref:
            self.queue.add(("claim", f"{ref.get('namespace')}/{ref.get('name')}"))

    def _resync(self) -> None:
        for c in self.claims.list():
            self._claim_changed(c)
        for v in self.volumes.list():
            self._volume_changed(v)
        self.loop.call_later(RESYNC_SECONDS, self._resync, background=True)

    def reconcile(self, key) -> None:
        kind, k = key
        if kind == "claim":
            claim = self.claims.get(k)
            if claim is not None:
                self.sync_claim(claim)
        else:
            pv = self.volumes.get(k)
            if pv is not None:
                self.sync_volume(pv)

    def _class(self, name: str) -> dict | None:
        return self.classes.get(name)

    # -- claims ---------------------------------------------------------------------------------
    def sync_claim(self, claim: dict) -> None:
        if ANN_BIND_COMPLETED in annotations(claim):
            self._sync_bound_claim(claim)
        else:
            self._sync_unbound_claim(claim)

    def _sync_unbound_claim(self, claim: dict) -> None:
        wanted = (claim.get("spec") or {}).get("volumeName")
        if wanted:
            return self._sync_claim_asking_for(claim, wanted)
        delay = is_delay_binding_mode(claim, self._class)
        pv = find_best_match(claim, self.volumes.list(), delay)
        if pv is not None:
            return self.bind(pv, claim)
        if self._assign_default_class(claim):
            return None  # the update brings the claim back with its class
        if delay and not is_delay_binding_provisioning(claim):
            self._wait_for_consumer_event(claim)
        elif claim_class(claim):
            return self.provision(claim)
        else:
            self.event(claim, "Normal", "FailedBinding",
                       "no persistent volumes available for this claim and no storage class is set")
        self._claim_status(claim, "Pending")
        return None

    def _sync_claim_asking_for(self, claim: dict, name: str) -> None:
        """The claim names its volume (``spec.volumeName``): bind to that one or wait."""
        pv = self.volumes.get(name)
        if pv is None:
            return self._claim_status(claim, "Pending")
        if not (pv.get("spec") or {}).get("claimRef"):
            problem = check_volume_satisfies_claim(pv, claim)
            if problem:
                self.event(claim, "Warning", "VolumeMismatch",
                           f'Cannot bind to requested volume "{name}": {problem}')
                return self._claim_status(claim, "Pending")
            return self.bind(pv, claim)
        if is_volume_bound_to_claim(pv, claim):
            return self.bind(pv, claim)
        return self._claim_status(claim, "Pending")  # taken by another claim: retry later

    def _sync_bound_claim(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        pv = self.volumes.get(name) if name else None
        if not name:
            self._lost(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. "
                       "Data on the volume is lost!")
        elif pv is None:
            self._lost(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the "
                       "volume is lost!")
        elif not pv["spec"].get("claimRef") or \
                pv["spec"]["claimRef"].get("uid") == claim["metadata"].get("uid"):
            self.bind(pv, claim)
        else:
            self._lost(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one "
                       "is bound incorrectly")

    def _lost(self, claim: dict, reason: str, message: str) -> None:
        if (claim.get("status") or {}).get("phase") != "Lost":
            self.event(claim, "Warning", reason, message)
            self._claim_status(claim, "Lost")

    def _wait_for_consumer_event(self, claim: dict) -> None:
        """emitEventForUnboundDelayBindingClaim: name the pods waiting to be scheduled, if any."""
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        waiting = [p["metadata"]["name"] for p in self.pods.list(ns)
                   if not (p.get("spec") or {}).get("nodeName") and name in claims_of(p)
                   and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        if not waiting:
            self.event(claim, "Normal", "WaitForFirstConsumer",
                       "waiting for first consumer to be created before binding")
        elif len(waiting) == 1:
            self.event(claim, "Normal", "WaitForPodScheduled",
                       f"waiting for pod {waiting[0]} to be scheduled")
        else:
            self.event(claim, "Normal", "WaitForPodScheduled",
                       f"waiting for pods {','.join(waiting)} to be scheduled")

    def _assign_default_class(self, claim: dict) -> bool:
        """Retroactive default StorageClass (GA v1.28): a claim created while no default class
        existed (``storageClassName`` unset, not ``""``) gets today's default."""
        if "storageClassName" in (claim.get("spec") or {}) or \
                ANN_BETA_STORAGE_CLASS in annotations(claim):
            return False
        sc = default_class(self.classes.list())
        if sc is None:
            return False
        new = clone(claim)
        new["spec"]["storageClassName"] = sc["metadata"]["name"]
        self._update("persistentvolumeclaims", new)
        return True

    # -- provisioning ---------------------------------------------------------------------------
    def provision(self, claim: dict) -> None:
        """provisionClaim: hand the claim to its class's (external) provisioner."""
        name = claim_class(claim)
        sc = self._class(name)
        if sc is None:
            self.event(claim, "Warning", "ProvisioningFailed",
                       f'storageclass.storage.k8s.io "{name}" not found')
            return
        provisioner = sc.get("provisioner", "")
        if provisioner.startswith("kubernetes.io/"):  # an in-tree name, and no in-tree plugins
            self.event(claim, "Warning", "ProvisioningFailed",
                       f"no volume plugin matched name: {provisioner}")
            return
        ann = annotations(claim)
        if ann.get(ANN_STORAGE_PROVISIONER) != provisioner or \
                ann.get(ANN_BETA_STORAGE_PROVISIONER) != provisioner:
            new = clone(claim)
            new["metadata"].setdefault("annotations", {}).update(
                {ANN_STORAGE_PROVISIONER: provisioner, ANN_BETA_STORAGE_PROVISIONER: provisioner})
            claim = self._update("persistentvolumeclaims", new)
        self.event(claim, "Normal", "ExternalProvisioning", EXTERNAL_MSG.format(provisioner))

    # -- binding ----------------------------------------------------------------------------------
    def bind(self, pv: dict, claim: dict) -> None:
        """bind(): volume → claim (claimRef), volume Bound, claim → volume, claim Bound. Each
        step writes only if something changes; a conflict retries the whole sync."""
        pv = self._bind_volume_to_claim(pv, claim)
        pv = self._volume_phase(pv, "Bound")
        claim = self._bind_claim_to_volume(claim, pv)
        self._claim_status(claim, "Bound", pv)

    def _bind_volume_to_claim(self, pv: dict, claim: dict) -> dict:
        meta = claim["metadata"]
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("name") == meta["name"] and ref.get("namespace") == meta["namespace"] and \
                ref.get("uid") == meta["uid"]:
            return pv
        new = clone(pv)
        new["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                                   "name": meta["name"], "uid": meta["uid"], "apiVersion": "v1",
                                   "resourceVersion": meta.get("resourceVersion", "")}
        if not is_volume_bound_to_claim(pv, claim):  # shouldSetBoundByController
            new["metadata"].setdefault("annotations", {})[ANN_BOUND_BY_CONTROLLER] = "yes"
        return self._update("persistentvolumes", new)

    def _bind_claim_to_volume(self, claim: dict, pv: dict) -> dict:
        name = pv["metadata"]["name"]
        ann = annotations(claim)
        if (claim.get("spec") or {}).get("volumeName") == name and ANN_BIND_COMPLETED in ann:
            return claim
        new = clone(claim)
        new_ann = new["metadata"].setdefault("annotations", {})
        if new["spec"].get("volumeName") != name:
            new["spec"]["volumeName"] = name
            new_ann[ANN_BOUND_BY_CONTROLLER] = "yes"
        new_ann[ANN_BIND_COMPLETED] = "yes"
        return self._update("persistentvolumeclaims", new)

    # -- volumes ----------------------------------------------------------------------------------
    def sync_volume(self, pv: dict) -> None:
        ref = (pv.get("spec") or {}).get("claimRef")
        if not ref or not ref.get("uid"):
            self._volume_phase(pv, "Available")  # unused, or pre-bound and waiting for its claim
            return
        claim = self.claims.get(f"{ref.get('namespace')}/{ref.get('name')}")
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            claim = None  # deleted and re-created under the same name: not ours
        if claim is None:
            if (pv.get("status") or {}).get("phase") not in ("Released", "Failed"):
                pv = self._volume_phase(pv, "Released")
            self.reclaim(pv)
        elif not (claim.get("spec") or {}).get("volumeName"):
            self.queue.add(("claim", key_of(claim)))  # binding in progress: the claim sync ends it
        elif claim["spec"]["volumeName"] == pv["metadata"]["name"]:
            self._volume_phase(pv, "Bound")
        elif ANN_DYNAMICALLY_PROVISIONED in annotations(pv) and \
                pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
            if (pv.get("status") or {}).get("phase") not in ("Released", "Failed"):
                pv = self._volume_phase(pv, "Released")
            self.reclaim(pv)
        else:
            self._unbind(pv)

    def _unbind(self, pv: dict) -> None:
        """unbindVolume: our own binding is undone; a user's pre-binding keeps the claim name."""
        new = clone(pv)
        if ANN_BOUND_BY_CONTROLLER in annotations(pv):
            new["spec"].pop("claimRef", None)
            new["metadata"]["annotations"].pop(ANN_BOUND_BY_CONTROLLER, None)
        else:
            new["spec"]["claimRef"].pop("uid", None)
        self._volume_phase(self._update("persistentvolumes", new), "Available")

    def reclaim(self, pv: dict) -> None:
        """reclaimVolume: Retain keeps the Released volume; Delete removes it (provisioned
        volumes are deleted by their provisioner, which watches for Released ones)."""
        policy = pv["spec"].get("persistentVolumeReclaimPolicy", "Retain")
        if policy != "Delete" or ANN_DYNAMICALLY_PROVISIONED in annotations(pv):
            return
        path = (pv["spec"].get("hostPath") or {}).get("path")
        name = pv["metadata"]["name"]
        if path is None:
            problem = (f'error getting deleter volume plugin for volume "{name}": '
                       "no deletable volume plugin matched")
        elif not (path.startswith("/tmp/") and len(path) > 5):
            problem = f"host_path deleter only supports /tmp/.+ but received provided {path}"
        else:
            self.api.delete("persistentvolumes", name, user=self.user)
            return
        if (pv.get("status") or {}).get("phase") != "Failed":
            self.event(pv, "Warning", "VolumeFailedDelete", problem)
            self._volume_phase(pv, "Failed", problem)

    # -- writes ---------------------------------------------------------------------------------
    def _update(self, resource: str, obj: dict, subresource=None) -> dict:
        meta = obj["metadata"]
        return self.api.update(resource, obj, meta.get("namespace"), subresource=subresource,
                               user=self.user)

    def _volume_phase(self, pv: dict, phase: str, message: str = "") -> dict:
        """updateVolumePhase (the transition time is stamped when the phase changes)."""
        st = pv.get("status") or {}
        if st.get("phase") == phase and (st.get("message") or "") == message:
            return pv
        new = clone(pv)
        status = new.setdefault("status", {})
        if status.get("phase") != phase or not status.get("lastPhaseTransitionTime"):
            status["lastPhaseTransitionTime"] = self.now()
        status["phase"] = phase
        if message:
            status["message"] = message
        else:
            status.pop("message", None)
        return self._update("persistentvolumes", new, "status")

    def _claim_status(self, claim: dict, phase: str, pv: dict | None = None) -> dict:
        """updateClaimStatus: the phase, and for a bound claim the volume's modes and size."""
        st = claim.get("status") or {}
        want = {"phase": phase}
        if pv is not None:
            want["accessModes"] = list(pv["spec"].get("accessModes") or [])
            want["capacity"] = dict(pv["spec"].get("capacity") or {})
        if all(st.get(k) == v for k, v in want.items()):
            return claim
        new = clone(claim)
        new.setdefault("status", {}).update(want)
        try:
            return self._update("persistentvolumeclaims", new, "status")
        except ApiError as e:
            if e.code == 404:
                return claim
            raise
