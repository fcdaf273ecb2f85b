# The commands a newcomer needs. `make demo` runs the main job with no services; `make test` runs everything.
PYTHON ?= python3
PIP := $(PYTHON) -m pip install --quiet --disable-pip-version-check

.PHONY: setup setup-system demo test test-unit test-faults test-llm check lint format typecheck bench fuzz eval compose-config lock

setup:  ## install the pinned dependencies (requirements/dev.txt, exported from uv.lock), then the project
	$(PIP) -r requirements/dev.txt
	$(PIP) -e '.[dev]'

lock:  ## upgrade the pins: re-resolve uv.lock from pyproject.toml and export requirements/*.txt from it
	$(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(PYTHON) -m uv lock --upgrade --python 3.11
	for extra in dev api worker; do \
	  $(PYTHON) -m uv export --frozen --no-emit-project --no-hashes --no-header --extra $$extra \
	    -o requirements/$$extra.txt --quiet; \
	done

setup-system:  ## system packages for the tests (redis-server, rabbitmq-server, JRE, groovy, junit4)
	./scripts/system-deps.sh

SAMPLES := samples/logs/maven-test-failure.log samples/logs/gradle-compile-error.log \
           samples/logs/npm-dependency-error.log samples/logs/agent-oom-killed.log

demo: setup  ## analyse the sample logs: no Redis, MongoDB, Jenkins or LLM needed
	jenkins-ai analyze $(SAMPLES)
	jenkins-ai analyze --previous samples/logs/maven-test-failure.previous.log samples/logs/maven-test-failure.log
	jenkins-ai analyze --format jsonl $(SAMPLES)
	jenkins-ai ask --offline "generate a pipeline for a Gradle project with tests and docker push"
	jenkins-ai ask --route-only "why did api-service #42 fail"

test: setup-system setup  ## the whole suite: unit, integration (real services) and e2e
	$(PYTHON) -m pytest

test-unit: setup
	$(PYTHON) -m pytest tests/unit

test-faults: setup-system setup  ## the fault tests alone (kills workers, stops Redis/MongoDB, breaks Jenkins); prints the table
	$(PYTHON) -m pytest -m faults tests/integration/faults

test-llm: setup-system setup  ## the real-model tier alone (starts ../shared/llm/local-llm.sh; prints median/p95 per task)
	$(PYTHON) -m pytest -m realllm tests/realllm

lint:
	ruff check .
	ruff format --check .

format:
	ruff check --fix .
	ruff format .

typecheck:
	mypy

check: lint typecheck test  ## ruff, mypy and the tests

fuzz: setup  ## contract fuzzing: 10,000+ schemathesis requests against the served OpenAPI document
	$(PYTHON) -m bench.fuzz_api

bench: setup  ## speed and memory of the analysis engine (100 MB generated log)
	$(PYTHON) -m bench.speed

eval: setup  ## accuracy of the analysis engine on the labelled logs in ../shared/data
	$(PYTHON) -m bench.evaluate

compose-config:  ## validate docker-compose.yml (needs only the compose CLI, no engine)
	docker compose config --quiet 2>/dev/null || docker-compose config -q
