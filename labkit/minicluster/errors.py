"""Kubernetes API errors as the API server reports them: a ``Status`` object and an HTTP code.

Every failure a student can provoke (a missing object, a name clash, a stale update, an invalid
field, a removed API version) is raised as :class:`ApiError`. Its ``status`` is the exact JSON
body the real API server sends, so kubectl and the official client print the real message.
Messages follow k8s.io/apimachinery/pkg/api/errors/errors.go (v1.33).
"""
from __future__ import annotations


class ApiError(Exception):
    """An error response from the (mini) API server."""

    def __init__(self, status: dict):
        self.status = status
        self.code = status["code"]
        self.reason = status.get("reason", "")
        super().__init__(status["message"])

    @property
    def message(self) -> str:
        return self.status["message"]

    def kubectl_message(self) -> str:
        """How kubectl prints it: ``Error from server (NotFound): pods "x" not found``."""
        return f"Error from server ({self.reason}): {self.message}" if self.reason else \
            f"Error from server: {self.message}"


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


def _details(name, group, kind, **extra):
    d = {"name": name} if name is not None else {}
    if group:
        d["group"] = group
    d["kind"] = kind
    d.update(extra)
    return d


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(status(404, "NotFound", f'{_qualified(resource, group)} "{name}" not found',
                           _details(name, group, resource)))


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(status(409, "AlreadyExists",
                           f'{_qualified(resource, group)} "{name}" already exists',
                           _details(name, group, resource)))


def conflict(resource: str, name: str, group: str = "", why: str | None = None) -> ApiError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return ApiError(status(409, "Conflict",
                           f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
                           _details(name, group, resource)))


def invalid(kind: str, name: str, causes: list[dict], group: str = "") -> ApiError:
    """422 Invalid. ``causes`` items: ``{"reason": "FieldValueRequired", "message": "Required value",
    "field": "spec.containers[0].image"}``; the message joins them as upstream does."""
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    parts = list(dict.fromkeys(parts))  # ToAggregate drops repeated messages
    if len(parts) == 1:
        msg = f'{kind}{"." + group if group else ""} "{name}" is invalid: {parts[0]}'
    else:
        msg = f'{kind}{"." + group if group else ""} "{name}" is invalid: [{", ".join(parts)}]'
    return ApiError(status(422, "Invalid", msg, _details(name, group, kind, causes=causes)))


def forbidden(user: str, verb: str, resource: str, group: str, name: str | None,
              namespace: str | None, reason: str = "", subresource: str = "") -> ApiError:
    """403 in the exact shape of the RBAC authorizer's denial."""
    what = f'{resource}/{subresource}' if subresource else resource
    target = _qualified(resource, group)  # the prefix never names the subresource
    name_part = f' "{name}"' if name else ""
    scope = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    msg = (f'{target}{name_part} is forbidden: User "{user}" cannot {verb} resource "{what}" '
           f'in API group "{group}"{scope}')
    if reason:
        msg += f": {reason}"
    return ApiError(status(403, "Forbidden", msg, _details(name, group, resource)))


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(status(401, "Unauthorized", message))


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def gone(message: str) -> ApiError:
    return ApiError(status(410, "Expired", message))


def method_not_allowed(message: str) -> ApiError:
    return ApiError(status(405, "MethodNotAllowed", message))


def method_not_supported(resource: str, group: str, verb: str) -> ApiError:
    """A verb the resource's storage does not implement. A watch reaches the list handler,
    which answers MethodNotSupported (apimachinery errors.NewMethodNotSupported); other verbs
    have no route at all, and the generic 405 comes back."""
    if verb != "watch":
        return method_not_allowed("the server does not allow this method on the requested resource")
    return ApiError(status(405, "MethodNotAllowed", f'watch is not supported on resources of kind '
                                                    f'"{_qualified(resource, group)}"',
                           _details(None, group, resource)))


def unsupported_media(message: str) -> ApiError:
    return ApiError(status(415, "UnsupportedMediaType", message))


def no_route() -> ApiError:
    """A path the API server has no handler for (an unknown group, a subresource the kind
    lacks): 404 with empty ``details``, which clients tell apart from a missing object's
    (``kubectl debug`` reads ``details.name`` to say "ephemeral containers are disabled")."""
    return ApiError(status(404, "NotFound", "the server could not find the requested resource", {}))


def internal(message: str) -> ApiError:
    return ApiError(status(500, "InternalError", f"Internal error occurred: {message}"))


def no_kind_match(kind: str, group: str, version: str) -> ApiError:
    """What ``kubectl apply`` says for an unknown or removed apiVersion/kind.

    kubectl builds this from discovery (meta.NoKindMatchError); it is not an HTTP Status from the
    server, so ``code`` 404 is our closest HTTP analogue.
    """
    gv = f"{group}/{version}" if group else version
    msg = (f'no matches for kind "{kind}" in version "{gv}"')
    return ApiError(status(404, "NotFound", msg))


def describe_type_error(e: Exception) -> str:
    """A Python type error in a request body, worded like Go's JSON decoder."""
    text = str(e)
    if isinstance(e, AttributeError) and "object has no attribute" in text:
        found = text.split("'")[1] if "'" in text else "value"
        return f"json: cannot unmarshal {_JSON_NAMES.get(found, found)} into an object field"
    return f"json: {text}"


_JSON_NAMES = {"str": "string", "int": "number", "float": "number", "list": "array",
               "NoneType": "null", "bool": "bool"}
