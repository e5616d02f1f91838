# DeltaLLM developer tasks. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]
export PATH := justfile_directory() + "/.venv/bin:" + env_var("PATH")

pg_url := env_var_or_default("DELTALLM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
redis_url := env_var_or_default("DELTALLM_TEST_REDIS", "redis://127.0.0.1:6379/0")

# Install the locked Python environment into .venv, then build the frontend.
setup: && frontend
    uv sync --frozen --inexact --quiet --compile-bytecode

# Build frontend/dist from the lockfile: GraphiQL (GET /graphql) and the web console (GET /ui).
frontend:
    cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build -- --logLevel warn

# The console's generated GraphQL types are current, and its unit tests (Vitest, jsdom) pass.
frontend-test: setup
    cd frontend && npm run --silent codegen:check && npm test

# Browser tests (Playwright + Debian's /usr/bin/chromium) against a gateway they start.
e2e *ARGS: setup
    cd frontend && npx playwright test {{ARGS}}

# Serve the gateway (embedded default: SQLite, in-process counters, demo model).
serve *ARGS: setup
    deltallm serve {{ARGS}}

# The whole test suite: on the embedded default, then on PostgreSQL + Redis, then in Chromium.
test *ARGS: setup lint
    @echo "== test suite on the embedded default (SQLite, in-process state)"
    pytest {{ARGS}}
    @if python -m tests.support.services "{{pg_url}}" "{{redis_url}}"; then \
        echo "== test suite on PostgreSQL + Redis"; \
        DELTALLM_TEST_DATABASE_URL="{{pg_url}}" DELTALLM_TEST_REDIS_URL="{{redis_url}}" pytest {{ARGS}}; \
    elif [ -n "${CI:-}" ]; then \
        echo "PostgreSQL or Redis is not reachable; CI must run the suite on both." >&2; exit 1; \
    else \
        echo "== PostgreSQL or Redis not reachable here: skipped the second run"; \
    fi
    @echo "== console: generated types and unit tests"
    cd frontend && npm run --silent codegen:check && npm test
    @if [ -x /usr/bin/chromium ]; then \
        echo "== browser tests (Chromium)"; \
        cd frontend && npx playwright test; \
    elif [ -n "${CI:-}" ]; then \
        echo "Chromium is missing; CI must run the browser tests." >&2; exit 1; \
    else \
        echo "== Chromium not installed (apt-get install chromium): skipped the browser tests"; \
    fi

# Format check, lint and strict types.
lint: setup
    ruff format --check app graphql_schema migrations tests
    ruff check app graphql_schema migrations tests
    mypy

# Everything CI runs.
check: lint test

# Format the code.
fmt: setup
    ruff format app graphql_schema migrations tests
    ruff check --fix app graphql_schema migrations tests

# Apply database migrations (DATABASE_URL, or the embedded SQLite file).
migrate *ARGS: setup
    deltallm migrate {{ARGS}}

# Create a migration from the model changes: just revision "add widgets".
revision MESSAGE: setup
    python -c 'import sys; from app.db.migrate import revision; from app.settings import load_settings; revision(sys.argv[1], load_settings().database_url.get_secret_value())' "{{MESSAGE}}"

# Export the GraphQL SDL to graphql_schema/schema.graphql (a test fails when it is stale).
schema: setup
    python -m graphql_schema.export

# Throughput and latency, direct vs through the gateway (see README, Performance).
bench *ARGS: setup
    python -m tests.benchmarks.run {{ARGS}}

# GraphQL admin API latency on seeded data (SQLite; --database-url postgresql://... for PostgreSQL).
bench-admin *ARGS: setup
    python -m tests.benchmarks.admin {{ARGS}}

# The console's first load in Chromium on the bench-admin data set: JS before the dashboard, time to it.
bench-console *ARGS: setup
    python -m tests.benchmarks.console {{ARGS}}
