"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

Placeholder decoder: answers 415 so the client sees a clear, Kubernetes-shaped error until the
full decoder lands.
"""
from __future__ import annotations

from .. import errors


def decode(body: bytes):
    raise errors.unsupported_media("the body of the request was in an unknown format - accepted "
                                   "media types include: application/json, application/yaml")
