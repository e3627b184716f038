"""The ``diffusers`` image backend: text-to-image, image-to-image and inpainting with
weights the user already has (Stable Diffusion 1.x/2.x, SDXL, SD-Turbo, ... in
diffusers format). It never downloads: a model is a local pipeline folder, or a
Hugging Face id whose snapshot is already in the local cache.

Register one with ``zaowu models add FOLDER`` (or ``zaowu models add org/name`` for
the HF cache, or ``studio.catalog.add_diffusers(...)``); per-model options (steps,
guidance, device, dtype, scheduler) go in the catalog entry's ``defaults``
(``--option steps=4``). torch and diffusers load with the model, not on import.

CUDA is used when available (float16), the CPU otherwise (float32). Each image i of
a request uses its own ``torch.Generator`` seeded ``seed + i`` on the CPU, so the same
seed gives the same bytes on the same machine and software.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import BackendError, InvalidRequest
from ..types import ImageRequest, Media, MediaResult, Modality
from .base import BackendOptions, MediaBackend, Progress
from .hookspecs import hookimpl
from .image_io import MIMES, check_prompt_request, decode_image, encode, mask_image, parse_size

log = logging.getLogger(__name__)

__all__ = ["DiffusersBackend", "DiffusersOptions", "locate_pipeline", "folder_sha256"]


class DiffusersOptions(BackendOptions):
    steps: int = Field(30, ge=1, le=500, description="denoising steps (SD-Turbo: 1-4)")
    guidance: float = Field(7.5, ge=0, le=50, description="classifier-free guidance scale (SD-Turbo: 0)")
    strength: float = Field(0.75, gt=0, le=1, description="image-to-image: how far from the source image to go")
    device: str = Field("auto", description="auto (cuda when available, else cpu), cpu, cuda, cuda:1, mps")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field("auto", description="auto: float16 on CUDA")
    scheduler: str | None = Field(None, description="a diffusers scheduler class, e.g. EulerDiscreteScheduler")


# ---------------------------------------------------------------- finding local weights


def locate_pipeline(source: str) -> Path:
    """The local folder of a diffusers pipeline: ``source`` is a folder holding
    model_index.json, or a Hugging Face id already in the local cache. Never downloads."""
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise InvalidRequest(
                f"{path} has no model_index.json, so it is not a diffusers pipeline folder. "
                "Save one with pipe.save_pretrained(FOLDER), or give a GGUF file for a language model.",
                param="path",
            )
        return path.resolve()
    if path.exists() or source.count("/") != 1 or source.startswith((".", "/", "~")):
        raise InvalidRequest(f"No pipeline folder at {path}.", param="path")
    from huggingface_hub import snapshot_download  # a dependency of diffusers

    try:
        folder = Path(snapshot_download(source, local_files_only=True))
    except (OSError, ValueError) as exc:  # not cached (LocalEntryNotFoundError), or not a valid repo id
        raise InvalidRequest(
            f"'{source}' is not in the local Hugging Face cache ({type(exc).__name__}). zaowu never downloads "
            "weights: fetch them on a connected machine (huggingface-cli download) and copy the cache, "
            "or give a pipeline folder.",
            param="path",
        ) from None
    return locate_pipeline(str(folder))


def folder_sha256(folder: Path) -> tuple[str, int]:
    """One sha256 for a pipeline folder (over each file's relative path and sha256) and its size."""
    outer, total = hashlib.sha256(), 0
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        inner = hashlib.sha256()
        with open(file, "rb") as fp:
            while block := fp.read(1 << 20):
                inner.update(block)
        total += file.stat().st_size
        outer.update(f"{file.relative_to(folder).as_posix()}\0{inner.hexdigest()}\n".encode())
    return outer.hexdigest(), total


# ---------------------------------------------------------------- backend


class DiffusersBackend(MediaBackend):
    id = "diffusers"
    modality = Modality.image
    description = "Stable Diffusion family via Hugging Face diffusers: text-to-image, image-to-image, inpainting"
    licence = "Apache-2.0 (runtime; the weights carry their own licence)"
    supports_edit = True
    Options = DiffusersOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)  # the studio fills options from the model's catalog defaults first
        if not model.path:
            raise BackendError(f"'{model.id}' has no local pipeline folder; register one with 'zaowu models add'.")
        self._lock = threading.Lock()  # one denoising run at a time per model
        self._pipes: dict[str, Any] = {}
        self._load(Path(model.path))

    def _load(self, folder: Path) -> None:
        import os

        # MKL (torch's CPU BLAS) may sum in an order that depends on where its buffers happen to be aligned,
        # so the same seed could denoise to a slightly different picture; AUTO fixes its code path per CPU.
        # Read at MKL's first call, so it holds when set here, before the first matrix product.
        os.environ.setdefault("MKL_CBWR", "AUTO")
        import torch
        from diffusers import AutoPipelineForText2Image

        device = self.options.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype_name = self.options.dtype
        if dtype_name == "auto":
            dtype_name = "float16" if device.startswith("cuda") else "float32"
        started = time.perf_counter()
        pipe = AutoPipelineForText2Image.from_pretrained(
            folder, dtype=getattr(torch, dtype_name), local_files_only=True
        )
        if self.options.scheduler:
            pipe.scheduler = self._scheduler(pipe, self.options.scheduler)
        pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        self.device, self.dtype = device, dtype_name
        self._pipes["txt2img"] = pipe
        log.info("diffusers %s on %s (%s) loaded in %.1f s", folder, device, dtype_name, time.perf_counter() - started)

    @staticmethod
    def _scheduler(pipe, name: str):
        import diffusers

        compatible = sorted(c.__name__ for c in pipe.scheduler.compatibles)
        cls = getattr(diffusers, name, None)
        if cls is None or name not in compatible:
            raise InvalidRequest(
                f"Unknown or incompatible scheduler '{name}'. Use one of: {', '.join(compatible)}.", param="scheduler"
            )
        return cls.from_config(pipe.scheduler.config)

    def _pipe(self, mode: str):
        if mode not in self._pipes:
            from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

            auto = AutoPipelineForImage2Image if mode == "img2img" else AutoPipelineForInpainting
            self._pipes[mode] = auto.from_pipe(self._pipes["txt2img"])  # shares the loaded weights
            self._pipes[mode].set_progress_bar_config(disable=True)
        return self._pipes[mode]

    def _native(self) -> int:
        pipe = self._pipes["txt2img"]
        return int(pipe.unet.config.sample_size * getattr(pipe, "vae_scale_factor", 8))

    def _inputs(self, request: ImageRequest) -> tuple[str, dict[str, Any], tuple[int, int]]:
        """The mode (txt2img, img2img, inpaint) and its pipeline arguments, checked."""
        check_prompt_request(request, f"'{self.model.id}' (diffusers)")
        if request.mask is not None and request.image is None:
            raise InvalidRequest("A mask needs the image it masks; send 'image' too.", param="image")
        width, height = parse_size(request.size, self._native())
        kwargs: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "num_inference_steps": self.options.steps,
            "guidance_scale": self.options.guidance,
        }
        if request.image is None:
            return "txt2img", {**kwargs, "width": width, "height": height}, (width, height)
        kwargs["image"] = decode_image(request.image, "image").convert("RGB").resize((width, height))
        if request.mask is None:
            return "img2img", {**kwargs, "strength": self.options.strength}, (width, height)
        kwargs["mask_image"] = mask_image(request.mask).resize((width, height))
        return "inpaint", {**kwargs, "width": width, "height": height, "strength": 1.0}, (width, height)

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        import torch

        # 1. check inputs and pick the pipeline
        assert isinstance(request, ImageRequest)
        mode, kwargs, (width, height) = self._inputs(request)
        base_seed = 0 if seed is None else seed
        started = time.perf_counter()
        media: list[Media] = []
        with self._lock:
            pipe = self._pipe(mode)
            for i in range(request.n):
                # 2. one CPU generator per image: image i is reproducible from seed + i alone
                generator = torch.Generator("cpu").manual_seed(base_seed + i)
                done = _StepCounter(progress, i, request.n)
                # 3. denoise
                try:
                    image = pipe(**kwargs, generator=generator, callback_on_step_end=done).images[0]
                except torch.cuda.OutOfMemoryError as exc:
                    raise BackendError(f"Out of GPU memory for {width}x{height}; use a smaller size ({exc}).") from None
                # 4. encode
                meta = {
                    "seed": base_seed + i,
                    "size": f"{width}x{height}",
                    "format": request.format,
                    "mode": mode,
                    "steps": self.options.steps,
                    "guidance": self.options.guidance,
                    "device": self.device,
                    "scheduler": type(pipe.scheduler).__name__,
                }
                media.append(Media(data=encode(image, request.format), mime=MIMES[request.format], meta=meta))
        log.debug("%s: %d image(s) in %.2f s", mode, request.n, time.perf_counter() - started)
        return MediaResult(media=media, model=self.model.id, seed=base_seed, usage={"images": float(request.n)})

    def close(self) -> None:
        self._pipes.clear()


class _StepCounter:
    """``callback_on_step_end``: reports the fraction of all denoising steps of the request."""

    def __init__(self, progress: Progress | None, index: int, count: int):
        self.progress, self.index, self.count = progress, index, count

    def __call__(self, pipe, step: int, timestep, callback_kwargs: dict) -> dict:
        if self.progress is not None:
            total = max(1, int(getattr(pipe, "num_timesteps", 0) or 1))
            fraction = (self.index + (step + 1) / total) / self.count
            self.progress(min(1.0, fraction), f"image {self.index + 1}/{self.count}: step {step + 1}/{total}")
        return callback_kwargs


@hookimpl
def register_backends(register):
    register(DiffusersBackend)
