"""The diffusers backend end to end on a tiny randomly initialised Stable Diffusion
pipeline that the test builds and saves itself (no weights can be downloaded here):
registered as a user model, then text-to-image, image-to-image and inpainting through
the real Studio, the CLI and a real ``zaowu serve`` (/v1/images/generations and /edits)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from zaowu.cli.main import cli
from zaowu.errors import InvalidRequest
from zaowu.settings import RemoteConfig, Settings
from zaowu.studio.engine import Studio
from zaowu.types import ImageRequest

from .conftest import Server
from .helpers import same_picture

pytest.importorskip("diffusers")

STEPS = {"steps": 2, "guidance": 2.0}
# an image model that cannot edit: a ComfyUI workflow (nothing is contacted until it generates)
COMFY_ENV = {"comfy": {"api": "comfyui", "base_url": "http://127.0.0.1:9", "workflows": {"sd": {"checkpoint": "x"}}}}
COMFY = {name: RemoteConfig(**cfg) for name, cfg in COMFY_ENV.items()}


def _byte_vocab() -> list[str]:
    """CLIP's byte-to-unicode table: every byte gets a printable character."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    rest = [b for b in range(256) if b not in printable]
    return [chr(c) for c in printable] + [chr(256 + i) for i in range(len(rest))]


def build_tiny_pipeline(folder: Path) -> Path:
    """A 64x64-capable Stable Diffusion pipeline with random weights (~400 KB), saved to ``folder``."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    chars = _byte_vocab()
    vocab = {t: i for i, t in enumerate([*chars, *(c + "</w>" for c in chars), "<|startoftext|>", "<|endoftext|>"])}
    tok = folder / "tokenizer-src"
    tok.mkdir(parents=True, exist_ok=True)
    (tok / "vocab.json").write_text(json.dumps(vocab))
    (tok / "merges.txt").write_text("#version: 0.2\n")  # no merges: one token per byte
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=2,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
            hidden_size=32,
            intermediate_size=64,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(vocab),
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        tokenizer=CLIPTokenizer(str(tok / "vocab.json"), str(tok / "merges.txt"), model_max_length=77),
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder / "tiny-sd")
    return folder / "tiny-sd"


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("tiny-diffusion"))


def png(size=(64, 64), colour=(200, 40, 40, 255)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, colour).save(buf, "PNG")
    return buf.getvalue()


def left_half_mask() -> bytes:
    """OpenAI's convention: the transparent left half is the area to repaint."""
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 32, 64))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def size_of(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_txt2img_img2img_inpaint_through_the_studio(studio, tiny_pipeline):
    entry = studio.catalog.add_diffusers(str(tiny_pipeline), "tiny-sd", licence="test weights", defaults=STEPS)
    assert entry.modality.value == "image" and studio.catalog.installed(entry) and len(entry.sha256) == 64
    steps: list[float] = []
    req = ImageRequest(model="tiny-sd", prompt="a red bicycle", size="64x64", seed=7, n=2)
    first = studio.generate_media(req, progress=lambda f, m: steps.append(f))
    assert [size_of(m.data) for m in first.media] == [(64, 64), (64, 64)]
    assert [m.meta["seed"] for m in first.media] == [7, 8] and first.media[0].meta["mode"] == "txt2img"
    assert steps == sorted(steps) and steps[-1] == 1.0 and len(steps) == 4  # 2 images x 2 steps
    again = studio.generate_media(req.model_copy(update={"n": 1}))
    assert same_picture(again.media[0].data, first.media[0].data)  # same seed, same picture (own watermark)
    eight = studio.generate_media(req.model_copy(update={"n": 1, "seed": 8})).media[0].data
    assert same_picture(eight, first.media[1].data)
    assert first.media[0].data != first.media[1].data
    row = studio.log.get(first.generation_id)
    assert (row["model"], row["backend"], row["seed"], row["status"]) == ("tiny-sd", "diffusers", 7, "ok")
    assert row["model_sha256"] == entry.sha256 and row["input"]["prompt"] == "a red bicycle"
    stored = studio.artifacts.read(first.media[0].meta["artifact_id"])
    assert stored == first.media[0].data
    assert studio.artifacts.get(first.media[0].meta["artifact_id"])["mime"] == "image/png"

    source = first.media[0].data
    i2i = studio.generate_media(
        ImageRequest(model="tiny-sd", prompt="a blue bicycle", size="64x64", seed=3, image=source)
    )
    inpaint = studio.generate_media(
        ImageRequest(
            model="tiny-sd",
            prompt="a blue bicycle",
            size="64x64",
            seed=3,
            image=source,
            mask=left_half_mask(),
            format="webp",
        )
    )
    assert i2i.media[0].meta["mode"] == "img2img" and inpaint.media[0].meta["mode"] == "inpaint"
    logged = studio.log.get(inpaint.generation_id)["input"]
    assert logged["image_sha256"] == hashlib.sha256(source).hexdigest() and len(logged["mask_sha256"]) == 64
    assert size_of(i2i.media[0].data) == size_of(inpaint.media[0].data) == (64, 64)
    assert inpaint.media[0].mime == "image/webp" and i2i.media[0].data != source
    i2i_again = studio.generate_media(
        ImageRequest(model="tiny-sd", prompt="a blue bicycle", size="64x64", seed=3, image=source)
    )
    assert same_picture(i2i_again.media[0].data, i2i.media[0].data)


@pytest.mark.parametrize(
    "fields, param",
    [
        ({"format": "svg"}, "format"),
        ({"size": "65x64"}, "size"),
        ({"size": "huge"}, "size"),
        ({"mask": b"x"}, "image"),  # a mask without its image
        ({"image": b"not an image"}, "image"),
        ({"image": png(), "mask": b"GIF89a broken"}, "mask"),
        ({"kind": "poster"}, "kind"),
    ],
)
def test_bad_diffusers_requests_name_the_field(studio, tiny_pipeline, fields, param):
    studio.catalog.add_diffusers(str(tiny_pipeline), "tiny-sd", defaults=STEPS)
    with pytest.raises(InvalidRequest) as info:
        studio.generate_media(ImageRequest(**{"model": "tiny-sd", "prompt": "x", "size": "64x64", **fields}))
    assert info.value.param == param


def test_registration_errors_and_edit_support(studio, tiny_pipeline, tmp_path):
    """Bad registrations name their field; a model whose backend cannot edit says which can."""
    with pytest.raises(InvalidRequest, match="no model_index.json") as info:
        studio.catalog.add_diffusers(str(tmp_path))
    assert info.value.param == "path"
    with pytest.raises(InvalidRequest, match="not in the local Hugging Face cache"):
        studio.catalog.add_diffusers("nobody/not-cached-anywhere")
    with pytest.raises(InvalidRequest) as info:
        studio.catalog.add_diffusers(str(tiny_pipeline), "x", defaults={"stepz": 2})
    assert info.value.param == "option.stepz"
    studio.catalog.add_diffusers(str(tiny_pipeline), "tiny-sd", defaults={**STEPS, "scheduler": "NoSuchScheduler"})
    with pytest.raises(InvalidRequest, match="EulerDiscreteScheduler") as info:
        studio.generate_media(ImageRequest(model="tiny-sd", prompt="x", size="64x64"))
    assert info.value.param == "scheduler"
    euler = {**STEPS, "scheduler": "EulerDiscreteScheduler"}
    studio.catalog.add_diffusers(str(tiny_pipeline), "tiny-euler", defaults=euler)
    result = studio.generate_media(ImageRequest(model="tiny-euler", prompt="x", size="64x64", seed=1))
    assert result.media[0].meta["scheduler"] == "EulerDiscreteScheduler"
    with (
        Studio(Settings(data_dir=studio.settings.data_dir, remotes=COMFY)) as with_comfy,
        pytest.raises(InvalidRequest, match="tiny-euler") as info,  # ComfyUI workflows do not edit
    ):
        with_comfy.generate_media(ImageRequest(model="comfy/sd", prompt="x", image=png()))
    assert info.value.param == "model"


def test_hf_cache_id_and_cli(tiny_pipeline, tmp_path):
    """``zaowu models add org/name`` finds a snapshot in the local Hugging Face cache offline,
    then ``zaowu image -m`` draws, and ``--image/--mask`` inpaint."""
    snapshot = tmp_path / "hf" / "models--acme--tiny-sd" / "snapshots" / "0123abcd"
    snapshot.parent.mkdir(parents=True)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0123abcd")
    subprocess.run(["cp", "-r", str(tiny_pipeline), str(snapshot)], check=True)
    env = {
        **os.environ,
        "ZAOWU_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_CACHE": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
    }
    add = [sys.executable, "-m", "zaowu.cli.main", "models", "add", "acme/tiny-sd", "--option", "steps=2"]
    r = subprocess.run(add, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "added image model tiny-sd" in r.stdout and "0123abcd" in r.stdout
    cli_env = {"ZAOWU_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "out.png"
    draw = ["image", "a lighthouse", "-m", "tiny-sd", "-s", "64x64", "--seed", "4", "-o", str(out)]
    r = CliRunner().invoke(cli, draw, env=cli_env)
    assert r.exit_code == 0, r.output
    assert size_of(out.read_bytes()) == (64, 64)
    (tmp_path / "mask.png").write_bytes(left_half_mask())
    edited = tmp_path / "edited.jpg"
    r = CliRunner().invoke(
        cli,
        [
            "image",
            "a ship",
            "-m",
            "tiny-sd",
            "-s",
            "64x64",
            "--image",
            str(out),
            "--mask",
            str(tmp_path / "mask.png"),
            "-o",
            str(edited),
        ],
        env=cli_env,
    )
    assert r.exit_code == 0, r.output
    assert Image.open(edited).format == "JPEG" and Image.open(edited).size == (64, 64)


@pytest.fixture(scope="module")
def diffusion_server(tmp_path_factory, tiny_pipeline, models_dir):
    """A real ``zaowu serve`` whose database already holds the tiny pipeline as 'tiny-sd'."""
    data = tmp_path_factory.mktemp("diffusion-server")
    with Studio(Settings(data_dir=data, models_dir=models_dir)) as s:
        s.catalog.add_diffusers(str(tiny_pipeline), "tiny-sd", defaults=STEPS)
    srv = Server(data, models_dir, extra_env={"ZAOWU_REMOTES": json.dumps(COMFY_ENV)})
    yield srv
    srv.stop()


def edit(server, files, **form):
    return httpx.post(f"{server.base_url}/v1/images/edits", files=files, data=form, timeout=120)


def test_http_generations_and_edits(diffusion_server):
    base = diffusion_server.base_url
    body = {"model": "tiny-sd", "prompt": "a lighthouse", "size": "64x64", "seed": 5, "response_format": "b64_json"}
    r = httpx.post(f"{base}/v1/images/generations", json=body, timeout=120)
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    data = base64.b64decode(item["b64_json"])
    assert size_of(data) == (64, 64) and item["seed"] == 5 and r.json()["model"] == "tiny-sd"
    assert httpx.get(base + item["url"]).content == data
    again = httpx.post(f"{base}/v1/images/generations", json=body, timeout=120).json()["data"][0]["b64_json"]
    other = httpx.post(f"{base}/v1/images/generations", json={**body, "seed": 6}, timeout=120).json()["data"][0]
    same = same_picture(base64.b64decode(again), data)  # same picture; each has its own labels
    assert same and other["b64_json"] != item["b64_json"]

    form = {"model": "tiny-sd", "prompt": "a ship", "size": "64x64", "seed": "9", "response_format": "b64_json"}
    with_mask = {"image": ("in.png", data, "image/png"), "mask": ("m.png", left_half_mask(), "image/png")}
    inpaint = edit(diffusion_server, with_mask, **form)
    assert inpaint.status_code == 200, inpaint.text
    i2i = edit(diffusion_server, {"image": ("in.png", data, "image/png")}, **{**form, "n": "2"})
    assert i2i.status_code == 200, i2i.text
    shots = [base64.b64decode(d["b64_json"]) for d in i2i.json()["data"]]
    painted = base64.b64decode(inpaint.json()["data"][0]["b64_json"])
    assert [size_of(s) for s in (*shots, painted)] == [(64, 64)] * 3
    assert len({*shots, painted}) == 3 and [d["seed"] for d in i2i.json()["data"]] == [9, 10]
    url = i2i.json()["data"][0]["url"]
    assert httpx.get(base + url).content == shots[0]


@pytest.mark.parametrize(
    "files, form, param, words",
    [
        ({"image": ("a.png", png(), "image/png")}, {"prompt": "x", "model": "comfy/sd"}, "model", "tiny-sd"),
        ({"image": ("a.png", png(), "image/png")}, {"prompt": "x", "model": "comfy/sd"}, "model", "cannot edit"),
        ({"image": ("a.txt", b"hello", "text/plain")}, {"prompt": "x", "model": "tiny-sd"}, "image", "not an image"),
        (
            {"image": ("a.png", png(), "image/png"), "mask": ("m.png", b"", "image/png")},
            {"prompt": "x", "model": "tiny-sd"},
            "mask",
            "empty",
        ),
        ({"image": ("a.png", png(), "image/png")}, {"model": "tiny-sd"}, "prompt", "prompt"),
        ({"image": ("a.png", png(), "image/png")}, {"prompt": "x", "model": "tiny-sd", "n": "0"}, "n", "n"),
        ({"image": ("a.png", png(), "image/png")}, {"prompt": "x", "model": "tiny-sd", "size": "7:5"}, "size", "7:5"),
    ],
)
def test_bad_edits_are_400_naming_the_field(diffusion_server, files, form, param, words):
    r = edit(diffusion_server, files, **form)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and words in error["message"]
