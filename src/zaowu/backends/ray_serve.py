"""Backends on Ray Serve: a backend named in the ``[ray.deployments]`` settings runs as a Serve deployment
on a Ray cluster, and the studio talks to it through a deployment handle behind the same Backend interface.

Two halves:

- ``BackendReplica``, the deployment's class: each replica builds the real backend (``cls(spec, options)``)
  inside its own Ray worker process and serves ``generate`` / ``stream`` calls. Every media output it makes
  says where it was made, ``meta["ray"] = {"replica", "pid", "node", "attempts"}``.
- ``deploy()`` returns a proxy backend of the same kind (text, embedding, media) with the real class's
  declarations (id, modality, can_stream, Options...), so planners, admission, logging and labelling in the
  studio work as for an in-process backend. Its calls go through the handle; text and media streams use
  ``handle.options(stream=True)``.

Retries: a call whose replica dies (the actor is killed, its node goes away) is sent again, and Serve's
router gives it to another replica, up to ``ray.max_attempts`` tries; then ``BackendUnavailable`` (503).
A stream is retried only before its first piece: once text has reached the caller it cannot be taken
back, so a replica dying mid-stream ends the stream with ``BackendUnavailable``. Errors the backend itself
raises (a bad field) are not retried and reach the caller as they were raised.

What crosses the wire is the request and the result (pickled by Ray): a progress callback stays in the
studio process, so a replica reports no progress. Cancelling (the caller went away, a job was cancelled)
cancels the request on its replica; a render already running there may finish, and the studio stores nothing. Each node of the cluster needs zaowu installed
(with the backend's extras) and, for backends with weights, the model files at the path the studio's
catalog gives (shared storage or the same models_dir on every node).

``ray`` is imported only here, and only when a deployment is first used: ``import zaowu`` never loads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .. import cancel
from ..errors import BackendError, BackendUnavailable, InvalidRequest, ZaowuError
from ..types import EmbeddingRequest, EmbeddingResult, MediaResult, ModelSpec, TextChunk, TextRequest
from .base import Backend, BackendOptions, EmbeddingBackend, MediaBackend, Progress, TextBackend

if TYPE_CHECKING:
    from ..settings import RayConfig, RayDeployment

__all__ = ["BackendReplica", "deploy", "app_name", "check_deployments", "RETRY_PAUSE_S"]

log = logging.getLogger(__name__)

WAIT_SLICE_S = 0.5  # seconds between looks at the studio's cancel token while a replica works
RUNNING_CHECK_S = 30.0  # seconds a running application has to say what it runs before it is deployed again
RETRY_PAUSE_S = 0.5  # seconds before a retry (times the attempt): Serve's router drops the dead replica meanwhile
APP_PREFIX = "zaowu-"  # Serve application names: zaowu-<model id>
_DECLARED = (
    "id",
    "modality",
    "description",
    "licence",
    "local",
    "can_stream",
    "supports_schema",
    "needs_key",
    "supports_edit",
    "formats",
    "Options",
    "settings_options",
)
_deploy_lock = threading.Lock()


def app_name(model_id: str) -> str:
    """The Serve application (and deployment) name of a model: ``zaowu-`` and the id, in Serve's alphabet."""
    return APP_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", model_id)


def check_deployments(config: RayConfig, known: dict[str, type[Backend]]) -> None:
    """Refuse settings naming a backend that does not exist, or Ray deployments without Ray installed, at
    start (400 naming ``ray.deployments.<id>``)."""
    import importlib.util

    for backend_id in config.deployments:
        if backend_id not in known:
            raise InvalidRequest(
                f"ray.deployments names backend '{backend_id}', which is not installed. "
                f"Installed backends: {', '.join(sorted(known))}.",
                param=f"ray.deployments.{backend_id}",
            )
    if config.deployments and importlib.util.find_spec("ray") is None:
        first = next(iter(config.deployments))
        raise InvalidRequest(
            "ray.deployments is set but Ray is not installed: pip install 'zaowu[ray]', or remove the "
            "[ray.deployments] table to run every backend in this process.",
            param=f"ray.deployments.{first}",
        )


# -- the replica side ------------------------------------------------------------------------------------------
class BackendReplica:
    """One replica of a backend's deployment: the real backend, built in this Ray worker process."""

    def __init__(
        self, backend_cls: type[Backend], spec: ModelSpec, options: BackendOptions, fingerprint: str = ""
    ) -> None:
        self.backend = backend_cls(spec, options)
        self.where = _where()
        self.fingerprint = fingerprint  # what it was deployed with: an identical deploy joins it as it is
        log.info("replica %s of %s serving from pid %d", self.where["replica"], spec.id, os.getpid())

    def info(self) -> dict[str, Any]:
        """What the studio needs to know of the loaded backend, and where this replica runs."""
        return {"context_length": self.backend.context_length, "fingerprint": self.fingerprint, **self.where}

    def generate_media(self, request: BaseModel, seed: int | None, extra: dict[str, Any]) -> MediaResult:
        assert isinstance(self.backend, MediaBackend)
        result = self.backend.generate(request, seed, None, **extra)
        for media in result.media:
            media.meta["ray"] = dict(self.where)
        return result

    def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        assert isinstance(self.backend, EmbeddingBackend)
        return self.backend.generate(request)

    def stream_text(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        assert isinstance(self.backend, TextBackend)
        chunks = self.backend.generate(request, seed)
        try:
            yield from chunks
        finally:
            getattr(chunks, "close", lambda: None)()  # the caller stopped reading: stop decoding

    def stream_media(self, request: BaseModel) -> Iterator[bytes]:
        assert isinstance(self.backend, MediaBackend)
        yield from self.backend.stream(request)

    def __del__(self) -> None:
        backend = getattr(self, "backend", None)
        if backend is not None:
            backend.close()


def _where() -> dict[str, Any]:
    import ray
    from ray import serve

    context = serve.get_replica_context()
    return {
        "replica": context.replica_id.unique_id,
        "deployment": context.deployment,
        "pid": os.getpid(),
        "node": ray.get_runtime_context().get_node_id(),
    }


# -- the studio side -------------------------------------------------------------------------------------------
def deploy(
    cls: type[Backend], spec: ModelSpec, options: BackendOptions, config: RayConfig, deployment: RayDeployment
) -> Backend:
    """Run ``spec``'s backend as a Serve application, or join the one already running it with the same
    settings, and return the proxy backend calling it. Waits until its replicas are up."""
    from ray import serve

    name = app_name(spec.id)
    fingerprint = _fingerprint(cls, spec, options, deployment)
    started = time.perf_counter()
    with _deploy_lock:  # Serve builds deployment configs with process-wide pickling state: one at a time
        _connect(config)
        handle = _running(name, fingerprint)
        try:
            if handle is None:
                replica = serve.deployment(BackendReplica).options(**_deployment_options(name, deployment))
                handle = serve.run(replica.bind(cls, spec, options, fingerprint), name=name, route_prefix=None)
        except Exception as exc:  # a replica that cannot start: say which deployment, and where to look
            raise BackendError(
                f"Ray Serve could not start '{name}' for backend '{cls.id}' ({_short(exc)}). Check `serve status` "
                f"and the replica logs; each node needs zaowu installed and the model files at {spec.path or '-'}."
            ) from exc
    log.info("Ray Serve application %s up in %.1f s", name, time.perf_counter() - started)
    proxy_cls = _proxy_class(cls)
    proxy = proxy_cls(spec, options)
    assert isinstance(proxy, _Remote)
    proxy.attach(_Caller(handle, name, config))
    return proxy


def _connect(config: RayConfig) -> None:
    """Join the Ray cluster named by ``ray.address`` (once per process) and make sure Serve runs on it,
    without its HTTP proxy: the studio calls deployments through handles only."""
    import ray
    from ray import serve

    if not ray.is_initialized():
        try:
            ray.init(address=config.address, namespace=config.namespace, log_to_driver=False)
        except (ConnectionError, RuntimeError) as exc:
            raise BackendUnavailable(
                f"Could not join the Ray cluster at ray.address = '{config.address}' ({_short(exc)}). Start one "
                'with `ray start --head`, or set ray.address to its address (or "local" for one in this process).',
                param="ray.address",
            ) from exc
    serve.start(proxy_location="Disabled")


def _fingerprint(cls: type[Backend], spec: ModelSpec, options: BackendOptions, deployment: RayDeployment) -> str:
    """What a deployment runs, as a hash: the same backend, model, options and replicas give the same one."""
    what = [
        f"{cls.__module__}.{cls.__qualname__}",
        spec.model_dump(mode="json"),
        options.model_dump(mode="json"),
        deployment.model_dump(mode="json"),
    ]
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def _running(name: str, fingerprint: str) -> Any:
    """The handle of application ``name`` when it already runs what ``fingerprint`` says (another API node,
    or this one before a restart, deployed it): joined as it is, since deploying it again would restart
    every replica. None when it is missing, unhealthy or different (then it is deployed, a rolling update)."""
    from ray import serve

    app = serve.status().applications.get(name)
    if app is None or app.status != "RUNNING":
        return None
    handle = serve.get_app_handle(name)
    try:
        info = handle.options(method_name="info").remote().result(timeout_s=RUNNING_CHECK_S)
    except Exception:  # noqa: BLE001 - any failure to answer means: deploy it afresh
        return None
    return handle if info.get("fingerprint") == fingerprint else None


def _deployment_options(name: str, deployment: RayDeployment) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": name,
        "ray_actor_options": {"num_cpus": deployment.num_cpus, "num_gpus": deployment.num_gpus},
        "max_ongoing_requests": deployment.max_ongoing_requests,
    }
    if deployment.autoscaling is not None:
        found["autoscaling_config"] = deployment.autoscaling.model_dump()
    else:
        found["num_replicas"] = deployment.replicas
    return found


class _Caller:
    """Calls one deployment's methods, retrying a call whose replica died on another replica."""

    def __init__(self, handle: Any, name: str, config: RayConfig) -> None:
        self.handle, self.name = handle, name
        self.attempts, self.timeout = config.max_attempts, config.request_timeout

    def call(self, method: str, *args: Any) -> tuple[Any, int]:
        """``method(*args)`` on a replica; the answer and the attempt that got it."""
        for attempt in range(1, self.attempts + 1):
            try:
                return self._wait(self.handle.options(method_name=method).remote(*args)), attempt
            except Exception as exc:  # noqa: BLE001 - sorted below: a lost replica is retried, the rest raised
                self._retry_or_raise(exc, attempt)
        raise AssertionError("unreachable")  # _retry_or_raise raises on the last attempt

    def _wait(self, response: Any) -> Any:
        """The response's result, looking every ``WAIT_SLICE_S`` whether the studio cancelled the work (the
        caller went away, a job was cancelled): then the request is cancelled on its replica too."""
        from ray.exceptions import RayTaskError

        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return response.result(timeout_s=max(0.0, min(WAIT_SLICE_S, deadline - time.monotonic())))
            except TimeoutError as exc:
                if isinstance(exc, RayTaskError):  # the backend's own TimeoutError, not this wait's
                    raise
                if cancel.cancelled():
                    response.cancel()
                    cancel.check()
                if time.monotonic() >= deadline:
                    raise

    def stream(self, method: str, *args: Any) -> Iterator[Any]:
        """The pieces ``method(*args)`` yields on a replica. Retried while nothing has been yielded yet."""
        for attempt in range(1, self.attempts + 1):
            started = False
            pieces = self.handle.options(method_name=method, stream=True).remote(*args)
            try:
                for piece in pieces:
                    started = True
                    yield piece
                return
            except GeneratorExit:
                pieces.cancel()  # the caller stopped reading: the replica stops generating
                raise
            except Exception as exc:  # noqa: BLE001 - sorted below
                if started and _lost_replica(exc):
                    raise self._unavailable(exc, attempt, "in the middle of a stream") from None
                self._retry_or_raise(exc, attempt)

    def _retry_or_raise(self, exc: Exception, attempt: int) -> None:
        if not _lost_replica(exc):
            raise _cause(exc) from None
        if attempt >= self.attempts:
            raise self._unavailable(exc, attempt, "") from None
        log.warning(
            "%s: a replica was lost (%s); retrying, attempt %d of %d",
            self.name,
            _short(exc),
            attempt + 1,
            self.attempts,
        )
        time.sleep(RETRY_PAUSE_S * attempt)

    def _unavailable(self, exc: Exception, attempt: int, when: str) -> BackendUnavailable:
        where = f" {when}" if when else ""
        return BackendUnavailable(
            f"The Ray Serve deployment '{self.name}' lost its replica{where} on attempt {attempt} of "
            f"{self.attempts} ({_short(exc)}). Retry later; check the cluster with `ray status` and "
            f"`serve status`, or raise ray.max_attempts."
        )


def _lost_replica(exc: Exception) -> bool:
    """The replica (or its node) went away, as opposed to the backend raising an error: worth a retry."""
    from ray.exceptions import RayActorError
    from ray.serve.exceptions import DeploymentUnavailableError, ReplicaUnavailableError

    return isinstance(exc, RayActorError | ReplicaUnavailableError | DeploymentUnavailableError)


def _cause(exc: Exception) -> Exception:
    """The backend's own error out of Ray's wrapper, as it was raised (a zaowu error keeps its status and
    field); a wait past ``ray.request_timeout`` is BackendUnavailable."""
    from ray.exceptions import RayTaskError

    cause = exc.cause if isinstance(exc, RayTaskError) else exc
    if isinstance(cause, ZaowuError):
        return cause
    if isinstance(exc, TimeoutError):
        return BackendUnavailable(f"A Ray Serve replica did not answer within ray.request_timeout ({exc}).")
    return exc if cause is None else cause


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


# -- proxies: one per kind, each with the real class's declarations ----------------------------------------------
class _Remote(Backend):
    """A backend whose work runs on a Ray Serve deployment."""

    _caller: _Caller

    def attach(self, caller: _Caller) -> None:
        self._caller = caller
        info, _ = caller.call("info")
        self.context_length = info.get("context_length", self.context_length)


class _RemoteText(_Remote, TextBackend):
    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        return self._caller.stream("stream_text", request, seed)


class _RemoteEmbedding(_Remote, EmbeddingBackend):
    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        result, _ = self._caller.call("embed", request)
        assert isinstance(result, EmbeddingResult)
        return result


class _RemoteMedia(_Remote, MediaBackend):
    def generate(
        self, request: BaseModel, seed: int | None, progress: Progress | None = None, **extra: Any
    ) -> MediaResult:
        if progress is not None:
            progress(0.0, f"sent to Ray Serve ({self._caller.name})")
        result, attempt = self._caller.call("generate_media", request, seed, extra)
        assert isinstance(result, MediaResult)
        for media in result.media:
            media.meta.setdefault("ray", {})["attempts"] = attempt
        return result

    def stream(self, request: BaseModel) -> Iterator[bytes]:
        return self._caller.stream("stream_media", request)


_proxies: dict[type[Backend], type[Backend]] = {}


def _proxy_class(cls: type[Backend]) -> type[Backend]:
    """A proxy class of ``cls``'s kind carrying its declarations (made once per backend class)."""
    if cls not in _proxies:
        kinds = ((TextBackend, _RemoteText), (EmbeddingBackend, _RemoteEmbedding), (MediaBackend, _RemoteMedia))
        base = next((proxy for kind, proxy in kinds if issubclass(cls, kind)), None)
        if base is None:
            raise InvalidRequest(
                f"Backend '{cls.id}' is neither a text, embedding nor media backend: it cannot run on Ray Serve.",
                param=f"ray.deployments.{cls.id}",
            )
        declared = {name: getattr(cls, name) for name in _DECLARED if hasattr(cls, name)}
        _proxies[cls] = type(f"Ray{cls.__name__}", (base,), {**declared, "__module__": __name__})
    return _proxies[cls]
