"""The HorizontalPodAutoscaler controller (upstream pkg/controller/podautoscaler/horizontal.go,
v1.33), running on the virtual clock.

Every 15 seconds (``--horizontal-pod-autoscaler-sync-period``) the controller looks at each HPA:

1. it reads the target's **scale** (``GET deployments/NAME/scale``): current replicas and the
   pod selector. A target at 0 replicas is left alone (``ScalingDisabled``); one outside
   ``minReplicas..maxReplicas`` is brought inside at once;
2. for each entry of ``spec.metrics`` it lists the pods' **metrics** from the metrics API
   (``metrics.k8s.io``, served by metrics-server) and computes a replica count
   (:mod:`.replica_calculator`); the largest proposal wins;
3. it **stabilizes** and **rate-limits** that proposal (:mod:`.podautoscaler_limits`);
4. if the result differs from the current count it **updates the scale** (``PUT .../scale``),
   records the event ``SuccessfulRescale`` ("New size: 4; reason: cpu resource utilization
   (percentage of request) above target") and sets ``status.lastScaleTime``;
5. it writes ``status``: ``currentReplicas``, ``desiredReplicas``, ``currentMetrics`` (what
   ``kubectl get hpa`` shows as TARGETS, e.g. ``cpu: 250%/50%``) and the conditions
   ``AbleToScale``, ``ScalingActive``, ``ScalingLimited`` that ``kubectl describe hpa`` prints.

A new HPA is first synced one period after it is created (upstream queues every HPA with the
sync period as its delay), which is why ``kubectl get hpa`` shows ``<unknown>`` at first.

Supported metric types: ``Resource`` and ``ContainerResource`` (cpu, memory: utilization or
average value). ``Pods``, ``Object`` and ``External`` metrics need a custom or external metrics
API (an adapter such as prometheus-adapter), which the mini cluster does not serve: they fail
as they do on a cluster without one. The controller works on ``autoscaling/v2`` objects
only: an HPA written as ``autoscaling/v1`` is stored as v2 and converted back for v1 clients
(:mod:`labkit.minicluster.conversion_autoscaling`), as in kube-controller-manager.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, key_of, set_condition
from ..scale import get_scale, update_scale
from ..selectors import parse_label_selector
from ..upstream import HPA_SYNC_PERIOD_SECONDS
from . import podautoscaler_limits as limits
from .base import Controller
from .replica_calculator import (MetricsError, format_milli, milli_value, pod_metrics,
                                 resource_replicas)

NO_METRICS_API = "the server could not find the requested resource (get pods.metrics.k8s.io)"


class HorizontalController(Controller):
    name = "horizontal-pod-autoscaler"

    def setup(self) -> None:
        self.hpas = self.informers["horizontalpodautoscalers"]
        self.hpa_type = self.api.registry.for_kind("autoscaling/v2", "HorizontalPodAutoscaler")
        self.pods = self.informers["pods"]
        self.history: dict[str, limits.ScalingHistory] = {}
        self.hpas.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._forget)

    def _enqueue(self, hpa: dict) -> None:
        """Requests always wait one sync period (a queued HPA is not queued twice)."""
        self.queue.add_after(key_of(hpa), HPA_SYNC_PERIOD_SECONDS)

    def _forget(self, hpa: dict) -> None:
        self.history.pop(key_of(hpa), None)

    def reconcile(self, key: str) -> None:
        cached = self.hpas.get(key)
        if cached is None:
            self.history.pop(key, None)
            return
        try:
            self.sync(clone(cached))
        finally:
            self.queue.add_after(key, HPA_SYNC_PERIOD_SECONDS)

    # -- one sync ---------------------------------------------------------------------------
    def sync(self, hpa: dict) -> None:
        spec, before = hpa["spec"], clone(hpa.get("status") or {})
        status = hpa.setdefault("status", {})
        ref, ns = spec.get("scaleTargetRef") or {}, hpa["metadata"]["namespace"]
        try:
            rt = self.api.registry.for_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
            scale = get_scale(self.api, rt, ref.get("name", ""), ns, self.user)
        except ApiError as e:
            msg = e.status.get("message", "")
            self.event(hpa, "Warning", "FailedGetScale", msg)
            self._condition(status, "AbleToScale", "False", "FailedGetScale",
                            f"the HPA controller was unable to get the target's current scale: {msg}")
            return self._write(hpa, before)
        self._condition(status, "AbleToScale", "True", "SucceededGetScale",
                        "the HPA controller was able to get the target's current scale")
        key, now = key_of(hpa), self.clock.now()
        current = scale["spec"]["replicas"]
        history = self.history.setdefault(key, limits.ScalingHistory(now, current))
        lo, hi = spec.get("minReplicas") or 1, spec.get("maxReplicas", 0)
        metrics = spec.get("metrics") or []
        statuses, rescale, desired, reason = [], True, 0, ""
        if current == 0 and lo != 0:
            rescale = False
            self._condition(status, "ScalingActive", "False", "ScalingDisabled",
                            "scaling is disabled since the replica count of the target is zero")
        elif current > hi:
            desired, reason = hi, "Current number of replicas above Spec.MaxReplicas"
        elif current < lo:
            desired, reason = lo, "Current number of replicas below Spec.MinReplicas"
        else:
            proposal, metric, statuses, error = self.replicas_for_metrics(hpa, scale, metrics)
            if proposal == -1:
                self._set_status(hpa, current, status.get("desiredReplicas", 0), statuses, False)
                self._write(hpa, before)
                self.event(hpa, "Warning", "FailedComputeMetricsReplicas", error)
                return
            desired = proposal
            if desired > current:
                reason = f"{metric} above target"
            elif desired < current:
                reason = "All metrics below target"
            desired = self._normalize(hpa, history, now, current, desired, lo, hi)
            rescale = desired != current
        if rescale:
            try:
                update_scale(self.api, rt, ref["name"], ns, desired, self.user,
                             field_manager="kube-controller-manager")
            except ApiError as e:
                msg = e.status.get("message", "")
                self.event(hpa, "Warning", "FailedRescale",
                           f"New size: {desired}; reason: {reason}; error: {msg}")
                self._condition(status, "AbleToScale", "False", "FailedUpdateScale",
                                f"the HPA controller was unable to update the target scale: {msg}")
                self._set_status(hpa, current, status.get("desiredReplicas", 0), statuses, False)
                return self._write(hpa, before)
            self._condition(status, "AbleToScale", "True", "SucceededRescale",
                            f"the HPA controller was able to update the target scale to {desired}")
            self.event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            behavior = spec.get("behavior")
            if behavior:
                rules = behavior.get("scaleUp" if desired > current else "scaleDown") or {}
                history.store_scale_event(now, current, desired, limits.longest_period(rules))
        else:
            desired = current
        self._set_status(hpa, current, desired, statuses, rescale)
        self._write(hpa, before)

    def _normalize(self, hpa, history, now, current, desired, lo, hi) -> int:
        behavior = hpa["spec"].get("behavior")
        if behavior:
            replicas, able, limited = limits.normalize_with_behavior(
                history, now, current, desired, lo, hi, behavior)
        else:
            replicas, able, limited = limits.normalize(history, now, current, desired, lo, hi)
        status = hpa["status"]
        self._condition(status, "AbleToScale", "True", *able)
        self._condition(status, "ScalingLimited", "True" if limited[0] else "False", *limited[1:])
        return replicas

    # -- metrics ----------------------------------------------------------------------------
    def replicas_for_metrics(self, hpa: dict, scale: dict, specs: list) -> tuple:
        """computeReplicasForMetrics: ``(replicas or -1, metric name, statuses, error)``."""
        status = hpa["status"]
        try:
            selector = parse_label_selector(scale["status"]["selector"])
        except ValueError as e:
            msg = f"couldn't convert selector into a corresponding internal selector object: {e}"
            self.event(hpa, "Warning", "InvalidSelector", msg)
            self._condition(status, "ScalingActive", "False", "InvalidSelector", msg)
            return -1, "", [], msg
        if not scale["status"]["selector"]:
            self.event(hpa, "Warning", "SelectorRequired", "selector is required")
            self._condition(status, "ScalingActive", "False", "InvalidSelector",
                            "the HPA target's scale is missing a selector")
            return -1, "", [], "selector is required"
        replicas, metric, statuses, invalid, first = 0, "", [], 0, None
        for spec in specs:
            try:
                proposal, name, st = self.replicas_for_metric(hpa, spec, scale, selector)
            except MetricsError as e:
                invalid += 1
                first = first or e.args
                statuses.append({"type": ""})  # an empty MetricStatus: TARGETS <unknown>
                continue
            statuses.append(st)
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        error = ""
        if invalid:
            error = f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: {first[0]}"
        if invalid >= len(specs) or (invalid and replicas < scale["spec"]["replicas"]):
            self._condition(status, "ScalingActive", "False", first[1],
                            f"the HPA was unable to compute the replica count: {first[2]}")
            return -1, "", statuses, error
        self._condition(status, "ScalingActive", "True", "ValidMetricFound",
                        f"the HPA was able to successfully calculate a replica count from {metric}")
        return replicas, metric, statuses, error

    def replicas_for_metric(self, hpa: dict, spec: dict, scale: dict, selector) -> tuple:
        """One metric: ``(replicas, metric name, MetricStatus)`` or :class:`MetricsError`
        whose args are (full error, condition reason, condition error)."""
        mtype = spec.get("type")
        if mtype not in ("Resource", "ContainerResource"):
            return self._unsupported(hpa, spec)
        src = spec.get("resource" if mtype == "Resource" else "containerResource") or {}
        resource, container = src.get("name", ""), src.get("container", "")
        reason = "FailedGetResourceMetric" if mtype == "Resource" else "FailedGetContainerResourceMetric"
        prefix = (f"failed to get {resource} resource metric value" if mtype == "Resource"
                  else f"failed to get {container} container metric value")
        target = src.get("target") or {}
        try:
            replicas, utilization, raw = self._resource(hpa, scale, selector, resource, container, target)
        except MetricsError as e:
            self.event(hpa, "Warning", reason, str(e))
            raise MetricsError(f"{prefix}: {e}", reason, str(e)) from None
        current = {"averageValue": format_milli(raw)}
        if utilization is not None:
            current = {"averageUtilization": utilization, **current}
        name = (f"{resource} resource" if utilization is None else
                f"{resource}{' container' if container else ''} resource utilization (percentage of request)")
        field = "resource" if mtype == "Resource" else "containerResource"
        st = {"name": resource, **({"container": container} if container else {}), "current": current}
        return replicas, name, {"type": mtype, field: st}

    def _resource(self, hpa, scale, selector, resource, container, target) -> tuple:
        ns = hpa["metadata"]["namespace"]
        raw = target.get("averageValue") is not None
        if not raw and target.get("averageUtilization") is None:
            raise MetricsError("invalid resource metric source: neither an average utilization "
                               "target nor an average value target was set")
        what = "usage" if raw else "utilization"
        try:
            try:
                items = self.api.list("pods.metrics.k8s.io", ns, label_selector=str(selector),
                                      user=self.user)["items"]
            except ApiError as e:
                msg = NO_METRICS_API if e.code == 404 else e.status.get("message", "")
                raise MetricsError(f"unable to fetch metrics from resource metrics API: {msg}") from None
            if not items:
                raise MetricsError("no metrics returned from resource metrics API")
        except MetricsError as e:
            raise MetricsError(f"failed to get {resource} {what}: unable to get metrics for "
                               f"resource {resource}: {e}") from None
        values = pod_metrics(items, resource, container)
        pods = self.pods.list(ns, selector)
        goal = milli_value(target["averageValue"]) if raw else target["averageUtilization"]
        try:
            return resource_replicas(scale["spec"]["replicas"], goal, pods, values, resource,
                                     self.clock.now(), container, raw)
        except MetricsError as e:
            raise MetricsError(f"failed to get {resource} {what}: {e}") from None

    def _unsupported(self, hpa, spec):
        """Pods/Object/External metrics: no custom or external metrics API is registered."""
        mtype = spec.get("type", "")
        src = spec.get({"Pods": "pods", "Object": "object", "External": "external"}.get(mtype, ""), {}) or {}
        metric = (src.get("metric") or {}).get("name", "")
        api = "external.metrics.k8s.io" if mtype == "External" else "custom.metrics.k8s.io"
        reason = {"Pods": "FailedGetPodsMetric", "Object": "FailedGetObjectMetric",
                  "External": "FailedGetExternalMetric"}.get(mtype, "InvalidMetricSourceType")
        err = f"unable to get metric {metric}: no {api} API is registered (no metrics adapter installed)"
        self.event(hpa, "Warning", reason, err)
        raise MetricsError(f"failed to get {mtype.lower()} metric value: {err}", reason, err)

    # -- status -----------------------------------------------------------------------------
    def _condition(self, status, ctype, cstatus, reason, message) -> None:
        set_condition(status, ctype, cstatus, reason, message, self.now())

    def _set_status(self, hpa, current, desired, statuses, rescale) -> None:
        old = hpa["status"]
        new = {"currentReplicas": current, "desiredReplicas": desired}
        if old.get("lastScaleTime") or rescale:
            new["lastScaleTime"] = self.now() if rescale else old["lastScaleTime"]
        if statuses:
            new["currentMetrics"] = statuses
        if old.get("conditions"):
            new["conditions"] = old["conditions"]
        hpa["status"] = new

    def _write(self, hpa: dict, before: dict) -> None:
        """updateStatusIfNeeded: PUT status only when it changed."""
        if hpa["status"] == before:
            return
        self.api.update(self.hpa_type, hpa, hpa["metadata"]["namespace"], subresource="status",
                        user=self.user)
