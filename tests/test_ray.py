"""Model backends on Ray Serve (backends/ray_serve.py), on a local Ray cluster the tests start on this machine.

A real ``zaowu serve`` joins the cluster through its settings file and runs the design engine as a Serve
deployment with 2 replicas (and SmolLM2 with 1, for streaming). The checks: requests are spread over both
replicas, a replica killed under load loses nothing (its requests are retried on the other one), the
backend's own errors cross the cluster unchanged, and text streams through a replica. The retry rules are
also checked on a scripted handle, without a cluster (test_studio.py checks that ``import zaowu`` loads no Ray).
"""

from __future__ import annotations

import concurrent.futures as cf
import time

import httpx
import pytest

from zaowu.errors import BackendUnavailable, InvalidRequest
from zaowu.settings import RayConfig, RayDeployment, Settings

from .conftest import TEST_MODEL, Server

ray = pytest.importorskip("ray")

OBJECT_STORE_BYTES = 200 << 20  # the smallest object store Ray accepts comfortably; results are small images
REQUESTS = 12  # requests of the load a replica is killed in
REPLICA_PREFIX = "SERVE_REPLICA::zaowu-design#zaowu-design#"  # Ray actor names of the design replicas
CONCURRENCY = 6  # of them in flight at once (each replica runs 2: the rest wait in the studio's line)
SETTINGS = """
[ray]
address = "{address}"
max_attempts = 3

[ray.deployments.design]
replicas = 2
num_cpus = 0.5
max_ongoing_requests = 2

[ray.deployments.llamacpp]
replicas = 1
num_cpus = 0.5
max_ongoing_requests = 2
"""


def _image(i: int, n: int = 1, size: str = "512x512") -> dict:
    """A design request bringing its own spec (no planner, no LLM): only the render runs on the replica."""
    return {
        "model": "design",
        "prompt": f"spring tea poster {i}",
        "size": size,
        "n": n,
        "seed": i,
        "spec": {"kind": "poster", "headline": f"Spring Tea No. {i}", "subline": "Fresh leaves every morning"},
    }


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster (2 CPUs, a 200 MB object store, no dashboard), shut down after the module."""
    ray.init(num_cpus=2, object_store_memory=OBJECT_STORE_BYTES, include_dashboard=False, namespace="zaowu-tests")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        from ray import serve

        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
def ray_server(cluster, tmp_path_factory, models_dir):
    """A real server whose settings file puts the design engine (2 replicas) and llama.cpp on the cluster."""
    folder = tmp_path_factory.mktemp("ray-server")
    config = folder / "config.toml"
    config.write_text(SETTINGS.format(address=cluster))
    srv = Server(folder / "data", models_dir, {"ZAOWU_CONFIG": str(config)})
    srv.config, srv.models_dir = config, models_dir
    yield srv
    srv.stop()


def _generate(srv: Server, i: int, n: int = 1, size: str = "512x512") -> dict:
    """One image request through the HTTP API; its answer, and where each image was made."""
    r = httpx.post(srv.base_url + "/v1/images/generations", json=_image(i, n, size), timeout=300)
    assert r.status_code == 200, r.text
    made = []
    for item in r.json()["data"]:
        meta = httpx.get(f"{srv.base_url}/v1/artifacts/{item['artifact_id']}/meta", timeout=30).json()["meta"]
        png = httpx.get(f"{srv.base_url}/v1/artifacts/{item['artifact_id']}", timeout=30).content
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        made.append(meta["ray"])
    return {"i": i, "ray": made}


@pytest.mark.slow
def test_requests_spread_over_both_replicas(ray_server):
    first = _generate(ray_server, 0)  # deploys the application (both replicas up before it answers)
    with cf.ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = [first, *pool.map(lambda i: _generate(ray_server, i), range(1, 9))]
    made = [where for a in answers for where in a["ray"]]
    pids = {where["pid"] for where in made}
    assert len({where["replica"] for where in made}) == 2 and len(pids) == 2, made
    assert ray_server.proc.pid not in pids  # the rendering ran in the replicas, not in the API process
    assert all(where["deployment"] == "zaowu-design" and where["attempts"] == 1 for where in made)


@pytest.mark.slow
def test_replica_killed_under_load_loses_nothing(ray_server):
    _generate(ray_server, 100)  # the application is up
    # the kill can land just after the victim's requests finished (then nothing needed a retry): try again, up to 3
    # times, until a kill really interrupts work; nothing may be lost in any round
    for round_ in range(3):
        before = _image_rows(ray_server)
        with cf.ThreadPoolExecutor(CONCURRENCY) as pool:
            # two larger images per request: renders long enough to be caught running
            futures = [pool.submit(_generate, ray_server, 200 + 50 * round_ + i, 2, "768x768") for i in range(REQUESTS)]
            victim = _kill_a_busy_replica()  # killed while it renders: those requests must be retried elsewhere
            answers = [f.result() for f in futures]  # every request answers 200 (checked in _generate)
        made = [where for a in answers for where in a["ray"]]
        assert len(made) == 2 * REQUESTS
        assert _image_rows(ray_server) - before == REQUESTS  # one logged generation per request: nothing lost
        assert httpx.get(ray_server.base_url + "/health", timeout=10).status_code == 200
        _wait_for_replicas(2)  # Serve replaces the dead replica
        if max(where["attempts"] for where in made) >= 2:  # some request was retried on another replica
            break
    else:
        raise AssertionError(f"no kill in 3 rounds interrupted a request: {made}")
    again = _generate(ray_server, 999)
    assert again["ray"][0]["replica"] != victim


def _replica_ids() -> set[str]:
    """The replicas of the design deployment, by their Serve ids (from their Ray actors' names)."""
    return {
        a["name"].removeprefix(REPLICA_PREFIX)
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith(REPLICA_PREFIX)
    }


def _settled_replicas(count: int) -> set[str]:
    """The design replicas once ``count`` of them answer and the set stays the same for 3 s.

    After a replica is killed (an earlier test), its name can stay listed for a moment and its successor's
    can appear late; a set read in between names a replica that is gone or misses the one that will serve.
    """
    deadline, last, since = time.monotonic() + 120, set(), time.monotonic()
    while time.monotonic() < deadline:
        now = {rid for rid in _replica_ids() if _answers(rid)}
        if now != last:
            last, since = now, time.monotonic()
        elif len(now) == count and time.monotonic() - since >= 3:
            return now
        time.sleep(0.5)
    raise AssertionError(f"the design replicas did not settle at {count}: {last}")


def _answers(replica_id: str) -> bool:
    try:
        actor = ray.get_actor(REPLICA_PREFIX + replica_id, namespace="serve")
        ray.get(actor.get_num_ongoing_requests.remote(), timeout=10)
    except (ValueError, ray.exceptions.RayError):  # an unnamed (ValueError) or dead actor: not running
        return False
    return True


def _kill_a_busy_replica() -> str:
    """Kill (ray.kill) the first replica of the design deployment seen running 2 requests; its id."""
    replicas = {rid: ray.get_actor(REPLICA_PREFIX + rid, namespace="serve") for rid in _replica_ids()}
    assert len(replicas) == 2, replicas
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for replica_id, actor in replicas.items():
            if ray.get(actor.get_num_ongoing_requests.remote(), timeout=30) >= 2:
                ray.kill(actor, no_restart=True)
                return replica_id
    raise AssertionError("no replica was seen running 2 requests")


@pytest.mark.slow
def test_second_api_node_joins_the_running_deployment(ray_server, tmp_path):
    """Another `zaowu serve` with the same settings uses the replicas running, instead of restarting them."""
    _generate(ray_server, 300)
    _wait_for_replicas(2)
    running = _settled_replicas(2)
    second = Server(tmp_path / "second", ray_server.models_dir, {"ZAOWU_CONFIG": str(ray_server.config)})
    try:
        made = _generate(second, 301)["ray"][0]
    finally:
        second.stop()
    assert made["replica"] in running and _replica_ids() == running


@pytest.mark.slow
def test_backend_errors_cross_the_cluster_unchanged(ray_server):
    body = _image(7)
    body["spec"]["palette"] = "no-such-palette"
    r = httpx.post(ray_server.base_url + "/v1/images/generations", json=body, timeout=300)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "palette" in (error["param"] or "") + error["message"]
    assert _generate(ray_server, 8)["ray"][0]["attempts"] == 1  # the deployment still serves


@pytest.mark.slow
def test_text_streams_through_a_replica(ray_server):
    body = {
        "model": TEST_MODEL,
        "messages": [{"role": "user", "content": "Name three colours."}],
        "max_tokens": 24,
        "seed": 1,
        "stream": True,
    }
    pieces = []
    with httpx.stream("POST", ray_server.base_url + "/v1/chat/completions", json=body, timeout=300) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: {"):
                pieces.append(line)
    assert len(pieces) > 3  # chunk by chunk, not one answer at the end
    from ray import serve

    app = serve.status().applications["zaowu-" + TEST_MODEL]  # the model runs on the cluster, not in the server
    assert app.status == "RUNNING" and app.deployments["zaowu-" + TEST_MODEL].replica_states == {"RUNNING": 1}
    rows = httpx.get(ray_server.base_url + "/v1/generations", params={"modality": "text"}, timeout=30).json()["data"]
    assert rows[0]["status"] == "ok" and rows[0]["output"], rows[0]


def _image_rows(srv: Server) -> int:
    rows = httpx.get(srv.base_url + "/v1/generations", params={"modality": "image", "limit": 500}, timeout=30)
    return sum(1 for row in rows.json()["data"] if row["status"] == "ok")


def _wait_for_replicas(count: int) -> None:
    from ray import serve

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = serve.status().applications["zaowu-design"].deployments["zaowu-design"]
        if status.status == "HEALTHY" and status.replica_states.get("RUNNING", 0) == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"zaowu-design did not get back to {count} running replicas: {status}")


# -- without a cluster ---------------------------------------------------------------------------------------
def test_deployment_of_unknown_backend_is_refused(bare_settings):
    from zaowu.studio.engine import Studio

    settings = bare_settings.model_copy(update={"ray": RayConfig(deployments={"desing": RayDeployment()})})
    with pytest.raises(InvalidRequest, match="desing") as caught:
        Studio(settings)
    assert caught.value.param == "ray.deployments.desing"


def test_autoscaling_bounds_are_checked(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("[ray.deployments.design.autoscaling]\nmin_replicas = 4\nmax_replicas = 2\n")
    monkeypatch.setenv("ZAOWU_CONFIG", str(config))
    with pytest.raises(ValueError, match="min_replicas"):
        Settings()


class _Handle:
    """A scripted deployment handle: each call raises (or returns) the next item of ``script``."""

    def __init__(self, script):
        self.script, self.calls, self.cancelled = list(script), 0, False

    def options(self, **_):
        return self

    def remote(self, *_):
        return self

    def cancel(self):
        self.cancelled = True

    def result(self, timeout_s=None):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def _caller(script, attempts=3):
    from zaowu.backends import ray_serve

    handle = _Handle(script)
    return handle, ray_serve._Caller(handle, "zaowu-test", RayConfig(max_attempts=attempts))


def test_lost_replica_is_retried_then_reported(monkeypatch):
    from ray.exceptions import ActorDiedError

    from zaowu.backends import ray_serve

    monkeypatch.setattr(ray_serve, "RETRY_PAUSE_S", 0)
    handle, caller = _caller([ActorDiedError(), "made"])
    assert caller.call("generate_media") == ("made", 2) and handle.calls == 2
    handle, caller = _caller([ActorDiedError(), ActorDiedError(), ActorDiedError(), "never"])
    with pytest.raises(BackendUnavailable, match=r"zaowu-test.*attempt 3 of 3"):
        caller.call("generate_media")
    assert handle.calls == 3  # bounded: max_attempts tries, no more


def test_backend_error_is_not_retried():
    from ray.exceptions import RayTaskError

    bad = InvalidRequest("spec.palette is unknown", param="spec.palette")
    handle, caller = _caller([RayTaskError("generate_media", "traceback", bad), "never"])
    with pytest.raises(InvalidRequest) as caught:
        caller.call("generate_media")
    assert caught.value.param == "spec.palette" and handle.calls == 1


def test_cancelled_work_is_cancelled_on_its_replica(monkeypatch):
    from zaowu import cancel
    from zaowu.backends import ray_serve
    from zaowu.errors import Cancelled

    monkeypatch.setattr(ray_serve, "WAIT_SLICE_S", 0)
    handle, caller = _caller([TimeoutError(), TimeoutError(), "never"])
    token = cancel.CancelToken()
    token.cancel()  # the caller went away while the replica renders
    with token.active(), pytest.raises(Cancelled):
        caller.call("generate_media")
    assert handle.cancelled and handle.calls == 1  # cancelled on the replica, not retried


class _Pieces:
    """A scripted streaming response: yields its pieces, then raises ``end`` (if any)."""

    def __init__(self, pieces, end=None):
        self.pieces, self.end, self.cancelled = pieces, end, False

    def __iter__(self):
        yield from self.pieces
        if self.end is not None:
            raise self.end

    def cancel(self):
        self.cancelled = True


def test_stream_is_retried_only_before_its_first_piece(monkeypatch):
    from ray.exceptions import ActorDiedError

    from zaowu.backends import ray_serve

    monkeypatch.setattr(ray_serve, "RETRY_PAUSE_S", 0)
    # the replica died before sending anything: the stream starts again on another replica
    handle, caller = _caller([])
    handle.remote = lambda *_: handle.script.pop(0)
    handle.script = [_Pieces([], ActorDiedError()), _Pieces(["a", "b"])]
    assert list(caller.stream("stream_text")) == ["a", "b"]
    # it died after "a" reached the caller: that cannot be taken back, so the stream ends with a clear error
    handle.script = [_Pieces(["a"], ActorDiedError()), _Pieces(["a", "b"])]
    got = []
    with pytest.raises(BackendUnavailable, match="in the middle of a stream"):
        got.extend(caller.stream("stream_text"))
    assert got == ["a"] and len(handle.script) == 1  # not retried


def test_closing_a_stream_cancels_it_on_its_replica():
    handle, caller = _caller([])
    pieces = _Pieces(["a", "b", "c"])
    handle.remote = lambda *_: pieces
    stream = caller.stream("stream_text")
    assert next(stream) == "a"
    stream.close()  # the client went away
    assert pieces.cancelled
