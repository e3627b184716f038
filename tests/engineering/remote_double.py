"""A test double for OpenAI-compatible servers other than zaowu: one HTTP server answering under
``/vllm/v1``, ``/ollama/v1``, ``/openai/v1`` and ``/sse/v1`` the way vLLM, Ollama, OpenAI's own API
and sse-starlette based servers answer in the points a client depends on:

- errors: vLLM puts ``message`` at the top level (``{"object": "error", "message": ..., "code": 400}``),
  Ollama and OpenAI nest it (``{"error": {"message": ...}}``); vLLM reports a failure after the stream
  began as an ``error`` event inside the stream (status 200 already sent);
- unknown request fields: OpenAI rejects them with 400 ("Unrecognized request argument supplied"),
  vLLM and Ollama ignore them; ``seed`` must be an integer (vLLM 422, others 400); vLLM reads the
  repeat penalty as ``repetition_penalty`` (a number above 0, else 400) and ignores ``repeat_penalty``,
  llama.cpp's server's name for it;
- streaming: ``data: {...}`` events and ``data: [DONE]``; vLLM opens with a role-only delta, Ollama
  does not and tags chunks ``fp_ollama``; with ``stream_options.include_usage`` a last ``choices: []``
  event carries the usage (without it, no usage at all); ``/sse`` writes ``data:`` without the
  space, ``: ping`` comments and CRLF line ends as sse-starlette does (all valid SSE);
- sampling: the answer is a function of the prompt and ``seed`` only (same seed, same text);
  vLLM and OpenAI refuse ``max_tokens`` beyond the context (1024 tokens), Ollama truncates.

Every request body is kept in ``received`` so tests can check what the client sent."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTEXT = 1024
MODELS = {"vllm": "Qwen/Qwen2.5-1.5B-Instruct", "ollama": "qwen2.5:1.5b", "openai": "gpt-4o-mini", "sse": "local"}
OPENAI_FIELDS = {
    "model",
    "messages",
    "prompt",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "stream",
    "stream_options",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "n",
    "user",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "tools",
    "tool_choice",
}
WORDS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "grape", "melon", "peach"]
FAIL_MID_STREAM = "please fail mid-stream"


def answer(prompt: str, seed: int, max_tokens: int) -> list[str]:
    """The 'model': words picked by a hash of the prompt and the seed, one token each."""
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    return [WORDS[b % len(WORDS)] + " " for b in digest[: min(max_tokens, 8)]]


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[str, dict[str, Any]]] = []  # (flavour, body)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def base_url(self, flavour: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{flavour}/v1"

    def last(self, flavour: str) -> dict[str, Any]:
        return [body for f, body in self.received if f == flavour][-1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Refused(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: simple streaming
    server: DoubleServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        flavour, _, path = self.path.strip("/").partition("/v1/")
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self.server.received.append((flavour, body))
        try:
            if flavour not in MODELS or path not in ("chat/completions", "completions"):
                raise _Refused(404, f"no route {self.path}", "not_found")
            self._check(flavour, body)
            self._generate(flavour, path, body)
        except _Refused as exc:
            self._error(flavour, exc)

    def _check(self, flavour: str, body: dict[str, Any]) -> None:
        if flavour == "openai" and (unknown := sorted(set(body) - OPENAI_FIELDS)):
            raise _Refused(400, f"Unrecognized request argument supplied: {unknown[0]}")
        if body.get("model") != MODELS[flavour]:
            message = {
                "vllm": f"The model `{body.get('model')}` does not exist.",
                "ollama": f'model "{body.get("model")}" not found, try pulling it first',
            }
            missing = message.get(flavour, f"The model `{body.get('model')}` does not exist or you do not have access.")
            raise _Refused(404, missing, "NotFoundError" if flavour == "vllm" else "not_found_error")
        penalty = body.get("repetition_penalty", 1.0)
        if flavour == "vllm" and (not isinstance(penalty, (int, float)) or penalty <= 0):
            raise _Refused(400, f"repetition_penalty must be greater than zero, got {penalty}.")
        if "seed" in body and not isinstance(body["seed"], int):
            raise _Refused(400 if flavour != "vllm" else 422, "seed: Input should be a valid integer", param="seed")
        if body.get("max_tokens", 16) > CONTEXT and flavour in ("vllm", "openai"):
            raise _Refused(
                400,
                f"This model's maximum context length is {CONTEXT} tokens. However, you requested "
                f"{body['max_tokens']} tokens.",
                param="max_tokens",
            )

    def _error(self, flavour: str, exc: _Refused) -> None:
        if flavour == "vllm":
            payload = {
                "object": "error",
                "message": exc.message,
                "type": exc.kind,
                "param": exc.param,
                "code": exc.status,
            }
        else:
            payload = {"error": {"message": exc.message, "type": exc.kind, "param": exc.param, "code": None}}
        data = json.dumps(payload).encode()
        self.send_response(exc.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _generate(self, flavour: str, path: str, body: dict[str, Any]) -> None:
        chat = path == "chat/completions"
        prompt = json.dumps(body["messages"]) if chat else body["prompt"]
        seed = body.get("seed", 0)
        tokens = answer(prompt, seed, body.get("max_tokens", 16))
        finish = "length" if len(tokens) >= body.get("max_tokens", 16) else "stop"
        usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        obj = "chat.completion" if chat else "text_completion"

        def choice(text: str | None, reason: str | None = None, role: bool = False) -> dict[str, Any]:
            if not chat:
                return {"index": 0, "text": text or "", "finish_reason": reason}
            delta = {"role": "assistant", "content": ""} if role else ({"content": text} if text else {})
            return {"index": 0, "delta": delta, "finish_reason": reason}

        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(tokens)}
            whole = {
                "index": 0,
                "finish_reason": finish,
                **({"message": message} if chat else {"text": message["content"]}),
            }
            self._json({"id": "cmpl-1", "object": obj, "model": body["model"], "choices": [whole], "usage": usage})
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        events: list[dict[str, Any]] = []
        if flavour == "vllm" and chat:
            events.append({"choices": [choice(None, role=True)]})
        events += [{"choices": [choice(t)]} for t in tokens]
        events.append({"choices": [choice(None, finish)]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({"choices": [], "usage": usage})
        if flavour == "ollama":
            events = [{**e, "system_fingerprint": "fp_ollama"} for e in events]
        if flavour == "vllm" and FAIL_MID_STREAM in prompt:
            events = events[:3] + [
                {"error": {"message": "CUDA out of memory", "type": "InternalServerError", "code": 500}}
            ]
        for event in events:
            full = {"id": "chatcmpl-1", "object": obj + ".chunk", "created": 0, "model": body["model"], **event}
            self._event(flavour, json.dumps(full))
        self._event(flavour, "[DONE]")

    def _event(self, flavour: str, data: str) -> None:
        if flavour == "sse":
            self.wfile.write(b": ping\r\n\r\n" + f"data:{data}\r\n\r\n".encode())
        else:
            self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _json(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
