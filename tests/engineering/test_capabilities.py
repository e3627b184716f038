"""Backends are handled by what they declare (streaming, context length, parallel slots, options),
never by their id: a plugin backend gets exactly the treatment of a built-in one, and a bad option
in the settings file or the catalog is an error naming where it was set and what is allowed.

The plugin is tests/capability_plugin.py: sine-tone speech backends (one streams, one does not)
whose pitch is an option, so the audio tells which options reached the backend."""

from __future__ import annotations

import io
import itertools
import struct
import wave

import httpx
import pluggy
import pytest

from tests.conftest import TEST_MODEL, Server
from zaowu import hookspecs
from zaowu.backends.base import MediaBackend
from zaowu.backends.registry import BackendRegistry
from zaowu.errors import InvalidRequest
from zaowu.hookspecs import hookimpl
from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.provenance.audio import CUE_SECONDS, detect_cue
from zaowu.types import Modality

PLUGIN = "tests.capability_plugin"


def _config(path, text: str) -> str:
    path.write_text(f'plugins = ["{PLUGIN}"]\ndefault_chat_model = "echo"\n{text}', encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory, models_dir):
    folder = tmp_path_factory.mktemp("capabilities")
    config = _config(folder / "config.toml", "[backend_options.test-chime-stream]\npitch = 880\nparallel = 3\n")
    srv = Server(folder / "data", models_dir, extra_env={"ZAOWU_CONFIG": config})
    yield srv
    srv.stop()


def _pitch(wav_bytes: bytes, *, streamed: bool = False) -> int:
    """The tone's frequency in Hz: sign changes per second / 2 (the chimes play 0.5 s), after the
    AI-content cue every stored audio output starts with (issue 16). A streamed WAV's header cannot know
    its length, so its samples run to the end of the body."""
    with wave.open(io.BytesIO(wav_bytes)) as w:
        rate, declared = w.getframerate(), w.getnframes() * 2
    start = wav_bytes.index(b"data") + 8
    frames = wav_bytes[start:] if streamed else wav_bytes[start : start + declared]
    if streamed or detect_cue(wav_bytes):
        frames = frames[2 * round(CUE_SECONDS * rate) :]
    samples = struct.unpack(f"<{len(frames) // 2}h", frames[: len(frames) // 2 * 2])
    return sum((a < 0) != (b < 0) for a, b in itertools.pairwise(samples))


def _speech(server: Server, model: str, **more) -> httpx.Response:
    return httpx.post(server.base_url + "/v1/audio/speech", json={"model": model, "input": "hello", **more}, timeout=60)


def test_a_backend_that_does_not_declare_streaming_is_refused_a_stream(plugin_server):
    refused = _speech(plugin_server, "chime", stream=True)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["param"] == "stream" and "cannot stream" in error["message"]
    whole = _speech(plugin_server, "chime")  # the same backend, not streamed: served
    assert whole.status_code == 200 and abs(_pitch(whole.content) - 440) <= 4


def test_a_plugin_backend_streams_with_the_options_and_slots_it_declares(plugin_server):
    """Streaming is allowed because the backend declares it; the settings file's
    [backend_options.test-chime-stream] reached it (880 Hz, not the default 440); its gate has the
    slots it declares (3 from its options; the non-streaming chime declares 1, not media_parallel's 2)."""
    with httpx.stream(
        "POST",
        plugin_server.base_url + "/v1/audio/speech",
        timeout=60,
        json={"model": "chime-stream", "input": "hello", "stream": True},
    ) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
        body = b"".join(response.iter_bytes())
    assert abs(_pitch(body, streamed=True) - 880) <= 4
    _speech(plugin_server, "chime")
    queues = httpx.get(plugin_server.base_url + "/health", timeout=30).json()["queues"]
    assert queues["chime-stream"]["slots"] == 3 and queues["chime"]["slots"] == 1


def test_catalog_defaults_that_are_options_reach_the_backend_and_a_bad_one_names_its_field(plugin_server):
    low = _speech(plugin_server, "chime-low")
    assert low.status_code == 200 and abs(_pitch(low.content) - 220) <= 4
    broken = _speech(plugin_server, "chime-broken")
    assert broken.status_code == 400, broken.text
    error = broken.json()["error"]
    assert error["param"] == "models.chime-broken.defaults.pitch"
    assert "greater than or equal to 20" in error["message"] and "tone frequency in Hz" in error["message"]
    assert httpx.get(plugin_server.base_url + "/health", timeout=30).status_code == 200


def test_a_plugin_text_backend_declares_its_context_length(plugin_server):
    url = plugin_server.base_url + "/v1/chat/completions"
    messages = [{"role": "user", "content": "echo me"}]
    too_long = httpx.post(url, json={"model": "echo", "messages": messages, "max_tokens": 100}, timeout=60)
    assert too_long.status_code == 400, too_long.text
    error = too_long.json()["error"]
    assert error["param"] == "max_tokens" and "context of 64 tokens" in error["message"]
    fits = httpx.post(url, json={"model": "echo", "messages": messages, "max_tokens": 10}, timeout=60)
    assert fits.status_code == 200 and fits.json()["choices"][0]["message"]["content"] == "echo me"


@pytest.mark.parametrize(
    ("options", "param", "says"),
    [
        ("pitch = 99999", "backend_options.test-chime-stream.pitch", "less than or equal to 4000"),
        ("pich = 880", "backend_options.test-chime-stream.pich", "Did you mean 'pitch'?"),
    ],
)
def test_a_bad_option_in_the_settings_file_stops_the_server_naming_it(tmp_path, models_dir, options, param, says):
    config = _config(tmp_path / "config.toml", f"[backend_options.test-chime-stream]\n{options}\n")
    with pytest.raises(RuntimeError) as exited:
        Server(tmp_path / "data", models_dir, extra_env={"ZAOWU_CONFIG": config})
    assert f"'{param}'" in str(exited.value) and says in str(exited.value)
    assert "Traceback" not in str(exited.value)  # one line, not a crash


def test_an_unknown_backend_in_the_settings_is_named_with_the_installed_ones(tmp_path):
    with pytest.raises(InvalidRequest) as e:
        Studio(Settings(data_dir=tmp_path, backend_options={"llama-cpp": {"n_ctx": 512}}))
    assert e.value.param == "backend_options.llama-cpp" and "llamacpp" in e.value.message


def test_built_in_backends_take_their_options_and_slots_from_the_settings(settings):
    """llama.cpp's n_parallel comes from the settings it names and sets its slots; backend_options wins over
    the plain setting; speech gets the models folder (for pulled voices)."""
    tuned = settings.model_copy(
        update={"n_parallel": 3, "backend_options": {"llamacpp": {"n_batch": 64}, "tts": {"sentence_pause": 0.4}}}
    )
    with Studio(tuned) as studio:
        text = studio.catalog.spec(TEST_MODEL, Modality.text)
        options = studio.backend_options(text)
        assert (options.n_parallel, options.n_batch, options.n_ctx) == (3, 64, 2048)
        assert studio.admission.gate(text).slots == 3
        speech = studio.backend_options(studio.catalog.spec("tts-1", Modality.speech))
        assert speech.models_dir == settings.models_path and speech.sentence_pause == 0.4


def test_a_backend_declaring_streaming_without_a_stream_method_is_refused_at_registration():
    class Mute(MediaBackend):
        id = "test-mute"
        modality = Modality.speech
        can_stream = True

    class Plugin:
        @hookimpl
        def register_backends(self, register):
            register(Mute)

    pm = pluggy.PluginManager("zaowu")
    pm.add_hookspecs(hookspecs)
    pm.register(Plugin())
    with pytest.raises(TypeError, match="declares can_stream but has no stream"):
        BackendRegistry(pm)
