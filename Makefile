# Shortcuts for the scripts in scripts/ (which work without make too).
.PHONY: install dev test bench lint
install:
	./scripts/bootstrap
dev:
	./scripts/dev
test:
	./scripts/test
bench:
	./scripts/bench
lint:
	./scripts/bootstrap && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports
