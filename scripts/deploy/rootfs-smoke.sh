#!/usr/bin/env bash
# The Dockerfile's runtime stage without Docker: a Debian bookworm minbase root
# filesystem (debootstrap), the runtime stage's exact RUN line (packages + user), the
# release binaries and scripts at their image paths, then, as uid 10001:
#   1. runtime-closure.sh --in-image (ldd resolves everything, every executable --help),
#   2. memgrid-gateway started with unreachable backends: /healthz on its side port
#      (MEMGRID_OPS_PORT) must be 200 through memgrid-healthcheck, /readyz must not be,
#      and SIGTERM must stop it within 30 s (the gateway's terminationGracePeriodSeconds).
#
#   sudo scripts/deploy/rootfs-smoke.sh [BIN_DIR]     (root; needs debootstrap and Debian's mirror)
#
# BIN_DIR defaults to .build-deploy/release (swift build -c release --static-swift-stdlib
# --scratch-path .build-deploy). The root filesystem is cached in .deploy-rootfs/ and
# rebuilt when the Dockerfile's runtime stage changes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${1:-$ROOT/.build-deploy/release}
FS="$ROOT/.deploy-rootfs"
PORT=${MEMGRID_SMOKE_PORT:-18080}
OPS_PORT=${MEMGRID_SMOKE_OPS_PORT:-19100}
EXECUTABLES=(memgrid memgrid-gateway memgrid-embedding-worker memgrid-llm-worker memgrid-proactive-worker)

die() { echo "rootfs-smoke: FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
[[ "$PORT" != "$OPS_PORT" ]] || die "MEMGRID_SMOKE_PORT and MEMGRID_SMOKE_OPS_PORT must differ"
for exe in "${EXECUTABLES[@]}"; do [[ -x "$BIN_DIR/$exe" ]] || die "no $BIN_DIR/$exe"; done
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

# The runtime stage's package/user RUN command, verbatim.
stage=$(sed -n '/# runtime-packages-begin/,/# runtime-packages-end/p' "$ROOT/Dockerfile" \
        | sed -n '/^RUN /,$p' | grep -v '^#' | sed 's/^RUN //')
[[ -n "$stage" ]] || die "no runtime-packages RUN block in the Dockerfile"
stamp=$(printf '%s' "$stage" | sha256sum | cut -d' ' -f1)

cleanup() { mountpoint -q "$FS/proc" && umount "$FS/proc" || true; }
trap cleanup EXIT

if [[ "$(cat "$FS/.memgrid-stage" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$FS"
    echo "rootfs-smoke: debootstrap bookworm (minbase) into $FS" >&2
    debootstrap --variant=minbase bookworm "$FS" http://deb.debian.org/debian >"$ROOT/.deploy-rootfs.log" 2>&1 \
        || die "debootstrap failed (see .deploy-rootfs.log)"
    cp /etc/resolv.conf "$FS/etc/resolv.conf"
    mount -t proc proc "$FS/proc"
    chroot "$FS" /bin/bash -o pipefail -c "export DEBIAN_FRONTEND=noninteractive; $stage" >>"$ROOT/.deploy-rootfs.log" 2>&1 \
        || die "the runtime stage's RUN failed in the root filesystem (see .deploy-rootfs.log)"
    umount "$FS/proc"
    echo "$stamp" >"$FS/.memgrid-stage"
fi
mountpoint -q "$FS/proc" || mount -t proc proc "$FS/proc"

# COPY steps of the runtime stage (binaries stripped as in the build stage).
mkdir -p "$FS/usr/local/libexec/memgrid"
for exe in "${EXECUTABLES[@]}"; do
    install -m 0755 "$BIN_DIR/$exe" "$FS/usr/local/bin/$exe"
    strip --strip-debug "$FS/usr/local/bin/$exe"
done
install -m 0755 "$ROOT/scripts/deploy/healthcheck.sh" "$FS/usr/local/bin/memgrid-healthcheck"
install -m 0755 "$ROOT/scripts/deploy/runtime-closure.sh" "$FS/usr/local/libexec/memgrid/runtime-closure.sh"

as_memgrid() { chroot --userspec=10001:10001 "$FS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin "$@"; }

as_memgrid /usr/local/libexec/memgrid/runtime-closure.sh --in-image /usr/local/bin \
    || die "runtime closure inside the root filesystem"

# chroot directly (not through the function): $! must be the gateway's own pid.
chroot --userspec=10001:10001 "$FS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
    MEMGRID_GATEWAY_HOST=0.0.0.0 MEMGRID_GATEWAY_PORT="$PORT" MEMGRID_OPS_PORT="$OPS_PORT" \
    MEMGRID_AMQP_URL=amqp://guest:guest@127.0.0.1:1/ MEMGRID_POSTGRES_URL=postgres://memgrid@127.0.0.1:1/memgrid \
    MEMGRID_REDIS_URL=redis://127.0.0.1:1 /usr/local/bin/memgrid-gateway >"$ROOT/.deploy-rootfs-gateway.log" 2>&1 &
gateway=$!
healthy=1
for _ in $(seq 1 50); do
    if as_memgrid MEMGRID_OPS_PORT="$OPS_PORT" /bin/bash /usr/local/bin/memgrid-healthcheck --pid "$gateway" 2>/dev/null; then
        healthy=0
        break
    fi
    sleep 0.2
done
ready=0
as_memgrid MEMGRID_OPS_PORT="$OPS_PORT" /bin/bash /usr/local/bin/memgrid-healthcheck --pid "$gateway" /readyz 2>/dev/null || ready=1
kill -TERM "$gateway"
stopped=1
started=$SECONDS
for _ in $(seq 1 150); do
    if ! kill -0 "$gateway" 2>/dev/null; then stopped=0; break; fi
    sleep 0.2
done
echo "rootfs-smoke: gateway exited $((SECONDS - started)) s after SIGTERM" >&2
if ((stopped != 0)); then kill -KILL "$gateway" 2>/dev/null || true; fi
wait "$gateway" 2>/dev/null || true

((healthy == 0)) || die "gateway /healthz not healthy (see .deploy-rootfs-gateway.log)"
((ready == 1)) || die "gateway /readyz healthy without broker and database"
((stopped == 0)) || die "gateway did not stop within 30 s of SIGTERM (its grace period)"
echo "rootfs-smoke: runtime stage OK: closure, non-root start, healthcheck (/healthz 200, /readyz 503), SIGTERM stop"
