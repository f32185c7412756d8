# privacy-desk: `make run` starts the assistant, `make test` runs every test. Both set up what is missing first.
.PHONY: help setup run test check lint

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'

setup: ## Install whatever is missing (Debian packages, .venv, Rasa's venv, database); idempotent
	@scripts/setup.sh

run: setup ## Start privacy-desk on its embedded defaults (SQLite, the itosoft pack)
	.venv/bin/privacy-desk run

test: setup ## Lint, then the whole test suite (real PostgreSQL, SMTP, IMAP, Rasa and Chromium included)
	@scripts/test.sh

check: ## The fast inner loop (under a minute): ruff, mypy (strict) and every test that needs no server
	@scripts/check.sh

lint: ## ruff
	.venv/bin/ruff check .
