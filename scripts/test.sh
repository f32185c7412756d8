#!/usr/bin/env bash
# The whole test suite. pytest's "no tests ran" (exit 5) counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then echo "pytest ran no tests: failing" >&2; exit 1; fi
exit "$status"
