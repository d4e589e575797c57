SHELL := /bin/bash -o pipefail
.DEFAULT_GOAL := help
PORT ?= 3000
BIN := node_modules/.bin
# Every Node command runs on the Node major pinned in .nvmrc (scripts/setup-node.sh fetches it on
# Linux x64 when the machine's own node is another major; elsewhere, install it yourself).
NODE := scripts/with-node.sh
# NestJS 12 and jose 6 are ES modules; jest loads them from our CommonJS tests through Node's
# require(esm), which its module registry only supports with VM modules enabled.
JEST := NODE_OPTIONS=--experimental-vm-modules $(NODE) $(BIN)/jest

.PHONY: help install build run test test-only lint dashboards chart smoke audit fuzz chaos bench e2e-prometheus stage stage-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	$(NODE) npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json ## install npm dependencies (npm ci)

build: install ## compile the gateway to dist/, the client packages and the demo page
	$(NODE) $(BIN)/tsc -p tsconfig.build.json
	$(NODE) node scripts/build-sdk-bundle.js

tmp/dev-jwt-secret:
	@mkdir -p tmp
	@node -e "process.stdout.write(require('crypto').randomBytes(48).toString('base64url'))" > $@
	@chmod 600 $@

run: build tmp/dev-jwt-secret ## run the gateway locally: memory engine, generated dev secret, demo page on
	@$(NODE) node dist/app/src/tools/dev-tokens.js --secret-file tmp/dev-jwt-secret --port $(PORT)
	ENGINE=memory JWT_SECRET="$$(cat tmp/dev-jwt-secret)" DEMO_PAGE=true PORT=$(PORT) METRICS_PORT=$${METRICS_PORT:-9464} $(NODE) node dist/app/src/main.js

stage: build ## nginx, 3 gateways, Redis Sentinel, Prometheus, Alertmanager on this machine (README "Rehearse on the stage")
	./scripts/install-system-deps.sh
	scripts/stage/stage up

stage-down: ## stop every process make stage started (by its pid files)
	scripts/stage/stage down

test: install ## install what the tests need (Debian packages, helm) and run every test
	./scripts/install-system-deps.sh
	$(MAKE) test-only

test-only: ## run every test (jest), writing tmp/jest-results.json
	@mkdir -p tmp
	@$(NODE) node -e 'console.log("tests run on Node " + process.version)'
	$(JEST) --json --outputFile=tmp/jest-results.json

dashboards: install ## regenerate dashboards/generated/*.json from dashboards/src
	$(NODE) npm run dashboards

tmp/bin/helm: install
	sh scripts/setup-helm.sh

chart: tmp/bin/helm ## helm lint --strict the chart with its defaults and every ci/ values file
	tmp/bin/helm lint --strict helm/socket-gateway
	for f in helm/socket-gateway/ci/*.yaml; do tmp/bin/helm lint --strict helm/socket-gateway -f $$f || exit 1; done

smoke: build ## check a live gateway: make smoke URL=https://… TOKEN=…
	$(NODE) node dist/app/src/client/smoke.cli.js --url $(URL) --token $(TOKEN)

bench: build ## benchmark the gateway against bare Socket.IO; writes app/bench/results/ and the runbook's capacity table
	$(NODE) node -r ./app/bench/register-ts.js app/bench/bench.cli.ts $(ARGS)

e2e-prometheus: install ## dashboards and alerts against a real Prometheus and redis_exporter (~90 s)
	$(JEST) alerts/prometheus-e2e.spec.ts dashboards/exported-metrics.spec.ts alerts/redis-topology.spec.ts alerts/redis-server-faults.spec.ts

chaos: install ## fault suite: Redis outage, Redis failover (Sentinel, Cluster), SIGKILL, drain under load, flaky network (60 s), slow consumer
	CHAOS_FLAKY_SECONDS=60 $(JEST) app/test/chaos --runInBand

audit: ## npm audit of production deps; fails on undocumented high/critical (exit 2 = audit endpoint unreachable)
	scripts/audit.sh

fuzz: install ## the fuzzers with another seed: make fuzz SEED=123
	FUZZ_SEED=$(SEED) $(JEST) app/test/security/fuzz-events.spec.ts app/test/security/raw-frames.spec.ts

lint: install ## type-check everything
	$(NODE) $(BIN)/tsc -p tsconfig.json --noEmit

clean: ## remove build output and local tool downloads
	rm -rf dist tmp app/client/dist app/react/dist
