"""The kube-apiserver: the only door into the cluster's state.

Every client - kubectl, the scheduler, each controller, every kubelet - talks to the API server;
nobody touches the store (etcd) directly. Each request walks the same chain:

    authentication → authorization (RBAC) → mutating admission (defaults, ServiceAccount,
    LimitRange...) → validation → validating admission (ResourceQuota...) → store (etcd)

and comes back either as the stored object (with a fresh ``resourceVersion``) or as a Kubernetes
``Status`` error (:mod:`.errors`). Turn on :meth:`APIServer.tracing` to watch a request take each
step - the course's API-server notebook does exactly that.

Objects are plain dicts. What ``get``/``list``/``create``... return belongs to the caller;
objects passed to ``watch`` callbacks are shared and must be treated as read-only.
"""
from __future__ import annotations

import base64
import contextlib
import uuid
from typing import NamedTuple

import orjson

from . import conversion, defaulting, errors, fieldmanager, schema, strategy, validation
from .admission import Admission
from .objects import clone, dumps, loads
from .patch import apply_patch
from .resources import REGISTRY, ResourceType
from .selectors import from_label_selector, parse_field_selector, parse_label_selector

#: utilrand's alphabet for generated names: no vowels (no accidental words), no 0/1/3 look-alikes.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class UserInfo(NamedTuple):
    """Who is asking: what authentication established (k8s.io/apiserver/pkg/authentication/user)."""
    name: str
    groups: tuple = ("system:authenticated",)
    uid: str = ""


ADMIN = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))


class APIServer:
    """CRUD, list and watch over the store, with Kubernetes semantics."""

    def __init__(self, store, clock, rng, registry=REGISTRY):
        self.store, self.clock, self.rng, self.registry = store, clock, rng, registry
        self.authorizer = None  # set by the cluster: rbac.Authorizer; None allows everything
        self.admission = Admission(self)
        self._trace = None
        self._memo = (None, None)
        self.requests = 0
        #: Resources computed when asked instead of stored, by type: ``{rt: storage}`` with
        #: ``storage.get(name, namespace)`` and ``storage.list(namespace, labels, fields)``.
        #: Add-ons behind the aggregation layer register here (:mod:`.metrics_server`).
        self.computed: dict = {}
        #: Audit backends: callables ``(user, verb, resource_type, namespace, name, subresource)``
        #: told of every request once it is authenticated (kube-apiserver's audit log, stage
        #: RequestReceived); :mod:`labkit.viz.recorder` uses it to say who wrote what.
        self.audit: list = []

    # -- helpers ----------------------------------------------------------------------------
    def resource(self, resource) -> ResourceType:
        return self.registry.for_name(resource)

    def key(self, rt: ResourceType, namespace: str | None, name: str = "") -> str:
        if rt.namespaced and namespace:
            return f"/registry/{rt.storage or rt.group_resource}/{namespace}/{name}"
        return f"/registry/{rt.storage or rt.group_resource}/{name}"

    @staticmethod
    def _in(rt, obj: dict) -> dict:
        """A request body in its stored form (conversion.py: events.k8s.io/v1 -> core/v1), its
        types checked in its own version first, as the decoder does."""
        if not rt.storage:
            return obj
        schema.check_types(rt, obj)
        return conversion.to_storage(rt, obj)

    @staticmethod
    def _out(rt, obj: dict) -> dict:
        """A stored object as the requested API version shows it."""
        return conversion.from_storage(rt, obj) if rt.storage else obj

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def random_suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(NAME_ALPHABET) for _ in range(n))

    def _decode(self, kv) -> dict:
        obj = loads(self.store.value_of(kv))
        obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
        return obj

    def _shared(self, kv) -> dict:
        """Decode once per store event for all watchers (read-only object)."""
        if self._memo[0] is kv:
            return self._memo[1]
        obj = self._decode(kv)
        self._memo = (kv, obj)
        return obj

    def _stage(self, stage: str, detail: str) -> None:
        if self._trace is not None:
            self._trace.append({"stage": stage, "detail": detail})

    @contextlib.contextmanager
    def tracing(self):
        """Record each step requests take: ``with api.tracing() as steps: api.create(...)``."""
        steps, self._trace = [], []
        try:
            yield steps
        finally:
            steps.extend(self._trace)
            self._trace = None

    def _authorize(self, user, verb, rt, namespace, name=None, subresource=None) -> None:
        self.requests += 1
        for backend in self.audit:
            backend(user, verb, rt, namespace, name, subresource)
        self._stage("authentication", f'user "{user.name}" groups {list(user.groups)}')
        if self.authorizer is None:
            self._stage("authorization", "allowed (no authorizer)")
            return
        ok, reason = self.authorizer.authorize(user, verb, rt, namespace, name, subresource)
        if not ok:
            self._stage("authorization", f"DENIED: {reason}")
            raise errors.forbidden(user.name, verb, rt.plural, rt.group, name,
                                   namespace if rt.namespaced else None, reason, subresource or "")
        self._stage("authorization", f"allowed: {reason}")
        if rt in self.computed and verb not in rt.verbs:  # authorized, but no such REST verb
            raise errors.method_not_supported(rt.plural, rt.group, verb)

    def authorize(self, user, verb, resource, namespace=None, name=None, subresource=None):
        """RBAC for a request the REST handler serves itself (``deletecollection``, ``/scale``)."""
        rt = self.resource(resource)
        self._authorize(user, verb, rt, namespace if rt.namespaced else None, name, subresource)

    @staticmethod
    def _decode_stage(rt, fn, *args):
        """Run a step that walks the object's structure. A value of the wrong JSON type (a
        string where a list belongs...) fails like the API server's decoder: 400 BadRequest."""
        try:
            return fn(*args)
        except (TypeError, AttributeError, KeyError, ValueError, IndexError) as e:
            raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                                     f'{rt.kind}: {errors.describe_type_error(e)}') from None

    def _namespace_for(self, rt, obj, namespace):
        meta = obj["metadata"]
        if not rt.namespaced:
            meta.pop("namespace", None)
            return None
        ns = namespace or meta.get("namespace") or "default"
        if meta.get("namespace") and meta["namespace"] != ns:
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        meta["namespace"] = ns
        return ns

    def _check_body(self, rt, obj, copy: bool = True) -> dict:
        """The body as an object of ``rt`` (a copy, unless ``copy=False`` says it is ours)."""
        if not isinstance(obj, dict):
            raise errors.bad_request("Object 'Kind' is missing in the request body")
        if copy:
            obj = clone(obj)
        obj.setdefault("apiVersion", rt.api_version)
        obj.setdefault("kind", rt.kind)
        if obj["kind"] != rt.kind or obj["apiVersion"] not in (rt.api_version,):
            try:
                other = self.registry.for_kind(str(obj["apiVersion"]), str(obj["kind"]))
            except errors.ApiError:
                other = None
            if other is not rt:
                raise errors.bad_request(
                    f"the API version in the data ({obj['apiVersion']}) does not match the "
                    f"expected API version ({rt.api_version})" if obj["kind"] == rt.kind else
                    f'Object kind "{obj["kind"]}" does not match the resource "{rt.plural}"')
            obj["apiVersion"] = rt.api_version
        if not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request("metadata must be an object")
        obj.setdefault("metadata", {})
        return obj

    # -- create -----------------------------------------------------------------------------
    def create(self, resource, obj, namespace=None, dry_run=False, user=ADMIN,
               field_manager=None, _applied=None) -> dict:
        """POST. ``field_manager`` is accepted and not recorded: managedFields start with a
        server-side apply (:mod:`.fieldmanager`), whose create passes them as ``_applied``."""
        rt = self.resource(resource)
        obj = self._in(rt, self._check_body(rt, obj))
        meta = obj["metadata"]
        ns = self._namespace_for(rt, obj, namespace)
        if _applied is None:  # an apply that creates was authorized as a patch
            self._authorize(user, "create", rt, ns)
        if meta.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "selfLink", "managedFields"):
            meta.pop(f, None)
        if _applied:
            meta["managedFields"] = _applied
        self._decode_stage(rt, defaulting.apply_defaults, rt, obj)
        obj = self.admission.mutate("CREATE", rt, obj, None, user)
        self._stage("mutating admission", ", ".join(self.admission.mutating_names()))
        meta = obj["metadata"]
        # store.Create: generate the name, fill uid/creationTimestamp, then the strategy
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{self.random_suffix()}"
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = self.clock.timestamp()
        strategy.prepare_for_create(rt.kind, obj)
        defaulting.prepare_for_create(rt, obj)
        causes = self._decode_stage(rt, validation.validate, rt, obj, None)
        if causes:
            self._stage("validation", f"{len(causes)} error(s)")
            raise errors.invalid(rt.kind, meta.get("name", ""), causes, rt.group)
        self._stage("validation", "ok")
        self.admission.validate("CREATE", rt, obj, None, user, dry_run=dry_run)
        self._stage("validating admission", ", ".join(self.admission.validating_names()))
        if dry_run:
            return self._out(rt, obj)
        kv = self._store_new(rt, ns, obj)
        meta["resourceVersion"] = str(kv.mod_revision)
        self._stage("etcd", f"PUT {kv.key} at revision {kv.mod_revision}")
        return self._out(rt, obj)

    def _store_new(self, rt, ns, obj):
        """Write a new object. A generated name that collides is drawn again, up to 7 retries
        (the RetryGenerateName feature, GA in v1.31)."""
        meta = obj["metadata"]
        for attempt in range(8):
            try:
                return self.store.create(self.key(rt, ns, meta["name"]), dumps(obj))
            except KeyError:
                if not meta.get("generateName") or attempt == 7:
                    raise errors.already_exists(rt.plural, meta["name"], rt.group) from None
                meta["name"] = f"{meta['generateName']}{self.random_suffix()}"

    # -- read -------------------------------------------------------------------------------
    def get(self, resource, name, namespace=None, user=ADMIN, subresource=None) -> dict:
        rt = self.resource(resource)
        self._authorize(user, "get", rt, namespace if rt.namespaced else None, name, subresource)
        if rt in self.computed:
            return self.computed[rt].get(name, namespace or "default")
        kv = self.store.get(self.key(rt, namespace or "default", name))
        if kv is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return self._out(rt, self._decode(kv))

    def list(self, resource, namespace=None, label_selector=None, field_selector=None,
             resource_version=None, limit=None, continue_=None, user=ADMIN) -> dict:
        rt = self.resource(resource)
        ns = namespace if rt.namespaced else None
        self._authorize(user, "list", rt, ns)
        sel = self._label_selector(label_selector)
        fsel = parse_field_selector(field_selector, rt.kind)
        if rt in self.computed:
            return self.computed[rt].list(ns, sel, fsel)
        start_key, revision = None, None
        if continue_:
            start_key, revision = self._decode_continue(continue_)
        elif resource_version not in (None, "", "0"):
            revision = int(resource_version)
        prefix = self.key(rt, ns, "")
        kvs, rev = self.store.range(prefix, revision)
        items = []
        more = None
        for kv in kvs:
            if start_key is not None and kv.key <= start_key:
                continue
            obj = self._decode(kv)
            if (sel is None or sel.matches(obj["metadata"].get("labels"))) and \
                    (fsel.empty() or fsel.matches(obj)):
                if limit and len(items) >= int(limit):
                    more = items[-1]
                    break
                items.append(obj)
        if rt.storage:
            items = [self._out(rt, obj) for obj in items]
        meta = {"resourceVersion": str(rev)}
        if more is not None:
            last = self.key(rt, more["metadata"].get("namespace"), more["metadata"]["name"])
            meta["continue"] = base64.urlsafe_b64encode(
                orjson.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": last})).decode()
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": items}

    def _label_selector(self, label_selector):
        if label_selector is None or label_selector == "":
            return None
        if isinstance(label_selector, dict):
            return from_label_selector(label_selector)
        return parse_label_selector(label_selector)

    def _decode_continue(self, token):
        try:
            doc = orjson.loads(base64.urlsafe_b64decode(token))
            return doc["start"], int(doc["rv"])
        except (ValueError, KeyError, TypeError):
            raise errors.bad_request("continue key is not valid: illegal base64 data") from None

    # -- update / patch ---------------------------------------------------------------------
    def update(self, resource, obj, namespace=None, subresource=None, dry_run=False,
               user=ADMIN, field_manager=None) -> dict:
        """PUT. ``subresource="scale"`` writes the object (its ``spec.replicas``) on behalf of
        the ``/scale`` view; managedFields records it with ``subresource: scale``."""
        rt = self.resource(resource)
        obj = self._in(rt, self._check_body(rt, obj))
        ns = self._namespace_for(rt, obj, namespace)
        name = obj["metadata"].get("name")
        if not name:
            raise errors.bad_request("name is required")
        self._authorize(user, "update", rt, ns, name, subresource)
        kv = self.store.get(self.key(rt, ns, name))
        if kv is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return self._update(rt, obj, kv, subresource, user, dry_run, manager=field_manager)

    def patch(self, resource, name, patch, patch_type="strategic", namespace=None,
              subresource=None, dry_run=False, user=ADMIN, field_manager=None,
              force=None) -> dict:
        """PATCH. An apply patch (``"apply"``, ``application/apply-patch+yaml``) is server-side
        apply (:mod:`.fieldmanager`): it needs a ``field_manager``, may ``force`` conflicts,
        and creates the object when it does not exist."""
        rt = self.resource(resource)
        ns = (namespace or "default") if rt.namespaced else None
        applying = patch_type in ("apply", "application/apply-patch+yaml")
        fieldmanager.check_patch_options(applying, field_manager, force)
        self._authorize(user, "patch", rt, ns, name, subresource)
        kv = self.store.get(self.key(rt, ns, name))
        if kv is None:
            if applying and subresource is None:
                return self._apply_create(rt, name, ns, patch, field_manager, dry_run, user)
            raise errors.not_found(rt.plural, name, rt.group)
        old = self._decode(kv)
        current = self._out(rt, old)
        if applying:
            patched = self._decode_stage(
                rt, fieldmanager.apply, current, fieldmanager.config_of(patch),
                current["metadata"].get("managedFields"), field_manager, rt.api_version,
                force in (True, "true"), self.clock.timestamp(), subresource)
        else:  # copies: `old` stays as stored
            patched = self._decode_stage(rt, apply_patch, current, patch, patch_type)
        if not isinstance(patched, dict):
            raise errors.bad_request("patch produced an invalid object")
        patched = self._in(rt, self._check_body(rt, patched, copy=False))
        if patched["metadata"].get("name") != name:
            raise errors.bad_request(f'the name of the object ({patched["metadata"].get("name")}) '
                                     f'does not match the name on the URL ({name})')
        return self._update(rt, patched, kv, subresource, user, dry_run,
                            old=None if rt.storage else old,
                            manager=False if applying else field_manager)

    def _apply_create(self, rt, name, ns, config, manager, dry_run, user) -> dict:
        config = fieldmanager.config_of(config)
        given = (config.get("metadata") or {}).get("name")
        if given not in (None, name):
            raise errors.bad_request(f"the name of the object ({given}) does not match the name "
                                     f"on the URL ({name})")
        config = dict(config, metadata=dict(config.get("metadata") or {}, name=name))
        obj = self._decode_stage(rt, fieldmanager.apply, {}, config, None, manager,
                                 rt.api_version, False, self.clock.timestamp())
        return self.create(rt, obj, ns, dry_run=dry_run, user=user,
                           _applied=obj["metadata"].get("managedFields", []))

    def _update(self, rt, obj, kv, subresource, user, dry_run, old=None, manager=None) -> dict:
        return self._out(rt, self._write(rt, obj, kv, subresource, user, dry_run, old, manager))

    def _write(self, rt, obj, kv, subresource, user, dry_run, old=None, manager=None) -> dict:
        """Write ``obj`` over the stored ``kv`` (``old``: ``kv`` already decoded, read-only).
        On an object with managedFields, ``manager`` (default: from ``user``) takes the fields
        it changes, unless ``obj`` is a server-side apply's result (``manager`` False)."""
        if old is None:
            old = self._decode(kv)
        meta, old_meta = obj["metadata"], old["metadata"]
        rv = meta.get("resourceVersion")
        if rv and rv != old_meta["resourceVersion"]:
            raise errors.conflict(rt.plural, old_meta["name"], rt.group)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise errors.conflict(rt.plural, old_meta["name"], rt.group,
                                  f"Precondition failed: UID in precondition: {old_meta['uid']}, "
                                  f"UID in object meta: {meta['uid']}")
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if f in old_meta:
                meta[f] = old_meta[f]
            else:
                meta.pop(f, None)
        self._decode_stage(rt, defaulting.apply_defaults, rt, obj, subresource)
        if subresource not in ("status", "finalize"):
            obj = self.admission.mutate("UPDATE", rt, obj, old, user)
        strategy.prepare_for_update(rt.kind, obj, old, subresource)
        if manager is not False and (old_meta.get("managedFields") or meta.get("managedFields")):
            self._track_update(rt, obj, old, subresource, user, manager)
        causes = self._decode_stage(rt, validation.validate, rt, obj, old)
        if causes:
            raise errors.invalid(rt.kind, old_meta["name"], causes, rt.group)
        if subresource is None:
            self.admission.validate("UPDATE", rt, obj, old, user, dry_run=dry_run)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if obj == old:
            return obj  # a no-op write does not create a new revision (upstream behaviour)
        if dry_run:
            return obj
        if self._finished_deleting(rt, obj):
            self.store.delete(kv.key)
            return obj
        meta.pop("resourceVersion")
        new = self.store.update(kv.key, dumps(obj), kv.mod_revision)
        meta["resourceVersion"] = str(new.mod_revision)
        self._stage("etcd", f"PUT {kv.key} at revision {new.mod_revision}")
        return obj

    def _track_update(self, rt, obj, old, subresource, user, manager) -> None:
        """An Update operation on an object with managedFields (:func:`fieldmanager.update`);
        objects are compared as the client's version sees them."""
        new = self._out(rt, obj)
        fieldmanager.update(self._out(rt, old), new, manager or fieldmanager.manager_for(user.name),
                            rt.api_version, subresource, self.clock.timestamp())
        if new["metadata"].get("managedFields"):
            obj["metadata"]["managedFields"] = new["metadata"]["managedFields"]
        else:
            obj["metadata"].pop("managedFields", None)

    @staticmethod
    def _finished_deleting(rt, obj) -> bool:
        """An object marked for deletion goes once its last finalizer is removed."""
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        if rt.kind == "Namespace":
            return not (obj.get("spec") or {}).get("finalizers")
        return not meta.get("deletionGracePeriodSeconds")

    # -- delete -----------------------------------------------------------------------------
    def delete(self, resource, name, namespace=None, propagation_policy=None,
               grace_period_seconds=None, preconditions=None, dry_run=False, user=ADMIN) -> dict:
        rt = self.resource(resource)
        return self._out(rt, self._delete(rt, name, namespace, propagation_policy,
                                          grace_period_seconds, preconditions, dry_run, user))

    def _delete(self, rt, name, namespace, propagation_policy, grace_period_seconds,
                preconditions, dry_run, user) -> dict:
        ns = (namespace or "default") if rt.namespaced else None
        self._authorize(user, "delete", rt, ns, name)
        self.admission.admit_delete(rt, {"metadata": {"name": name, "namespace": ns}}, user)
        kv = self.store.get(self.key(rt, ns, name))
        if kv is None:
            raise errors.not_found(rt.plural, name, rt.group)
        obj = self._decode(kv)
        meta = obj["metadata"]
        pre = preconditions or {}
        if pre.get("uid") and pre["uid"] != meta["uid"] or \
                pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
            raise errors.conflict(rt.plural, name, rt.group, "Precondition failed")
        if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
            raise errors.bad_request(f'unsupported propagation policy "{propagation_policy}"')
        grace = self._grace_period(rt, obj, grace_period_seconds)
        finalizers = list(meta.get("finalizers") or [])
        if propagation_policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if propagation_policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if dry_run:
            return obj
        if meta.get("deletionTimestamp"):
            return self._shorten_grace(rt, obj, kv, grace)
        if not finalizers and not grace and rt.kind != "Namespace":
            self.store.delete(kv.key)
            self._stage("etcd", f"DELETE {kv.key}")
            return obj
        meta["deletionTimestamp"] = self.clock.timestamp() if not grace else \
            _add_seconds(self.clock, grace)
        meta["deletionGracePeriodSeconds"] = grace or 0
        if finalizers:
            meta["finalizers"] = finalizers
        if "generation" in meta:
            meta["generation"] += 1
        if rt.kind == "Namespace":
            obj.setdefault("status", {})["phase"] = "Terminating"
        meta.pop("resourceVersion")
        new = self.store.update(kv.key, dumps(obj), kv.mod_revision)
        meta["resourceVersion"] = str(new.mod_revision)
        return obj

    def _grace_period(self, rt, obj, requested) -> int:
        """Only Pods are deleted gracefully, and only when a kubelet is running them
        (pkg/registry/core/pod/strategy.go CheckGracefulDeletion)."""
        if rt.kind != "Pod":
            return 0
        spec, status = obj.get("spec", {}), obj.get("status", {})
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(int(requested), 0) if int(requested) >= 0 else 0
        return int(spec.get("terminationGracePeriodSeconds", 30))

    def _shorten_grace(self, rt, obj, kv, grace) -> dict:
        meta = obj["metadata"]
        if rt.kind == "Pod" and grace < (meta.get("deletionGracePeriodSeconds") or 0):
            meta["deletionGracePeriodSeconds"] = grace
            meta["deletionTimestamp"] = _add_seconds(self.clock, grace)
            if grace == 0 and not meta.get("finalizers"):
                self.store.delete(kv.key)
                return obj
            meta.pop("resourceVersion")
            new = self.store.update(kv.key, dumps(obj), kv.mod_revision)
            meta["resourceVersion"] = str(new.mod_revision)
        return obj

    # -- watch ------------------------------------------------------------------------------
    def watch(self, resource, callback, namespace=None, resource_version=None,
              label_selector=None, field_selector=None, user=ADMIN, with_kv=False):
        """Stream ``callback(type, obj)`` for changes; returns a cancel function.

        With no ``resource_version`` (or "0") the current objects arrive first as ADDED, as a
        watch from the API server's cache does; with a revision, only later changes arrive
        (410 Gone if that revision was compacted away). An object that stops matching the
        selectors arrives as DELETED, one that starts matching as ADDED.

        ``with_kv=True`` (in-process informers of kinds stored as served):
        ``callback(type, obj, kv)`` also gets the store's key-value the object was decoded from.
        """
        rt = self.resource(resource)
        ns = namespace if rt.namespaced else None
        self._authorize(user, "watch", rt, ns)
        if with_kv and rt.storage:
            raise ValueError(f"{rt.plural}: with_kv needs a kind stored as served")
        if not with_kv:
            plain_callback = self._converting(rt, callback) if rt.storage else callback
            callback = lambda etype, obj, _kv: plain_callback(etype, obj)  # noqa: E731
        sel = self._label_selector(label_selector)
        fsel = parse_field_selector(field_selector, rt.kind)
        prefix = self.key(rt, ns, "")
        plain = sel is None and fsel.empty()

        def match(obj):
            return plain or ((sel is None or sel.matches(obj["metadata"].get("labels")))
                             and (fsel.empty() or fsel.matches(obj)))

        def on_event(ev):
            obj, kv = self._shared(ev.kv), ev.kv
            if ev.type == "DELETE":
                if plain or match(obj):
                    callback("DELETED", obj, kv)
                return
            now = match(obj)
            before = ev.prev is not None and (plain or match(self._decode(ev.prev)))
            if now and before:
                callback("MODIFIED", obj, kv)
            elif now:
                callback("ADDED", obj, kv)
            elif before:
                callback("DELETED", obj, kv)

        if resource_version in (None, "", "0"):
            kvs, rev = self.store.range(prefix)
            for kv in kvs:
                obj = self._decode(kv)
                if match(obj):
                    callback("ADDED", obj, kv)
            return self.store.watch(prefix, on_event, rev)
        return self.store.watch(prefix, on_event, int(resource_version))

    def _converting(self, rt, callback):
        """A watch callback that gets objects in ``rt``'s API version."""
        def convert(etype, obj):
            callback(etype, self._out(rt, obj))
        return convert

    # -- subresources -----------------------------------------------------------------------
    def bind(self, name, namespace, node_name, user=ADMIN) -> dict:
        """``POST pods/{name}/binding``: the scheduler's decision. Sets ``spec.nodeName`` and the
        PodScheduled condition (pkg/registry/core/pod/storage BindingREST)."""
        rt = self.resource("pods")
        self._authorize(user, "create", rt, namespace, name, "binding")
        kv = self.store.get(self.key(rt, namespace, name))
        if kv is None:
            raise errors.not_found("pods", name)
        pod = self._decode(kv)
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.conflict("pods/binding", name, "", f"pod {name} is being deleted, cannot be assigned to a host")
        if pod["spec"].get("nodeName"):
            raise errors.conflict("pods/binding", name, "", f'pod {name} is already assigned to node "{pod["spec"]["nodeName"]}"')
        pod["spec"]["nodeName"] = node_name
        from .objects import set_condition
        set_condition(pod.setdefault("status", {}), "PodScheduled", "True", "", "",
                      self.clock.timestamp(), probe_time=True)
        del pod["metadata"]["resourceVersion"]
        new = self.store.update(kv.key, dumps(pod), kv.mod_revision)
        pod["metadata"]["resourceVersion"] = str(new.mod_revision)
        return pod


def _add_seconds(clock, seconds) -> str:
    from .clock import rfc3339
    return rfc3339(clock.now() + seconds)

