"""Image references: what ``image: nginx`` in a manifest really means.

A container image is named by a *reference* ``[registry/][path/]name[:tag][@digest]``. Short
names are expanded the way Docker and containerd do (github.com/distribution/reference
``ParseNormalizedNamed``):

==========================================  =================================================
written in the manifest                     fully qualified reference
==========================================  =================================================
``nginx``                                   ``docker.io/library/nginx:latest``
``nginx:1.14.2``                            ``docker.io/library/nginx:1.14.2``
``bitnami/redis``                           ``docker.io/bitnami/redis:latest``
``registry.k8s.io/pause:3.8``               ``registry.k8s.io/pause:3.8``
``nginx@sha256:<64 hex>``                   ``docker.io/library/nginx@sha256:<64 hex>``
==========================================  =================================================

The first path component is a registry host only if it contains a ``.`` or a ``:`` or is
``localhost``; otherwise the image lives on Docker Hub (``docker.io``), and one-component names
live under ``library/`` there. A reference with neither tag nor digest means ``:latest``.
"""
from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_HOST = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$")


class ReferenceError_(ValueError):
    """An image name that cannot be parsed (the kubelet reports ``InvalidImageName``)."""


class Reference(NamedTuple):
    registry: str      # docker.io, registry.k8s.io, quay.io...
    path: str          # library/nginx, e2e-test-images/agnhost
    tag: str | None    # 1.14.2 (None when only a digest was given)
    digest: str | None  # sha256:...

    @property
    def repository(self) -> str:
        """``docker.io/library/nginx``: the name without tag or digest."""
        return f"{self.registry}/{self.path}"

    @property
    def name(self) -> str:
        """The fully qualified reference, e.g. ``docker.io/library/nginx:1.14.2``."""
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def familiar(self) -> str:
        """The short form Docker prints: ``nginx:1.14.2``, ``registry.k8s.io/pause:3.8``."""
        repo = self.repository
        if repo.startswith("docker.io/library/"):
            repo = repo[len("docker.io/library/"):]
        elif repo.startswith("docker.io/"):
            repo = repo[len("docker.io/"):]
        return repo + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse(image: str) -> Reference:
    """Parse and normalize an image reference; raises :class:`ReferenceError_` with the
    distribution/reference message (``invalid reference format``...) when it is malformed."""
    if not isinstance(image, str) or not image:
        raise ReferenceError_("invalid reference format")
    rest, digest = image, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.match(digest):
            raise ReferenceError_("invalid reference format")
    tag = None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        rest, tag = rest.rsplit(":", 1)
        if not _TAG.match(tag):
            raise ReferenceError_("invalid reference format")
    parts = rest.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, path_parts = parts[0], parts[1:]
        if not _HOST.match(registry):
            raise ReferenceError_("invalid reference format")
    else:
        registry, path_parts = DEFAULT_REGISTRY, parts
    if registry == "index.docker.io":
        registry = DEFAULT_REGISTRY
    for comp in path_parts:
        if not comp:
            raise ReferenceError_("invalid reference format")
        if not _COMPONENT.match(comp):
            if _COMPONENT.match(comp.lower()):
                raise ReferenceError_("invalid reference format: repository name must be lowercase")
            raise ReferenceError_("invalid reference format")
    if registry == DEFAULT_REGISTRY and len(path_parts) == 1:
        path_parts = ["library"] + path_parts
    path = "/".join(path_parts)
    if len(registry) + 1 + len(path) > 255:
        raise ReferenceError_("repository name must not be more than 255 characters")
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return Reference(registry, path, tag, digest)


def with_default_tag(image: str) -> str:
    """The kubelet's ``applyDefaultImageTag``: append ``:latest`` when there is neither a tag nor
    a digest, leaving the rest as written (``busybox`` → ``busybox:latest``)."""
    ref = parse(image)
    if ref.digest is None and not image.endswith(f":{ref.tag}"):
        return f"{image}:{ref.tag}"
    return image
