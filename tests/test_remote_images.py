"""Remote image backends.

OpenAI-compatible: against a second real ``zaowu serve`` that serves the tiny
diffusion pipeline, so the bytes that come back can be compared with the peer's own
answer for the same seed (b64_json and url answers, generations and edits).

ComfyUI: against ``ComfyDouble`` below, a protocol double — a small real HTTP server
implementing ComfyUI's three endpoints (POST /prompt with its validation-error shape,
GET /history/{prompt_id} empty until the prompt ran, GET /view) and "executing" the
graph by drawing a PNG from the prompt text, seed and size it finds by following the
node links, as ComfyUI would feed them to its sampler.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from zaowu.errors import BackendError, InvalidRequest, RemoteError
from zaowu.settings import ComfyWorkflow, RemoteConfig, Settings
from zaowu.studio.engine import Studio
from zaowu.types import ImageRequest

from .conftest import Server, free_port
from .helpers import same_apart_from_mark, same_picture
from .test_diffusers import COMFY_ENV, STEPS, build_tiny_pipeline, left_half_mask, size_of

pytest.importorskip("diffusers")

# ---------------------------------------------------------------- OpenAI-compatible: a real zaowu peer


@pytest.fixture(scope="module")
def peer(tmp_path_factory, models_dir):
    data = tmp_path_factory.mktemp("image-peer")
    folder = build_tiny_pipeline(tmp_path_factory.mktemp("tiny-diffusion-peer"))
    with Studio(Settings(data_dir=data, models_dir=models_dir)) as s:
        s.catalog.add_diffusers(str(folder), "tiny-sd", defaults=STEPS)
    remotes = {
        "down": {"base_url": f"http://127.0.0.1:{free_port()}/v1", "image_models": ["x"], "timeout": 5},
        **COMFY_ENV,
    }
    srv = Server(data, models_dir, extra_env={"ZAOWU_REMOTES": json.dumps(remotes)})
    yield srv
    srv.stop()


@pytest.fixture
def remote_studio(tmp_path, peer):
    remotes = {
        "peer": RemoteConfig(base_url=peer.base_url + "/v1", api_key="secret", image_models=["tiny-sd"]),
        "peer-url": RemoteConfig(base_url=peer.base_url + "/v1", image_response_format="url"),
        "down": RemoteConfig(base_url=f"http://127.0.0.1:{free_port()}/v1", timeout=5),
    }
    with Studio(Settings(data_dir=tmp_path / "client", remotes=remotes)) as studio:
        yield studio


def direct(peer, path, **kw) -> list[bytes]:
    r = httpx.post(f"{peer.base_url}/v1/images/{path}", timeout=120, **kw)
    assert r.status_code == 200, r.text
    return [base64.b64decode(d["b64_json"]) for d in r.json()["data"]]


def test_remote_generation_matches_the_peer_b64_and_url(remote_studio, peer):
    mine = direct(
        peer,
        "generations",
        json={
            "model": "tiny-sd",
            "prompt": "a kite",
            "size": "64x64",
            "seed": 5,
            "n": 2,
            "response_format": "b64_json",
        },
    )
    assert "peer/tiny-sd" in remote_studio.catalog.ids()
    for model in ("peer/tiny-sd", "peer-url/tiny-sd"):
        result = remote_studio.generate_media(ImageRequest(model=model, prompt="a kite", size="64x64", seed=5, n=2))
        assert all(same_apart_from_mark(m.data, theirs) for m, theirs in zip(result.media, mine, strict=True)), model
        assert [m.meta["seed"] for m in result.media] == [5, 6]
        row = remote_studio.log.get(result.generation_id)
        assert (row["backend"], row["model"], row["status"]) == ("openai-remote-images", model, "ok")
        assert remote_studio.artifacts.read(result.media[0].meta["artifact_id"]) == result.media[0].data
    webp = remote_studio.generate_media(ImageRequest(model="peer/tiny-sd", prompt="kite", size="64x64", format="webp"))
    assert webp.media[0].mime == "image/webp" and Image.open(io.BytesIO(webp.media[0].data)).format == "WEBP"


def test_remote_edits_match_the_peer(remote_studio, peer):
    source = direct(
        peer,
        "generations",
        json={"model": "tiny-sd", "prompt": "a kite", "size": "64x64", "seed": 1, "response_format": "b64_json"},
    )[0]
    files = {"image": ("i.png", source, "image/png"), "mask": ("m.png", left_half_mask(), "image/png")}
    theirs = direct(
        peer,
        "edits",
        files=files,
        data={"model": "tiny-sd", "prompt": "a boat", "size": "64x64", "seed": "9", "response_format": "b64_json"},
    )
    ours = remote_studio.generate_media(
        ImageRequest(model="peer/tiny-sd", prompt="a boat", size="64x64", seed=9, image=source, mask=left_half_mask())
    )
    assert same_apart_from_mark(ours.media[0].data, theirs[0]) and size_of(theirs[0]) == (64, 64)


def test_remote_image_errors_name_the_remote(remote_studio, peer):
    with pytest.raises(RemoteError) as info:
        remote_studio.generate_media(ImageRequest(model="peer/no-such-model", prompt="x", size="64x64"))
    assert info.value.status == 404 and "Remote 'peer'" in info.value.message and "no-such-model" in info.value.message
    with pytest.raises(RemoteError) as info:  # the peer's ComfyUI workflow cannot edit: its 400 comes through
        remote_studio.generate_media(ImageRequest(model="peer/comfy/sd", prompt="x", image=size_png(64, 64)))
    assert info.value.status == 400 and "cannot edit" in info.value.message
    with pytest.raises(RemoteError) as info:
        remote_studio.generate_media(ImageRequest(model="down/anything", prompt="x"))
    assert info.value.status == 502 and "Cannot reach remote 'down'" in info.value.message
    assert remote_studio.log.list(1)[0]["status"] == "error"
    r = httpx.post(f"{peer.base_url}/v1/images/generations", json={"model": "down/x", "prompt": "x"}, timeout=60)
    assert r.status_code == 502 and r.json()["error"]["type"] == "remote_error"
    assert "Cannot reach remote 'down'" in r.json()["error"]["message"]


def size_png(width: int, height: int, colour=(0, 0, 0)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------- ComfyUI: a protocol double

CHECKPOINTS = ["tiny.safetensors"]
KNOWN = {
    "KSampler",
    "KSamplerAdvanced",
    "CheckpointLoaderSimple",
    "EmptyLatentImage",
    "CLIPTextEncode",
    "VAEDecode",
    "SaveImage",
}


class ComfyDouble:
    """ComfyUI's HTTP protocol: validate and queue a graph, run it after a moment, keep history."""

    def __init__(self):
        self.history: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}
        self.received: list[dict] = []
        self.counter = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- POST /prompt ------------------------------------------------------------
    def submit(self, body: dict) -> tuple[int, dict]:
        graph = body.get("prompt")
        if not isinstance(graph, dict):
            return 400, {
                "error": {
                    "type": "invalid_prompt",
                    "message": "Cannot execute because the prompt is not a dict",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": [],
            }
        node_errors = {}
        for node_id, node in graph.items():
            if node.get("class_type") not in KNOWN:
                return 400, {
                    "error": {
                        "type": "invalid_prompt",
                        "message": f"Cannot execute because node {node.get('class_type')} does not exist.",
                        "details": f"Node ID '#{node_id}'",
                        "extra_info": {},
                    },
                    "node_errors": [],
                }
            ckpt = node["inputs"].get("ckpt_name")
            if node["class_type"] == "CheckpointLoaderSimple" and ckpt not in CHECKPOINTS:
                node_errors[node_id] = {
                    "errors": [
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": f"ckpt_name: '{ckpt}' not in {CHECKPOINTS}",
                            "extra_info": {},
                        }
                    ],
                    "dependent_outputs": [],
                    "class_type": node["class_type"],
                }
        if not any(n["class_type"] == "SaveImage" for n in graph.values()):
            return 400, {
                "error": {
                    "type": "prompt_no_outputs",
                    "message": "Prompt has no outputs",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": [],
            }
        if node_errors:
            error = {
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": "",
                "extra_info": {},
            }
            return 400, {"error": error, "node_errors": node_errors}
        prompt_id = str(uuid.uuid4())
        with self.lock:
            self.counter += 1
            number = self.counter
            self.received.append(graph)
        threading.Timer(0.3, self._execute, args=(prompt_id, number, graph)).start()
        return 200, {"prompt_id": prompt_id, "number": number, "node_errors": {}}

    def _execute(self, prompt_id: str, number: int, graph: dict) -> None:
        save_id, save = next((k, n) for k, n in graph.items() if n["class_type"] == "SaveImage")
        sampler = graph[graph[save["inputs"]["images"][0]]["inputs"]["samples"][0]]["inputs"]
        text = graph[sampler["positive"][0]]["inputs"]["text"]
        latent = graph[sampler["latent_image"][0]]["inputs"]
        seed = sampler.get("seed", sampler.get("noise_seed"))
        entry = {"prompt": [number, prompt_id, graph, {}, [save_id]], "outputs": {}, "meta": {}}
        if "FAIL" in text:
            entry["status"] = {
                "status_str": "error",
                "completed": False,
                "messages": [
                    ["execution_start", {"prompt_id": prompt_id}],
                    [
                        "execution_error",
                        {"prompt_id": prompt_id, "node_id": "3", "exception_message": "CUDA out of memory"},
                    ],
                ],
            }
        else:
            colour = hashlib.sha256(f"{text}|{seed}".encode()).digest()[:3]
            buf = io.BytesIO()
            Image.new("RGB", (latent["width"], latent["height"]), tuple(colour)).save(buf, "PNG")
            name = f"{save['inputs']['filename_prefix']}_{number:05}_.png"
            self.files[name] = buf.getvalue()
            entry["outputs"] = {save_id: {"images": [{"filename": name, "subfolder": "", "type": "output"}]}}
            entry["status"] = {"status_str": "success", "completed": True, "messages": []}
        self.history[prompt_id] = entry

    def _handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, mime: str = "application/json"):
                self.send_response(status)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                if self.path != "/prompt":
                    return self._send(404, b"404: Not Found", "text/plain")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = double.submit(body)
                self._send(status, json.dumps(answer).encode())

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path.startswith("/history/"):
                    prompt_id = url.path.rsplit("/", 1)[1]
                    entry = double.history.get(prompt_id)
                    return self._send(200, json.dumps({prompt_id: entry} if entry else {}).encode())
                if url.path == "/view":
                    q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                    data = double.files.get(q.get("filename", "")) if q.get("type") == "output" else None
                    return self._send(200, data, "image/png") if data else self._send(404, b"", "text/plain")
                self._send(404, b"404: Not Found", "text/plain")

        return Handler


@pytest.fixture
def comfy():
    double = ComfyDouble()
    yield double
    double.close()


USER_WORKFLOW = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny.safetensors"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}, "_meta": {"title": "Positive"}},
    "10": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 512, "height": 512, "batch_size": 4},
        "_meta": {"title": "Canvas"},
    },
    "11": {
        "class_type": "KSamplerAdvanced",
        "_meta": {"title": "Sampler"},
        "inputs": {
            "noise_seed": 0,
            "steps": 8,
            "cfg": 1.0,
            "model": ["1", 0],
            "positive": ["2", 0],
            "negative": ["2", 0],
            "latent_image": ["10", 0],
        },
    },
    "12": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["1", 2]}},
    "13": {"class_type": "SaveImage", "inputs": {"filename_prefix": "mine", "images": ["12", 0]}},
}


def comfy_studio(tmp_path, comfy_url: str, **workflows: ComfyWorkflow) -> Studio:
    remotes = {"comfy": RemoteConfig(api="comfyui", base_url=comfy_url, workflows=workflows, timeout=20)}
    return Studio(Settings(data_dir=tmp_path / "comfy-client", remotes=remotes))


def test_comfyui_default_workflow(tmp_path, comfy):
    with comfy_studio(tmp_path, comfy.base_url, sd=ComfyWorkflow(checkpoint="tiny.safetensors", steps=4)) as studio:
        assert "comfy/sd" in studio.catalog.ids()
        req = ImageRequest(model="comfy/sd", prompt="a red fox", negative_prompt="blurry", size="96x64", seed=11, n=2)
        steps: list[float] = []
        result = studio.generate_media(req, progress=lambda f, m: steps.append(f))
        again = studio.generate_media(req.model_copy(update={"n": 1}))
        row = studio.log.get(result.generation_id)
    assert [size_of(m.data) for m in result.media] == [(96, 64), (96, 64)] and steps[-1] == 1.0
    assert [m.meta["seed"] for m in result.media] == [11, 12] and result.media[0].data != result.media[1].data
    assert same_picture(again.media[0].data, result.media[0].data)
    graph = comfy.received[0]
    assert graph["6"]["inputs"]["text"] == "a red fox" and graph["7"]["inputs"]["text"] == "blurry"
    assert graph["3"]["inputs"]["seed"] == 11 and comfy.received[1]["3"]["inputs"]["seed"] == 12
    assert graph["3"]["inputs"]["steps"] == 4 and graph["4"]["inputs"]["ckpt_name"] == "tiny.safetensors"
    assert (graph["5"]["inputs"]["width"], graph["5"]["inputs"]["height"]) == (96, 64)
    assert (row["backend"], row["status"], row["seed"]) == ("comfyui", "ok", 11)


def test_comfyui_user_workflow_with_titled_nodes(tmp_path, comfy):
    path = tmp_path / "workflow_api.json"
    path.write_text(json.dumps(USER_WORKFLOW))
    wf = ComfyWorkflow(file=path, prompt_node="Positive", negative_node=None, seed_node="Sampler", size_node="Canvas")
    with comfy_studio(tmp_path, comfy.base_url, mine=wf) as studio:
        result = studio.generate_media(
            ImageRequest(model="comfy/mine", prompt="a tea house", size="3:4", seed=3, format="jpeg")
        )
    graph = comfy.received[0]
    assert graph["2"]["inputs"]["text"] == "a tea house" and graph["11"]["inputs"]["noise_seed"] == 3
    assert graph["10"]["inputs"] == {"width": 768, "height": 1024, "batch_size": 1}
    assert result.media[0].mime == "image/jpeg" and size_of(result.media[0].data) == (768, 1024)
    assert json.loads(path.read_text()) == USER_WORKFLOW  # the user's file is never changed


def test_comfyui_errors(tmp_path, comfy):
    workflows = {
        "bad-ckpt": ComfyWorkflow(checkpoint="missing.safetensors"),
        "ok": ComfyWorkflow(checkpoint="tiny.safetensors"),
        "misnamed": ComfyWorkflow(checkpoint="tiny.safetensors", prompt_node="Prompt"),
    }
    with comfy_studio(tmp_path, comfy.base_url, **workflows) as studio:
        with pytest.raises(RemoteError) as info:
            studio.generate_media(ImageRequest(model="comfy/bad-ckpt", prompt="x", size="64x64"))
        assert info.value.status == 502 and "ComfyUI 'comfy'" in info.value.message
        assert "ckpt_name: 'missing.safetensors' not in" in info.value.message
        with pytest.raises(RemoteError, match="CUDA out of memory"):
            studio.generate_media(ImageRequest(model="comfy/ok", prompt="FAIL please", size="64x64"))
        with pytest.raises(BackendError, match="no node 'Prompt' with input text"):
            studio.generate_media(ImageRequest(model="comfy/misnamed", prompt="x", size="64x64"))
        with pytest.raises(InvalidRequest) as info:  # ComfyUI workflows here do not edit
            studio.generate_media(ImageRequest(model="comfy/ok", prompt="x", image=size_png(64, 64)))
        assert info.value.param == "model"
    with comfy_studio(tmp_path, f"http://127.0.0.1:{free_port()}", ok=workflows["ok"]) as studio:
        with pytest.raises(RemoteError) as info:
            studio.generate_media(ImageRequest(model="comfy/ok", prompt="x", size="64x64"))
        assert info.value.status == 502 and "Cannot reach remote 'comfy'" in info.value.message


# ---------------------------------------------------------------- OpenAI's own behaviour: a protocol double


class OpenAIImagesDouble:
    """Like api.openai.com for images: unknown arguments (zaowu's ``seed``) are a 400 naming
    them, and answers are links to another host (a CDN) that must not receive the API key."""

    def __init__(self):
        self.api_headers: list[dict] = []
        self.cdn_headers: list[dict] = []
        self.picture = size_png(32, 48, (10, 120, 200))
        self.api = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(self._api))
        self.cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(self._cdn))
        self.base_url = f"http://127.0.0.1:{self.api.server_address[1]}/v1"
        for server in (self.api, self.cdn):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        for server in (self.api, self.cdn):
            server.shutdown()
            server.server_close()

    def _api(self, handler) -> tuple[int, bytes, str]:
        self.api_headers.append(dict(handler.headers))
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        if unknown := sorted(set(body) - {"model", "prompt", "n", "size", "response_format", "quality", "style"}):
            error = {
                "message": f"Unrecognized request argument supplied: {unknown[0]}",
                "type": "invalid_request_error",
                "param": unknown[0],
                "code": None,
            }
            return 400, json.dumps({"error": error}).encode(), "application/json"
        cdn = f"http://127.0.0.1:{self.cdn.server_address[1]}/img/1.png?sig=abc"
        answer = {"created": 1, "data": [{"url": cdn, "revised_prompt": "a kite, revised"}]}
        return 200, json.dumps(answer).encode(), "application/json"

    def _cdn(self, handler) -> tuple[int, bytes, str]:
        self.cdn_headers.append(dict(handler.headers))
        return 200, self.picture, "image/png"

    @staticmethod
    def _handler(answer):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self):
                status, body, mime = answer(self)
                self.send_response(status)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _reply

        return Handler


def test_server_without_seed_and_links_to_another_host(tmp_path):
    double = OpenAIImagesDouble()
    try:
        remotes = {"oai": RemoteConfig(base_url=double.base_url, api_key="sk-test", image_models=["dall-e-2"])}
        with Studio(Settings(data_dir=tmp_path / "client", remotes=remotes)) as studio:
            result = studio.generate_media(ImageRequest(model="oai/dall-e-2", prompt="a kite", size="256x256", seed=3))
    finally:
        double.close()
    media = result.media[0]
    assert same_apart_from_mark(media.data, double.picture) and media.meta["seed"] is None  # the server took no seed
    assert media.meta["revised_prompt"] == "a kite, revised" and media.meta["size"] == "32x48"
    assert len(double.api_headers) == 2 and all(h["Authorization"] == "Bearer sk-test" for h in double.api_headers)
    assert double.cdn_headers and "Authorization" not in double.cdn_headers[0]
