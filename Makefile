# memgrid developer entry points. `make run` and `make test` work on a fresh Debian
# machine: they install and start what they need (see scripts/stack.sh).

.DEFAULT_GOAL := help
SWIFT ?= swift
STACK := scripts/stack.sh
N ?= 200000
# Suites that kill servers or time sub-second timeouts and refills: run alone, after the rest
# (on 2 busy cores a parallel run starves their clocks).
FAULT_TESTS := BrokerFaultTests|RateLimiterSharingTests|ChatClientTests|ChatRouterTests|RateLimiterLeaseTests|RateLimiterOutageTests|RedisConfigurationTests|RedisResilienceTests|ReadReplicaTests
# Schemathesis against the whole system (scripts/schemathesis.sh): a few thousand requests, last and alone.
API_CONFORMANCE := OpenAPIConformanceTests

.PHONY: help build build-release run test migrate chaos chaos-cluster bench-queue bench-embed bench-embed-baseline bench-embed-pipeline bench-gateway bench-llm bench-proactive bench-backfill bench-index bench-memory bench-consolidate bench-micro
help:
	@echo "make run          stack up, migrate, build, run gateway + 3 workers in the foreground"
	@echo "make test         stack up, build, run every test against the real servers"
	@echo "make bench-queue  WorkerRuntime vs raw librabbitmq throughput (N=$(N))"
	@echo "make bench-embed  local model sentences/s at batch 1 and 32 vs sentence-transformers"
	@echo "make bench-embed-pipeline  texts/s through queue, cache and pgvector vs the raw encoder"
	@echo "make bench-gateway  wrk: cached /v1/embeddings and /v1/retrieve over GATEWAY_N=100000 memories, recall@10"
	@echo "make bench-llm    LLM_N=10000 chat calls through one LLM worker against a fake provider (500 ms answers)"
	@echo "make bench-proactive  PROACTIVE_N=100000 reminders due at once, fired by 3 proactive-worker replicas"
	@echo "make chaos        CHAOS_N=100000 texts backfilled while workers, RabbitMQ, PostgreSQL and Redis fail (private stack)"
	@echo "make chaos-cluster  CHAOS_N=100000 texts backfilled while nodes of a 3-node RabbitMQ cluster are killed (private stack)"
	@echo "make bench-backfill  N=$(N) texts from a JSONL file through memgrid backfill and 2 embedding workers vs the raw encoder"
	@echo "make bench-index  INDEX_N=100000 vectors: upserts into an HNSW-indexed space vs a standby space indexed once"
	@echo "make bench-consolidate  consolidation of one user with CONSOLIDATE_N=20000 memories after 100 new ones vs a full pass"
	@echo "make bench-memory  LoCoMo evidence recall@10 of memorize + retrieve (rule-based extractor) vs. embedding every turn"
	@echo "make bench-micro  in-process micro-benchmarks (Benchmarks/): tokenizer, encoder, SSE parser, WireJSON, Redis argv"
	@echo "make migrate      apply database migrations"
	@echo "stack: stack-up stack-down stack-status stack-reset stack-env"

build:
	$(SWIFT) build

build-release:
	$(SWIFT) build -c release

run: stack-up build
	@scripts/run-local.sh

test: stack-up
	$(SWIFT) build --build-tests
	eval "$$($(STACK) env)" && SWIFT=$(SWIFT) scripts/swift-test.sh --skip-build --disable-xctest --skip '$(FAULT_TESTS)|$(API_CONFORMANCE)'
	eval "$$($(STACK) env)" && SWIFT=$(SWIFT) scripts/swift-test.sh --skip-build --disable-xctest --filter '$(FAULT_TESTS)'
	eval "$$($(STACK) env)" && SWIFT=$(SWIFT) scripts/swift-test.sh --skip-build --disable-xctest --filter '$(API_CONFORMANCE)'
	scripts/deploy/check.sh all --build

# Its own stack (.stack-chaos, other ports): the development servers are never touched.
chaos: build-release
	N=$(or $(CHAOS_N),100000) scripts/chaos.sh

# The same backfill against a 3-node RabbitMQ cluster (scripts/rabbit-cluster.sh): the work
# queue's leader node is killed with -9, then another node; prints how long each process stalled.
chaos-cluster: build-release
	N=$(or $(CHAOS_N),100000) scripts/chaos-cluster.sh

migrate: stack-up build
	eval "$$($(STACK) env)" && .build/debug/memgrid migrate

bench-queue: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid-bench queue --count $(N)

bench-embed: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid-bench embed

# sentence-transformers + torch in .venv-ref (large): the baseline bench-embed compares with.
bench-embed-baseline:
	scripts/reference/setup.sh

bench-embed-pipeline: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench embed-pipeline --count $(or $(EMBED_N),100000)

bench-gateway: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid-bench gateway --memories $(or $(GATEWAY_N),100000)

bench-llm: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench llm --count $(or $(LLM_N),10000)

bench-proactive: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench proactive --count $(or $(PROACTIVE_N),100000)

bench-backfill: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench backfill --count $(N)

bench-index: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench index --count $(or $(INDEX_N),100000)

bench-consolidate: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid migrate && .build/release/memgrid-bench consolidate --count $(or $(CONSOLIDATE_N),20000)

bench-memory: stack-up build-release
	eval "$$($(STACK) env)" && .build/release/memgrid-bench memory --dataset $(or $(LOCOMO_DIR),../shared/datasets/locomo-dev)

# No servers: only the model, from the installer stack-up runs first (servers would add noise).
bench-micro:
	@$(STACK) install
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

# Deployment files (Dockerfile, compose/, k8s/): rendered and schema-checked, no engine needed.
.PHONY: deploy-check k8s-render k8s-validate compose-config image image-closure image-smoke
deploy-check:
	scripts/deploy/check.sh all --build
k8s-render:
	scripts/deploy/check.sh render
k8s-validate:
	scripts/deploy/check.sh k8s
compose-config:
	scripts/deploy/check.sh compose
image:
	docker build -t memgrid:local .
image-closure:
	scripts/deploy/check.sh closure --build
image-smoke:
	scripts/deploy/rootfs-smoke.sh

# --- local stack ---
# RabbitMQ + Redis + PostgreSQL/pgvector on 127.0.0.1, state in .stack/ (see scripts/stack.sh).
# Use in a shell: eval "$$(make -s stack-env)"

.PHONY: stack-up stack-down stack-status stack-reset stack-env

stack-up:
	@$(STACK) up >/dev/null

stack-down:
	@$(STACK) down

stack-status:
	@$(STACK) status

stack-reset:
	@$(STACK) reset

stack-env:
	@$(STACK) env
