"""The node's own filesystem: what a ``hostPath`` volume mounts into a container.

Each simulated node has a small root filesystem, the same for every run of a seed:

=======================  ===================================================================
``/etc/machine-id``      the node's machine ID (the ``machineID`` its status reports)
``/etc/hostname``        the node's name
``/etc/os-release``      the node image's OS (``Debian GNU/Linux 12 (bookworm)``, as kind)
``/var/log/pods``,       empty directories (container logs are not written here)
``/var/log/containers``
``/var/lib/kubelet``,    empty directories
``/tmp``
``/run/containerd/``     ``containerd.sock``, a socket (for ``type: Socket``)
``/dev/null``            a character device
=======================  ===================================================================

A ``hostPath`` volume is a window on that tree: every pod of the node that mounts ``/var/log``
sees (and writes) the same files, and they outlive the pods. Before mounting, the kubelet checks
``hostPath.type`` (pkg/volume/hostpath/host_path.go checkType in v1.33):

* ``""`` (unset): no check; a missing path is created as a directory (the container runtime does
  this when it bind-mounts a path that does not exist);
* ``DirectoryOrCreate`` / ``FileOrCreate``: create what is missing (a file's parent directory must
  exist), then check the type;
* ``Directory``, ``File``, ``Socket``, ``CharDevice``, ``BlockDevice``: the path must exist and be of
  that type, otherwise ``hostPath type check failed: /etc/nope is not a file`` and the pod stays in
  ``ContainerCreating`` with ``FailedMount`` events.

Simplifications: no permissions, owners or symlinks; special files are only those listed above.
"""
from __future__ import annotations

import posixpath

from ..images.fs import FileSystem, Mount, Volume
from ..upstream import NODE_OS_IMAGE
from .node import node_info

#: special files of every node: path -> hostPath type
SPECIALS = {"run/containerd/containerd.sock": "Socket", "dev/null": "CharDevice"}
_TYPE_WORDS = {"Directory": "directory", "File": "file", "Socket": "socket file",
               "CharDevice": "character device", "BlockDevice": "block device"}


class HostPathError(Exception):
    """A failed ``hostPath`` check; ``str()`` is the kubelet's reason."""


class HostPathVolume(Volume):
    """A ``hostPath`` volume: the node's tree seen from ``prefix`` (shares the node's files)."""

    __slots__ = ("prefix",)

    def __init__(self, root: Volume, path: str):  # noqa: super().__init__ would copy the files
        self.files, self.dirs = root.files, root.dirs
        self.read_only, self.kind = False, "hostPath"
        self.prefix = posixpath.normpath("/" + path).strip("/")


class NodeFilesystem:
    """The root filesystem of node ``name`` (built on first use: nodes nobody mounts cost
    nothing)."""

    def __init__(self, name: str):
        self.name = name
        self._root: Volume | None = None

    @property
    def root(self) -> Volume:
        if self._root is None:
            files = {"etc/machine-id": node_info(self.name)["machineID"] + "\n",
                     "etc/hostname": self.name + "\n", "etc/os-release": _os_release(),
                     "var/log/pods/": "", "var/log/containers/": "", "var/lib/kubelet/": "",
                     "tmp/": ""}
            files.update(dict.fromkeys(SPECIALS, ""))
            self._root = Volume(files, kind="node")
        return self._root

    def view(self) -> FileSystem:
        """The node's files as a shell on the node would see them (``view().read("/etc/hostname")``)."""
        return FileSystem(mounts=[Mount("/", self.root)])

    def file_type(self, path: str) -> str | None:
        """``File``, ``Directory``, a special type, or None when nothing is there."""
        rel = posixpath.normpath("/" + path).strip("/")
        if rel in SPECIALS:
            return SPECIALS[rel]
        if rel in self.root.files:
            return "File"
        return "Directory" if rel in self.root.dirs else None

    def mount(self, path: str, kind: str | None = None) -> HostPathVolume:
        """MountVolume.SetUp of a hostPath volume: check (or create) ``path`` as ``kind`` says."""
        rel = posixpath.normpath("/" + path).strip("/")
        found = self.file_type(path)
        if not kind:
            if found is None:
                self._mkdir(rel)
        elif kind in ("DirectoryOrCreate", "FileOrCreate") and found is None:
            if kind == "DirectoryOrCreate":
                self._mkdir(rel)
            elif posixpath.dirname(rel) not in self.root.dirs:
                raise HostPathError(f"open {path}: no such file or directory")
            else:
                self.root.files[rel] = ""
        elif kind.removesuffix("OrCreate") in _TYPE_WORDS:
            want = kind.removesuffix("OrCreate")
            if found != want:
                raise HostPathError(f"hostPath type check failed: {path} is not a {_TYPE_WORDS[want]}")
        else:
            raise HostPathError(f"{kind} is an invalid volume type")
        return HostPathVolume(self.root, rel)

    def _mkdir(self, rel: str) -> None:
        self.root.dirs.add(rel)
        self.root._add_parents(rel)

    def pop(self, path: str | None, default=None):
        """``rm -rf path`` on the node (the local-path provisioner deleting a volume)."""
        if not path:
            return default
        rel = posixpath.normpath("/" + path).strip("/")
        if rel:
            for key in [k for k in self.root.files if k == rel or k.startswith(rel + "/")]:
                del self.root.files[key]
            self.root.dirs -= {d for d in self.root.dirs if d == rel or d.startswith(rel + "/")}
        return default


def _os_release() -> str:
    return (f'PRETTY_NAME="{NODE_OS_IMAGE}"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
            'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
            'HOME_URL="https://www.debian.org/"\n')


def of(kubelet) -> NodeFilesystem:
    """The node filesystem of ``kubelet`` (kept in ``kubelet.host_paths``, created on first use)."""
    fs = kubelet.host_paths
    if not isinstance(fs, NodeFilesystem):
        fs = kubelet.host_paths = NodeFilesystem(kubelet.name)
    return fs
