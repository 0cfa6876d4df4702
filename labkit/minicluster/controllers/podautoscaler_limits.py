"""From a metric's raw recommendation to the replica count an HPA actually sets (upstream
pkg/controller/podautoscaler/horizontal.go: normalizeDesiredReplicas and
normalizeDesiredReplicasWithBehaviors, v1.33).

Two brakes sit between "the metrics say 12" and ``kubectl scale --replicas=12``:

1. **Stabilization**: the controller remembers every recommendation it made. Without
   ``spec.behavior`` it applies the *highest* recommendation of the last 5 minutes
   (``--horizontal-pod-autoscaler-downscale-stabilization``): scaling down waits until load
   has stayed low for 5 minutes, scaling up is immediate. With ``spec.behavior``, each
   direction has its own ``stabilizationWindowSeconds`` (scale-up 0 s, scale-down 300 s by
   default).
2. **Rate limits**: without ``spec.behavior``, one sync may at most double the replicas (or go
   to 4, whichever is more). With ``spec.behavior``, ``policies`` limit how many pods
   (``type: Pods``) or what share (``type: Percent``) may be added or removed per
   ``periodSeconds``; ``selectPolicy`` picks the policy allowing the ``Max`` change (default),
   the ``Min`` change, or ``Disabled``.

Then ``minReplicas``/``maxReplicas`` clamp the result. Each step sets the conditions that
``kubectl describe hpa`` prints (``AbleToScale``, ``ScalingLimited``).
"""
from __future__ import annotations

import math

from ..upstream import (HPA_DOWNSCALE_STABILIZATION_SECONDS, HPA_SCALE_UP_LIMIT_FACTOR,
                        HPA_SCALE_UP_LIMIT_MINIMUM)

READY = ("ReadyForNewScale", "recommended size matches current size")
UP_STABILIZED = ("ScaleUpStabilized", "recent recommendations were lower than current one, "
                 "applying the lowest recent recommendation")
DOWN_STABILIZED = ("ScaleDownStabilized", "recent recommendations were higher than current one, "
                   "applying the highest recent recommendation")
WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum "
            "scale rate")
DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum "
              "scale rate")


class ScalingHistory:
    """What one HPA's controller remembers between syncs (kept in memory, as upstream: a
    restarted kube-controller-manager forgets it): recommendations ``[(time, replicas)]`` and
    scale events ``[(time, change)]`` up and down."""

    def __init__(self, now: float, current: int):
        self.recommendations = [(now, current)]  # recordInitialRecommendation
        self.up_events: list = []
        self.down_events: list = []

    def record(self, now: float, replicas: int, keep_seconds: float) -> None:
        """Add a recommendation, replacing one older than ``keep_seconds`` if any."""
        for i, (t, _) in enumerate(self.recommendations):
            if t < now - keep_seconds:
                self.recommendations[i] = (now, replicas)
                return
        self.recommendations.append((now, replicas))

    def store_scale_event(self, now: float, before: int, after: int, longest_period: int) -> None:
        events = self.up_events if after > before else self.down_events
        events[:] = [(t, n) for t, n in events if t >= now - longest_period]
        events.append((now, abs(after - before)))


def _changed_within(events: list, period: int, now: float) -> int:
    return sum(n for t, n in events if t > now - period)


# -- without spec.behavior -------------------------------------------------------------------
def normalize(history: ScalingHistory, now: float, current: int, desired: int, lo: int,
              hi: int) -> tuple:
    """normalizeDesiredReplicas: ``(replicas, AbleToScale (reason, message), ScalingLimited
    (limited?, reason, message))``."""
    window = HPA_DOWNSCALE_STABILIZATION_SECONDS
    stabilized = max([desired] + [r for t, r in history.recommendations if t >= now - window])
    history.record(now, desired, window)
    able = DOWN_STABILIZED if stabilized != desired else READY
    up_limit = int(max(HPA_SCALE_UP_LIMIT_FACTOR * current, HPA_SCALE_UP_LIMIT_MINIMUM))
    ceiling, why = (up_limit, UP_LIMIT) if hi > up_limit else (hi, TOO_MANY)
    if stabilized < lo:
        replicas, why = lo, TOO_FEW
    elif stabilized > ceiling:
        replicas = ceiling
    else:
        replicas, why = stabilized, WITHIN_RANGE
    return replicas, able, (replicas != stabilized,) + why


# -- with spec.behavior ----------------------------------------------------------------------
def normalize_with_behavior(history: ScalingHistory, now: float, current: int, desired: int,
                            lo: int, hi: int, behavior: dict) -> tuple:
    """normalizeDesiredReplicasWithBehaviors, same result shape as :func:`normalize`."""
    up, down = behavior.get("scaleUp") or {}, behavior.get("scaleDown") or {}
    up_window = up.get("stabilizationWindowSeconds") or 0
    down_window = down.get("stabilizationWindowSeconds")
    if down_window is None:  # maybeInitScaleDownStabilizationWindow
        down_window = HPA_DOWNSCALE_STABILIZATION_SECONDS
    stabilized = _stabilize(history, now, current, desired, up_window, down_window)
    able = READY
    if stabilized != desired:
        able = UP_STABILIZED if desired >= current else DOWN_STABILIZED
    replicas, why = _rate_limited(history, now, current, stabilized, lo, hi, up, down)
    return replicas, able, (replicas != stabilized,) + why


def _stabilize(history, now, current, desired, up_window, down_window) -> int:
    """The lowest recommendation of the scale-up window bounds a rise, the highest of the
    scale-down window bounds a fall."""
    up_rec = min([desired] + [r for t, r in history.recommendations if t > now - up_window])
    down_rec = max([desired] + [r for t, r in history.recommendations if t > now - down_window])
    history.record(now, desired, max(up_window, down_window))
    return min(max(current, up_rec), down_rec)


def _rate_limited(history, now, current, desired, lo, hi, up, down) -> tuple:
    if desired > current:
        limit = max(scale_up_limit(current, history, now, up), current)
        ceiling, why = (limit, UP_LIMIT) if hi > limit else (hi, TOO_MANY)
        if desired > ceiling:
            return ceiling, why
    elif desired < current:
        limit = min(scale_down_limit(current, history, now, down), current)
        floor, why = (limit, DOWN_LIMIT) if lo < limit else (lo, TOO_FEW)
        if desired < floor:
            return floor, why
    return desired, WITHIN_RANGE


def _period_start(current, history, now, period) -> int:
    """The replica count at the start of a policy's period: changes since then undone."""
    return (current - _changed_within(history.up_events, period, now)
            + _changed_within(history.down_events, period, now))


def scale_up_limit(current: int, history: ScalingHistory, now: float, rules: dict) -> int:
    """calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now
    (``Pods``: period start + value; ``Percent``: period start x (1 + value %), rounded up)."""
    return _policy_limit(current, history, now, rules, up=True)


def scale_down_limit(current: int, history: ScalingHistory, now: float, rules: dict) -> int:
    """calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now
    (``Pods``: period start - value; ``Percent``: period start x (1 - value %), rounded down)."""
    return _policy_limit(current, history, now, rules, up=False)


def _policy_limit(current, history, now, rules, up: bool) -> int:
    """``selectPolicy: Max`` (default) picks the policy allowing the biggest change, ``Min``
    the smallest; ``Disabled`` allows none."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    sign, proposals = (1 if up else -1), []
    for p in rules.get("policies") or ():
        start = _period_start(current, history, now, p.get("periodSeconds", 0))
        if p.get("type") == "Pods":
            proposals.append(start + sign * p.get("value", 0))
        else:
            scaled = start * (1 + sign * p.get("value", 0) / 100)
            proposals.append(math.ceil(scaled) if up else int(scaled))
    if not proposals:
        return current
    biggest_change = max if up else min
    smallest_change = min if up else max
    return (smallest_change if select == "Min" else biggest_change)(proposals)


def longest_period(rules: dict) -> int:
    return max([p.get("periodSeconds", 0) for p in rules.get("policies") or ()] + [0])
