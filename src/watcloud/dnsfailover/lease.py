"""Single-active locks: an exclusive `flock` (one host) or a Kubernetes Lease (a cluster).

The Lease follows the protocol of client-go's leader election on a
`coordination.k8s.io/v1` Lease object: the holder writes `holderIdentity` and `renewTime` every
`renew_every` seconds; another candidate takes the Lease over only when it has not seen the
object change for `lease_duration` seconds (measured on its own monotonic clock, so clock skew
between nodes does not matter). Every write carries the `resourceVersion` it read, so two
candidates racing for an expired Lease cannot both win: the API server answers 409 to the
loser. A holder that cannot renew within `lease_duration` must stop acting (the daemon exits).
"""

from __future__ import annotations

import fcntl
import os
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import httpx

    from watcloud.dnsfailover.config import LockConfig

Renewal = Literal["ok", "lost", "error"]
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class FileLock:
    """An exclusive, non-blocking `flock` held for the life of the process."""

    renew_every: float | None = None
    lease_duration: float = 0.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def renew(self) -> Renewal:
        return "ok"

    def holder(self) -> str:
        try:
            return "pid " + (self.path.read_text().strip() or "?")
        except OSError:
            return "?"

    def describe(self) -> str:
        return f"file lock {self.path}"

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class NoLock:
    renew_every: float | None = None
    lease_duration: float = 0.0

    def try_acquire(self) -> bool:
        return True

    def renew(self) -> Renewal:
        return "ok"

    def holder(self) -> str:
        return "-"

    def describe(self) -> str:
        return "no lock"

    def release(self) -> None:
        pass


def _micro_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseLock:
    """A `coordination.k8s.io/v1` Lease, through the Kubernetes API."""

    def __init__(
        self,
        *,
        api_url: str,
        namespace: str,
        name: str,
        identity: str,
        lease_duration: float = 15.0,
        renew_every: float = 5.0,
        token_file: Path | None = None,
        ca_file: Path | None = None,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        client: httpx.Client | None = None,
    ) -> None:

        self.url = (
            f"{api_url.rstrip('/')}/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        )
        self.namespace, self.name, self.identity = namespace, name, identity
        self.lease_duration, self.renew_every = lease_duration, renew_every
        self.token_file = token_file
        self.monotonic, self.wall = monotonic, wall
        if client is None:
            from watcloud.core.http import make_client

            verify: Any = True if ca_file is None else ssl.create_default_context(cafile=ca_file)
            client = make_client(
                "dnsfailover",
                timeout=timeout,
                connect_retries=0,
                verify=verify,
                trust_env=False,
                follow_redirects=False,
            )
        self.client = client
        self.observed: tuple[str, float] | None = None  # (resourceVersion, when first seen)
        self.last_holder = ""
        self.held = False

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.token_file is not None:
            token = self.token_file.read_text().strip()  # re-read: bound tokens rotate
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _spec(self, transitions: int, acquire: str | None) -> dict[str, Any]:
        now = _micro_time(self.wall())
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, round(self.lease_duration)),
            "acquireTime": acquire or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    def _observe(self, lease: dict[str, Any]) -> None:
        rv = str(lease.get("metadata", {}).get("resourceVersion", ""))
        if self.observed is None or self.observed[0] != rv:
            self.observed = (rv, self.monotonic())
        self.last_holder = str(lease.get("spec", {}).get("holderIdentity") or "")

    def try_acquire(self) -> bool:
        """Take the Lease if it is free, expired, or already ours. Never raises for HTTP."""
        import httpx

        try:
            r = self.client.get(f"{self.url}/{self.name}", headers=self._headers())
            if r.status_code == 404:
                body = {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": self._spec(0, None),
                }
                c = self.client.post(self.url, json=body, headers=self._headers())
                self.held = c.status_code in (200, 201)
                if self.held:
                    self._observe(c.json())
                return self.held
            if r.status_code != 200:
                return False
            lease = r.json()
            self._observe(lease)
            spec = lease.get("spec", {})
            holder = spec.get("holderIdentity") or ""
            assert self.observed is not None
            expired = self.monotonic() - self.observed[1] > float(
                spec.get("leaseDurationSeconds") or self.lease_duration
            )
            if holder and holder != self.identity and not expired:
                return False
            transitions = int(spec.get("leaseTransitions") or 0)
            ours = holder == self.identity
            lease["spec"] = self._spec(
                transitions if ours else transitions + 1, spec.get("acquireTime") if ours else None
            )
            u = self.client.put(f"{self.url}/{self.name}", json=lease, headers=self._headers())
            self.held = u.status_code == 200  # 409: someone else wrote first
            if self.held:
                self._observe(u.json())
            return self.held
        except (httpx.HTTPError, ValueError, OSError):
            return False

    def renew(self) -> Renewal:
        """Write a fresh renewTime: "ok", "lost" (someone else holds it) or "error"."""
        import httpx

        try:
            r = self.client.get(f"{self.url}/{self.name}", headers=self._headers())
            if r.status_code == 404:
                return "lost"
            if r.status_code != 200:
                return "error"
            lease = r.json()
            self._observe(lease)
            spec = lease.get("spec", {})
            if spec.get("holderIdentity") != self.identity:
                self.held = False
                return "lost"
            lease["spec"] = self._spec(
                int(spec.get("leaseTransitions") or 0), spec.get("acquireTime")
            )
            u = self.client.put(f"{self.url}/{self.name}", json=lease, headers=self._headers())
            if u.status_code != 200:
                return "error"  # 409: raced with another writer; the next try tells
            self._observe(u.json())
            return "ok"
        except (httpx.HTTPError, ValueError, OSError):
            return "error"

    def release(self) -> None:
        """Hand the Lease back (holder cleared) so a standby need not wait for expiry."""
        import httpx

        if not self.held:
            return
        self.held = False
        try:
            r = self.client.get(f"{self.url}/{self.name}", headers=self._headers())
            if r.status_code != 200:
                return
            lease = r.json()
            if lease.get("spec", {}).get("holderIdentity") != self.identity:
                return
            lease["spec"]["holderIdentity"] = None
            lease["spec"]["leaseDurationSeconds"] = 1
            self.client.put(f"{self.url}/{self.name}", json=lease, headers=self._headers())
        except (httpx.HTTPError, ValueError, OSError):
            pass

    def holder(self) -> str:
        return self.last_holder or "?"

    def describe(self) -> str:
        return f"Lease {self.namespace}/{self.name} as {self.identity}"


def make_lock(cfg: LockConfig) -> FileLock | NoLock | LeaseLock:
    from watcloud.core.errors import ConfigError

    if cfg.kind == "none":
        return NoLock()
    if cfg.kind == "file":
        return FileLock(cfg.effective_path())
    api_url = cfg.api_url
    if api_url is None:
        host, port = (
            os.environ.get("KUBERNETES_SERVICE_HOST"),
            os.environ.get("KUBERNETES_SERVICE_PORT", "443"),
        )
        if not host:
            raise ConfigError(
                "lock.kind kubernetes-lease: set lock.api_url or run in a pod "
                "(KUBERNETES_SERVICE_HOST is not set)"
            )
        api_url = f"https://{host}:{port}"
    namespace = cfg.namespace
    if namespace is None:
        try:
            namespace = (SA_DIR / "namespace").read_text().strip()
        except OSError:
            raise ConfigError(
                "lock.namespace: not set and not running in a pod (no service account)"
            ) from None
    token = cfg.token_file if cfg.token_file is not None else SA_DIR / "token"
    ca = cfg.ca_file
    if ca is None and api_url.startswith("https://") and (SA_DIR / "ca.crt").exists():
        ca = SA_DIR / "ca.crt"
    return LeaseLock(
        api_url=api_url,
        namespace=namespace,
        name=cfg.lease_name,
        identity=cfg.identity or os.environ.get("POD_NAME") or socket.gethostname(),
        lease_duration=cfg.lease_duration,
        renew_every=cfg.renew_every,
        token_file=token if token.exists() else None,
        ca_file=ca,
    )
