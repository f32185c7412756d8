#!/usr/bin/env bash
# The fast check: lint, strict types, and the tests that need no server (no Rasa, PostgreSQL, Dovecot, browser).
# Run `make setup` (or `make test`) once first; this script installs nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "no .venv: run make setup first" >&2; exit 1; }
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
# Two workers: the machine has two cores, and these tests share nothing but temporary folders.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 -m "not rasa and not postgres and not imap and not browser and not actions" "$@"
status=$?
if [ "$status" -eq 5 ]; then echo "pytest ran no tests: failing" >&2; exit 1; fi
exit "$status"
