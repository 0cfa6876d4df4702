"""The Deployment controller (upstream pkg/controller/deployment, v1.33).

A Deployment never touches pods. It owns ReplicaSets, one per pod template it has ever run:

* the **new** ReplicaSet runs the current template; its name is ``<deployment>-<hash>`` where
  the hash is computed from the template (:func:`.history.compute_hash`), and its pods carry
  the label ``pod-template-hash=<hash>``;
* **old** ReplicaSets run earlier templates; a rollout scales them down while the new one
  scales up (:mod:`.deployment_rollout`), and old ReplicaSets scaled to 0 are kept as history
  (``revisionHistoryLimit``, default 10) so ``kubectl rollout undo`` can go back.

Each sync (``syncDeployment``) goes: claim ReplicaSets → pause conditions → paused? only scale
→ scaling event? scale proportionally → otherwise roll out (RollingUpdate or Recreate).
The ReplicaSet controller (:mod:`.replicaset`) then creates/deletes the pods.

Every scaling decision is recorded in the explain log, topic ``rollout``.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, key_of, owner_of, owner_reference
from ..selectors import from_label_selector
from ..upstream import POD_TEMPLATE_HASH_LABEL as HASH_LABEL
from . import deployment_util as du
from .base import Controller
from .deployment_rollout import RolloutStrategies
from .history import compute_hash
from .podcontrol import ClaimManager, OrphanIndex


class DeploymentController(RolloutStrategies, Controller):
    name = "deployment-controller"

    def setup(self) -> None:
        self.deployments = self.informers["deployments"]
        self.replicasets = self.informers["replicasets"]
        self.pods = self.informers["pods"]
        self.rs_orphans = OrphanIndex.of(self.replicasets)
        self.claims = ClaimManager(self, "replicasets")
        self.deployments.add_handler(self._enqueue, lambda old, new: self._enqueue(new),
                                     self._enqueue)
        self.replicasets.add_handler(self._rs_added, self._rs_updated, self._rs_deleted)
        self.pods.add_handler(None, None, self._pod_deleted, replay=False)

    # -- event handlers ---------------------------------------------------------------------
    def _enqueue(self, d: dict) -> None:
        self.queue.add(key_of(d))

    def _owner(self, obj: dict, ref=None) -> dict | None:
        """resolveControllerRef: the Deployment a ReplicaSet's controller ref points to."""
        ref = ref or owner_of(obj, "Deployment")
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.deployments.get(ref["name"], obj["metadata"].get("namespace"))
        return d if d is not None and d["metadata"]["uid"] == ref.get("uid") else None

    def _matching(self, rs: dict) -> list[dict]:
        """getDeploymentsForReplicaSet: Deployments whose selector matches an orphan."""
        labels = rs["metadata"].get("labels")
        return [d for d in self.deployments.list(rs["metadata"].get("namespace"))
                if d["spec"].get("selector") and
                from_label_selector(d["spec"]["selector"]).matches(labels)]

    def _rs_added(self, rs: dict) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            return self._rs_deleted(rs)
        if owner_of(rs) is not None:
            d = self._owner(rs)
            if d is not None:
                self._enqueue(d)
            return
        for d in self._matching(rs):
            self._enqueue(d)

    def _rs_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        old_ref, new_ref = owner_of(old), owner_of(new)
        if old_ref != new_ref and old_ref is not None:
            d = self._owner(old, old_ref)
            if d is not None:
                self._enqueue(d)
        if new_ref is not None:
            d = self._owner(new)
            if d is not None:
                self._enqueue(d)
            return
        if old_ref != new_ref or old["metadata"].get("labels") != new["metadata"].get("labels"):
            for d in self._matching(new):
                self._enqueue(d)

    def _rs_deleted(self, rs: dict) -> None:
        d = self._owner(rs)
        if d is not None:
            self._enqueue(d)

    def _pod_deleted(self, pod: dict) -> None:
        """A Recreate rollout waits for old pods to be gone: wake it when one goes."""
        ref = owner_of(pod, "ReplicaSet")
        if ref is None:
            return
        rs = self.replicasets.get(ref["name"], pod["metadata"].get("namespace"))
        d = self._owner(rs) if rs is not None else None
        if d is not None and not du.is_rolling_update(d):
            self._enqueue(d)

    # -- the sync loop ----------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.deployments.get(key)
        if cached is None:
            return
        d = clone(cached)
        sel = d["spec"].get("selector")
        if sel is not None and not sel.get("matchLabels") and not sel.get("matchExpressions"):
            self.event(d, "Warning", "SelectingAll",
                       "This deployment is selecting all pods. A non-empty selector is required.")
            if d.get("status", {}).get("observedGeneration", 0) < d["metadata"].get("generation", 0):
                d.setdefault("status", {})["observedGeneration"] = d["metadata"]["generation"]
                self._update_status(d)
            return
        rs_list = self._replicasets_for(d)
        if d["metadata"].get("deletionTimestamp"):
            return self.sync_status_only(d, rs_list)
        self.check_paused_conditions(d)
        if d["spec"].get("paused"):
            return self.sync(d, rs_list)
        if self.is_scaling_event(d, rs_list):
            return self.sync(d, rs_list)
        if du.is_rolling_update(d):
            return self.rollout_rolling(d, rs_list)
        return self.rollout_recreate(d, rs_list)

    def _replicasets_for(self, d: dict) -> list[dict]:
        """getReplicaSetsForDeployment: owned ReplicaSets still matching, plus adopted orphans."""
        ns = d["metadata"]["namespace"]
        owned = [rs for rs in self.replicasets.owned_by(d["metadata"]["uid"])]
        sel = from_label_selector(d["spec"].get("selector"))
        return self.claims.claim(d, sel, owned, self.rs_orphans.list(ns))

    def _update_status(self, d: dict) -> None:
        """UpdateStatus, then keep working with the server's answer (fresh resourceVersion)."""
        res = self.api.update("deployments", d, d["metadata"]["namespace"], subresource="status",
                              user=self.user)
        d["metadata"], d["status"] = res["metadata"], res.get("status", {})

    def sync_status_only(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, False)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def sync(self, d: dict, rs_list: list[dict]) -> None:
        """Scaling events and paused Deployments: resize, never roll."""
        new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, False)
        self.scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            self.cleanup_deployment(old_rss, d)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def check_paused_conditions(self, d: dict) -> None:
        """Progressing=Unknown with DeploymentPaused / DeploymentResumed, so time spent paused
        never counts against ``progressDeadlineSeconds``."""
        if not du.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == du.REASON_TIMED_OUT:
            return
        paused_cond = cond is not None and cond.get("reason") == du.REASON_PAUSED
        if d["spec"].get("paused") and not paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.REASON_PAUSED,
                                                      "Deployment is paused", self.now()))
        elif not d["spec"].get("paused") and paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.REASON_RESUMED,
                                                      "Deployment is resumed", self.now()))
        else:
            return
        self._update_status(d)

    def is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """``spec.replicas`` differs from the ``desired-replicas`` annotation of an active RS."""
        new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, False)
        for rs in du.active(old_rss + [new_rs]):
            desired = (rs["metadata"].get("annotations") or {}).get(du.DESIRED)
            if desired is not None and desired != str(du.replicas(d)):
                return True
        return False

    # -- new and old ReplicaSets --------------------------------------------------------------
    def get_all_rss_and_sync_revision(self, d, rs_list, create: bool):
        rs_list = [self.replicasets.get(key_of(rs)) or rs for rs in rs_list]  # freshest copies
        _, old_rss = du.find_old_rss(d, rs_list)
        new_rs = self.get_new_rs(d, rs_list, old_rss, create)
        return new_rs, old_rss

    def get_new_rs(self, d: dict, rs_list, old_rss, create: bool) -> dict | None:
        """The ReplicaSet running the current template: found (revision bumped if it was an
        old one - a rollback) or, when ``create``, created with revision max(old)+1."""
        existing = du.find_new_rs(d, rs_list)
        new_revision = str(du.max_revision(old_rss) + 1)
        status = d.setdefault("status", {})
        if existing is not None:
            rs = clone(existing)
            changed = du.set_new_rs_annotations(d, rs, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds", 0)
            if changed or rs["spec"].get("minReadySeconds", 0) != min_ready:
                _set_min_ready(rs, min_ready)
                return self.api.update("replicasets", rs, rs["metadata"]["namespace"],
                                       user=self.user)
            needs = du.set_deployment_revision(d, (rs["metadata"].get("annotations") or {})
                                               .get(du.REVISION, ""))
            if du.has_progress_deadline(d) and du.get_condition(status, "Progressing") is None:
                du.set_condition(status, du.new_condition(
                    "Progressing", "True", du.REASON_FOUND_NEW_RS,
                    f'Found new replica set "{rs["metadata"]["name"]}"', self.now()))
                needs = True
            if needs:
                self._update_status(d)
            return rs
        if not create:
            return None
        return self._create_new_rs(d, old_rss, new_revision)

    def _create_new_rs(self, d: dict, old_rss, new_revision: str) -> dict:
        ns, status = d["metadata"]["namespace"], d["status"]
        template = clone(d["spec"]["template"])
        h = compute_hash(template, status.get("collisionCount"))
        labels = dict((template.get("metadata") or {}).get("labels") or {}, **{HASH_LABEL: h})
        template.setdefault("metadata", {})["labels"] = labels
        selector = clone(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        name = f"{d['metadata']['name']}-{h}"
        new_rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": name, "namespace": ns, "labels": dict(labels),
                               "ownerReferences": [owner_reference(d)]},
                  "spec": {"replicas": 0, "selector": selector, "template": template}}
        _set_min_ready(new_rs, d["spec"].get("minReadySeconds", 0))
        count = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        self.explain_step(d, "createNewReplicaSet", new_rs, old_rss, allowed=count,
                          to=count, reason=f"new template hash {h}")
        new_rs["spec"]["replicas"] = count
        du.set_new_rs_annotations(d, new_rs, new_revision, False)
        already = False
        try:
            created = self.api.create("replicasets", new_rs, ns, user=self.user)
        except ApiError as e:
            if e.code == 409 and e.reason == "AlreadyExists":
                created = self._adopt_existing_or_collide(d, new_rs, e)
                already = True
            else:
                msg = f'Failed to create new replica set "{name}": {e.message}'
                if du.has_progress_deadline(d):
                    du.set_condition(status, du.new_condition(
                        "Progressing", "False", du.REASON_RS_CREATE_ERROR, msg, self.now()))
                    try:
                        self._update_status(d)
                    except ApiError:
                        pass
                self.event(d, "Warning", du.REASON_RS_CREATE_ERROR, msg)
                raise
        if not already and count > 0:
            self.event(d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} to {count}")
        needs = du.set_deployment_revision(d, new_revision)
        if not already and du.has_progress_deadline(d):
            du.set_condition(status, du.new_condition(
                "Progressing", "True", du.REASON_NEW_RS, f'Created new replica set "{name}"',
                self.now()))
            needs = True
        if needs:
            self._update_status(d)
        return created

    def _adopt_existing_or_collide(self, d, new_rs, err) -> dict:
        """A ReplicaSet with our name exists: ours with the same template → use it; otherwise a
        hash collision → bump ``status.collisionCount`` and retry (next hash, next name)."""
        m = new_rs["metadata"]
        rs = self.api.get("replicasets", m["name"], m["namespace"], user=self.user)
        ref = owner_of(rs)
        if ref is not None and ref.get("uid") == d["metadata"]["uid"] and \
                du.equal_ignore_hash(d["spec"]["template"], rs["spec"]["template"]):
            return rs
        d["status"]["collisionCount"] = d["status"].get("collisionCount", 0) + 1
        self._update_status(d)
        raise err

    # -- scaling ----------------------------------------------------------------------------
    def scale(self, d: dict, new_rs: dict | None, old_rss: list[dict]) -> None:
        """Scale proportionally: ``kubectl scale`` in the middle of a rollout spreads the
        change over all active ReplicaSets by size, so the rollout's ratio is preserved."""
        one = du.find_active_or_latest(new_rs, old_rss)
        if one is not None:
            if du.replicas(one) != du.replicas(d):
                self.explain_step(d, "scale (single active RS)", new_rs, old_rss,
                                  allowed=du.replicas(d), to=du.replicas(d),
                                  reason=f"only {one['metadata']['name']} is active")
                self.scale_rs_and_record_event(one, du.replicas(d), d)
            return
        if du.is_saturated(d, new_rs):
            for old in du.active(old_rss):
                self.scale_rs_and_record_event(old, 0, d)
            return
        if not du.is_rolling_update(d):
            return
        all_rss = du.active(old_rss + [new_rs])
        allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
        to_add = allowed - du.replica_count(all_rss)
        op = "up" if to_add > 0 else "down"
        if to_add != 0:
            all_rss = du.by_size(all_rss, newer_first=to_add > 0)
        sizes, added = {}, 0
        for rs in all_rss:
            if to_add != 0:
                p = du.get_proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = du.replicas(rs) + p
                added += p
            else:
                sizes[rs["metadata"]["name"]] = du.replicas(rs)
        if all_rss and to_add != 0:
            first = all_rss[0]["metadata"]["name"]
            sizes[first] = max(sizes[first] + to_add - added, 0)  # leftovers to the largest
        self.explain_step(d, "scale (proportional)", new_rs, old_rss, allowed=allowed,
                          to=sizes, reason=f"{to_add:+d} replicas spread by size")
        for rs in all_rss:
            self.scale_rs(rs, sizes[rs["metadata"]["name"]], d, op)

    def scale_rs_and_record_event(self, rs: dict, new_scale: int, d: dict):
        if du.replicas(rs) == new_scale:
            return False, rs
        op = "up" if du.replicas(rs) < new_scale else "down"
        return self.scale_rs(rs, new_scale, d, op)

    def scale_rs(self, rs: dict, new_scale: int, d: dict, op: str):
        """Write the new size (and desired/max-replicas annotations); event ScalingReplicaSet."""
        desired, max_r = du.replicas(d), du.replicas(d) + du.max_surge(d)
        size_changes = du.replicas(rs) != new_scale
        if not size_changes and not du.replicas_annotations_need_update(rs, desired, max_r):
            return False, rs
        old_scale, copy = du.replicas(rs), clone(rs)
        copy["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(copy, desired, max_r)
        rs = self.api.update("replicasets", copy, copy["metadata"]["namespace"], user=self.user)
        if size_changes:
            self.event(d, "Normal", "ScalingReplicaSet",
                       f"Scaled {op} replica set {rs['metadata']['name']} to {new_scale} "
                       f"from {old_scale}")
        return size_changes, rs

    def cleanup_deployment(self, old_rss: list[dict], d: dict) -> None:
        """Delete the oldest empty ReplicaSets beyond ``revisionHistoryLimit``."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(limit)
        if diff <= 0:
            return
        for rs in du.by_revision(alive)[:diff]:
            st = rs.get("status") or {}
            if st.get("replicas", 0) != 0 or du.replicas(rs) != 0 or \
                    rs["metadata"].get("generation", 0) > st.get("observedGeneration", 0):
                continue
            try:
                self.api.delete("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"],
                                user=self.user)
            except ApiError as e:
                if e.code != 404:
                    raise

    # -- status -----------------------------------------------------------------------------
    def calculate_status(self, all_rss: list, new_rs: dict | None, d: dict) -> dict:
        available = du.available_count(all_rss)
        unavailable = max(du.replica_count(all_rss) - available, 0)
        old = d.get("status") or {}
        status = {"observedGeneration": d["metadata"].get("generation", 0),
                  "replicas": du.actual_count(all_rss),
                  "updatedReplicas": du.actual_count([new_rs]),
                  "readyReplicas": du.ready_count(all_rss), "availableReplicas": available,
                  "unavailableReplicas": unavailable}
        status = {k: v for k, v in status.items() if v}  # omitempty
        if old.get("conditions"):
            status["conditions"] = clone(old["conditions"])
        if old.get("collisionCount") is not None:
            status["collisionCount"] = old["collisionCount"]
        if available >= du.replicas(d) - du.max_unavailable(d):
            cond = du.new_condition("Available", "True", du.REASON_MIN_AVAILABLE,
                                    "Deployment has minimum availability.", self.now())
        else:
            cond = du.new_condition("Available", "False", du.REASON_MIN_UNAVAILABLE,
                                    "Deployment does not have minimum availability.", self.now())
        du.set_condition(status, cond)
        return status

    def sync_deployment_status(self, all_rss, new_rs, d) -> None:
        status = self.calculate_status(all_rss, new_rs, d)
        if status != (d.get("status") or {}):
            d["status"] = status
            self._update_status(d)

    def explain_step(self, d: dict, step: str, new_rs, old_rss, **fields) -> None:
        """A ``rollout`` explain record: the numbers behind one scaling decision."""
        rec = {"time": self.now(), "deployment": key_of(d), "step": step,
               "desired": du.replicas(d), "maxSurge": du.max_surge(d),
               "maxUnavailable": du.max_unavailable(d),
               "newRS": new_rs["metadata"]["name"] if new_rs else None,
               "newReplicas": du.replicas(new_rs) if new_rs else 0,
               "oldRSs": {rs["metadata"]["name"]: du.replicas(rs) for rs in old_rss},
               "available": du.available_count(old_rss + [new_rs])}
        rec.update(fields)
        last = self.__dict__.setdefault("_last_explained", {})
        same = {k: v for k, v in rec.items() if k != "time"}
        if last.get((rec["deployment"], step)) == same:
            return  # the same decision again (a pod event re-synced): not news
        last[(rec["deployment"], step)] = same
        self.explain("rollout", rec)


def _set_min_ready(rs: dict, seconds: int) -> None:
    if seconds:
        rs["spec"]["minReadySeconds"] = seconds
    else:
        rs["spec"].pop("minReadySeconds", None)
