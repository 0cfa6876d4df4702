"""The building blocks of the schema: how a field is typed, the way the Go structs type it.

The real API server decodes a request body into Go structs (``k8s.io/api/core/v1.Pod``...).
That decoding is where two classes of mistakes are caught, *before* any validation runs:

- a value of the wrong JSON type (a list where an object belongs) fails the whole request with
  ``400 BadRequest``: ``json: cannot unmarshal array into Go struct field
  NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of type
  v1.NodeSelector``;
- a field the struct does not have is dropped, or, with ``fieldValidation=Strict`` (kubectl's
  default), reported: ``strict decoding error: unknown field "spec.foo"``.

A type here is one of: a scalar (``STRING``, ``INT32``...), ``QUANTITY`` (``500m``, ``1Gi``),
``INT_OR_STRING`` (``8080`` or ``"http"``), ``ANY`` (free-form JSON: nothing is checked), a
``ListOf``/``MapOf`` another type, or an :class:`Obj`: a named Go struct with typed fields.
"""
from __future__ import annotations


class Type:
    """A JSON-decodable type. ``go`` is the Go type name used in decoder error messages."""

    __slots__ = ("go", "kind")

    def __init__(self, go: str, kind: str):
        self.go, self.kind = go, kind

    def __repr__(self):
        return self.go


STRING = Type("string", "string")
INT32 = Type("int32", "int")
INT64 = Type("int64", "int")
BOOL = Type("bool", "bool")
FLOAT = Type("float64", "float")
TIME = Type("v1.Time", "string")  # metav1.Time: an RFC 3339 string on the wire
QUANTITY = Type("resource.Quantity", "quantity")
INT_OR_STRING = Type("intstr.IntOrString", "intorstring")
ANY = Type("interface {}", "any")


class ListOf(Type):
    __slots__ = ("elem",)

    def __init__(self, elem: Type):
        super().__init__(f"[]{elem.go}", "list")
        self.elem = elem


class MapOf(Type):
    __slots__ = ("elem",)

    def __init__(self, elem: Type):
        super().__init__(f"map[string]{elem.go}", "map")
        self.elem = elem


class Obj(Type):
    """A Go struct: ``Obj("v1.Probe", exec=EXEC, httpGet=HTTP_GET, ...)``.

    ``fields`` may be filled after creation (:meth:`define`) so recursive or mutually
    referencing structs can be declared in any order.
    """

    __slots__ = ("fields", "doc", "descriptions", "required")

    def __init__(self, go: str, doc: str = "", **fields: Type):
        super().__init__(go, "object")
        self.fields: dict[str, Type] = dict(fields)
        self.doc = doc
        #: field → its API documentation, and the fields the API marks required; filled from
        #: upstream's definitions on first use (:mod:`.docs`)
        self.descriptions: dict[str, str] = {}
        self.required: tuple[str, ...] = ()

    def define(self, **fields: Type) -> "Obj":
        self.fields.update(fields)
        return self

    @property
    def struct(self) -> str:
        """``v1.PodSpec`` → ``PodSpec``: what Go prints as the struct of a field error."""
        return self.go.rsplit(".", 1)[-1]


def L(t: Type) -> ListOf:  # noqa: N802 - short names keep the tables readable
    return ListOf(t)


def M(t: Type = STRING) -> MapOf:  # noqa: N802
    return MapOf(t)
