"""The ``zaowu`` command through click's runner, on the real model."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from zaowu.cli.main import cli

from .conftest import TEST_MODEL

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 40}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.fixture
def run(settings):
    return _invoker(settings)


@pytest.fixture
def bare_run(bare_settings):
    """The CLI over a models folder with nothing in it, for commands that must fail before any model loads."""
    return _invoker(bare_settings)


def _invoker(settings):
    runner = CliRunner()
    env = {
        "ZAOWU_DATA_DIR": str(settings.data_dir),
        "ZAOWU_MODELS_DIR": str(settings.models_dir),
        "ZAOWU_DEFAULT_CHAT_MODEL": TEST_MODEL,
        "ZAOWU_N_CTX": "2048",
    }

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, env=env)

    return invoke


def test_prompt_one_shot(run):
    r = run("prompt", "--temperature", "0", "--max-tokens", "8", "Complete: The capital of France is")
    assert r.exit_code == 0, r.output
    assert "Paris" in r.output


def test_prompt_reads_stdin_and_is_logged_as_cli(run):
    r = run("prompt", "--max-tokens", "8", "--seed", "7", input="Say hello to Bob.\n")
    assert r.exit_code == 0 and r.output.strip()
    logs = json.loads(run("logs", "list", "--json", "-n", "1").output)
    assert logs[0]["interface"] == "cli" and logs[0]["seed"] == 7
    assert logs[0]["input"]["messages"][-1]["content"] == "Say hello to Bob."
    assert logs[0]["output"].strip() == r.output.strip()


def test_prompt_json_schema_file(run, tmp_path):
    schema = tmp_path / "person.json"
    schema.write_text(json.dumps(PERSON))
    r = run("prompt", "--json-schema", str(schema), "--max-tokens", "80", "--seed", "1", "Invent a person.")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_errors_are_one_line_with_nonzero_exit(bare_run, tmp_path):
    run = bare_run
    r = run("prompt", "-m", "no-such-model", "hi")
    assert r.exit_code == 1
    assert r.output.startswith("Error: The model 'no-such-model' does not exist") and "Traceback" not in r.output
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    r = run("prompt", "--json-schema", str(bad), "hi")
    assert r.exit_code == 1 and "is not valid JSON" in r.output and len(r.output.strip().splitlines()) == 1
    r = run("prompt", "--temperature", "9", "hi")
    assert r.exit_code == 1 and "temperature" in r.output and "Traceback" not in r.output
    r = run("logs", "show", "gen_nope")
    assert r.exit_code == 1 and "No generation with id" in r.output


def test_chat_keeps_history_and_exits(run):
    r = run("chat", "--max-tokens", "12", "--temperature", "0", input="My name is Ada.\nWhat did I just say?\n/exit\n")
    assert r.exit_code == 0, r.output
    rows = json.loads(run("logs", "list", "--json", "-n", "2").output)
    second = rows[0]["input"]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[0]["content"] == "My name is Ada." and second[1]["content"] == rows[1]["output"]


def test_models_list_info_and_logs_export(run, tmp_path):
    r = run("models", "list")
    assert r.exit_code == 0
    line = next(ln for ln in r.output.splitlines() if TEST_MODEL in ln)
    assert "installed" in line
    info = json.loads(run("models", "info", "qwen2.5-coder-1.5b-instruct").output)
    assert info["sha256"].startswith("cc324af0") and info["licence"] == "Apache-2.0"
    assert len(info["source"]["packages"]) == 22
    run("prompt", "--max-tokens", "4", "hi")
    out = tmp_path / "log.json"
    r = run("logs", "export", "-o", str(out))
    assert r.exit_code == 0
    rows = json.loads(out.read_text())
    assert rows and {"id", "model", "model_sha256", "seed", "input", "output", "status"} <= set(rows[0])
    r = run("logs", "show", rows[0]["id"])
    assert json.loads(r.output)["id"] == rows[0]["id"]


def test_kb_create_add_search_ask_and_rm(run, tmp_path):
    from tests import kb_docs

    paths = []
    for name, blob in {**kb_docs.documents(), "locked.pdf": kb_docs.encrypted_pdf()}.items():
        (tmp_path / name).write_bytes(blob)
        paths.append(str(tmp_path / name))
    made = run("kb", "create", "shop")
    assert made.exit_code == 0, made.output
    store = made.stdout.strip()
    assert store.startswith("vs_")

    added = run("kb", "add", "shop", *paths, "--json")
    assert added.exit_code == 1  # one file failed; the others are in
    outcome = {f["filename"]: f for f in json.loads(added.stdout)["files"]}
    assert outcome["locked.pdf"]["code"] == "encrypted" and outcome["hours.pdf"]["status"] == "completed"
    assert "100%" in added.stderr and "file 5 of 5" in added.stderr  # progress, apart from the JSON

    found = json.loads(run("kb", "search", store, "寄到西藏需要额外付邮费吗", "-n", "3", "--json").stdout)
    assert found[0]["filename"] == "shipping.docx" and "15元" in found[0]["text"]
    asked = run("kb", "ask", "shop", "How long is the guarantee on the electronics?", "--json")
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["sources"][0]["filename"] == "hours.pdf"
    away = json.loads(run("kb", "ask", "shop", "Who won the 2018 World Cup?", "--json").stdout)
    assert away["refused"] and away["sources"] == []

    assert run("kb", "rm", "shop", "hours.pdf").exit_code == 0
    listed = json.loads(run("kb", "list", "--json").stdout)
    assert {f["filename"] for f in listed[0]["files"]} == {"policy.md", "shipping.docx", "specs.xlsx", "locked.pdf"}
    assert run("kb", "rm", "shop").exit_code == 0
    missing = run("kb", "search", "shop", "x")
    assert missing.exit_code != 0 and "No knowledge base 'shop'" in missing.output
