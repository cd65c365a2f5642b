# Set-up and day-to-day commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast fuzz chromium bench package lint clean rebuild-aggregates setup-stage

$(STAMP): requirements.txt requirements-dev.txt
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $(STAMP)

# Debian's Chromium for the portal's browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core (npm, pinned by its lock file) for the accessibility checks the browser tests run in Chromium.
AXE := tests/support/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/support/axe/package.json tests/support/axe/package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/support/axe --no-audit --no-fund --silent
	@touch $@

run: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m infra.local

test: $(STAMP) chromium $(AXE)
	PYTHONPATH=. $(BIN)/python -m pytest

test-fast: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m pytest -m "not browser and not packaging"

# Schemathesis over docs/openapi.json for FUZZ_MINUTES (default 15) with a buyer's and an admin's token;
# prints the counts of server errors, schema violations and undocumented statuses (tests/support/fuzz.py).
FUZZ_MINUTES ?= 15
fuzz: $(STAMP)
	FUZZ_MINUTES=$(FUZZ_MINUTES) PYTHONPATH=. $(BIN)/python -m tests.support.fuzz

# One CloudFormation stack (deploy path 2, docs/deploy.md): STAGE=dev|prod.
STAGE ?= dev
# Benchmarks (not part of `make test`): AWS calls per request vs their floor, scale, cold start, cost per order.
bench: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m bench

# Recompute the report aggregates from the documents and compare (infra/rebuild_aggregates.py): without TABLE, the
# proof on ORDERS generated orders with every stream record redelivered; TABLE=b2b-<stage> [WRITE=1] for a real table.
rebuild-aggregates: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m infra.rebuild_aggregates

# A deployed stage's first admin and default automation rules (infra/setup_stage.py), with the stage's credentials:
# make setup-stage STAGE=prod ADMIN_EMAIL=ops@supplier.example ADMIN_NAME="Ops Admin"
setup-stage: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m infra.setup_stage --stage $(STAGE) --admin-email "$(ADMIN_EMAIL)" --admin-name "$(ADMIN_NAME)"

package: $(STAMP)
	PYTHONPATH=. $(BIN)/python infra/stage_env.py merge-template --stage $(STAGE) -o build/merge-$(STAGE).json
	rm -rf build/package-$(STAGE)
	$(BIN)/chalice package --stage $(STAGE) --merge-template build/merge-$(STAGE).json build/package-$(STAGE)
	PYTHONPATH=. $(BIN)/python infra/slim_package.py build/package-$(STAGE)/deployment.zip

# cfn-lint, cfn-lint-serverless and checkov on the stage's packaged template (run `make package`
# first). checkov pins its own boto3, so it lives in its own virtualenv (.venv-checkov).
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --disable-pip-version-check -q checkov==3.3.30

lint: $(STAMP) $(CHECKOV_VENV)/bin/checkov
	$(BIN)/cfn-lint --include-checks I -- infra/template.json
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules --include-checks I -- build/package-$(STAGE)/sam.json
	$(CHECKOV_VENV)/bin/checkov --config-file infra/checkov.yaml -f infra/template.json -f build/package-$(STAGE)/sam.json

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache
