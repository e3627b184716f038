"""Remote image backends: any OpenAI-compatible images server, and ComfyUI.

OpenAI-compatible (``api = "openai"``, models listed in ``image_models`` or any name):
``POST /images/generations`` (JSON) and ``POST /images/edits`` (multipart), answers
asked for as ``b64_json`` (or ``url``, the remote's ``image_response_format``) and read
either way; a url is fetched, with the API key only when it points at the remote itself.
zaowu sends its seed as an extra field; a server that rejects it (400 naming ``seed``)
is asked again without one.

ComfyUI (``api = "comfyui"``, one image model per configured workflow): the workflow
(a user's API-format JSON, or the built-in txt2img template below) gets the prompt,
seed and size written into the nodes the configuration names, goes to ``POST /prompt``,
is polled at ``GET /history/{prompt_id}``, and its images come from ``GET /view``.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel, Field

from ..errors import BackendError, InvalidRequest, RemoteError
from ..types import ImageRequest, Media, MediaResult, Modality
from .base import MediaBackend, Progress
from .hookspecs import hookimpl
from .image_io import MIMES, check_prompt_request, decode_image, encode, parse_size
from .openai_remote import RemoteOptions, _http_errors, _RemoteMixin

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

__all__ = ["RemoteImageBackend", "ComfyUIBackend", "ComfyOptions", "DEFAULT_WORKFLOW"]


def _as_format(data: bytes, fmt: str, remote: str) -> tuple[bytes, str, tuple[int, int]]:
    """Check that the remote sent an image; re-encode it if it is not in the requested format."""
    try:
        img = decode_image(data, "image")
    except InvalidRequest:
        raise RemoteError(f"Remote '{remote}' sent something that is not an image ({len(data)} bytes).") from None
    if (img.format or "").lower() != fmt:
        data = encode(img, fmt)
    return data, MIMES[fmt], img.size


# ---------------------------------------------------------------- OpenAI-compatible


class RemoteImageBackend(_RemoteMixin, MediaBackend):
    id = "openai-remote-images"
    modality = Modality.image
    description = "images from any OpenAI-compatible server (OpenAI, LocalAI, another zaowu)"
    local = False
    supports_edit = True
    Options = RemoteOptions

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        assert isinstance(request, ImageRequest)
        check_prompt_request(request, f"'{self.model.id}' (a remote image server)")
        answer_as = self.model.defaults.get("response_format", "b64_json")
        fields: dict[str, Any] = {
            "model": self.model.remote_model or self.model.id,
            "prompt": request.prompt,
            "n": request.n,
            "size": request.size,
            "response_format": answer_as,
        }
        if seed is not None:
            fields["seed"] = seed
        try:
            with self._client() as client:
                response = self._post(client, request, fields)
                if response.status_code == 400 and seed is not None and _error_param(response) == "seed":
                    log.info("remote %s does not take a seed; asking again without one", self.options.name)
                    fields.pop("seed")
                    seed = None
                    response = self._post(client, request, fields)
                self._raise_for(response)
                items = response.json().get("data") or []
                blobs = [self._item_bytes(client, item) for item in items]
        except _http_errors() as exc:
            raise self._unreachable(exc) from exc
        if not blobs:
            raise RemoteError(f"Remote '{self.options.name}' answered without images.")
        media = []
        for i, (blob, item) in enumerate(zip(blobs, items)):
            data, mime, (w, h) = _as_format(blob, request.format, self.options.name)
            meta = {
                "seed": item.get("seed", seed + i if seed is not None else None),
                "size": f"{w}x{h}",
                "format": request.format,
                "remote": self.options.name,
                "revised_prompt": item.get("revised_prompt"),
            }
            media.append(Media(data=data, mime=mime, meta=meta))
            if progress:
                progress((i + 1) / len(blobs), f"received {i + 1}/{len(blobs)}")
        return MediaResult(media=media, model=self.model.id, seed=seed, usage={"images": float(len(media))})

    def _post(self, client: httpx.Client, request: ImageRequest, fields: dict[str, Any]) -> httpx.Response:
        if request.image is None:
            return client.post("/images/generations", json=fields)
        files = {"image": ("image.png", request.image, "application/octet-stream")}
        if request.mask is not None:
            files["mask"] = ("mask.png", request.mask, "application/octet-stream")
        return client.post("/images/edits", data={k: str(v) for k, v in fields.items()}, files=files)

    def _item_bytes(self, client: httpx.Client, item: dict[str, Any]) -> bytes:
        if item.get("b64_json"):
            return base64.b64decode(item["b64_json"])
        url = item.get("url")
        if not url:
            raise RemoteError(f"Remote '{self.options.name}' sent an image item with neither b64_json nor url.")
        absolute = urljoin(self.options.base_url.rstrip("/") + "/", url)
        same_origin = urlsplit(absolute)[:2] == urlsplit(self.options.base_url)[:2]
        if same_origin:  # the API key goes only to the remote itself, never to a CDN
            response = client.get(absolute)
        else:
            import httpx

            response = httpx.get(absolute, timeout=self.options.timeout, follow_redirects=True)
        self._raise_for(response)
        return response.content


def _error_param(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("error")
    except ValueError:
        return None
    return detail.get("param") if isinstance(detail, dict) else None


# ---------------------------------------------------------------- ComfyUI

DEFAULT_WORKFLOW: dict[str, Any] = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 0,
            "steps": 20,
            "cfg": 7.0,
            "sampler_name": "euler",
            "scheduler": "normal",
            "denoise": 1.0,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ""}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "zaowu", "images": ["8", 0]}},
}
"""ComfyUI's standard text-to-image graph in API format; node ids match ComfyWorkflow's defaults."""


class ComfyOptions(RemoteOptions):
    poll_interval: float = Field(0.5, gt=0, le=10, description="seconds between GET /history polls")


class ComfyUIBackend(MediaBackend):
    id = "comfyui"
    modality = Modality.image
    description = "a ComfyUI server running an API-format workflow (any model ComfyUI can load)"
    licence = "GPL-3.0 server reached over HTTP (zaowu's client code: Apache-2.0)"
    local = False
    Options = ComfyOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)
        wf = dict(model.defaults)
        self.nodes = {k: wf.get(k) for k in ("prompt_node", "negative_node", "seed_node", "size_node")}
        if wf.get("file"):
            path = Path(wf["file"]).expanduser()
            try:
                self.workflow = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise BackendError(f"Cannot read the ComfyUI workflow {path} of '{model.id}': {exc}") from None
        else:
            if not wf.get("checkpoint"):
                raise BackendError(
                    f"'{model.id}' uses the built-in ComfyUI workflow, which needs 'checkpoint' "
                    "(a ckpt_name in ComfyUI's models/checkpoints) in its workflow configuration."
                )
            self.workflow = copy.deepcopy(DEFAULT_WORKFLOW)
            self.workflow["4"]["inputs"]["ckpt_name"] = wf["checkpoint"]
            self.workflow["3"]["inputs"].update(steps=wf.get("steps", 20), cfg=wf.get("cfg", 7.0))
        if not isinstance(self.workflow, dict) or "nodes" in self.workflow:
            raise BackendError(
                f"The workflow of '{model.id}' is not in ComfyUI's API format; "
                "export it with 'Export (API)' in ComfyUI."
            )
        self._inputs(self.workflow, self.nodes["prompt_node"], "text")  # a misnamed node fails at load

    def _inputs(self, graph: dict[str, Any], ref: str | None, *names: str) -> dict[str, Any] | None:
        """The inputs of the node with id or title ``ref`` in ``graph``, checked to hold one of ``names``."""
        if ref is None:
            return None
        node = graph.get(ref) or next(
            (n for n in graph.values() if isinstance(n, dict) and (n.get("_meta") or {}).get("title") == ref), None
        )
        if not isinstance(node, dict) or not any(i in node.get("inputs", {}) for i in names):
            raise BackendError(
                f"The workflow of '{self.model.id}' has no node '{ref}' with input {' or '.join(names)}; "
                "name the right node id or title in its workflow configuration."
            )
        return node["inputs"]

    def fill(self, request: ImageRequest, seed: int, width: int, height: int) -> dict[str, Any]:
        """A copy of the workflow with the prompt, seed and size written into the named nodes."""
        graph = copy.deepcopy(self.workflow)
        self._inputs(graph, self.nodes["prompt_node"], "text")["text"] = request.prompt  # type: ignore[index]
        if (neg := self._inputs(graph, self.nodes["negative_node"], "text")) is not None:
            neg["text"] = request.negative_prompt or ""
        if (s := self._inputs(graph, self.nodes["seed_node"], "seed", "noise_seed")) is not None:
            s["noise_seed" if "noise_seed" in s else "seed"] = seed
        if (size := self._inputs(graph, self.nodes["size_node"], "width")) is not None:
            size.update(width=width, height=height)
            if "batch_size" in size:
                size["batch_size"] = 1
        return graph

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        assert isinstance(request, ImageRequest)
        check_prompt_request(request, f"'{self.model.id}' (a ComfyUI workflow)")
        if request.image is not None:
            raise InvalidRequest("ComfyUI workflows generate from a prompt; they do not edit images.", param="image")
        width, height = parse_size(request.size, 1024)
        base_seed = 0 if seed is None else seed
        client = _ComfyClient(self.options)
        media: list[Media] = []
        for i in range(request.n):
            graph = self.fill(request, base_seed + i, width, height)
            for blob in client.run(graph, progress, i, request.n):
                data, mime, (w, h) = _as_format(blob, request.format, self.options.name)
                meta = {
                    "seed": base_seed + i,
                    "size": f"{w}x{h}",
                    "format": request.format,
                    "remote": self.options.name,
                }
                media.append(Media(data=data, mime=mime, meta=meta))
        return MediaResult(media=media, model=self.model.id, seed=base_seed, usage={"images": float(len(media))})


class _ComfyClient(_RemoteMixin):
    """POST /prompt, poll GET /history/{id}, fetch GET /view: ComfyUI's HTTP protocol."""

    def __init__(self, options: ComfyOptions):
        self.options = options

    def run(self, graph: dict[str, Any], progress: Progress | None, index: int, count: int) -> list[bytes]:
        try:
            with self._client() as client:
                response = client.post("/prompt", json={"prompt": graph, "client_id": uuid.uuid4().hex})
                self._raise_comfy(response)
                prompt_id = response.json()["prompt_id"]
                outputs = self._wait(client, prompt_id, progress, index, count)
                return [
                    self._view(client, image)
                    for out in outputs.values()
                    for image in out.get("images", ())
                    if image.get("type", "output") == "output"
                ]
        except _http_errors() as exc:
            raise self._unreachable(exc) from exc

    def _raise_comfy(self, response: httpx.Response) -> None:
        """ComfyUI's errors: ``{"error": {"message", "details"}, "node_errors": {...}}``."""
        if response.status_code < 400:
            return
        try:
            body = response.json()
            error = body.get("error") or {}
            message = f"{error.get('message', '')} {error.get('details', '')}".strip()
            for node, info in (body.get("node_errors") or {}).items():
                details = (e.get("details") or e.get("message", "") for e in info["errors"])
                message += f"; node {node}: " + ", ".join(details)
        except (ValueError, AttributeError, KeyError, TypeError):
            message = response.text[:500]
        raise RemoteError(
            f"ComfyUI '{self.options.name}' ({self.options.base_url}) rejected the workflow "
            f"({response.status_code}): {message}",
            remote_status=response.status_code,
        )

    def _wait(self, client: httpx.Client, prompt_id: str, progress, index: int, count: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.options.timeout
        while time.monotonic() < deadline:
            response = client.get(f"/history/{prompt_id}")
            self._raise_for(response)
            entry = response.json().get(prompt_id)
            status = (entry or {}).get("status") or {}
            if status.get("status_str") == "error":
                messages = [
                    m[1].get("exception_message", m[0])
                    for m in status.get("messages", [])
                    if isinstance(m, list) and len(m) == 2 and m[0] == "execution_error"
                ]
                raise RemoteError(
                    f"ComfyUI '{self.options.name}' failed to run the workflow: "
                    f"{'; '.join(messages) or 'execution error'}"
                )
            if entry is not None and status.get("completed", True):
                if progress:
                    progress((index + 1) / count, f"image {index + 1}/{count} done")
                return entry.get("outputs") or {}
            time.sleep(self.options.poll_interval)
        raise RemoteError(
            f"ComfyUI '{self.options.name}' did not finish prompt {prompt_id} in {self.options.timeout:g} s."
        )

    def _view(self, client: httpx.Client, image: dict[str, Any]) -> bytes:
        params = {
            "filename": image["filename"],
            "subfolder": image.get("subfolder", ""),
            "type": image.get("type", "output"),
        }
        response = client.get("/view", params=params)
        self._raise_for(response)
        return response.content


@hookimpl
def register_backends(register):
    register(RemoteImageBackend)
    register(ComfyUIBackend)
