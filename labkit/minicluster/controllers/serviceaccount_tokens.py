"""Long-lived ServiceAccount token Secrets: who fills them in, and who retires them (v1.33).

Before v1.24 every ServiceAccount got a Secret of type ``kubernetes.io/service-account-token``
holding a token that never expires. Today pods get short-lived tokens from the TokenRequest API
instead, and no such Secret is made automatically, but you can still ask for one::

    apiVersion: v1
    kind: Secret
    metadata:
      name: build-robot-token
      annotations: {kubernetes.io/service-account.name: build-robot}
    type: kubernetes.io/service-account-token

Three pieces cooperate (this module holds the first two and the token format):

- **TokensController** (kube-controller-manager's ``serviceaccount-token`` controller,
  pkg/controller/serviceaccount/tokens_controller.go) watches such Secrets and fills in
  ``data.token`` (a signed JWT), ``data.ca.crt`` (the cluster CA) and ``data.namespace``, and
  records the account's UID in annotation ``kubernetes.io/service-account.uid``. A Secret whose
  ServiceAccount does not exist (checked in the cache, then with a live GET) is deleted; deleting
  a ServiceAccount deletes its token Secrets; deleting a Secret that the account lists in
  ``.secrets`` removes that reference.
- **LegacySATokenCleaner** (``legacy-service-account-token-cleaner``, GA in v1.30,
  pkg/controller/serviceaccount/legacy_serviceaccount_token_cleaner.go) runs once a day. An
  *auto-generated* token (listed in its account's ``.secrets``, mounted by no pod) unused for
  the clean-up period (1 year) is first labelled ``kubernetes.io/legacy-token-invalid-since``
  (the API server then refuses it) and deleted one more period later. It only judges usage it
  could have seen: not before one period after ConfigMap
  ``kube-system/kube-apiserver-legacy-service-account-token-tracking`` says tracking began.
- the API server's **legacy token authenticator** (pkg/serviceaccount/legacy.go; here
  :mod:`labkit.minicluster.http.auth`) accepts such a token only while its Secret exists with
  the same token and the account (same UID) exists, and labels the Secret
  ``kubernetes.io/legacy-token-last-used: <date>`` at most once a day.

Simplifications: the tokens are signed ES256 with a fixed key derived from a constant seed (a
kubeadm cluster signs RS256 with ``/etc/kubernetes/pki/sa.key``), so every mini cluster issues the
same bytes for the same Secret. The informer cache is always current here, so the controller
writes on the cached copy instead of re-reading the live object. The apiserver's
``legacytokentracking`` controller, which creates the tracking ConfigMap, is started next to
the token controller because the mini cluster has no separate apiserver controller loop.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone

from ..apiserver import UserInfo
from ..errors import ApiError
from ..objects import clone
from ..tokens import sign
from .base import Controller
from .serviceaccount import CLUSTER_CA_PEM

SECRET_TYPE = "kubernetes.io/service-account-token"  # v1.SecretTypeServiceAccountToken
SA_NAME_KEY = "kubernetes.io/service-account.name"  # v1.ServiceAccountNameKey
SA_UID_KEY = "kubernetes.io/service-account.uid"  # v1.ServiceAccountUIDKey
LEGACY_ISSUER = "kubernetes/serviceaccount"  # pkg/serviceaccount/legacy.go LegacyIssuer
LAST_USED_LABEL = "kubernetes.io/legacy-token-last-used"  # serviceaccount.LastUsedLabelKey
INVALID_SINCE_LABEL = "kubernetes.io/legacy-token-invalid-since"  # InvalidSinceLabelKey
TRACKING_CONFIGMAP = "kube-apiserver-legacy-service-account-token-tracking"  # legacytokentracking
TRACKING_DATA_KEY = "since"
TRACKING_CREATE_INTERVAL = 30 * 60  # legacytokentracking: creation rate limit, one per 30 min
CLEANER_SYNC_INTERVAL = 24 * 3600  # DefaultCleanerSyncInterval
CLEAN_UP_PERIOD = 365 * 24 * 3600  # --legacy-service-account-token-clean-up-period (8760h)
DATE = "%Y-%m-%d"  # the labels' date format ("2006-01-02")

#: the root client of kube-controller-manager: the token controller cannot use a token of its own
KCM_USER = UserInfo("system:kube-controller-manager", ("system:authenticated",))
#: kube-apiserver's loopback identity (legacytokentracking, the last-used label)
APISERVER_USER = UserInfo("system:apiserver", ("system:masters", "system:authenticated"))


def date_of(t: float) -> str:
    """A virtual time as the labels' UTC date, ``2025-01-01``."""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime(DATE)


def _parse_date(s) -> float | None:
    try:
        return datetime.strptime(s, DATE).replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


# -- the token: a JWT signed by the service account key (labkit.minicluster.tokens) --------
def legacy_claims(sa: dict, secret_name: str) -> dict:
    """The claims of a Secret-based token (serviceaccount.LegacyClaims plus the issuer)."""
    ns, name = sa["metadata"]["namespace"], sa["metadata"]["name"]
    return {"iss": LEGACY_ISSUER,
            "kubernetes.io/serviceaccount/namespace": ns,
            "kubernetes.io/serviceaccount/secret.name": secret_name,
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": sa["metadata"]["uid"],
            "sub": f"system:serviceaccount:{ns}:{name}"}


def is_token_of(secret: dict, sa_name: str, sa_uid: str) -> bool:
    """apiserverserviceaccount.IsServiceAccountToken: right type, right name, and the UID
    annotation (when present) names this very account."""
    ann = secret["metadata"].get("annotations") or {}
    return secret.get("type") == SECRET_TYPE and ann.get(SA_NAME_KEY) == sa_name and \
        ann.get(SA_UID_KEY, "") in ("", sa_uid)


def _b64text(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


# -- the controller -------------------------------------------------------------------------
class TokensController(Controller):
    """Populates token Secrets and deletes the ones whose ServiceAccount is gone.

    Queue keys are tuples: ``("secret", ns, name, uid, sa_name, sa_uid)`` for Secret events and
    ``("sa", ns, name, uid)`` for deleted ServiceAccounts (upstream keeps two queues)."""

    name = "tokens-controller"
    ca_pem = CLUSTER_CA_PEM

    def setup(self):
        self.user = KCM_USER
        self.secrets = self.informers["secrets"]
        self.accounts = self.informers["serviceaccounts"]
        self.secrets.add_handler(self._on_secret, lambda old, new: self._on_secret(new),
                                 self._on_secret)
        self.accounts.add_handler(on_delete=self._on_sa_delete, replay=False)
        self.tracking = LegacyTokenTrackingController(self.ctx)
        self.cleaner = LegacySATokenCleaner(self.ctx)

    def _on_secret(self, secret):
        if secret.get("type") != SECRET_TYPE:
            return
        m = secret["metadata"]
        ann = m.get("annotations") or {}
        if ann.get(SA_NAME_KEY):  # validation requires it; parseSecretQueueKey would drop it
            self.queue.add(("secret", m["namespace"], m["name"], m["uid"], ann[SA_NAME_KEY],
                            ann.get(SA_UID_KEY, "")))

    def _on_sa_delete(self, sa):
        m = sa["metadata"]
        self.queue.add(("sa", m["namespace"], m["name"], m["uid"]))

    def reconcile(self, key):
        if key[0] == "sa":
            self._delete_tokens(*key[1:])
        else:
            self._sync_secret(*key[1:])

    # -- lookups (cache first; a live GET on a miss when asked, like getServiceAccount) -----
    def _account(self, ns, name, uid, live=False):
        sa = self.accounts.get(name, ns)
        if sa is None and live:
            try:
                sa = self.api.get("serviceaccounts", name, ns, user=self.user)
            except ApiError as e:
                if e.code != 404:
                    raise
        if sa is not None and uid and sa["metadata"]["uid"] != uid:
            return None
        return sa

    # -- syncs ------------------------------------------------------------------------------
    def _sync_secret(self, ns, name, uid, sa_name, sa_uid):
        secret = self.secrets.get(name, ns)
        if secret is None or secret["metadata"]["uid"] != uid:
            if self._account(ns, sa_name, sa_uid) is not None:
                self._remove_reference(ns, sa_name, sa_uid, name)
            return
        sa = self._account(ns, sa_name, sa_uid, live=True)
        if sa is None:
            self._delete_token(ns, name, uid)
        else:
            self._populate(sa, secret)

    def _missing(self, secret: dict) -> dict:
        """What secretUpdateNeeded finds: the CA differs, the namespace or the token is empty."""
        data = secret.get("data") or {}
        out = {}
        if data.get("ca.crt") != _b64text(self.ca_pem):
            out["ca.crt"] = _b64text(self.ca_pem)
        if not data.get("namespace"):
            out["namespace"] = _b64text(secret["metadata"]["namespace"])
        if not data.get("token"):
            out["token"] = None  # signed below, once the account is known
        return out

    def _populate(self, sa: dict, cached: dict) -> None:
        missing = self._missing(cached)
        if not missing:
            return
        secret = clone(cached)
        data = secret.setdefault("data", {})
        if "token" in missing:
            missing["token"] = _b64text(sign(legacy_claims(sa, secret["metadata"]["name"])))
        data.update(missing)
        ann = secret["metadata"].setdefault("annotations", {})
        ann[SA_NAME_KEY] = sa["metadata"]["name"]
        ann[SA_UID_KEY] = sa["metadata"]["uid"]
        try:
            self.api.update("secrets", secret, secret["metadata"]["namespace"], user=self.user)
        except ApiError as e:
            if e.code not in (404, 409):  # gone, or changed: the update event brings us back
                raise  # the work queue retries after a back-off

    def _delete_token(self, ns, name, uid) -> None:
        """deleteToken: UID precondition; NotFound and Conflict need no retry."""
        try:
            self.api.delete("secrets", name, ns, preconditions={"uid": uid}, user=self.user)
        except ApiError as e:
            if e.code not in (404, 409):
                raise

    def _delete_tokens(self, ns, sa_name, sa_uid) -> None:
        """The account is gone: delete every token Secret that belongs to it."""
        if self._account(ns, sa_name, sa_uid) is not None:
            return  # it is back (same UID): nothing to do
        for secret in self.secrets.list(namespace=ns):
            if is_token_of(secret, sa_name, sa_uid):
                self._delete_token(ns, secret["metadata"]["name"], secret["metadata"]["uid"])

    def _remove_reference(self, ns, sa_name, sa_uid, secret_name) -> None:
        """removeSecretReference, retried on conflict (RemoveTokenBackoff: 10 steps)."""
        for _ in range(10):
            try:
                sa = self.api.get("serviceaccounts", sa_name, ns, user=self.user)
            except ApiError as e:
                if e.code == 404:
                    return
                raise
            refs = sa.get("secrets") or []
            if sa_uid and sa["metadata"]["uid"] != sa_uid or \
                    all(r.get("name") != secret_name for r in refs):
                return
            sa = clone(sa)
            sa["secrets"] = [r for r in refs if r.get("name") != secret_name]
            try:
                self.api.update("serviceaccounts", sa, ns, user=self.user)
                return
            except ApiError as e:
                if e.code == 404:
                    return
                if e.code != 409:
                    raise


# -- kube-apiserver: when did legacy token tracking begin? ----------------------------------
class LegacyTokenTrackingController(Controller):
    """Keeps ConfigMap ``kube-system/kube-apiserver-legacy-service-account-token-tracking``
    with ``data.since`` = the date tracking began (pkg/controlplane/controller/
    legacytokentracking): created at most once per 30 minutes, a malformed date is reset."""

    name = "legacy-token-tracking-controller"
    KEY = "kube-system/" + TRACKING_CONFIGMAP

    def setup(self):
        self.user = APISERVER_USER
        self.configmaps = self.informers["configmaps"]
        self.last_created: float | None = None
        handler = lambda cm: self._on_cm(cm)  # noqa: E731
        self.configmaps.add_handler(None, lambda old, new: handler(new), handler, replay=False)
        self.queue.add(self.KEY)

    def _on_cm(self, cm):
        m = cm["metadata"]
        if m["name"] == TRACKING_CONFIGMAP and m.get("namespace") == "kube-system":
            self.queue.add(self.KEY)

    def reconcile(self, key):
        cm = self.configmaps.get(TRACKING_CONFIGMAP, "kube-system")
        now = self.clock.now()
        if cm is None:
            if self.last_created is not None and now < self.last_created + TRACKING_CREATE_INTERVAL:
                self.queue.add_after(key, self.last_created + TRACKING_CREATE_INTERVAL - now)
                return
            new = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": TRACKING_CONFIGMAP, "namespace": "kube-system"},
                   "data": {TRACKING_DATA_KEY: date_of(now)}}
            try:
                self.api.create("configmaps", new, "kube-system", user=self.user)
                self.last_created = now
            except ApiError as e:
                if e.code != 409:
                    raise
        elif _parse_date((cm.get("data") or {}).get(TRACKING_DATA_KEY)) is None:
            cm = clone(cm)
            cm.setdefault("data", {})[TRACKING_DATA_KEY] = date_of(now)
            try:
                self.api.update("configmaps", cm, "kube-system", user=self.user)
            except ApiError as e:
                if e.code not in (404, 409):
                    raise


# -- the cleaner ----------------------------------------------------------------------------
def pod_secret_names(pod: dict) -> set:
    """The Secrets a pod uses (podutil.VisitPodSecretNames): image pull secrets, env and
    envFrom of every container, secret and projected volumes, and the ``secretRef`` /
    ``nodePublishSecretRef`` of other volume types."""
    spec = pod.get("spec") or {}
    out = {r.get("name") for r in spec.get("imagePullSecrets") or ()}
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(group) or ():
            out.update((s.get("secretRef") or {}).get("name") for s in c.get("envFrom") or ())
            out.update(((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
                       for e in c.get("env") or ())
    for v in spec.get("volumes") or ():
        out.add((v.get("secret") or {}).get("secretName"))
        for src in (v.get("projected") or {}).get("sources") or ():
            out.add((src.get("secret") or {}).get("name"))
        for kind, source in v.items():
            if isinstance(source, dict) and kind not in ("secret", "projected"):
                for ref in ("secretRef", "nodePublishSecretRef"):
                    out.add((source.get(ref) or {}).get("name"))
    out.discard(None)
    out.discard("")
    return out


class LegacySATokenCleaner(Controller):
    """Once a day: label, then delete, auto-generated token Secrets unused for a year."""

    name = "legacy-service-account-token-cleaner"
    sync_interval = CLEANER_SYNC_INTERVAL
    clean_up_period = CLEAN_UP_PERIOD

    def setup(self):
        self.secrets = self.informers["secrets"]
        self.accounts = self.informers["serviceaccounts"]
        self.pods = self.informers["pods"]
        self.loop.call_later(0.0, self._tick, background=True)

    def _tick(self):
        self.loop.call_later(self.sync_interval, self._tick, background=True)
        self.queue.add("evaluate")

    def reconcile(self, key):
        self.evaluate()

    def _tracked_since(self) -> float | None:
        """The day after tracking began (latestPossibleTrackedSinceTime)."""
        try:
            cm = self.api.get("configmaps", TRACKING_CONFIGMAP, "kube-system", user=self.user)
        except ApiError:
            return None
        since = _parse_date((cm.get("data") or {}).get(TRACKING_DATA_KEY))
        return None if since is None else since + 86400

    def evaluate(self) -> None:
        """evaluateSATokens: one pass over all token Secrets."""
        now = self.clock.now()
        tracked = self._tracked_since()
        if tracked is None or now < tracked + self.clean_up_period:
            return  # not tracking long enough to know what is unused
        preserve_created = now - self.clean_up_period
        preserve_used = date_of(preserve_created)
        mounted: dict = {}
        for secret in self.secrets.list():
            if self._stale(secret, preserve_created, preserve_used):
                self._judge(secret, preserve_used, mounted)

    def _stale(self, secret, preserve_created, preserve_used) -> bool:
        m = secret["metadata"]
        if secret.get("type") != SECRET_TYPE or m.get("deletionTimestamp"):
            return False
        from ..clock import parse_rfc3339
        if parse_rfc3339(m["creationTimestamp"]) >= preserve_created:
            return False
        last_used = (m.get("labels") or {}).get(LAST_USED_LABEL)
        if last_used is not None:
            return _parse_date(last_used) is not None and last_used < preserve_used
        return True

    def _judge(self, secret, preserve_used, mounted) -> None:
        m = secret["metadata"]
        ns, name = m["namespace"], m["name"]
        ann = m.get("annotations") or {}
        sa = self.accounts.get(ann.get(SA_NAME_KEY, ""), ns) if ann.get(SA_NAME_KEY) else None
        if sa is None or ann.get(SA_UID_KEY, "") not in ("", sa["metadata"]["uid"]) or \
                all(r.get("name") != name for r in sa.get("secrets") or ()):
            return  # cannot tell that it was auto-generated: leave it alone
        if ns not in mounted:
            mounted[ns] = set().union(*(pod_secret_names(p) for p in self.pods.list(namespace=ns)))
        if name in mounted[ns]:
            return  # still used by a pod
        invalid_since = (m.get("labels") or {}).get(INVALID_SINCE_LABEL)
        try:
            if _parse_date(invalid_since) is None:
                patch = {"metadata": {"uid": m["uid"], "labels": {
                    INVALID_SINCE_LABEL: date_of(self.clock.now())}}}
                self.api.patch("secrets", name, patch, "merge", ns, user=self.user)
            elif invalid_since < preserve_used:
                self.api.delete("secrets", name, ns, user=self.user,
                                preconditions={"resourceVersion": m["resourceVersion"]})
        except ApiError:
            pass  # logged upstream; tomorrow's pass tries again
