# The README's commands. `make chat` and `make test` each set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ANONYMIZED_TELEMETRY := False

.PHONY: train setup setup-dev chat ask test test-unit lint eval eval-report realtimeqa bench bench-ingest snapshots system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.setup: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.setup-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,local,plot]'
	touch $@ $(VENV)/.setup

setup: $(VENV)/.setup          ## the app, offline by default
setup-dev: $(VENV)/.setup-dev  ## plus test tools and the local GGUF backend (builds llama.cpp)

chat: setup                    ## open the chat app on the seeds (ingested on first run)
	$(BIN)/assistant chat

system-deps:                   ## tmux drives the real-terminal test of the chat app
	@command -v tmux >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; } \
	    || echo "could not install tmux: the real-terminal test will be skipped"; \
	  else echo "tmux is missing: install it (the real-terminal test is skipped without it)"; fi; }

lint: setup-dev
	$(BIN)/ruff check assistant tui evals tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test-unit: setup-dev
	$(BIN)/pytest -q tests/unit

test: setup-dev system-deps lint ## everything CI runs: lint, unit, integration, TUI, evals gate
	$(BIN)/pytest -q

eval: setup                    ## score the seeds suite with the default backend
	$(BIN)/assistant eval evals/seeds.yaml

eval-report: setup            ## backends × suites (seeds, ood, RealTime QA dev/report weeks) → evals/REPORT.md; WEEKS=a,b limits
	$(BIN)/python evals/report_all.py $(if $(WEEKS),--weeks $(WEEKS))

RTQA_DIR ?= ../shared/datasets/realtimeqa
realtimeqa: setup              ## RealTime QA weeks → evals/realtimeqa/ suites (committed) + corpus/ (not)
	$(BIN)/assistant eval import realtimeqa $(RTQA_DIR) --out evals/realtimeqa

train: setup realtimeqa        ## fit the answer scorer on the RealTime QA dev weeks → assistant/answer/scorer_weights.json
	$(BIN)/python -m evals.train_scorer

bench: setup-dev               ## run every benchmark; writes bench/RESULTS.md
	$(BIN)/python bench/run_all.py

DEV_WEEKS := 20220715 20220916 20221111 20230106
bench-ingest: setup-dev        ## ingest stages, before/fp32/int8 end to end (two RealTime QA weeks), int8 recall on the dev weeks; RESULTS.md section
	$(BIN)/python bench/quantized_recall.py --out bench/quantized_recall.json --suite evals/seeds.yaml=seeds $(foreach w,$(DEV_WEEKS),--suite evals/realtimeqa/realtimeqa-$(w).yaml=evals/realtimeqa/corpus/$(w))
	$(BIN)/python bench/ingest_speed.py --week 20220715 --week 20220916

snapshots: setup-dev           ## accept changed TUI snapshots after reviewing them
	$(BIN)/pytest -q tests/tui -m "not integration" --snapshot-update

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
