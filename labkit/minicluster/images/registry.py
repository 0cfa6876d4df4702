"""The simulated container registries: which images exist, their tags, sizes and digests.

``resolve("nginx:1.14.2")`` returns an :class:`Image`; an image or tag that does not exist
raises :class:`PullError` carrying the error text containerd gives the kubelet, e.g.::

    rpc error: code = NotFound desc = failed to pull and unpack image
    "docker.io/library/nginx:9.9": failed to resolve reference "docker.io/library/nginx:9.9":
    docker.io/library/nginx:9.9: not found

(one line in reality). Docker Hub answers a repository that does not exist with "pull access
denied" rather than "not found", since it cannot tell a missing repository from a private one.

Sizes are close to the real compressed sizes; digests are derived from the name and version
(they are not the real ones, which we cannot know). Any well-formed digest of a known repository
resolves to its newest version (simplification).
"""
from __future__ import annotations

import hashlib
import posixpath
import re

from .process import Sandbox, StartError
from .reference import ReferenceError_, parse

#: registry hosts that exist; anything else fails with "no such host"
KNOWN_REGISTRIES = {"docker.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io", "quay.io", "ghcr.io",
                    "us-docker.pkg.dev", "mcr.microsoft.com", "public.ecr.aws", "registry.gitlab.com",
                    "europe-docker.pkg.dev"}
#: bytes per second when pulling layers (a decent link to a registry mirror)
PULL_BANDWIDTH = 40 * 1024 * 1024


class PullError(Exception):
    """The image cannot be pulled. ``reason`` is the container's waiting reason
    (``ErrImagePull`` or ``InvalidImageName``); ``message`` is the CRI error text."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def semver_list(spec: dict) -> list[str]:
    """``{"1.14": 2}`` → ``["1.14.0", "1.14.1", "1.14.2"]``."""
    return [f"{minor}.{p}" for minor, top in spec.items() for p in range(top + 1)]


def _vkey(v: str):
    return tuple(int(x) if x.isdigit() else -1 for x in re.split(r"[.\-]", v.lstrip("v")))


_OS_RELEASE = {
    "busybox": None,
    "alpine": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.21.3\nPRETTY_NAME="Alpine Linux v3.21"\n',
    "bash": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
            'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
}


def base_files(shell) -> dict:
    """Directories every image has, and /etc files matching its userland."""
    files = {d: "" for d in ("bin/", "dev/", "etc/", "home/", "root/", "tmp/", "usr/bin/",
                             "usr/local/bin/", "var/log/", "var/run/", "proc/", "sys/", "run/")}
    if shell is not None:
        files["etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        files["etc/group"] = "root:x:0:\nnogroup:x:65534:\n"
        if _OS_RELEASE.get(shell):
            files["etc/os-release"] = _OS_RELEASE[shell]
    return files


class Family:
    """One image repository (possibly under several names) and its behaviour."""

    def __init__(self, name, repos, versions, *, aliases=None, variants=(), base_size=50_000_000,
                 sizes=None, entrypoint=(), cmd=(), shell="busybox", extra_tools=(), entries=None,
                 programs=None, files=None, env=None, workdir="/", variant_shell=None,
                 app_versions=None, description=""):
        self.name, self.repos = name, tuple(repos)
        self.versions = sorted(versions, key=_vkey)
        self.aliases = dict(aliases or {})
        self.variants = tuple(variants)
        self.base_size, self.sizes = base_size, dict(sizes or {})
        self.entrypoint = entrypoint if callable(entrypoint) else list(entrypoint)
        self.cmd = cmd if callable(cmd) else list(cmd)
        self.app_versions = dict(app_versions or {})
        self.shell, self.extra_tools = shell, tuple(extra_tools)
        self.variant_shell = dict(variant_shell or {})
        self.entries = dict(entries or {})
        self.programs = dict(programs or {})
        self._files = files
        self.env = dict(env or {})
        self.workdir, self.description = workdir, description

    def latest(self) -> str:
        return self.aliases.get("latest") or self.versions[-1]

    def resolve_tag(self, tag: str | None):
        """(version, variant) for a tag, or None when the tag does not exist."""
        if tag is None:
            return self.latest(), ""
        if tag in self.aliases:
            return self.aliases[tag], ""
        if tag in self.versions:
            return tag, ""
        for variant in self.variants:
            if tag == variant:
                return self.latest(), variant
            if tag.endswith("-" + variant):
                base = self.resolve_tag(tag[:-len(variant) - 1])
                return (base[0], variant) if base else None
        prefix = [v for v in self.versions if v.startswith(tag + ".")]
        if prefix and re.fullmatch(r"v?\d+(\.\d+)?", tag):
            return prefix[-1], ""
        return None

    def files(self, version: str) -> dict:
        """The image's files (shared, read-only: containers copy them on first write)."""
        if self._files is None:
            return {}
        if not callable(self._files):
            return self._files
        cache = self.__dict__.setdefault("_files_cache", {})
        if version not in cache:
            cache[version] = self._files(version)
        return cache[version]


class Image:
    """A resolved image: one version of a family, under the name it was asked for."""

    def __init__(self, family: Family, ref, version: str, variant: str):
        self.family, self.ref, self.version, self.variant = family, ref, version, variant
        self.tag = ref.tag
        key = f"{ref.repository}:{version}{'-' + variant if variant else ''}"
        self.digest = "sha256:" + _h(key + "#manifest")
        self.id = "sha256:" + _h(key + "#config")
        self.shell = family.variant_shell.get(variant, family.shell)
        self.extra_tools = family.extra_tools

    # -- identity -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Fully qualified name, as container statuses show it: ``docker.io/library/nginx:1.14.2``."""
        if self.ref.tag:
            return f"{self.ref.repository}:{self.ref.tag}"
        return f"{self.ref.repository}@{self.ref.digest}"

    @property
    def image_ref(self) -> str:
        """``status.containerStatuses[].imageID``: ``docker.io/library/nginx@sha256:...``."""
        return f"{self.ref.repository}@{self.digest}"

    @property
    def size_bytes(self) -> int:
        fam = self.family
        if self.version in fam.sizes:
            size = fam.sizes[self.version]
        else:
            jitter = int(_h(self.version)[:8], 16) / 0xFFFFFFFF
            size = int(fam.base_size * (0.94 + 0.12 * jitter))
        return int(size * (0.35 if self.variant.startswith("alpine") else 1.0))

    def pull_seconds(self, cached: bool = False, rng=None) -> float:
        """How long a pull takes: resolving the manifest, plus downloading and unpacking the
        layers unless they are already on the node (``cached``)."""
        jitter = 0.9 + 0.2 * rng.random() if rng is not None else 1.0
        if cached:
            return round(0.35 * jitter, 3)
        return round((0.4 + self.size_bytes / PULL_BANDWIDTH) * jitter, 3)

    @property
    def app_version(self) -> str:
        """The version of the program inside (``nginx-slim:0.24`` runs nginx 1.17.x)."""
        return self.family.app_versions.get(self.version, self.version)

    # -- contents -----------------------------------------------------------------------------
    def program(self, name: str):
        return self.family.programs.get(name)

    def has_program(self, name: str) -> bool:
        return posixpath.basename(name) in self.family.programs

    def files(self) -> dict:
        """The image's filesystem: a base Linux tree plus the family's own files."""
        cache = self.family.__dict__.setdefault("_merged_files", {})
        key = (self.version, self.shell)
        if key not in cache:
            cache[key] = {**base_files(self.shell), **self.family.files(self.version)}
        return cache[key]

    def environment(self) -> dict:
        """The image's ``ENV`` (Dockerfile), which container env vars override."""
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        env.update({k: v.format(version=self.version) for k, v in self.family.env.items()})
        return env

    def argv_for(self, container: dict) -> list[str]:
        """Docker's ENTRYPOINT/CMD rules as Kubernetes applies them: ``command`` replaces the
        entrypoint (and drops CMD), ``args`` replaces CMD."""
        command = container.get("command")
        args = container.get("args")
        fam = self.family
        entrypoint = fam.entrypoint(self.version) if callable(fam.entrypoint) else fam.entrypoint
        cmd = fam.cmd(self.version) if callable(fam.cmd) else fam.cmd
        argv = list(command) if command else list(entrypoint)
        if args is not None:
            argv += list(args)
        elif not command:
            argv += list(cmd)
        return [str(a) for a in argv]

    # -- running ------------------------------------------------------------------------------
    def start(self, container: dict, env: dict, files, now: float, rng=None, net=None,
              hostname: str = "localhost", pod_ip: str = "", node_ip: str = "", stdin: str = "",
              mem_limit: int | None = None, cpu_limit: int | None = None, argv=None):
        """Start the container's main process. Raises :class:`StartError` (runtime message)
        when the command does not exist in the image."""
        merged = {"PATH": self.environment()["PATH"], "HOSTNAME": hostname}
        merged.update({k: v for k, v in self.environment().items() if k != "PATH"})
        merged.update(env)
        merged.setdefault("HOME", "/root")
        if files is None:
            from .fs import FileSystem
            files = FileSystem(self.files())
        sb = Sandbox(fs=files, net=net, hostname=hostname, rng=rng, pod_ip=pod_ip,
                     mem_limit=mem_limit, cpu_limit=cpu_limit, node_ip=node_ip, stdin=stdin)
        sb.share_env(merged)  # a private copy we may keep: no second dict per container
        if self.family.workdir and files.cwd == "/":
            files.cwd = files.workdir = self.family.workdir
        return self.start_argv(argv if argv is not None else self.argv_for(container), sb, now)

    def start_argv(self, argv: list[str], sb, now: float):
        if not argv:
            raise StartError("failed to create containerd task: failed to create shim task: OCI "
                             "runtime create failed: runc create failed: unable to start container "
                             "process: error during container init: exec: no command: unknown")
        entry = self.family.entries.get(posixpath.basename(argv[0]))
        if entry is not None:
            proc = entry(self, argv, sb, now)
            if proc is not None:
                return proc
        from .shell.builtins import lookup
        from .shell.script import ScriptProcess
        proc = ScriptProcess(self, argv, sb, now, shell_name=posixpath.basename(argv[0]))
        if lookup(proc.shell, argv[0]) is None:
            raise StartError(
                "failed to create containerd task: failed to create shim task: OCI runtime create "
                "failed: runc create failed: unable to start container process: error during "
                f'container init: exec: "{argv[0]}": '
                + ("stat " + argv[0] + ": no such file or directory" if "/" in argv[0]
                   else "executable file not found in $PATH") + ": unknown")
        return proc

    def __repr__(self) -> str:
        return f"<Image {self.name} ({self.family.name} {self.version}{' ' + self.variant if self.variant else ''})>"


class Registry:
    """All simulated repositories, looked up by fully qualified repository name."""

    def __init__(self, families=()):
        self._by_repo: dict[str, Family] = {}
        self._resolved: dict[str, Image] = {}  # one Image per name, shared by its containers
        self.families: list[Family] = []
        for f in families:
            self.add(f)

    def add(self, family: Family) -> None:
        self.families.append(family)
        self._resolved.clear()
        for repo in family.repos:
            self._by_repo[parse(repo).repository] = family

    def resolve(self, image: str) -> Image:
        found = self._resolved.get(image)
        if found is None:
            found = self._resolved[image] = self._resolve(image)  # failures are not cached
            if len(self._resolved) > 1000:
                self._resolved.clear()
        return found

    def _resolve(self, image: str) -> Image:
        try:
            ref = parse(image)
        except ReferenceError_ as e:
            raise PullError("InvalidImageName", f'Failed to apply default image tag "{image}": '
                                                f'couldn\'t parse image name "{image}": {e}') from None
        name = ref.name
        fam = self._by_repo.get(ref.repository)
        if ref.registry not in KNOWN_REGISTRIES and not ref.registry.startswith("localhost"):
            path = ref.path
            raise PullError("ErrImagePull", _pull_msg(
                "Unknown", name, f'failed to do request: Head "https://{ref.registry}/v2/{path}/'
                                 f'manifests/{ref.tag or ref.digest}": dial tcp: lookup {ref.registry.split(":")[0]}: '
                                 "no such host"))
        if fam is None:
            if ref.registry == "docker.io":
                raise PullError("ErrImagePull", _pull_msg(
                    "Unknown", name, "pull access denied, repository does not exist or may require "
                                     "authorization: server message: insufficient_scope: "
                                     "authorization failed"))
            raise PullError("ErrImagePull", _pull_msg("NotFound", name, f"{name}: not found"))
        found = fam.resolve_tag(ref.tag)
        if found is None:
            raise PullError("ErrImagePull", _pull_msg("NotFound", name, f"{name}: not found"))
        return Image(fam, ref, *found)

    def get(self, image: str) -> Image | None:
        try:
            return self.resolve(image)
        except PullError:
            return None


def _pull_msg(code: str, name: str, detail: str) -> str:
    return (f'rpc error: code = {code} desc = failed to pull and unpack image "{name}": '
            f'failed to resolve reference "{name}": {detail}')
