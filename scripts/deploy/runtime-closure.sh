#!/usr/bin/env bash
# Proves the runtime closure of the memgrid image: every shared library the release
# binaries need is provided by a package the Dockerfile's runtime stage installs.
#
#   scripts/deploy/runtime-closure.sh [BIN_DIR]           on a Debian 12 build machine
#   scripts/deploy/runtime-closure.sh --in-image BIN_DIR  inside the runtime image
#
# Build machine (default BIN_DIR: .build-deploy/release, made by
#   swift build -c release --static-swift-stdlib --scratch-path .build-deploy):
#   1. reads the runtime package list from the Dockerfile (between the
#      runtime-packages-begin/end markers),
#   2. computes what those packages pull in (apt-cache depends --recurse, Depends and
#      Pre-Depends only), plus libc6 and libgcc-s1, which every Debian image has,
#   3. runs ldd on each executable and maps every library to its Debian package with
#      dpkg -S; a library that is "not found", owned by no package (e.g. a Swift
#      runtime library from a toolchain install: the build must be --static-swift-stdlib),
#      or owned by a package outside the closure fails the check,
#   4. notes runtime packages no binary links (allowed: e.g. libdnnl2 before the
#      embedding worker links oneDNN).
# In the image: ldd must resolve every library and each executable must run --help.
# The build machine must be the runtime's Debian release (bookworm) for the mapping to
# mean the same packages.
set -euo pipefail

EXECUTABLES=(memgrid memgrid-gateway memgrid-embedding-worker memgrid-llm-worker memgrid-proactive-worker)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

fail() { printf 'runtime-closure: FAIL: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "--in-image" ]]; then
    bin_dir=${2:?--in-image needs the binaries folder}
    status=0
    for exe in "${EXECUTABLES[@]}"; do
        [[ -x "$bin_dir/$exe" ]] || { echo "missing executable $bin_dir/$exe" >&2; status=1; continue; }
        if ldd "$bin_dir/$exe" | grep -q 'not found'; then
            echo "$exe: unresolved libraries:" >&2
            ldd "$bin_dir/$exe" | grep 'not found' >&2
            status=1
        fi
        if ! "$bin_dir/$exe" --help >/dev/null 2>&1; then
            echo "$exe: --help failed" >&2
            status=1
        fi
    done
    ((status == 0)) || fail "the runtime image cannot run every executable"
    echo "runtime-closure: in-image: ${#EXECUTABLES[@]} executables resolve all libraries and start"
    exit 0
fi

bin_dir=${1:-$ROOT/.build-deploy/release}
dockerfile=${DOCKERFILE:-$ROOT/Dockerfile}
if ! command -v dpkg >/dev/null || ! command -v apt-cache >/dev/null; then
    fail "needs dpkg and apt-cache (Debian)"
fi
[[ -f "$dockerfile" ]] || fail "no Dockerfile at $dockerfile"

# 1. the runtime stage's packages
mapfile -t runtime_packages < <(
    sed -n '/# runtime-packages-begin/,/# runtime-packages-end/p' "$dockerfile" \
        | sed -n '/apt-get install/,/rm -rf/p' \
        | tr '\134' ' ' | tr ' ' '\n' \
        | grep -E '^[a-z0-9][a-z0-9.+-]+$' \
        | grep -vxE 'apt-get|install|update|rm|rf|y|no|recommends|\&\&' \
        | sort -u)
((${#runtime_packages[@]} > 0)) || fail "no runtime packages found between the markers in $dockerfile"

# 2. their dependency closure (+ what every Debian base image has)
declare -A provided=([libc6]=1 [libgcc-s1]=1)
while read -r pkg; do
    pkg=${pkg%%:*}
    [[ -n "$pkg" ]] && provided[$pkg]=1
done < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "${runtime_packages[@]}" 2>/dev/null \
         | grep -vE '^\s' | grep -v '^<' || true)
for pkg in "${runtime_packages[@]}"; do
    provided[$pkg]=1
    apt-cache show "$pkg" >/dev/null 2>&1 || fail "runtime package $pkg is unknown to apt-cache (apt-get update?)"
done

# dpkg -S with the usr-merge variants of a path (/lib/x ~ /usr/lib/x).
owner_of() {
    local path=$1 real candidates=() c out
    real=$(readlink -f "$path" 2>/dev/null || echo "$path")
    for c in "$path" "$real"; do
        candidates+=("$c")
        case "$c" in
            /usr/lib/*) candidates+=("${c#/usr}") ;;
            /lib/*|/lib64/*) candidates+=("/usr$c") ;;
        esac
    done
    for c in "${candidates[@]}"; do
        if out=$(dpkg -S "$c" 2>/dev/null); then
            out=${out%%:*}        # "libfoo1:amd64: /path" -> "libfoo1"
            printf '%s\n' "${out%%,*}"
            return 0
        fi
    done
    return 1
}

# 3. ldd each executable
status=0
declare -A used=()
printf 'runtime packages (Dockerfile): %s\n' "${runtime_packages[*]}"
for exe in "${EXECUTABLES[@]}"; do
    file="$bin_dir/$exe"
    if [[ ! -x "$file" ]]; then
        echo "FAIL $exe: no executable at $file" >&2
        status=1
        continue
    fi
    libs=()
    while read -r line; do
        # "libx.so.1 => /path (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso.so.1 (0x...)"
        [[ "$line" == *linux-vdso* ]] && continue
        if [[ "$line" == *"not found"* ]]; then
            echo "FAIL $exe: ${line%% *} not found" >&2
            status=1
            continue
        fi
        if [[ "$line" == *"=>"* ]]; then
            lib=$(awk '{print $3}' <<<"$line")
        else
            lib=$(awk '{print $1}' <<<"$line")
        fi
        [[ "$lib" == /* ]] && libs+=("$lib")
    done < <(ldd "$file")
    packages=()
    verdict=ok
    for lib in "${libs[@]}"; do
        if ! pkg=$(owner_of "$lib"); then
            echo "FAIL $exe: $lib belongs to no Debian package (not --static-swift-stdlib?)" >&2
            verdict=FAIL
            continue
        fi
        if [[ -z "${provided[$pkg]:-}" ]]; then
            echo "FAIL $exe: $lib is in package $pkg, which the runtime stage does not install" >&2
            verdict=FAIL
            continue
        fi
        used[$pkg]=1
        packages+=("$(basename "$lib")=$pkg")
    done
    [[ $verdict == ok ]] || status=1
    printf '%-4s %-26s %2d libraries: %s\n' "$verdict" "$exe" "${#libs[@]}" "${packages[*]}"
done

# 4. installed but unused
for pkg in "${runtime_packages[@]}"; do
    case "$pkg" in ca-certificates|tzdata) continue ;; esac  # data, not libraries
    [[ -n "${used[$pkg]:-}" ]] || echo "note: runtime package $pkg is not linked by any executable today"
done

((status == 0)) || fail "the runtime stage misses libraries (see above)"
echo "runtime-closure: every library of ${#EXECUTABLES[@]} executables is provided by the runtime stage"
