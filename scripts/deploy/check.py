#!/usr/bin/env python3
"""memgrid deployment checks. Run through scripts/deploy/check.sh, which provides the
tools in .venv-deploy. Nothing here needs a Docker engine or a cluster: manifests are
rendered and checked against schemas and against what the code and docs say.

    check.py [all|image|compose|k8s|closure]     default: all
    check.py render OUT_DIR                      write each overlay's rendered YAML

Every check prints one line (ok / FAIL / skip, warnings as "warn"); the last line is
"N passed, N failed, N skipped". Exit status 1 if anything failed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "scripts" / "deploy"
K8S = ROOT / "k8s"
COMPOSE = ROOT / "compose"
VENV_BIN = Path(sys.executable).parent
OVERLAYS = ["dev", "cce", "cce-keda"]
PRODUCTION_OVERLAYS = {"cce", "cce-keda"}
# Oldest and a recent Kubernetes that CCE offers; every built-in object must validate
# (strict: unknown fields are errors) against both.
K8S_VERSIONS = ["1.28.0", "1.33.0"]
EXECUTABLES = ["memgrid", "memgrid-gateway", "memgrid-embedding-worker", "memgrid-llm-worker",
               "memgrid-proactive-worker"]
WORKERS = {"memgrid-embedding-worker": 9101, "memgrid-llm-worker": 9102, "memgrid-proactive-worker": 9103}
# The gateway's public API port (the API, /openapi.yaml, /dashboard and /healthz; no
# /readyz, no /metrics) and every long-running executable's side port (/healthz, /readyz,
# /metrics; MEMGRID_OPS_PORT).
GATEWAY_PORT = 8080
OPS_PORTS = {"memgrid-gateway": 9100, **WORKERS}
DEFAULT_PREFIX = "memgrid"

# Names the deployment uses ahead of the code; each is a warning (not a failure) until
# the code documents / emits it. Keep this list short and remove entries when they land.
PENDING_ENV = {
    "MEMGRID_MODEL_DIR": "model folder of the embedding worker; docs/configuration.md documents it when the embedding issue wires the model in",
}
PENDING_METRICS: dict[str, str] = {}
# Egress ports a memgrid component may open (besides DNS 53).
ALLOWED_EGRESS = {
    "gateway": {5671, 5672, 6379, 5432},
    "embedding-worker": {5671, 5672, 6379, 5432},
    "llm-worker": {5671, 5672, 6379, 5432, 443},
    "proactive-worker": {5671, 5672, 6379, 5432, 443},
    "migrate": {5432},
}


# ------------------------------------------------------------------ reporting

class Report:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = self.warned = 0

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"ok    {what}")

    def fail(self, what: str, details: list[str] | str = ()) -> None:
        self.failed += 1
        print(f"FAIL  {what}")
        for line in ([details] if isinstance(details, str) else details):
            print(f"        {line}")

    def check(self, what: str, problems: list[str]) -> None:
        if problems:
            self.fail(what, problems)
        else:
            self.ok(what)

    def skip(self, what: str, why: str) -> None:
        self.skipped += 1
        print(f"skip  {what}: {why}")

    def warn(self, what: str) -> None:
        self.warned += 1
        print(f"warn  {what}")

    def section(self, title: str) -> None:
        print(f"\n== {title}")


R = Report()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tool(name: str) -> str:
    path = VENV_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"check: {name} not found (run through scripts/deploy/check.sh)")
    return found


# ------------------------------------------------------------------ facts from the code and docs

def documented_env() -> dict[str, set[str]]:
    """docs/configuration.md: the variables each executable reads. "Shared by all
    processes" applies to every executable; a section whose title names executables in
    backticks (`memgrid-gateway`, ...) applies to those; other sections (local stack,
    tests) to none."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    allowed: dict[str, set[str]] = {exe: set() for exe in EXECUTABLES}
    targets: list[str] = []
    seen_shared = False
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            if title.startswith("Shared by all processes"):
                targets, seen_shared = list(EXECUTABLES), True
            else:
                targets = [n for n in re.findall(r"`([a-z-]+)`", title) if n in EXECUTABLES]
        elif targets and line.startswith("| `MEMGRID_"):
            for exe in targets:
                allowed[exe].add(line.split("`")[1])
    if not seen_shared or not allowed["memgrid-gateway"] - allowed["memgrid"]:
        raise SystemExit("check: docs/configuration.md lost its per-executable sections")
    return allowed


REQUIRED_ENV = {
    "memgrid": {"MEMGRID_POSTGRES_URL"},
    "memgrid-gateway": {"MEMGRID_AMQP_URL", "MEMGRID_POSTGRES_URL", "MEMGRID_REDIS_URL", "MEMGRID_GATEWAY_HOST",
                        "MEMGRID_OPS_PORT"},
    **{w: {"MEMGRID_AMQP_URL", "MEMGRID_POSTGRES_URL", "MEMGRID_REDIS_URL", "MEMGRID_OPS_PORT",
           "MEMGRID_DRAIN_TIMEOUT_MS"} for w in WORKERS},
}


def known_metrics() -> set[str]:
    names: set[str] = set()
    for f in (ROOT / "Sources").rglob("*.swift"):
        names.update(re.findall(r'label:\s*"(memgrid_[a-z0-9_]+)"', f.read_text()))
    return names


def work_queues() -> set[str]:
    text = (ROOT / "Sources" / "Contracts" / "JobKind.swift").read_text()
    raw = re.findall(r'static let \w+ = JobQueue\("([a-z0-9_-]+)"\)', text)
    return {f"{DEFAULT_PREFIX}.{q}" for q in raw}


def metric_known(name: str, metrics: set[str]) -> bool:
    if name in metrics:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in metrics:
            return True
    return False


def promql_problems(expr: str, metrics: set[str], where: str) -> list[str]:
    import promql_parser
    problems = []
    try:
        promql_parser.parse(expr)
    except Exception as error:  # the parser raises ValueError with the reason
        problems.append(f"{where}: PromQL does not parse: {error}")
    for name in sorted(set(re.findall(r"\b(memgrid_[a-z0-9_]+)\b", expr))):
        if metric_known(name, metrics):
            continue
        if name in PENDING_METRICS:
            R.warn(f"{where}: metric {name} not emitted yet ({PENDING_METRICS[name]})")
            continue
        problems.append(f"{where}: metric {name} is not emitted by any Sources/ target")
    return problems


# ------------------------------------------------------------------ image

def check_image() -> None:
    R.section("image: Dockerfile, .dockerignore, scripts")
    dockerfile = ROOT / "Dockerfile"
    proc = run([tool("hadolint"), "--config", str(DEPLOY / "hadolint.yaml"), str(dockerfile)])
    R.check("hadolint Dockerfile", [l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
            if proc.returncode else [])

    scripts = sorted(str(p) for p in DEPLOY.glob("*.sh"))
    proc = run([tool("shellcheck"), *scripts])
    R.check(f"shellcheck {len(scripts)} deploy scripts", (proc.stdout + proc.stderr).splitlines() if proc.returncode else [])

    text = dockerfile.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    names = [s[1] for s in stages]
    final = text[text.rfind("\nFROM "):]
    problems = []
    if names != ["build", "model", "runtime"]:
        problems.append(f"stages are {names}, expected build, model, runtime")
    if "--static-swift-stdlib" not in text:
        problems.append("the build does not use --static-swift-stdlib")
    m = re.search(r"^USER\s+(\S+)", final, re.M)
    if not m or m.group(1).split(":")[0] in ("0", "root") or not m.group(1).split(":")[0].isdigit():
        problems.append("the runtime stage needs a numeric non-root USER (Kubernetes runAsNonRoot)")
    if not re.search(r"^HEALTHCHECK\s+.*CMD", final, re.M):
        problems.append("no HEALTHCHECK in the runtime stage")
    if not re.search(r'^CMD\s+\["memgrid-gateway"\]', final, re.M):
        problems.append("the default command should be memgrid-gateway")
    if re.search(r"^ENTRYPOINT", final, re.M):
        problems.append("ENTRYPOINT set: the command must select the executable")
    model = re.search(r"^COPY --from=model /model (\S+)", final, re.M)
    model_env = re.search(r"MEMGRID_MODEL_DIR=(\S+)", final)
    if not model:
        problems.append("the model is not copied from the model stage")
    elif not model_env or model_env.group(1) != model.group(1):
        problems.append("MEMGRID_MODEL_DIR does not point at the copied model")
    for exe in EXECUTABLES:
        if exe not in text.split("# ---------------------------------------------------------------- model")[0]:
            problems.append(f"the build stage does not install {exe}")
    R.check("Dockerfile: stages, static stdlib, non-root numeric USER, HEALTHCHECK, CMD, model", problems)

    # Everything the build copies from the context must pass .dockerignore's allow-list.
    allow = [l[1:].rstrip("/") for l in (ROOT / ".dockerignore").read_text().splitlines() if l.startswith("!")]
    problems = []
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s", text, re.M):
        src = src.rstrip("/").removeprefix("./")
        if not (ROOT / src).exists():
            problems.append(f"COPY {src}: no such path")
        if not any(src == a or src.startswith(a + "/") for a in allow):
            problems.append(f"COPY {src}: excluded by .dockerignore")
    for a in allow:
        if not (ROOT / a).exists():
            problems.append(f".dockerignore allows {a}, which does not exist")
    R.check(".dockerignore lets through exactly what the Dockerfile copies", problems)

    allowed = documented_env()
    problems = []
    for name in sorted(set(re.findall(r"\b(MEMGRID_[A-Z0-9_]+)=", final))):
        if any(name in v for v in allowed.values()):
            continue
        if name in PENDING_ENV:
            R.warn(f"Dockerfile sets {name}, not in docs/configuration.md yet ({PENDING_ENV[name]})")
        else:
            problems.append(f"Dockerfile sets {name}, which docs/configuration.md does not document")
    R.check("Dockerfile ENV: MEMGRID_* names are documented", problems)

    check_healthcheck_script()


def check_healthcheck_script() -> None:
    script = DEPLOY / "healthcheck.sh"
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "www").mkdir()
        (tmpdir / "www" / "healthz").write_text("{}")
        fake = tmpdir / "memgrid-llm-worker"
        fake.symlink_to(os.path.realpath(sys.executable))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([str(fake), "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(tmpdir / "www")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli = gateway = None
        try:
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            env = dict(os.environ, MEMGRID_OPS_PORT=str(port))
            def hc(*args: str, environ: dict = env) -> int:
                return run(["bash", str(script), *args], env=environ, timeout=20).returncode
            if hc("--pid", str(server.pid)) != 0:
                problems.append("200 on /healthz was not healthy")
            if hc("--pid", str(server.pid), "/readyz") == 0:
                problems.append("404 on /readyz counted as healthy")
            closed = dict(env, MEMGRID_OPS_PORT="1")
            if hc("--pid", str(server.pid), environ=closed) == 0:
                problems.append("a closed port counted as healthy")
            cli_link = tmpdir / "memgrid"
            cli_link.symlink_to(shutil.which("sleep") or "/bin/sleep")
            cli = subprocess.Popen([str(cli_link), "30"])
            if hc("--pid", str(cli.pid)) != 0:
                problems.append("the CLI (memgrid migrate) should count as healthy")
            # the gateway: its side port (MEMGRID_OPS_PORT), never the API port
            gateway_link = tmpdir / "memgrid-gateway"
            gateway_link.symlink_to(shutil.which("sleep") or "/bin/sleep")
            gateway = subprocess.Popen([str(gateway_link), "30"])
            if hc("--pid", str(gateway.pid), environ=dict(env, MEMGRID_GATEWAY_PORT="1")) != 0:
                problems.append("the gateway was not checked on MEMGRID_OPS_PORT")
            if hc("--pid", str(gateway.pid), environ=dict(closed, MEMGRID_GATEWAY_PORT=str(port))) == 0:
                problems.append("the gateway was checked on MEMGRID_GATEWAY_PORT (no /readyz there)")
            if hc("--pid", str(os.getpid())) == 0:
                problems.append("a non-memgrid process counted as healthy")
        finally:
            server.terminate()
            server.wait(timeout=10)
            for proc in (cli, gateway):
                if proc:
                    proc.terminate()
                    proc.wait(timeout=10)
    R.check("healthcheck.sh: finds the executable's side port (gateway too), 200 = healthy, 404/closed/unknown = unhealthy", problems)


# ------------------------------------------------------------------ runtime closure

def check_closure(build: bool) -> None:
    R.section("runtime closure")
    bin_dir = Path(os.environ.get("MEMGRID_DEPLOY_BIN", ROOT / ".build-deploy" / "release"))
    if build:
        print(f"building release binaries into {ROOT / '.build-deploy'} (several minutes) …", flush=True)
        # Only the image's executables (not memgrid-bench or the test helpers).
        for exe in EXECUTABLES:
            proc = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib",
                                   "--scratch-path", str(ROOT / ".build-deploy"), "--product", exe], cwd=ROOT)
            if proc.returncode:
                R.fail(f"swift build -c release --static-swift-stdlib --product {exe}")
                return
    missing = [e for e in EXECUTABLES if not (bin_dir / e).exists()]
    if missing:
        R.skip("runtime-closure.sh", f"no release binaries in {bin_dir} (check.sh --build, or "
               "swift build -c release --static-swift-stdlib --scratch-path .build-deploy)")
        return
    stale = [e for e in EXECUTABLES if (bin_dir / e).stat().st_mtime < newest_source_mtime()]
    if stale:
        R.warn(f"release binaries in {bin_dir} are older than Sources/ (rebuild with check.sh --build)")
    proc = run(["bash", str(DEPLOY / "runtime-closure.sh"), str(bin_dir)])
    print("\n".join("        " + l for l in proc.stdout.splitlines()))
    R.check("runtime-closure.sh: every ldd library of every release binary comes from a runtime package",
            proc.stderr.splitlines() if proc.returncode else [])


def newest_source_mtime() -> float:
    return max(p.stat().st_mtime for p in (ROOT / "Sources").rglob("*") if p.is_file())


# ------------------------------------------------------------------ compose

def check_compose() -> None:
    R.section("compose")
    compose_file = COMPOSE / "docker-compose.yml"
    env_file = COMPOSE / ".env.example"
    yamllint([compose_file])
    proc = run([tool("docker-compose"), "--project-directory", str(COMPOSE), "-f", str(compose_file),
                "--env-file", str(env_file), "config", "--format", "json"],
               env=dict(os.environ, DOCKER_HOST="unix:///nonexistent"))
    if proc.returncode:
        R.fail("docker compose config (with .env.example)", proc.stderr.splitlines())
        return
    R.ok("docker compose config parses and interpolates with .env.example")
    config = json.loads(proc.stdout)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as rendered:
        json.dump(config, rendered)
        rendered.flush()
        proc = run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", rendered.name])
        R.check("rendered compose file validates against the compose-spec schema",
                (proc.stdout + proc.stderr).splitlines() if proc.returncode else [])

    services = config.get("services", {})
    allowed, problems = documented_env(), []
    for name, svc in services.items():
        for dep in (svc.get("depends_on") or {}):
            if dep not in services:
                problems.append(f"{name} depends on unknown service {dep}")
        image = svc.get("image", "")
        if ":" not in image.split("/")[-1] or image.endswith(":latest"):
            problems.append(f"{name}: image {image!r} is not pinned to a tag")
        if "healthcheck" not in svc and name != "migrate":
            problems.append(f"{name}: no healthcheck")
    R.check(f"compose: {len(services)} services, depends_on targets exist, images pinned, healthchecks", problems)

    problems = []
    memgrid = {n: s for n, s in services.items() if (s.get("command") or [""])[0] in EXECUTABLES}
    expected = {"migrate", "memgrid-gateway", *WORKERS}
    if set(memgrid) != expected:
        problems.append(f"memgrid services are {sorted(memgrid)}, expected {sorted(expected)}")
    for name, svc in memgrid.items():
        exe = svc["command"][0]
        env = svc.get("environment") or {}
        problems += [f"{name}: {v} is not documented for {exe}" for v in env if v.startswith("MEMGRID_") and v not in allowed[exe]]
        problems += [f"{name}: required {v} not set" for v in sorted(REQUIRED_ENV[exe] - set(env))]
        if not svc.get("read_only") or "ALL" not in (svc.get("cap_drop") or []):
            problems.append(f"{name}: not read_only with cap_drop ALL")
        if exe in WORKERS:
            drain = int(env.get("MEMGRID_DRAIN_TIMEOUT_MS", 25000)) / 1000
            grace = parse_duration(svc.get("stop_grace_period", "10s"))
            if grace <= drain:
                problems.append(f"{name}: stop_grace_period {grace}s is not longer than the drain deadline {drain}s")
        if exe in OPS_PORTS and env.get("MEMGRID_OPS_PORT") != str(OPS_PORTS[exe]):
            problems.append(f"{name}: MEMGRID_OPS_PORT should be {OPS_PORTS[exe]}")
        if exe == "memgrid-gateway" and env.get("MEMGRID_OPS_PORT") == str(env.get("MEMGRID_GATEWAY_PORT", GATEWAY_PORT)):
            problems.append(f"{name}: MEMGRID_OPS_PORT equals MEMGRID_GATEWAY_PORT (the gateway refuses to start)")
        if exe in OPS_PORTS and any(str(p.get("target")) == str(env.get("MEMGRID_OPS_PORT")) for p in svc.get("ports") or []):
            problems.append(f"{name}: publishes its side port (/readyz, /metrics)")
        if exe != "memgrid":
            deps = svc.get("depends_on") or {}
            if deps.get("migrate", {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name}: does not wait for migrate to complete")
    R.check("compose: memgrid services use documented env, set the required ones, side ports unpublished, drain within stop_grace_period", problems)

    raw = compose_file.read_text()
    example = dict(l.split("=", 1) for l in env_file.read_text().splitlines() if l and not l.startswith("#"))
    problems = []
    for var, op in re.findall(r"\$\{([A-Z0-9_]+)(:?[-?]|)", raw):
        if op in ("", ":?", "?") and var not in example:
            problems.append(f"${{{var}}} has no default and is missing from .env.example")
    unused = sorted(k for k in example if f"${{{k}" not in raw)
    problems += [f".env.example sets {k}, which docker-compose.yml never reads" for k in unused]
    problems += [f".env.example: {k} looks like a real secret (use a change-me placeholder)"
                 for k, v in example.items() if "PASSWORD" in k and "change-me" not in v]
    R.check(".env.example: covers every required variable, placeholders only", problems)


def parse_duration(value) -> float:
    if isinstance(value, (int, float)):
        return value / 1e9 if value > 1e6 else float(value)  # compose JSON renders ns
    total, units = 0.0, {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    for number, unit in re.findall(r"([\d.]+)(ms|h|m|s)", value):
        total += float(number) * units[unit]
    return total


def yamllint(paths: list[Path]) -> None:
    proc = run([tool("yamllint"), "-f", "parsable", "-c", str(DEPLOY / "yamllint.yaml"), *map(str, paths)])
    R.check(f"yamllint ({len(paths)} files)", proc.stdout.splitlines() if proc.returncode else [])


# ------------------------------------------------------------------ kubernetes

def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def render(overlay: str) -> list[dict] | None:
    cmd = kustomize_command()
    if cmd is None:
        R.fail(f"render {overlay}", "neither kubectl nor kustomize is installed")
        return None
    proc = run([*cmd, str(K8S / "overlays" / overlay)], timeout=120)
    if proc.returncode:
        R.fail(f"render overlays/{overlay}", proc.stderr.splitlines()[:20])
        return None
    objects = [o for o in yaml.safe_load_all(proc.stdout) if o]
    R.ok(f"render overlays/{overlay} ({' '.join(cmd)}): {len(objects)} objects")
    return objects


def check_k8s() -> None:
    R.section("kubernetes: lint")
    yaml_files = sorted(p for p in K8S.rglob("*.yaml"))
    yamllint(yaml_files)
    template = yaml.safe_load((K8S / "base" / "secret.template.yaml").read_text())
    template_keys = set(template.get("stringData", {}))
    problems = validate_builtin([template], "secret.template.yaml")
    R.check("base/secret.template.yaml is a valid Secret (placeholders only)",
            problems + [f"{k} does not look like a placeholder" for k, v in template["stringData"].items()
                        if ("password" in k or "url" in k or "uri" in k) and "CHANGE-ME" not in v
                        and k not in ("rabbitmq-management-url",)])

    metrics = known_metrics()
    queues = work_queues()
    adapter_metrics = check_adapter(metrics, queues)
    check_dashboard(metrics)

    for overlay in OVERLAYS:
        R.section(f"kubernetes: overlays/{overlay}")
        objects = render(overlay)
        if objects is None:
            continue
        check_overlay(overlay, objects, template_keys, metrics, queues, adapter_metrics)


def validate_builtin(objects: list[dict], where: str) -> list[str]:
    import kubernetes_validate
    problems = []
    for obj in objects:
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{where}: {kn(obj)}: no schema for {obj['apiVersion']} in Kubernetes {version}")
            except kubernetes_validate.ValidationError as error:
                path = "/".join(str(p) for p in error.path)
                problems.append(f"{where}: {kn(obj)} invalid for Kubernetes {version} at {path}: {error.message}")
    return problems


def kn(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
                  "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io"}


def is_builtin(obj: dict) -> bool:
    api = obj["apiVersion"]
    return (api.split("/")[0] if "/" in api else "") in BUILTIN_GROUPS


def selects(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        value, op = labels.get(expr["key"]), expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def memgrid_executable(container: dict) -> str | None:
    cmd = container.get("command") or container.get("args") or []
    return cmd[0] if cmd and cmd[0] in EXECUTABLES else None


def check_overlay(overlay: str, objects: list[dict], template_keys: set[str], metrics: set[str],
                  queues: set[str], adapter_metrics: set[str]) -> None:
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    named = {(o["kind"], o["metadata"]["name"]): o for o in objects}

    builtin = [o for o in objects if is_builtin(o)]
    custom = [o for o in objects if not is_builtin(o)]
    R.check(f"{len(builtin)} built-in objects validate (strict) against Kubernetes {', '.join(K8S_VERSIONS)}",
            validate_builtin(builtin, overlay))

    # namespaces: one, and every namespaced object in it
    namespaces = by_kind.get("Namespace", [])
    problems = []
    if len(namespaces) != 1:
        problems.append(f"expected one Namespace, found {len(namespaces)}")
    else:
        ns = namespaces[0]["metadata"]["name"]
        problems += [f"{kn(o)} is in namespace {o['metadata'].get('namespace')}" for o in objects
                     if o["kind"] != "Namespace" and o["metadata"].get("namespace") != ns]
    R.check("one Namespace; every object in it", problems)

    # images pinned
    problems = []
    for obj in objects:
        for c in pod_containers(obj):
            image = c.get("image", "")
            if ":" not in image.split("/")[-1] or image.endswith(":latest"):
                problems.append(f"{kn(obj)}: image {image!r} not pinned to a tag")
    R.check("every image pinned to a tag (no :latest)", problems)

    # references: ConfigMaps/Secrets that env, envFrom and volumes use
    secrets = {o["metadata"]["name"]: set(o.get("data", {})) | set(o.get("stringData", {}))
               for o in by_kind.get("Secret", [])}
    configmaps = {o["metadata"]["name"]: set(o.get("data", {})) for o in by_kind.get("ConfigMap", [])}
    def secret_keys(name: str) -> set[str] | None:
        if name in secrets:
            return secrets[name]
        if name == "memgrid-secrets":  # created out of band: the template lists its keys
            return template_keys
        return None
    problems = []
    for obj in objects:
        for c in pod_containers(obj):
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {})
                if "secretKeyRef" in ref:
                    keys = secret_keys(ref["secretKeyRef"]["name"])
                    if keys is None or ref["secretKeyRef"]["key"] not in keys:
                        problems.append(f"{kn(obj)}: {e['name']} reads missing secret key {ref['secretKeyRef']}")
                if "configMapKeyRef" in ref:
                    keys = configmaps.get(ref["configMapKeyRef"]["name"])
                    if keys is None or ref["configMapKeyRef"]["key"] not in keys:
                        problems.append(f"{kn(obj)}: {e['name']} reads missing ConfigMap key {ref['configMapKeyRef']}")
            for ef in c.get("envFrom") or []:
                if "configMapRef" in ef and ef["configMapRef"]["name"] not in configmaps:
                    problems.append(f"{kn(obj)}: envFrom missing ConfigMap {ef['configMapRef']['name']}")
                if "secretRef" in ef and secret_keys(ef["secretRef"]["name"]) is None:
                    problems.append(f"{kn(obj)}: envFrom missing Secret {ef['secretRef']['name']}")
    for obj in by_kind.get("TriggerAuthentication", []):
        for ref in obj["spec"].get("secretTargetRef", []):
            keys = secret_keys(ref["name"])
            if keys is None or ref["key"] not in keys:
                problems.append(f"{kn(obj)}: secret key {ref['name']}/{ref['key']} does not exist")
    R.check("every Secret/ConfigMap key referenced exists (memgrid-secrets: keys of secret.template.yaml)", problems)

    check_memgrid_workloads(overlay, objects, by_kind, named, configmaps, secrets, template_keys)
    check_services(objects, by_kind)
    check_autoscaling(overlay, by_kind, named, queues, adapter_metrics)
    check_network_policies(by_kind)
    check_pod_security(objects, namespaces)
    check_custom(overlay, custom, by_kind, named, metrics)


def pod_template(obj: dict) -> dict | None:
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return obj["spec"]["template"]
    return None


def pod_containers(obj: dict) -> list[dict]:
    t = pod_template(obj)
    if not t:
        return []
    return list(t["spec"].get("containers", [])) + list(t["spec"].get("initContainers", []) or [])


def container_env(c: dict, configmaps: dict, secrets: dict, template_keys: set[str]) -> dict[str, object]:
    env: dict[str, object] = {}
    for ef in c.get("envFrom") or []:
        if "configMapRef" in ef:
            for k in configmaps.get(ef["configMapRef"]["name"], ()):
                env[k] = "(configmap)"
        if "secretRef" in ef:
            for k in secrets.get(ef["secretRef"]["name"], template_keys):
                env[k] = "(secret)"
    for e in c.get("env") or []:
        env[e["name"]] = e.get("value", "(ref)")
    return env


def check_memgrid_workloads(overlay, objects, by_kind, named, configmaps, secrets, template_keys) -> None:
    allowed = documented_env()
    deployments = [d for d in by_kind.get("Deployment", [])
                   if any(memgrid_executable(c) for c in pod_containers(d))]
    pdbs = by_kind.get("PodDisruptionBudget", [])
    found = {memgrid_executable(d["spec"]["template"]["spec"]["containers"][0]) for d in deployments}
    problems = []
    expected = {"memgrid-gateway", *WORKERS}
    if found != expected:
        problems.append(f"Deployments run {sorted(found)}, expected {sorted(expected)}")
    jobs = [j for j in by_kind.get("Job", []) if any(memgrid_executable(c) == "memgrid" for c in pod_containers(j))]
    if not any((c.get("command") or [])[:2] == ["memgrid", "migrate"] for j in jobs for c in pod_containers(j)):
        problems.append("no Job runs `memgrid migrate`")
    R.check("a Deployment per service (gateway + 3 workers) and a migration Job", problems)

    shape, envp, pdbp = [], [], []
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        labels = d["spec"]["template"]["metadata"].get("labels", {})
        c = spec["containers"][0]
        exe = memgrid_executable(c)
        where = kn(d)
        env = container_env(c, configmaps, secrets, template_keys)
        # probes on the executable's side port (/healthz, /readyz, /metrics); the gateway's
        # API port serves /healthz too (liveness may use it), but no /readyz and no /metrics
        port = int(env.get("MEMGRID_OPS_PORT", OPS_PORTS.get(exe, 0)))
        healthz_ports = {port}
        if exe == "memgrid-gateway":
            api_port = int(env.get("MEMGRID_GATEWAY_PORT", GATEWAY_PORT))
            healthz_ports.add(api_port)
            if api_port == port:
                shape.append(f"{where}: MEMGRID_OPS_PORT equals MEMGRID_GATEWAY_PORT {port} (the gateway refuses to start)")
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        if port not in ports.values():
            shape.append(f"{where}: side port {port} is not a container port")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            p = c.get(probe)
            if not p or "httpGet" not in p:
                if probe != "startupProbe":
                    shape.append(f"{where}: no HTTP {probe}")
                continue
            target = p["httpGet"]["port"]
            target = ports.get(target, target)
            allowed_ports = healthz_ports if p["httpGet"].get("path") == "/healthz" else {port}
            if target not in allowed_ports:
                shape.append(f"{where}: {probe} on port {target}, but the executable serves "
                             f"{p['httpGet'].get('path')} on {sorted(allowed_ports)}")
        annotations = d["spec"]["template"]["metadata"].get("annotations") or {}
        if annotations.get("prometheus.io/scrape") == "true" and (
                annotations.get("prometheus.io/port") != str(port) or annotations.get("prometheus.io/path", "/metrics") != "/metrics"):
            shape.append(f"{where}: prometheus.io annotations should point at /metrics on the side port {port}")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            shape.append(f"{where}: readinessProbe should GET /readyz")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            shape.append(f"{where}: livenessProbe should GET /healthz")
        res = c.get("resources", {})
        for need in ("requests.cpu", "requests.memory", "limits.memory"):
            a, b = need.split(".")
            if b not in res.get(a, {}):
                shape.append(f"{where}: no resources.{need}")
        psc, csc = spec.get("securityContext", {}), c.get("securityContext", {})
        if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")) or psc.get("runAsUser", 1) == 0:
            shape.append(f"{where}: not runAsNonRoot")
        if not csc.get("readOnlyRootFilesystem"):
            shape.append(f"{where}: root filesystem not read-only")
        if csc.get("allowPrivilegeEscalation") is not False:
            shape.append(f"{where}: allowPrivilegeEscalation not false")
        if "ALL" not in (csc.get("capabilities", {}).get("drop") or []):
            shape.append(f"{where}: capabilities not dropped")
        if not spec.get("topologySpreadConstraints"):
            shape.append(f"{where}: no topologySpreadConstraints")
        pre = (c.get("lifecycle") or {}).get("preStop")
        if not pre:
            shape.append(f"{where}: no preStop hook")
        pre_seconds = 0
        if pre and pre.get("exec", {}).get("command", [None])[0] == "sleep":
            pre_seconds = float(pre["exec"]["command"][1])
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if exe in WORKERS:
            drain = int(env.get("MEMGRID_DRAIN_TIMEOUT_MS", 25000)) / 1000
            if grace <= pre_seconds + drain:
                shape.append(f"{where}: terminationGracePeriodSeconds {grace} <= preStop {pre_seconds}s + drain {drain}s")
        if spec.get("automountServiceAccountToken") is not False:
            shape.append(f"{where}: mounts a service account token it does not need")
        if "replicas" in d["spec"]:
            shape.append(f"{where}: sets replicas although an autoscaler owns it")
        # environment
        for name in env:
            if name.startswith("MEMGRID_") and name not in allowed[exe]:
                envp.append(f"{where}: sets {name}, not documented for {exe} in docs/configuration.md")
        for name in sorted(REQUIRED_ENV[exe] - set(env)):
            envp.append(f"{where}: required {name} not set")
        if exe == "memgrid-gateway" and env.get("MEMGRID_GATEWAY_HOST") not in ("0.0.0.0", "::"):
            envp.append(f"{where}: MEMGRID_GATEWAY_HOST must be 0.0.0.0 in a pod")
        if exe == "memgrid-gateway" and env.get("MEMGRID_MIGRATE_ON_START") == "true":
            envp.append(f"{where}: migrates on start although the Job migrates")
        # disruption budget
        matching = [p for p in pdbs if selects(p["spec"]["selector"], labels)]
        if len(matching) != 1:
            pdbp.append(f"{where}: {len(matching)} PodDisruptionBudgets select it (want 1)")
    for j in jobs:
        for c in pod_containers(j):
            env = container_env(c, configmaps, secrets, template_keys)
            envp += [f"{kn(j)}: sets {n}, not documented for memgrid" for n in env
                     if n.startswith("MEMGRID_") and n not in allowed["memgrid"]]
            envp += [f"{kn(j)}: required {n} not set" for n in sorted(REQUIRED_ENV["memgrid"] - set(env))]
    R.check("Deployments: probes and scrape annotations on the right port, resources, non-root + read-only + no caps, spread, preStop, grace > drain", shape)
    R.check("env: every MEMGRID_* variable set is documented for its executable; required ones set", envp)
    R.check("every Deployment has exactly one PodDisruptionBudget", pdbp)


def check_services(objects, by_kind) -> None:
    problems = []
    pods = [(o, pod_template(o)) for o in objects if pod_template(o)]
    for svc in by_kind.get("Service", []):
        sel = svc["spec"].get("selector") or {}
        targets = [(o, t) for o, t in pods if sel and all(t["metadata"].get("labels", {}).get(k) == v for k, v in sel.items())]
        if not targets:
            problems.append(f"{kn(svc)} selects no pods")
            continue
        side_ports = {OPS_PORTS[e] for o, _ in targets for c in pod_containers(o) if (e := memgrid_executable(c)) in OPS_PORTS}
        exposed = svc["metadata"]["name"] == "memgrid-gateway" or svc["spec"].get("type") in ("LoadBalancer", "NodePort")
        for p in svc["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            numbers = {cp["containerPort"] for _, t in targets for c in t["spec"]["containers"]
                       for cp in c.get("ports", []) if cp.get("name") == tp} if isinstance(tp, str) else {tp}
            if isinstance(tp, str) and not numbers:
                problems.append(f"{kn(svc)}: targetPort {tp} is no container port name")
            if exposed and numbers & side_ports:
                problems.append(f"{kn(svc)}: exposes the side port {tp} (/readyz, /metrics)")
        if svc["metadata"]["name"] == "memgrid-gateway":
            option = (svc["metadata"].get("annotations") or {}).get("kubernetes.io/elb.health-check-option")
            if option and json.loads(option).get("path") != "/healthz":
                problems.append(f"{kn(svc)}: the ELB health check must GET /healthz (the API port serves no /readyz)")
    gateway = [s for s in by_kind.get("Service", []) if s["metadata"]["name"] == "memgrid-gateway"]
    if not gateway:
        problems.append("no Service memgrid-gateway")
    R.check("Services select pods and name existing container ports; side ports not exposed; ELB checks /healthz", problems)


def check_autoscaling(overlay, by_kind, named, queues, adapter_metrics) -> None:
    problems = []
    owners: dict[str, list[str]] = {}
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        target = named.get((ref["kind"], ref["name"]))
        owners.setdefault(ref["name"], []).append(kn(hpa))
        if target is None:
            problems.append(f"{kn(hpa)}: target {ref['kind']}/{ref['name']} not rendered")
            continue
        for m in hpa["spec"].get("metrics", []):
            if m["type"] == "Resource":
                c = target["spec"]["template"]["spec"]["containers"][0]
                if m["resource"]["name"] not in c.get("resources", {}).get("requests", {}):
                    problems.append(f"{kn(hpa)}: scales on {m['resource']['name']} but the pod requests none")
            elif m["type"] == "External":
                name = m["external"]["metric"]["name"]
                if name not in adapter_metrics:
                    problems.append(f"{kn(hpa)}: External metric {name} is not served by k8s/prometheus-adapter/values.yaml")
                queue = (m["external"]["metric"].get("selector") or {}).get("matchLabels", {}).get("queue")
                if queue not in queues:
                    problems.append(f"{kn(hpa)}: queue {queue!r} is not a work queue ({sorted(queues)})")
            else:
                problems.append(f"{kn(hpa)}: unexpected metric type {m['type']}")
    for so in by_kind.get("ScaledObject", []):
        owners.setdefault(so["spec"]["scaleTargetRef"]["name"], []).append(kn(so))
    for name, who in owners.items():
        if len(who) > 1:
            problems.append(f"{name} is scaled by {len(who)} autoscalers: {who}")
    for d in by_kind.get("Deployment", []):
        c = d["spec"]["template"]["spec"]["containers"][0]
        if memgrid_executable(c) and d["metadata"]["name"] not in owners:
            problems.append(f"{kn(d)} has no HPA or ScaledObject")
    # what the issue asks per executable
    def kinds(name: str) -> set[str]:
        hpa = named.get(("HorizontalPodAutoscaler", name))
        if hpa:
            return {m["type"] for m in hpa["spec"]["metrics"]}
        so = named.get(("ScaledObject", name))
        return {t["type"] for t in so["spec"]["triggers"]} if so else set()
    if "Resource" not in kinds("memgrid-gateway"):
        problems.append("the gateway does not scale on CPU")
    emb = kinds("memgrid-embedding-worker")
    if not ({"Resource", "cpu"} & emb):
        problems.append("the embedding worker does not scale on CPU")
    if not ({"External", "rabbitmq"} & kinds("memgrid-llm-worker")):
        problems.append("the LLM worker does not scale on its queue backlog")
    if overlay in PRODUCTION_OVERLAYS:
        pro = named.get(("HorizontalPodAutoscaler", "memgrid-proactive-worker"))
        low = pro["spec"]["minReplicas"] if pro else named[("ScaledObject", "memgrid-proactive-worker")]["spec"]["minReplicaCount"]
        if low < 2:
            problems.append(f"the proactive worker may scale to {low} replica(s); it must keep >= 2")
    R.check("autoscaling: one autoscaler per Deployment, CPU for gateway/embedding, backlog for LLM, proactive >= 2, metrics served", problems)


def check_network_policies(by_kind) -> None:
    policies = by_kind.get("NetworkPolicy", [])
    pods = [(o, pod_template(o)) for kind in ("Deployment", "Job") for o in by_kind.get(kind, [])]
    problems = []
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and
            set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"} and
            not p["spec"].get("ingress") and not p["spec"].get("egress")]
    if not deny:
        problems.append("no default-deny policy (podSelector {}, Ingress+Egress, no rules)")
    for obj, t in pods:
        labels = t["metadata"].get("labels", {})
        component = labels.get("app.kubernetes.io/component")
        applied = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        open_rules = [(p, rule) for p in applied for rule in p["spec"].get("ingress") or [] if not rule.get("from")]
        open_ingress = [p for p, _ in open_rules]
        if open_ingress and component != "gateway":
            problems.append(f"{kn(obj)} accepts traffic from anywhere ({[kn(p) for p in open_ingress]})")
        if component == "gateway" and not open_ingress:
            problems.append("the gateway is not reachable from outside the namespace")
        if component == "gateway":
            open_ports = [port.get("port") for _, rule in open_rules for port in rule.get("ports") or [{}]]
            if any(p not in (GATEWAY_PORT, "http") for p in open_ports):
                problems.append(f"the gateway accepts traffic from anywhere on {open_ports}, not only its API port {GATEWAY_PORT}")
        if component in ALLOWED_EGRESS:
            ports = {port.get("port") for p in applied for rule in p["spec"].get("egress") or []
                     for port in rule.get("ports") or [{}]}
            extra = ports - ALLOWED_EGRESS[component] - {53}
            if extra:
                problems.append(f"{kn(obj)} may open egress ports {sorted(map(str, extra))}")
            if component == "llm-worker" and 443 not in ports:
                problems.append("the LLM worker cannot reach HTTPS providers")
            if component != "migrate" and not {5672, 5432, 6379} <= ports:
                problems.append(f"{kn(obj)} cannot reach broker/Redis/PostgreSQL")
    R.check("NetworkPolicies: default deny, only the gateway's API port open, egress limited to broker/Redis/PostgreSQL (+HTTPS for LLM)", problems)


RESTRICTED_VOLUMES = {"configMap", "emptyDir", "secret", "persistentVolumeClaim", "projected",
                      "downwardAPI", "csi", "ephemeral"}


def check_pod_security(objects, namespaces) -> None:
    """The 'restricted' Pod Security Standard for every memgrid pod, and for all pods of a
    namespace that enforces it."""
    enforce = namespaces[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") if namespaces else None
    problems = []
    for obj in objects:
        t = pod_template(obj)
        if not t:
            continue
        ours = any(memgrid_executable(c) for c in pod_containers(obj))
        if not ours and enforce != "restricted":
            continue
        spec = t["spec"]
        psc = spec.get("securityContext", {})
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key):
                problems.append(f"{kn(obj)}: {key}")
        for v in spec.get("volumes") or []:
            kind = next(k for k in v if k != "name")
            if kind not in RESTRICTED_VOLUMES:
                problems.append(f"{kn(obj)}: volume type {kind}")
        for c in pod_containers(obj):
            csc = c.get("securityContext", {})
            if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot"))):
                problems.append(f"{kn(obj)}/{c['name']}: runAsNonRoot")
            seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{kn(obj)}/{c['name']}: seccompProfile")
            if csc.get("allowPrivilegeEscalation") is not False or csc.get("privileged"):
                problems.append(f"{kn(obj)}/{c['name']}: privilege escalation")
            caps = csc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []) or set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
                problems.append(f"{kn(obj)}/{c['name']}: capabilities")
    scope = "all pods (namespace enforces restricted)" if enforce == "restricted" else "memgrid pods"
    R.check(f"Pod Security Standard 'restricted' for {scope}", problems)


def check_custom(overlay, custom, by_kind, named, metrics) -> None:
    known = {"ScaledObject", "TriggerAuthentication", "ServiceMonitor", "PrometheusRule"}
    problems = [f"{kn(o)}: no checks for this custom kind" for o in custom if o["kind"] not in known]
    for so in by_kind.get("ScaledObject", []):
        spec, where = so["spec"], kn(so)
        if so["apiVersion"] != "keda.sh/v1alpha1":
            problems.append(f"{where}: apiVersion {so['apiVersion']}")
        ref = spec.get("scaleTargetRef", {})
        if not ref.get("name") or ("Deployment", ref["name"]) not in named:
            problems.append(f"{where}: scaleTargetRef {ref} does not name a rendered Deployment")
        lo, hi = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
            problems.append(f"{where}: replica bounds {lo}..{hi}")
        triggers = spec.get("triggers") or []
        if not triggers:
            problems.append(f"{where}: no triggers")
        for t in triggers:
            md = t.get("metadata") or {}
            if not t.get("type") or not isinstance(md, dict):
                problems.append(f"{where}: trigger without type/metadata")
                continue
            if any(not isinstance(v, str) for v in md.values()):
                problems.append(f"{where}: trigger metadata values must be strings ({md})")
            if t["type"] == "rabbitmq":
                if md.get("mode") != "QueueLength" or md.get("protocol") != "http":
                    problems.append(f"{where}: rabbitmq trigger must be mode QueueLength over protocol http (counts unacked)")
                if md.get("excludeUnacknowledged", "false") != "false":
                    problems.append(f"{where}: excludeUnacknowledged must stay false")
                if md.get("queueName") not in work_queues():
                    problems.append(f"{where}: queueName {md.get('queueName')!r} is not a work queue")
                if not md.get("value"):
                    problems.append(f"{where}: no target value")
                auth = (t.get("authenticationRef") or {}).get("name")
                if ("TriggerAuthentication", auth) not in named:
                    problems.append(f"{where}: authenticationRef {auth!r} not rendered")
    for ta in by_kind.get("TriggerAuthentication", []):
        refs = ta.get("spec", {}).get("secretTargetRef") or []
        if not refs or any(not {"parameter", "name", "key"} <= set(r) for r in refs):
            problems.append(f"{kn(ta)}: secretTargetRef entries need parameter, name, key")
    services = by_kind.get("Service", [])
    for sm in by_kind.get("ServiceMonitor", []):
        spec, where = sm["spec"], kn(sm)
        matched = [s for s in services if selects(spec.get("selector", {}), s["metadata"].get("labels", {}))]
        if not matched:
            problems.append(f"{where}: selector matches no Service")
        for ep in spec.get("endpoints") or [{}]:
            if not ep.get("port") or not all(any(p.get("name") == ep.get("port") for p in s["spec"]["ports"]) for s in matched):
                problems.append(f"{where}: endpoint port {ep.get('port')!r} is not a port name of the selected Service")
                continue
            # /metrics is served on the side port only (the gateway's API port has none)
            for s in matched:
                tp = next(p for p in s["spec"]["ports"] if p.get("name") == ep["port"]).get("targetPort")
                for obj in by_kind.get("Deployment", []):
                    if not selects({"matchLabels": s["spec"].get("selector") or {"-": "-"}}, pod_template(obj)["metadata"].get("labels", {})):
                        continue
                    for c in pod_containers(obj):
                        exe = memgrid_executable(c)
                        number = next((cp["containerPort"] for cp in c.get("ports", []) if cp.get("name") == tp), tp)
                        if exe in OPS_PORTS and ep.get("path", "/metrics") == "/metrics" and number != OPS_PORTS[exe]:
                            problems.append(f"{where}: scrapes {exe} on port {number}, but its /metrics is on {OPS_PORTS[exe]}")
    for pr in by_kind.get("PrometheusRule", []):
        groups = pr.get("spec", {}).get("groups") or []
        if not groups:
            problems.append(f"{kn(pr)}: no groups")
        alerts = set()
        for g in groups:
            if not g.get("name") or not g.get("rules"):
                problems.append(f"{kn(pr)}: group without name or rules")
            for rule in g.get("rules") or []:
                if ("alert" in rule) == ("record" in rule):
                    problems.append(f"{kn(pr)}: rule needs exactly one of alert/record: {rule}")
                if not rule.get("expr"):
                    problems.append(f"{kn(pr)}: rule without expr")
                    continue
                if "for" in rule and not re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", rule["for"]):
                    problems.append(f"{kn(pr)}: bad duration {rule['for']!r}")
                if "alert" in rule:
                    alerts.add(rule["alert"])
                    if "severity" not in (rule.get("labels") or {}) or "summary" not in (rule.get("annotations") or {}):
                        problems.append(f"{kn(pr)}: {rule['alert']} needs a severity label and a summary")
                problems += promql_problems(rule["expr"], metrics, f"{kn(pr)} {rule.get('alert') or rule.get('record')}")
        wanted = {"MemgridQueueBacklogGrowing", "MemgridDeadLetterQueueNotEmpty", "MemgridTenantBudgetAlert", "MemgridWorkerNotReady"}
        problems += [f"{kn(pr)}: missing alert {a}" for a in sorted(wanted - alerts)]
    if overlay in PRODUCTION_OVERLAYS:
        for kind in ("ServiceMonitor", "PrometheusRule"):
            if not by_kind.get(kind):
                problems.append(f"no {kind} rendered")
        monitored = {sm["spec"]["selector"].get("matchLabels", {}).get("app.kubernetes.io/name") for sm in by_kind.get("ServiceMonitor", [])}
        problems += [f"{name} has no ServiceMonitor" for name in ["memgrid-gateway", *WORKERS] if name not in monitored]
    if overlay == "cce-keda" and not by_kind.get("ScaledObject"):
        problems.append("no ScaledObject rendered")
    counts = ", ".join(f"{len(by_kind.get(k, []))} {k}" for k in sorted(known) if by_kind.get(k))
    R.check(f"custom resources have their required fields and point at rendered objects ({counts or 'none'})", problems)


def check_adapter(metrics: set[str], queues: set[str]) -> set[str]:
    R.section("kubernetes: prometheus-adapter and dashboard")
    values = yaml.safe_load((K8S / "prometheus-adapter" / "values.yaml").read_text())
    served, problems = set(), []
    for rule in (values.get("rules") or {}).get("external") or []:
        served.add(rule["name"]["as"])
        problems += promql_problems(rule["seriesQuery"], metrics, f"adapter seriesQuery {rule['name']['as']}")
        query = rule["metricsQuery"].replace("<<.Series>>", "x").replace("<<.LabelMatchers>>", 'a="b"')
        problems += promql_problems(query, metrics, f"adapter metricsQuery {rule['name']['as']}")
        if "queue" not in rule["metricsQuery"]:
            problems.append("the adapter's metricsQuery must keep the queue label (HPAs select on it)")
    if not served:
        problems.append("the adapter serves no external metric")
    R.check(f"prometheus-adapter values: external metrics {sorted(served)} with valid PromQL", problems)
    return served


def check_dashboard(metrics: set[str]) -> None:
    path = K8S / "components" / "monitoring" / "dashboards" / "memgrid.json"
    problems = []
    try:
        dash = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        R.fail("Grafana dashboard JSON parses", str(error))
        return
    ids, exprs = [], []
    def walk(panels):
        for p in panels:
            ids.append(p.get("id"))
            exprs.extend((p.get("title"), t.get("expr", "")) for t in p.get("targets", []))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    if not dash.get("uid") or not dash.get("title"):
        problems.append("dashboard needs uid and title")
    for title, expr in exprs:
        concrete = re.sub(r"\$__\w+", "5m", expr)
        concrete = re.sub(r"\$\{?\w+\}?", "x", concrete)
        problems += promql_problems(concrete, metrics, f"dashboard panel {title!r}")
    used = {m for _, e in exprs for m in re.findall(r"\b(memgrid_[a-z0-9_]+)\b", e)}
    for core in ("memgrid_jobs_consumed_total", "memgrid_jobs_dead_lettered_total", "memgrid_job_handler_duration_seconds_bucket"):
        if core not in used:
            problems.append(f"dashboard does not chart {core}")
    R.check(f"Grafana dashboard: {len(exprs)} queries parse and use emitted metrics", problems)


# ------------------------------------------------------------------ main

def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    build = "--build" in argv
    what = args[0] if args else "all"
    if what == "render":
        out = Path(args[1] if len(args) > 1 else ROOT / ".deploy-render")
        out.mkdir(parents=True, exist_ok=True)
        cmd = kustomize_command()
        if cmd is None:
            print("render: neither kubectl nor kustomize is installed", file=sys.stderr)
            return 1
        for overlay in OVERLAYS:
            proc = run([*cmd, str(K8S / "overlays" / overlay)])
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                return 1
            (out / f"{overlay}.yaml").write_text(proc.stdout)
            print(f"rendered k8s/overlays/{overlay} -> {out / (overlay + '.yaml')}")
        return 0
    steps = {"image": check_image, "compose": check_compose, "k8s": check_k8s,
             "closure": lambda: check_closure(build)}
    if what == "all":
        selected = list(steps)
    elif what in steps:
        selected = [what]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for name in selected:
        steps[name]()
    print(f"\ndeploy-check: {R.warned} warning(s)")
    print(f"{R.passed} passed, {R.failed} failed, {R.skipped} skipped")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
