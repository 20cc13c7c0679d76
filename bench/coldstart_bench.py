#!/usr/bin/env python3
"""Container cold start: `docker run` to READY and to the first prediction, interleaved.

For each model (hello-world, blur) three images on the same base (python:3.11-slim):
  cog_py     `cog build` of examples/<model>
  cog-0.23   the same project on Cog's runtime: `pip install cog==0.23.1 coglet==0.23.1` (+ the
             model's requirements), its `.cog/openapi_schema.json`, `python -m cog.server.http`
  raw        (hello-world only) the floor: /work/shared/bench/refservers/raw_asyncio_hello.py, a
             hand-written HTTP server on bare asyncio, started with `python`
Each start: `docker run -d --network host -e PORT=<port>`, then GET /health-check every ms until
it says READY, then POST /predictions until 200. The clock starts before `docker run`. Starts
are interleaved (one of each target per round, the order rotating), 10 per target by default;
the report gives medians and the same-run differences to the floor.

    python bench/coldstart_bench.py [--starts 10] [--models hello-world,blur] [--json out.json]
    python bench/coldstart_bench.py --keep     # leave the speedbench-cs-* images for a rerun
    python bench/coldstart_bench.py --compare main=IMAGE   # also start IMAGE (hello-world) in the same rounds

Images are named speedbench-cs-*; they are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COG_SHARED_DIR", REPO.parent / "shared"))
RAW_SERVER = SHARED / "bench" / "refservers" / "raw_asyncio_hello.py"
BASE = "python:3.11-slim"
DOCKER = os.environ.get("COG_DOCKER_CLI_RUN", "docker")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

# An 8x8 PNG as a data URI: blur's input.
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29dc0000006c49444154789c0dc941"
    "01003008033194a0a44aaa84e7a940094aaa68cb375545172a5c4cb1c51529aa9a6ed4b899669b6bd23f440b098b"
    "112b4e443f4c1b199b316bcec43f861e34789861871b323f965eb4789965975bb23f8e3e74f898638f3b723f4207"
    "0587091b2e243cb02c548131c8e3ff0000000049454e44ae426082")).decode()
INPUTS = {"hello-world": {"text": "world"}, "blur": {"image": f"data:image/png;base64,{_PNG}", "radius": 1}}


@dataclass
class Target:
    name: str
    model: str
    image: str
    command: list[str] = field(default_factory=list)
    ready_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)


def _sh(*argv: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=True, text=True, capture_output=True, **kw)


def _build_context(files: dict[str, bytes | Path], tag: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            if isinstance(data, Path):
                tar.add(str(data), arcname=name)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    proc = subprocess.run(["/usr/bin/docker", "build", "-q", "--network", "host", "-t", tag, "-"],
                          input=buf.getvalue(), capture_output=True, env=dict(os.environ, DOCKER_BUILDKIT="0"))
    if proc.returncode != 0:
        raise SystemExit(f"building {tag} failed:\n{proc.stdout.decode()[-3000:]}\n{proc.stderr.decode()[-3000:]}")


def build_ours(model: str, work: Path) -> Target:
    project = work / model
    shutil.copytree(REPO / "examples" / model, project, ignore=shutil.ignore_patterns(".cog", "__pycache__"))
    tag = f"speedbench-cs-ours-{model}"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "cog_py.cli.main", "build", "-t", tag, "--progress", "quiet"],
                          cwd=project, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cog build of {model} failed:\n{proc.stderr[-3000:]}")
    return Target("cog_py", model, tag)


def build_cog(model: str, work: Path) -> Target:
    """The same project on Cog 0.23.1's runtime (coglet), as its own `cog build` would lay it out."""
    project = work / model    # built by build_ours first: holds .cog/openapi_schema.json
    tag = f"speedbench-cs-cog-{model}"
    reqs = (project / "requirements.txt").read_text() if (project / "requirements.txt").is_file() else ""
    dockerfile = (
        f"FROM {BASE}\n"
        "COPY ca.crt /tmp/ca.crt\n"
        "RUN PIP_CERT=/tmp/ca.crt python -m pip install --no-cache-dir -q cog==0.23.1 coglet==0.23.1 -r /tmp/req.txt"
        " || (echo pip failed; exit 1)\n"
        if reqs else
        f"FROM {BASE}\nCOPY ca.crt /tmp/ca.crt\n"
        "RUN PIP_CERT=/tmp/ca.crt python -m pip install --no-cache-dir -q cog==0.23.1 coglet==0.23.1\n"
    )
    files: dict[str, bytes | Path] = {"ca.crt": CA_BUNDLE.read_bytes(), "req.txt": reqs.encode()}
    if reqs:
        dockerfile = dockerfile.replace("COPY ca.crt /tmp/ca.crt\n", "COPY ca.crt /tmp/ca.crt\nCOPY req.txt /tmp/req.txt\n")
    dockerfile += (
        "ENV COG_PREDICT_TYPE_STUB=predict.py:Predictor PYTHONUNBUFFERED=1\n"
        "WORKDIR /src\nCOPY src/ /src/\n"
        # Cog's own schema when its CLI module is there, else the one `cog build` wrote.
        "RUN python -m cog.command.openapi_schema > /tmp/s.json 2>/dev/null && mv /tmp/s.json .cog/openapi_schema.json || true\n"
        'CMD ["python", "-m", "cog.server.http"]\n'
    )
    files["Dockerfile"] = dockerfile.encode()
    for path in sorted(project.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[f"src/{path.relative_to(project).as_posix()}"] = path
    _build_context(files, tag)
    return Target("cog-0.23", model, tag)


def build_raw(work: Path) -> Target:
    tag = "speedbench-cs-raw-hello-world"
    dockerfile = f"FROM {BASE}\nCOPY raw.py /srv/raw.py\nRUN python -m compileall -q /srv\n"
    _build_context({"Dockerfile": dockerfile.encode(), "raw.py": RAW_SERVER.read_bytes()}, tag)
    return Target("raw-asyncio", "hello-world", tag, command=["python", "/srv/raw.py", "--port", "{port}"])


def _request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def one_start(target: Target, port: int, timeout: float = 60.0) -> tuple[float, float]:
    cmd = [c.replace("{port}", str(port)) for c in target.command]
    started = time.monotonic()
    cid = _sh(DOCKER, "run", "-d", "--network", "host", "-e", f"PORT={port}", target.image, *cmd).stdout.strip()
    try:
        ready = first = None
        while time.monotonic() - started < timeout:
            try:
                status, body = _request(port, "GET", "/health-check")
                if status == 200 and json.loads(body).get("status") == "READY":
                    ready = time.monotonic()
                    break
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.001)
        if ready is None:
            logs = _sh(DOCKER, "logs", cid)
            raise RuntimeError(f"{target.name}/{target.model} not READY in {timeout}s:\n"
                               f"{(logs.stdout + logs.stderr)[-2000:]}")
        payload = json.dumps({"input": INPUTS[target.model]}).encode()
        while time.monotonic() - started < timeout:
            status, body = _request(port, "POST", "/predictions", payload)
            if status == 200 and json.loads(body).get("status") == "succeeded":
                first = time.monotonic()
                break
            if status not in (409, 503):
                raise RuntimeError(f"{target.name}/{target.model}: first prediction {status}: {body[:300]!r}")
            time.sleep(0.001)
        if first is None:
            raise RuntimeError(f"{target.name}/{target.model}: no prediction in {timeout}s")
        return (ready - started) * 1000, (first - started) * 1000
    finally:
        subprocess.run([DOCKER, "rm", "-f", cid], capture_output=True)


def start_with_retry(target: Target, ports: Any, failures: list[str]) -> tuple[float, float]:
    """One start; a start that fails (coglet has failed to bind a fresh port here, "Address
    already in use") is noted and done again on the next port."""
    for attempt in range(3):
        try:
            return one_start(target, next(ports))
        except RuntimeError as exc:
            failures.append(f"{target.name}/{target.model}: {str(exc).splitlines()[-1][:200]}")
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--models", default="hello-world,blur")
    parser.add_argument("--targets", default="cog_py,cog-0.23,raw-asyncio")
    parser.add_argument("--port", type=int, default=21310,
                        help="first port; each start takes the next (below the ephemeral range)")
    parser.add_argument("--keep", action="store_true", help="keep the images (and reuse them next time)")
    parser.add_argument("--reuse", action="store_true", help="use the speedbench-cs-* images already built")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=IMAGE",
                        help="another image of hello-world started in the same rounds (e.g. main's build); never removed")
    args = parser.parse_args()
    models = args.models.split(",")
    wanted = set(args.targets.split(","))

    compared = {spec.partition("=")[0] for spec in args.compare}
    work = Path(tempfile.mkdtemp(prefix="speedbench-cs-"))
    targets: list[Target] = []
    try:
        for model in models:
            if args.reuse:
                if "cog_py" in wanted:
                    targets.append(Target("cog_py", model, f"speedbench-cs-ours-{model}"))
                if "cog-0.23" in wanted:
                    targets.append(Target("cog-0.23", model, f"speedbench-cs-cog-{model}"))
                continue
            print(f"building {model} images...", file=sys.stderr)
            ours = build_ours(model, work)
            if "cog_py" in wanted:
                targets.append(ours)
            if "cog-0.23" in wanted:
                targets.append(build_cog(model, work))
        if "raw-asyncio" in wanted and "hello-world" in models:
            targets.append(build_raw(work) if not args.reuse else
                           Target("raw-asyncio", "hello-world", "speedbench-cs-raw-hello-world",
                                  command=["python", "/srv/raw.py", "--port", "{port}"]))
        for spec in args.compare:
            name, _, image = spec.partition("=")
            targets.append(Target(name, "hello-world", image))
        # A new port for every start: a server that lingers after `docker rm -f` cannot make the
        # next one fail to bind (coglet has been seen to).
        ports = iter(range(args.port, args.port + 10_000))
        failures: list[str] = []
        for t in targets:   # warm the page cache: the first start of an image reads it from disk
            start_with_retry(t, ports, failures)
        loads = [_load()]
        for round_ in range(args.starts):
            order = targets[round_ % len(targets):] + targets[: round_ % len(targets)]
            for t in order:
                ready, first = start_with_retry(t, ports, failures)
                t.ready_ms.append(ready)
                t.first_ms.append(first)
        loads.append(_load())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            for t in targets:
                if t.name not in compared:
                    subprocess.run([DOCKER, "rmi", "-f", t.image], capture_output=True)

    report: dict[str, Any] = {"starts": args.starts, "load_average": loads, "targets": [], "failed_starts": failures}
    for failure in failures:
        print(f"failed start (done again): {failure}")
    floors = {t.model: statistics.median(t.first_ms) for t in targets if t.name == "raw-asyncio"}
    floor_ready = {t.model: statistics.median(t.ready_ms) for t in targets if t.name == "raw-asyncio"}
    print(f"load average (1/5/15 min) before / after: {loads[0]} / {loads[1]}")
    print(f"{'target':12} {'model':12} {'READY ms med [min-max]':28} {'1st prediction ms med [min-max]':34} vs floor")
    for t in targets:
        r, f = statistics.median(t.ready_ms), statistics.median(t.first_ms)
        delta = f"{f - floors[t.model]:+.0f} ms (READY {r - floor_ready[t.model]:+.0f})" if t.model in floors else ""
        print(f"{t.name:12} {t.model:12} {r:6.0f} [{min(t.ready_ms):.0f}-{max(t.ready_ms):.0f}]{'':12} "
              f"{f:6.0f} [{min(t.first_ms):.0f}-{max(t.first_ms):.0f}]{'':16} {delta}")
        report["targets"].append({"target": t.name, "model": t.model, "ready_ms": t.ready_ms, "first_ms": t.first_ms,
                                  "ready_median_ms": r, "first_median_ms": f})
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
