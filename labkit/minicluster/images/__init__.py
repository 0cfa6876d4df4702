"""Simulated container images: what runs inside the mini cluster's containers.

    >>> from labkit.minicluster.images import resolve
    >>> img = resolve("nginx:1.14.2")
    >>> img.name, img.size_bytes
    ('docker.io/library/nginx:1.14.2', 44710204)
    >>> p = img.start({"name": "web"}, env={}, files=None, now=0.0)
    >>> p.http_get(80, "/", now=1.0)[0]
    200

Modules: :mod:`.reference` (image names), :mod:`.registry` (tags, sizes, digests, pull
errors), :mod:`.catalog` (the list of images), :mod:`.process` (the process interface the
kubelet uses), :mod:`.fs` (container filesystems and volumes), :mod:`.network` (what programs
can reach), :mod:`.shell` (a small sh/bash), and one module per family of behaviours
(:mod:`.webservers`, :mod:`.workloads`, :mod:`.databases`).
"""
from .catalog import FAMILIES, REGISTRY
from .fs import FileSystem, FsError, Mount, Volume
from .network import NoNetwork, split_url
from .process import ExecError, NetError, OpenStdin, Process, Sandbox, StartError
from .reference import Reference, parse as parse_reference, with_default_tag
from .registry import Family, Image, PullError


def resolve(image: str) -> Image:
    """The :class:`Image` for a reference (``nginx``, ``nginx:1.14.2``,
    ``registry.k8s.io/pause:3.8``...); raises :class:`PullError` when it cannot be pulled."""
    return REGISTRY.resolve(image)


__all__ = ["resolve", "REGISTRY", "FAMILIES", "Image", "Family", "PullError", "Process",
           "Sandbox", "OpenStdin", "StartError", "ExecError", "NetError", "FileSystem", "FsError", "Mount",
           "Volume", "NoNetwork", "split_url", "Reference", "parse_reference", "with_default_tag"]
