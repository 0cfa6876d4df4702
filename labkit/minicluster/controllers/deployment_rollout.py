"""How a Deployment rolls out a new template (upstream rolling.go, recreate.go, progress.go).

**RollingUpdate** - each sync does at most one of these, then waits for the pods to react:

1. *scale up the new ReplicaSet* while the total stays within ``replicas + maxSurge``
   (``reconcileNewReplicaSet``);
2. otherwise *scale down old ReplicaSets*, by at most
   ``maxScaledDown = allPods - (replicas - maxUnavailable) - newRSUnavailable``
   (``reconcileOldReplicaSets``): first their **unhealthy** pods (``cleanupUnhealthyReplicas``,
   deleting them cannot hurt availability), then healthy ones as long as more than
   ``replicas - maxUnavailable`` pods stay available (``scaleDownOldReplicaSetsForRollingUpdate``);
3. when nothing moves and the rollout is complete, delete ReplicaSets beyond the history limit.

Example, 3 replicas, maxSurge 1, maxUnavailable 0: new 0→1 (4 pods), wait until it is
available, old 3→2, new 1→2, wait, old 2→1, new 2→3, wait, old 1→0. Never more than 4 pods,
never fewer than 3 available.

**Recreate** - scale every old ReplicaSet to 0, wait until no old pod is left, then create
the new ReplicaSet at full size.

**Progress** - conditions ``Progressing`` (``NewReplicaSetAvailable`` when done,
``ProgressDeadlineExceeded`` after ``progressDeadlineSeconds`` without progress) and
``Available`` (``MinimumReplicasAvailable``), as ``kubectl rollout status`` reads them.
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from . import deployment_util as du


class RolloutStrategies:
    """Mixin of :class:`~.deployment.DeploymentController`: the two strategies + progress."""

    # -- RollingUpdate ----------------------------------------------------------------------
    def rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, True)
        all_rss = old_rss + [new_rs]
        if self.reconcile_new_rs(all_rss, new_rs, d):
            return self.sync_rollout_status(all_rss, new_rs, d)
        if self.reconcile_old_rss(all_rss, du.active(old_rss), new_rs, d):
            return self.sync_rollout_status(all_rss, new_rs, d)
        if du.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def reconcile_new_rs(self, all_rss, new_rs, d) -> bool:
        want, have = du.replicas(d), du.replicas(new_rs)
        if have == want:
            return False
        if have > want:
            self.explain_step(d, "reconcileNewReplicaSet", new_rs, all_rss[:-1], to=want,
                              reason="new ReplicaSet larger than desired: scale down")
            return self.scale_rs_and_record_event(new_rs, want, d)[0]
        count = du.new_rs_new_replicas(d, all_rss, new_rs)
        total, limit = du.replica_count(all_rss), want + du.max_surge(d)
        self.explain_step(d, "reconcileNewReplicaSet", new_rs, all_rss[:-1], total=total,
                          allowedScaleUp=count - have, to=count,
                          reason=(f"{total} pods >= {want} + maxSurge {du.max_surge(d)}: "
                                  "cannot scale up") if count == have else
                          f"{total} pods, max {limit}: scale new up by {count - have}")
        return self.scale_rs_and_record_event(new_rs, count, d)[0]

    def reconcile_old_rss(self, all_rss, old_rss, new_rs, d) -> bool:
        if du.replica_count(old_rss) == 0:
            return False
        all_pods = du.replica_count(all_rss)
        min_available = du.replicas(d) - du.max_unavailable(d)
        new_unavailable = du.replicas(new_rs) - (new_rs.get("status") or {}).get(
            "availableReplicas", 0)
        max_scaled_down = all_pods - min_available - new_unavailable
        self.explain_step(d, "reconcileOldReplicaSets", new_rs, old_rss, total=all_pods,
                          minAvailable=min_available, newRSUnavailable=new_unavailable,
                          allowedScaleDown=max(max_scaled_down, 0),
                          reason=f"maxScaledDown = {all_pods} - {min_available} - "
                                 f"{new_unavailable} = {max_scaled_down}")
        if max_scaled_down <= 0:
            return False
        old_rss, cleaned = self.cleanup_unhealthy_replicas(old_rss, d, max_scaled_down, new_rs)
        scaled = self.scale_down_old_rss_for_rolling_update(old_rss + [new_rs], old_rss, d)
        return cleaned + scaled > 0

    def cleanup_unhealthy_replicas(self, old_rss, d, max_cleanup: int, new_rs=None):
        """Scale old ReplicaSets down by their *unavailable* pods first (issue #16737)."""
        old_rss, total = du.by_creation(old_rss), 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            available = (rs.get("status") or {}).get("availableReplicas", 0)
            if du.replicas(rs) == 0 or du.replicas(rs) == available:
                continue
            n = min(max_cleanup - total, du.replicas(rs) - available)
            self.explain_step(d, "cleanupUnhealthyReplicas", new_rs, old_rss,
                              replicaSet=rs["metadata"]["name"], allowedScaleDown=n,
                              to=du.replicas(rs) - n,
                              reason=f"{du.replicas(rs) - available} unavailable pod(s)")
            _, old_rss[i] = self.scale_rs_and_record_event(rs, du.replicas(rs) - n, d)
            total += n
        return old_rss, total

    def scale_down_old_rss_for_rolling_update(self, all_rss, old_rss, d) -> int:
        """Scale old ReplicaSets down while more than ``replicas - maxUnavailable`` pods
        remain available (oldest ReplicaSets first)."""
        min_available = du.replicas(d) - du.max_unavailable(d)
        available = du.available_count(all_rss)
        new_rs = all_rss[-1]
        if available <= min_available:
            self.explain_step(d, "scaleDownOldReplicaSets", new_rs, old_rss, allowedScaleDown=0,
                              minAvailable=min_available,
                              reason=f"{available} available <= minAvailable {min_available}")
            return 0
        total, budget = 0, available - min_available
        for rs in du.by_creation(old_rss):
            if total >= budget:
                break
            if du.replicas(rs) == 0:
                continue
            n = min(du.replicas(rs), budget - total)
            self.explain_step(d, "scaleDownOldReplicaSets", new_rs, old_rss,
                              replicaSet=rs["metadata"]["name"], minAvailable=min_available,
                              allowedScaleDown=budget - total, to=du.replicas(rs) - n,
                              reason=f"{available} available - minAvailable {min_available} "
                                     f"= {budget}")
            self.scale_rs_and_record_event(rs, du.replicas(rs) - n, d)
            total += n
        return total

    # -- Recreate ---------------------------------------------------------------------------
    def rollout_recreate(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, False)
        all_rss = old_rss + [new_rs]
        scaled_down = False
        for rs in du.active(old_rss):
            self.explain_step(d, "recreate: scale down old", new_rs, old_rss, to=0,
                              replicaSet=rs["metadata"]["name"], reason="Recreate strategy")
            scaled_down = self.scale_rs_and_record_event(rs, 0, d)[0] or scaled_down
        if scaled_down:
            return self.sync_rollout_status(all_rss, new_rs, d)
        if self.old_pods_running(new_rs, old_rss):
            return self.sync_rollout_status(all_rss, new_rs, d)
        if new_rs is None:
            new_rs, old_rss = self.get_all_rss_and_sync_revision(d, rs_list, True)
            all_rss = old_rss + [new_rs]
        if du.replicas(new_rs) != du.replicas(d):
            self.explain_step(d, "recreate: scale up new", new_rs, old_rss, to=du.replicas(d),
                              reason="no old pod left")
        self.scale_rs_and_record_event(new_rs, du.replicas(d), d)
        if du.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def old_pods_running(self, new_rs, old_rss) -> bool:
        """Any old pod not yet terminal (terminating ones count: they may still be serving)."""
        if du.actual_count(old_rss) > 0:
            return True
        for rs in old_rss:
            for pod in self.pods.owned_by(rs["metadata"]["uid"]):
                if pod.get("status", {}).get("phase") not in ("Succeeded", "Failed"):
                    return True
        return False

    # -- progress ---------------------------------------------------------------------------
    def sync_rollout_status(self, all_rss, new_rs, d) -> None:
        """syncRolloutStatus: status numbers plus the Progressing condition."""
        status = self.calculate_status(all_rss, new_rs, d)
        now = self.now()
        if not du.has_progress_deadline(d):
            du.remove_condition(status, "Progressing")
        current = du.get_condition(d.get("status") or {}, "Progressing")
        complete_before = status.get("replicas", 0) == status.get("updatedReplicas", 0) and \
            current is not None and current.get("reason") == du.REASON_NEW_RS_AVAILABLE
        subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else \
            f'Deployment "{d["metadata"]["name"]}"'
        if du.has_progress_deadline(d) and not complete_before:
            if du.deployment_complete(d, status):
                du.set_condition(status, du.new_condition(
                    "Progressing", "True", du.REASON_NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.", now))
            elif du.deployment_progressing(d, status):
                cond = du.new_condition("Progressing", "True", du.REASON_RS_UPDATED,
                                        f"{subject} is progressing.", now)
                if current is not None:
                    if current["status"] == "True":
                        cond["lastTransitionTime"] = current["lastTransitionTime"]
                    du.remove_condition(status, "Progressing")
                du.set_condition(status, cond)
            elif du.deployment_timed_out(d, status, self.clock.now()):
                du.set_condition(status, du.new_condition(
                    "Progressing", "False", du.REASON_TIMED_OUT,
                    f"{subject} has timed out progressing.", now))
        failure = self._replica_failure(all_rss, new_rs)
        if failure is not None:
            du.set_condition(status, failure)
        else:
            du.remove_condition(status, "ReplicaFailure")
        if status == (d.get("status") or {}):
            self.requeue_stuck_deployment(d, status)
            return
        d["status"] = status
        self._update_status(d)

    def _replica_failure(self, all_rss, new_rs):
        """The new ReplicaSet's ReplicaFailure condition (e.g. quota), lifted to the Deployment."""
        for rs in ([new_rs] if new_rs is not None else []) + [r for r in all_rss if r is not new_rs]:
            if rs is None:
                continue
            for c in (rs.get("status") or {}).get("conditions") or ():
                if c.get("type") == "ReplicaFailure":
                    return {"type": "ReplicaFailure", "status": c["status"],
                            "lastUpdateTime": c.get("lastTransitionTime"),
                            "lastTransitionTime": c.get("lastTransitionTime"),
                            "reason": c.get("reason"), "message": c.get("message")}
        return None

    def requeue_stuck_deployment(self, d: dict, status: dict) -> None:
        """No visible progress: come back when the progress deadline would expire."""
        current = du.get_condition(d.get("status") or {}, "Progressing")
        if not du.has_progress_deadline(d) or current is None:
            return
        if du.deployment_complete(d, status) or current.get("reason") == du.REASON_TIMED_OUT:
            return
        after = parse_rfc3339(current["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] \
            - self.clock.now()
        self.check_deadline_later(f'{d["metadata"]["namespace"]}/{d["metadata"]["name"]}',
                                  after if after >= 1 else 0.005)

    def check_deadline_later(self, key: str, delay: float) -> None:
        """Requeue for the deadline check on a *background* timer: a pending check alone does
        not keep ``settle()`` running (a stuck rollout shows its timeout after ``run(600)``)."""
        timers = self.__dict__.setdefault("_deadline_timers", {})
        when, old = self.clock.now() + delay, timers.get(key)
        if old is not None and not old.cancelled and not old.done:
            if old.when <= when:
                return
            old.cancel()
        timers[key] = self.loop.call_at(when, self.queue.add, key, background=True)
