"""Validation of a Job's per-index failure and success policies (upstream
pkg/apis/batch/validation/validation.go, v1.37: validateJobSpec, validateSuccessPolicy,
validateSuccessPolicyRule, validateIndexesFormat, validatePodFailurePolicyRule).

* ``backoffLimitPerIndex`` and ``maxFailedIndexes`` only make sense for Indexed Jobs;
  ``maxFailedIndexes`` needs ``backoffLimitPerIndex`` and may not exceed ``completions``.
* ``successPolicy`` (Indexed only) has 1-20 rules; each names ``succeededIndexes`` (an
  interval list such as ``"0,2-4"``, increasing, below ``completions``) and/or a
  ``succeededCount`` no larger than ``completions`` or than the indexes it counts from.
* a ``podFailurePolicy`` rule with action ``FailIndex`` needs ``backoffLimitPerIndex``.

Simplification: an invalid ``successPolicy`` as a whole is printed as ``batch.SuccessPolicy{...}``
rather than Go's full ``%#v`` rendering.
"""
from __future__ import annotations

from .fields import Raw, invalid, nonnegative, required, too_long, too_many

MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000
MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000
COMPLETIONS_SOFT_LIMIT = 100_000
PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_SUCCESS_POLICY_RULES = 20
MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024


def validate_per_index(spec: dict, path: str) -> list[dict]:
    """The backoffLimitPerIndex / maxFailedIndexes rules of validateJobSpec."""
    out = []
    per_index, max_failed = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    if max_failed is not None and per_index is None:
        out.append(required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    if spec.get("completionMode") == "Indexed":
        if isinstance(parallelism, int) and parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB:
            out.append(invalid(f"{path}.parallelism", parallelism,
                               f"must be less than or equal to {MAX_PARALLELISM_FOR_INDEXED_JOB}"
                               " when completion mode is Indexed"))
        if _ints(completions, max_failed) and max_failed > completions:
            out.append(invalid(f"{path}.maxFailedIndexes", max_failed,
                               "must be less than or equal to completions"))
        if _ints(max_failed) and max_failed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB:
            out.append(invalid(f"{path}.maxFailedIndexes", max_failed,
                               f"must be less than or equal to {MAX_FAILED_INDEXES_FOR_INDEXED_JOB}"))
        if _ints(completions) and completions > COMPLETIONS_SOFT_LIMIT and per_index is not None:
            out += _high_completions(path, parallelism, max_failed)
    elif spec.get("completionMode") in (None, "NonIndexed"):
        for name, value in (("backoffLimitPerIndex", per_index), ("maxFailedIndexes", max_failed)):
            if value is not None:
                out.append(invalid(f"{path}.{name}", value, "requires indexed completion mode"))
    return out


def _ints(*values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _high_completions(path: str, parallelism, max_failed) -> list[dict]:
    out, limit = [], COMPLETIONS_SOFT_LIMIT
    suffix = f"when completions are above {limit} and used with backoff limit per index"
    if max_failed is None:
        out.append(required(f"{path}.maxFailedIndexes",
                            f"must be specified when completions is above {limit}"))
    if _ints(parallelism) and parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS:
        out.append(invalid(f"{path}.parallelism", parallelism, "must be less than or equal to "
                           f"{PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} {suffix}"))
    if _ints(max_failed) and max_failed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS:
        out.append(invalid(f"{path}.maxFailedIndexes", max_failed, "must be less than or equal "
                           f"to {MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} {suffix}"))
    return out


def validate_fail_index_rules(spec: dict, path: str) -> list[dict]:
    """validatePodFailurePolicyRule: FailIndex requires backoffLimitPerIndex."""
    out = []
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and rule.get("action") == "FailIndex" and \
                spec.get("backoffLimitPerIndex") is None:
            out.append(invalid(f"{path}.podFailurePolicy.rules[{i}].action", "FailIndex",
                               "requires the backoffLimitPerIndex to be set"))
    return out


def validate_success_policy(spec: dict, path: str) -> list[dict]:
    """The successPolicy part of validateJobSpec."""
    policy = spec.get("successPolicy")
    if policy is None:
        return []
    p = f"{path}.successPolicy"
    if spec.get("completionMode") != "Indexed":
        return [invalid(p, Raw("batch.SuccessPolicy{...}"), "requires indexed completion mode")]
    rules = (policy or {}).get("rules") or []
    out = []
    if not rules:
        out.append(required(f"{p}.rules", "at least one rules must be specified when the "
                            "successPolicy is specified"))
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        out.append(too_many(f"{p}.rules", len(rules), MAX_SUCCESS_POLICY_RULES))
    for i, rule in enumerate(rules):
        out += _success_rule(rule or {}, spec.get("completions") or 0, f"{p}.rules[{i}]")
    return out


def _success_rule(rule: dict, completions: int, path: str) -> list[dict]:
    """validateSuccessPolicyRule."""
    out = []
    indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
    if indexes is None and count is None:
        out.append(required(path, "at least one of succeededCount or succeededIndexes must be "
                            "specified"))
    total = 0
    if indexes is not None:
        ip = f"{path}.succeededIndexes"
        if len(str(indexes)) > MAX_SUCCEEDED_INDEXES_LENGTH:
            out.append(too_long(ip, MAX_SUCCEEDED_INDEXES_LENGTH))
        total, err = indexes_total(str(indexes), completions)
        if err:
            out.append(invalid(ip, str(indexes), f"error parsing succeededIndexes: {err}"))
    if count is not None:
        cp = f"{path}.succeededCount"
        out += nonnegative(cp, count)
        if _ints(count) and count > completions:
            out.append(invalid(cp, count, f"must be less than or equal to {completions} "
                               "(the number of specified completions)"))
        if _ints(count) and indexes is not None and count > total:
            out.append(invalid(cp, count, f"must be less than or equal to {total} (the number "
                               "of indexes in the specified succeededIndexes field)"))
    return out


def indexes_total(text: str, completions: int) -> tuple[int, str | None]:
    """validateIndexesFormat → (number of indexes, error message or None)."""
    if not text:
        return 0, None
    last, total = None, 0
    for part in text.split(","):
        first, end, err = _interval(part, completions)
        if err:
            return 0, err
        if last is not None and last >= first:
            return 0, f"non-increasing order, previous: {last}, current: {first}"
        total += end - first + 1
        last = end
    return total, None


def _interval(part: str, completions: int):
    """parseIndexInterval → (first, last, error)."""
    limits = part.split("-")
    if len(limits) > 2:
        return 0, 0, (f'the fragment "{part}" violates the requirement that an index interval '
                      "can have at most two parts separated by '-'")
    values = []
    for s in limits:
        try:
            v = int(s)
        except ValueError:
            return 0, 0, f'cannot convert string to integer for index: "{s}"'
        if v >= completions:
            return 0, 0, f'too large index: "{s}"'
        values.append(v)
    if len(values) == 2 and values[0] >= values[1]:
        return 0, 0, f"non-increasing order, previous: {values[0]}, current: {values[1]}"
    return values[0], values[-1], None
