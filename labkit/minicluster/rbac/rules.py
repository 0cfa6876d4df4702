"""Matching one RBAC rule against one request (pkg/apis/rbac/v1/evaluation_helpers.go).

A rule allows a resource request when the verb, the API group, the resource (``pods``, or
``pods/log`` for a subresource, ``*`` for all, ``*/scale`` for one subresource of everything)
and, if the rule names any, the object's name all match. Non-resource requests (``/healthz``)
match ``nonResourceURLs``, where a trailing ``*`` matches any suffix.
"""
from __future__ import annotations


def verb_matches(rule: dict, verb: str) -> bool:
    verbs = rule.get("verbs") or ()
    return "*" in verbs or verb in verbs


def group_matches(rule: dict, group: str) -> bool:
    groups = rule.get("apiGroups") or ()
    return "*" in groups or group in groups


def resource_matches(rule: dict, resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for r in rule.get("resources") or ():
        if r == "*" or r == combined:
            return True
        if subresource and r == f"*/{subresource}":
            return True
    return False


def name_matches(rule: dict, name: str | None) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or (bool(name) and name in names)


def url_matches(rule: dict, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url == "*" or url == path or (url.endswith("*") and path.startswith(url[:-1])):
            return True
    return False


def rule_allows(rule: dict, attrs: tuple) -> bool:
    """``attrs``: (verb, group, resource, subresource, name) or (verb, None, path, None, None)
    for a non-resource request."""
    verb, group, resource, subresource, name = attrs
    if not verb_matches(rule, verb):
        return False
    if group is None:
        return url_matches(rule, resource)
    return group_matches(rule, group) and resource_matches(rule, resource, subresource or "") \
        and name_matches(rule, name)


def subject_applies(subject: dict, user, namespace: str) -> bool:
    """appliesToUser: a User by name, a Group by membership, a ServiceAccount by its
    ``system:serviceaccount:<ns>:<name>`` user name (namespace defaults to the binding's)."""
    kind = subject.get("kind")
    if kind == "User":
        return user.name == subject.get("name")
    if kind == "Group":
        return subject.get("name") in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or namespace
        return bool(ns) and user.name == f"system:serviceaccount:{ns}:{subject.get('name')}"
    return False


def describe_subject(subject: dict, namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f'ServiceAccount "{subject.get("name")}/{subject.get("namespace") or namespace}"'
    return f'{subject.get("kind")} "{subject.get("name")}"'
