"""Local text generation with llama.cpp through xllamacpp (in-process, MIT).

One ``xllamacpp.Server`` per model holds the weights once and serves requests
from any thread: it has ``n_parallel`` slots with continuous batching, and
requests beyond that wait in llama.cpp's own queue. Streaming arrives through a
callback on llama.cpp's thread; it is turned into an iterator with a queue,
and returning True from the callback stops the generation when the consumer
goes away.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from ..errors import BackendError, ContextLengthExceeded, InvalidRequest
from ..types import TextChunk, TextRequest, Usage
from .base import BackendOptions, TextBackend
from .hookspecs import hookimpl

log = logging.getLogger(__name__)

_DONE = object()
_LIVE: weakref.WeakSet = weakref.WeakSet()  # backends to stop cleanly at interpreter exit
_SAMPLING_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
)


class LlamaCppOptions(BackendOptions):
    n_ctx: int = Field(4096, ge=256, description="context length of each parallel request, in tokens")
    n_parallel: int = Field(4, ge=1, le=64, description="requests decoded together; more wait in a queue")
    n_threads: int | None = Field(None, ge=1, description="CPU threads (default: the cores other processes leave idle)")
    n_threads_batch: int | None = Field(
        None,
        ge=1,
        description="CPU threads reading a prompt (default: n_threads when set, else every core this process may use)",
    )
    n_gpu_layers: int = Field(0, ge=-1, description="layers offloaded to a GPU build (-1: all)")
    n_batch: int = Field(512, ge=32)


def default_threads(cores: int | None = None, load: float | None = None) -> int:
    """llama.cpp threads when none are set: the cores this process may run on, less those other
    processes keep busy (the 1-minute load average, rounded), at least one.

    llama.cpp's threads wait for each other by spinning at a barrier after every operation, so one
    thread descheduled by a busy neighbour stalls all the others: with every core in use beside a
    busy process, decoding fell from ~10 to 0.4 tokens/s (issue 13). The answer does not depend on
    the thread count (tests/engineering), so a load-dependent default keeps seeded outputs the same."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, cores - int(load + 0.5)))


def server_params(path: str, opts: LlamaCppOptions, n_ctx: int) -> Any:
    """xllamacpp's parameters for one model (also used by bench/text.py, so both run alike)."""
    import xllamacpp

    threads = opts.n_threads or default_threads()
    if not opts.n_threads:
        log.info(
            "llama.cpp runs %s on %d thread(s), load %.1f; set n_threads to choose",
            path,
            threads,
            os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
        )
    params = xllamacpp.CommonParams()
    params.model.path = path
    params.n_parallel = opts.n_parallel
    params.n_ctx = n_ctx * opts.n_parallel  # llama.cpp splits n_ctx across slots
    params.n_batch = opts.n_batch
    params.n_gpu_layers = opts.n_gpu_layers
    params.cpuparams.n_threads = threads
    # reading a prompt is a few large matrix products per layer: every core helps, and a thread that waits at
    # the barrier costs little beside them, unlike in decoding (one token: many tiny steps; see default_threads)
    params.cpuparams_batch.n_threads = opts.n_threads_batch or opts.n_threads or default_threads(load=0.0)
    params.warmup = False
    params.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else -1  # llama.cpp's own logging
    return params


class LlamaCppBackend(TextBackend):
    id = "llamacpp"
    description = "GGUF models run in-process by llama.cpp (xllamacpp)"
    licence = "MIT"
    supports_schema = True
    Options = LlamaCppOptions
    settings_options: ClassVar[dict[str, str]] = {
        "n_ctx": "n_ctx",
        "n_parallel": "n_parallel",
        "n_threads": "n_threads",
        "n_gpu_layers": "n_gpu_layers",
    }

    @classmethod
    def slots(cls, options: BackendOptions) -> int | None:
        """llama.cpp decodes ``n_parallel`` requests together (continuous batching)."""
        return options.n_parallel if isinstance(options, LlamaCppOptions) else None

    def __init__(self, model, options=None):
        super().__init__(model, options)
        import xllamacpp  # heavy native library: imported only when a model loads

        if not self.model.path or not os.path.exists(self.model.path):
            raise BackendError(f"weights for '{model.id}' not found at {self.model.path}")
        opts: LlamaCppOptions = self.options  # type: ignore[assignment]
        n_ctx = opts.n_ctx
        if model.context_length:
            n_ctx = min(n_ctx, model.context_length)
        self.context_length = n_ctx
        try:
            self._server = xllamacpp.Server(server_params(self.model.path, opts, n_ctx))
        except Exception as exc:  # corrupt file, out of memory...
            raise BackendError(f"llama.cpp could not load '{model.id}': {exc}") from exc
        self._active: dict[threading.Thread, threading.Event] = {}
        self._active_lock = threading.Lock()
        _LIVE.add(self)

    def close(self, timeout: float = 10.0) -> None:
        """Stop in-flight generations and wait for their threads, then drop the model.

        A llama.cpp thread still calling back into Python while the interpreter
        shuts down aborts the process, so this also runs at exit."""
        with self._active_lock:
            active = list(self._active.items())
        for _, stop in active:
            stop.set()
        deadline = time.monotonic() + timeout
        for thread, _ in active:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._server = None

    # -- request translation ---------------------------------------------------
    def _payload(self, request: TextRequest, seed: int) -> dict[str, Any]:
        """llama.cpp's request body.

        A request that names its seed evaluates its whole prompt afresh (``cache_prompt`` off): with
        the prompt cache, llama.cpp reuses the KV of an earlier request's common prefix and evaluates
        only the rest (at least the last token) in a smaller batch, and logits from different batch
        sizes are not bit-identical, so a warm server sampled a different answer than a fresh one
        (issue 13). Requests without a seed keep the cache: nothing promises them a repeat."""
        payload: dict[str, Any] = {
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": seed,
            "cache_prompt": request.seed is None,  # see _payload's docstring
        }
        if request.is_chat:
            if not self.model.chat:
                raise InvalidRequest(
                    f"'{self.model.id}' is a base model without a chat format; "
                    "use /v1/completions (a 'prompt') instead of chat messages.",
                    param="model",
                )
            payload["messages"] = [m.model_dump(exclude_none=True) for m in request.messages or []]
        else:
            payload["prompt"] = request.prompt
        for name in _SAMPLING_FIELDS:
            value = getattr(request, name)
            if value is not None:
                payload[name] = value
        if request.stop:
            payload["stop"] = request.stop
        rf = request.response_format
        if rf is not None and rf.type != "text":
            if request.is_chat:
                payload["response_format"] = rf.model_dump(by_alias=True, exclude_none=True)
            elif rf.type == "json_schema":
                payload["json_schema"] = request.schema
            else:
                payload["json_schema"] = {}
        return payload

    @staticmethod
    def _error(err: dict[str, Any], chat: bool) -> Exception:
        message = err.get("message") or str(err)
        if err.get("type") == "exceed_context_size_error":
            return ContextLengthExceeded(
                f"The input is {err.get('n_prompt_tokens')} tokens but this model's context holds "
                f"{err.get('n_ctx')} tokens per request. Shorten the input or start the server with a "
                "larger --n-ctx.",
                param="messages" if chat else "prompt",
            )
        if err.get("code") == 400:
            return InvalidRequest(message)
        return BackendError(f"llama.cpp: {message}")

    # -- generation ------------------------------------------------------------
    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        payload = self._payload(request, seed)
        handler = self._server.handle_chat_completions if request.is_chat else self._server.handle_completions
        items: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            items.put(chunk)
            return stop.is_set()  # True tells llama.cpp to stop this request

        def run() -> None:
            try:
                handler(payload, on_chunk)
            except ValueError as exc:  # llama.cpp rejected the request (e.g. schema it cannot compile)
                items.put(InvalidRequest(str(exc), param="response_format"))
            except Exception as exc:  # noqa: BLE001 - a native failure  # pragma: no cover
                items.put(BackendError(f"llama.cpp failed: {exc}"))
            finally:
                with self._active_lock:
                    self._active.pop(threading.current_thread(), None)
                items.put(_DONE)

        if self._server is None:
            raise BackendError(f"'{self.model.id}' was unloaded; retry the request")
        thread = threading.Thread(target=run, name=f"llamacpp-{self.model.id}", daemon=True)
        with self._active_lock:
            self._active[thread] = stop
        thread.start()
        finish_reason: str | None = None
        usage = Usage()
        try:
            while (item := items.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                if "error" in item:
                    raise self._error(item["error"], request.is_chat)
                for choice in item.get("choices") or ():
                    text = choice.get("text") if "text" in choice else (choice.get("delta") or {}).get("content")
                    if text:
                        yield TextChunk(text=text)
                    if choice.get("finish_reason"):
                        finish_reason = choice["finish_reason"]
                if item.get("usage"):
                    u = item["usage"]
                    usage = Usage(
                        prompt_tokens=u.get("prompt_tokens", 0), completion_tokens=u.get("completion_tokens", 0)
                    )
            yield TextChunk(finish_reason=finish_reason or "stop", usage=usage)
        finally:
            stop.set()


@atexit.register
def _close_all() -> None:
    for backend in list(_LIVE):
        backend.close(timeout=5.0)


@hookimpl
def register_backends(register):
    register(LlamaCppBackend)
