"""A container's filesystem: the image's files, a writable layer, and mounted volumes.

What a process in a container sees at ``/`` is assembled from three kinds of pieces, as with a
real container runtime (overlayfs + bind mounts):

- the **image layers** (read-only, shared by every container of the image),
- the container's own **writable layer** (lost when the container restarts: a new container
  starts from the image again),
- **volumes** mounted at paths (``emptyDir`` survives container restarts but not the pod;
  a PersistentVolume survives the pod; ``configMap``/``secret`` volumes are read-only).

A mount hides whatever the image had under its path, which is why mounting an empty volume on
``/usr/share/nginx/html`` makes nginx answer ``403 Forbidden``.

Simplifications: no permissions, owners, symlinks or timestamps; file contents are ``str``.
"""
from __future__ import annotations

import posixpath


class FsError(OSError):
    """A failed file operation; ``str()`` is the libc message (``No such file or directory``)."""

    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.message, self.path = message, path

    def __str__(self) -> str:
        return self.message


ENOENT = "No such file or directory"
EISDIR = "Is a directory"
ENOTDIR = "Not a directory"
EROFS = "Read-only file system"
ENOTEMPTY = "Directory not empty"
EEXIST = "File exists"


class Volume:
    """A directory tree that can be mounted into containers: files (path → text) and dirs."""

    __slots__ = ("files", "dirs", "read_only", "kind")

    def __init__(self, files: dict | None = None, read_only: bool = False, kind: str = "emptyDir"):
        files = files or {}
        self.files: dict[str, str] = {k: v for k, v in files.items() if not k.endswith("/")}
        self.dirs: set[str] = {""}
        for p in files:  # a key ending in "/" is an (empty) directory
            if p.endswith("/"):
                self.dirs.add(p.rstrip("/"))
            self._add_parents(p.rstrip("/"))
        self.read_only, self.kind = read_only, kind

    def _add_parents(self, rel: str) -> None:
        while "/" in rel:
            rel = rel.rsplit("/", 1)[0]
            self.dirs.add(rel)

    def has_file(self, rel: str) -> bool:
        return rel in self.files

    def snapshot(self) -> dict:
        return {"files": dict(self.files), "dirs": sorted(self.dirs)}


def _built_first(slot) -> property:
    """A property over a :class:`Volume` slot that runs ``make()`` before any access."""
    def get(self):
        if self._make is not None:
            self._build()
        return slot.__get__(self)

    def put(self, value):
        if self._make is not None:
            self._build()
        slot.__set__(self, value)
    return property(get, put)


class LazyVolume(Volume):
    """A :class:`Volume` whose files are computed the first time anything looks at them.

    Every pod has kubelet-managed ``/etc/hosts``... and a service account token volume, but
    most containers never read them: at 150,000 pods the texts would cost ~1 KB each for
    nothing. ``make(source)`` returns the files (path → text) and runs at most once (keeping
    ``make`` and its one argument costs less than a closure or a ``functools.partial``);
    ``names`` are paths it is known to return (mounting one of them does not build the files)."""

    __slots__ = ("_make", "_source", "_names")

    def __init__(self, make, source, read_only: bool = False, kind: str = "emptyDir", names=()):
        self._make, self._source, self._names = make, source, tuple(names)
        self.read_only, self.kind = read_only, kind

    def has_file(self, rel: str) -> bool:
        return (self._make is not None and rel in self._names) or rel in self.files

    def _build(self) -> None:
        make, source, self._make, self._source = self._make, self._source, None, None
        Volume.__init__(self, make(source), self.read_only, self.kind)

    @property
    def built(self) -> bool:
        return self._make is None

    files = _built_first(Volume.files)
    dirs = _built_first(Volume.dirs)


#: one copy of each mount path (every container mounts /etc/hosts...)
_PATHS: dict = {}


class Mount:
    __slots__ = ("path", "volume", "prefix", "read_only")

    def __init__(self, path: str, volume: Volume, sub_path: str = "", read_only: bool = False):
        path = posixpath.normpath(path)
        self.path = _PATHS.setdefault(path, path) if len(_PATHS) < 10_000 else path
        self.volume = volume
        self.prefix = sub_path.strip("/")
        self.read_only = read_only or volume.read_only
        if self.prefix and not volume.read_only and not volume.has_file(self.prefix):
            volume.dirs.add(self.prefix)
            volume._add_parents(self.prefix)


def _longest_first(mounts) -> tuple:
    return tuple(sorted(mounts, key=lambda m: len(m.path), reverse=True))


class FileSystem:
    """The view of one container: image files + writable layer + mounts (longest path wins).

    ``mounts`` are :class:`Mount` objects, or a function that returns them, called the first
    time a path is looked up (the kubelet defers the mounts of containers that never look at
    their files: an idle web server among 150,000 pods)."""

    __slots__ = ("_image_files", "_layer", "_mounts", "cwd", "workdir")  # one per container

    def __init__(self, image_files: dict | None = None, mounts=(), cwd: str = "/"):
        self._image_files = image_files or {}
        self._layer = None  # the image files, copied into a private layer on first use
        self._mounts = mounts if callable(mounts) else _longest_first(mounts)
        self.cwd = self.workdir = cwd  # PID 1's (it may cd), and where every exec starts

    @property
    def mounts(self) -> tuple:
        if callable(self._mounts):
            self._mounts = _longest_first(self._mounts())
        return self._mounts

    @property
    def layer(self) -> Volume:
        if self._layer is None:
            self._layer = Volume(self._image_files)
        return self._layer

    # -- path resolution ----------------------------------------------------------------------
    def abspath(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, path)) if path else self.cwd

    def _locate(self, path: str):
        """(volume, relative path, read_only) for an absolute path."""
        p = self.abspath(path)
        for m in self.mounts:
            if p == m.path or p.startswith(m.path.rstrip("/") + "/"):
                rel = p[len(m.path):].lstrip("/")
                rel = f"{m.prefix}/{rel}".strip("/") if m.prefix else rel
                return m.volume, rel, m.read_only
        return self.layer, p.lstrip("/"), False

    def is_mount_point(self, path: str) -> bool:
        p = self.abspath(path)
        return any(m.path == p for m in self.mounts)

    # -- queries ------------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        vol, rel, _ = self._locate(path)
        return rel in vol.files or rel in vol.dirs or self.is_mount_point(path)

    def isfile(self, path: str) -> bool:
        vol, rel, _ = self._locate(path)
        return rel in vol.files

    def isdir(self, path: str) -> bool:
        vol, rel, _ = self._locate(path)
        return rel in vol.dirs or self.is_mount_point(path)

    def read(self, path: str) -> str:
        vol, rel, _ = self._locate(path)
        if rel in vol.files:
            return vol.files[rel]
        if rel in vol.dirs:
            raise FsError(EISDIR, path)
        raise FsError(ENOENT, path)

    def listdir(self, path: str = ".") -> list[str]:
        if not self.isdir(path):
            raise FsError(ENOTDIR if self.isfile(path) else ENOENT, path)
        vol, rel, _ = self._locate(path)
        pre = f"{rel}/" if rel else ""
        names = {k[len(pre):].split("/", 1)[0] for k in list(vol.files) + list(vol.dirs)
                 if k.startswith(pre) and k != rel and k[len(pre):]}
        base = self.abspath(path).rstrip("/") + "/"
        names |= {m.path[len(base):].split("/", 1)[0] for m in self.mounts
                  if m.path.startswith(base) and m.path != base.rstrip("/")}
        return sorted(names)

    # -- changes ------------------------------------------------------------------------------
    def _writable(self, path: str):
        vol, rel, ro = self._locate(path)
        if ro:
            raise FsError(EROFS, path)
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if parent not in vol.dirs:
            raise FsError(ENOENT, path)
        if rel in vol.dirs:
            raise FsError(EISDIR, path)
        return vol, rel

    def write(self, path: str, text: str, append: bool = False) -> None:
        vol, rel = self._writable(path)
        vol.files[rel] = (vol.files.get(rel, "") + text) if append else text

    def touch(self, path: str) -> None:
        vol, rel, _ = self._locate(path)
        if rel in vol.files or rel in vol.dirs:
            return
        self.write(path, "")

    def mkdir(self, path: str, parents: bool = False) -> None:
        vol, rel, ro = self._locate(path)
        if rel in vol.dirs or rel in vol.files:
            if parents and rel in vol.dirs:
                return
            raise FsError(EEXIST, path)
        if ro:
            raise FsError(EROFS, path)
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if parent not in vol.dirs:
            if not parents:
                raise FsError(ENOENT, path)
            vol._add_parents(rel)
        vol.dirs.add(rel)

    def remove(self, path: str, recursive: bool = False) -> None:
        vol, rel, ro = self._locate(path)
        if rel not in vol.files and rel not in vol.dirs:
            raise FsError(ENOENT, path)
        if ro:
            raise FsError(EROFS, path)
        if rel in vol.files:
            del vol.files[rel]
            return
        inside = [k for k in list(vol.files) + list(vol.dirs) if k.startswith(rel + "/")]
        if inside and not recursive:
            raise FsError(ENOTEMPTY if recursive is None else EISDIR, path)
        for k in inside:
            vol.files.pop(k, None)
            vol.dirs.discard(k)
        if rel:
            vol.dirs.discard(rel)

    def copy(self, src: str, dst: str) -> None:
        text = self.read(src)
        if self.isdir(dst):
            dst = posixpath.join(dst, posixpath.basename(self.abspath(src)))
        self.write(dst, text)

    def walk_files(self, path: str) -> list[str]:
        """Absolute paths of all files under ``path`` (sorted)."""
        vol, rel, _ = self._locate(path)
        pre = f"{rel}/" if rel else ""
        base = self.abspath(path).rstrip("/")
        return sorted(f"{base}/{k[len(pre):]}" for k in vol.files if k.startswith(pre))
