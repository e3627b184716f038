"""Remote text and embeddings from any OpenAI-compatible server
(vLLM, Ollama, LocalAI, llama.cpp's server, OpenAI, another zaowu).

Errors from the remote keep their status when they are the caller's fault (4xx)
and become 502 otherwise; the message says which remote answered and what it said.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr

from ..errors import RemoteError
from ..types import EmbeddingRequest, EmbeddingResult, TextChunk, TextRequest, Usage
from .base import BackendOptions, EmbeddingBackend, TextBackend
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# The field names servers read for the repeat penalty, sent only when the user sets one: vLLM (and TGI)
# read ``repetition_penalty``, llama.cpp's server ``repeat_penalty``; each ignores the other's name.
# OpenAI's API knows neither and refuses both, which is the user's 400 for asking.
REPEAT_PENALTY_NAMES = ("repetition_penalty", "repeat_penalty")


class RemoteOptions(BackendOptions):
    name: str = Field("remote", description="the remote's name in the configuration")
    base_url: str = Field(description="e.g. http://localhost:11434/v1 (Ollama) or http://gpu-box:8000/v1 (vLLM)")
    api_key: SecretStr | None = None
    timeout: float = Field(600.0, gt=0)


def _http_errors() -> type[Exception]:
    import httpx

    return httpx.HTTPError


class _RemoteMixin:
    model: Any
    options: RemoteOptions

    def _client(self) -> httpx.Client:
        import httpx  # imported when a remote is used, not when plugins load

        headers = {}
        if self.options.api_key is not None:
            headers["Authorization"] = f"Bearer {self.options.api_key.get_secret_value()}"
        return httpx.Client(
            base_url=self.options.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(self.options.timeout, connect=10.0),
        )

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            response.read()
            body = response.json()
            detail = body.get("error", body)
            message = detail.get("message") if isinstance(detail, dict) else str(detail)
        except (ValueError, AttributeError):
            message = response.text[:500]
        status = response.status_code if 400 <= response.status_code < 500 else 502
        err = RemoteError(
            f"Remote '{self.options.name}' ({self.options.base_url}) answered {response.status_code}: {message}",
            remote_status=response.status_code,
        )
        err.status = status
        raise err

    def _unreachable(self, exc: Exception) -> RemoteError:
        return RemoteError(
            f"Cannot reach remote '{self.options.name}' at {self.options.base_url}: {exc}. "
            "Check that the server is running and the base_url in your configuration."
        )


class RemoteTextBackend(_RemoteMixin, TextBackend):
    id = "openai-remote"
    description = "any OpenAI-compatible server: vLLM, Ollama, LocalAI, OpenAI"
    local = False
    supports_schema = True
    Options = RemoteOptions

    def _payload(self, request: TextRequest, seed: int) -> tuple[str, dict[str, Any]]:
        body = request.model_dump(exclude_none=True, by_alias=True, exclude={"model", "repeat_penalty"})
        body["model"] = self.model.remote_model or self.model.id
        body["seed"] = seed
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        if not body.get("stop"):
            body.pop("stop", None)
        if request.repeat_penalty is not None:
            body.update(dict.fromkeys(REPEAT_PENALTY_NAMES, request.repeat_penalty))
        return ("/chat/completions" if request.is_chat else "/completions"), body

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        path, body = self._payload(request, seed)
        finish_reason, usage = None, Usage()
        try:
            with self._client() as client, client.stream("POST", path, json=body) as response:
                self._raise_for(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    item = json.loads(data)
                    if "error" in item:
                        raise RemoteError(f"Remote '{self.options.name}' failed mid-stream: {item['error']}")
                    for choice in item.get("choices") or ():
                        text = choice.get("text") if "text" in choice else (choice.get("delta") or {}).get("content")
                        if text:
                            yield TextChunk(text=text)
                        finish_reason = choice.get("finish_reason") or finish_reason
                    if item.get("usage"):
                        usage = Usage(
                            prompt_tokens=item["usage"].get("prompt_tokens", 0),
                            completion_tokens=item["usage"].get("completion_tokens", 0),
                        )
        except _http_errors() as exc:
            raise self._unreachable(exc) from exc
        yield TextChunk(finish_reason=finish_reason or "stop", usage=usage)


class RemoteEmbeddingBackend(_RemoteMixin, EmbeddingBackend):
    id = "openai-remote-embeddings"
    description = "embeddings from any OpenAI-compatible server"
    local = False
    Options = RemoteOptions

    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        body = {"model": self.model.remote_model or self.model.id, "input": request.input}
        try:
            with self._client() as client:
                response = client.post("/embeddings", json=body)
        except _http_errors() as exc:
            raise self._unreachable(exc) from exc
        self._raise_for(response)
        data = response.json()
        rows = sorted(data["data"], key=lambda d: d["index"])
        return EmbeddingResult(
            vectors=[r["embedding"] for r in rows],
            model=self.model.id,
            usage=Usage(prompt_tokens=data.get("usage", {}).get("prompt_tokens", 0)),
        )


@hookimpl
def register_backends(register):
    register(RemoteTextBackend)
    register(RemoteEmbeddingBackend)
