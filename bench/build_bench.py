#!/usr/bin/env python3
"""Build benchmark for a CPU example (default: examples/blur) on the local engine.

Reports, measured in one run on this machine (compare the ratio, not the seconds):
  cold      `cog build` with an empty runtime cache and --no-cache (the base image is local)
  second    the same build again, unchanged
  rebuild   `cog build` after editing only predict.py
  floor     a plain `docker build` that copies the same project files onto the finished image
  ratio     rebuild / floor (target <= 3)
  size      image size, the base image, the user's packages layer, and our runtime
            (= image - base - user's packages - the project's files; target < 40 MB)
  whole     the whole `cog build` command (a fresh `python -m cog_py.cli.main build`, as a user
            runs it) after each edit of predict.py, against the whole floor command (`docker
            build` of FROM <image> + COPY of the project, the docker CLI with the classic
            builder), interleaved pair by pair, --whole N pairs (target: median delta <= 0.35 s)

    python bench/build_bench.py [--example blur] [--whole 7] [--bytecode] [--json out.json]
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cog_py.build.image import BuildSettings, build_image  # noqa: E402
from cog_py.config.loader import load_config  # noqa: E402
from cog_py.docker.client import connect  # noqa: E402
from cog_py.docker.ignore import included_paths, read_dockerignore  # noqa: E402

TAG = "speedbench-build"


def _build(project: Path, **settings: Any) -> float:
    config = load_config(cwd=project).config
    started = time.monotonic()
    verbose = os.environ.get("BENCH_VERBOSE") == "1"
    say = (lambda m: print(f"  {time.monotonic() - started:6.2f} {m[:100]}", file=sys.stderr)) if verbose else (lambda _m: None)
    build_image(config, BuildSettings(tag=TAG, progress="auto" if verbose else "quiet", **settings), _UI(say))
    return time.monotonic() - started


class _UI:
    def __init__(self, say: Any) -> None:
        self.info = self.warn = say


def _floor(client: Any, project: Path) -> float:
    """`docker build` of FROM <image> + COPY of the project's files: the least a code edit costs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = f"FROM {TAG}\nCOPY src/ /src/\n".encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        patterns = read_dockerignore(project) + [".cog"]
        for rel in included_paths(project, patterns):
            tar.add(str(project / rel), arcname=f"src/{rel}", recursive=False)
    buf.seek(0)
    started = time.monotonic()
    for _chunk in client.api.build(fileobj=buf, custom_context=True, tag=f"{TAG}-floor", rm=True,
                                   network_mode="host", nocache=True, decode=True):
        if "error" in _chunk:
            raise RuntimeError(_chunk["error"])
    return time.monotonic() - started


BYTECODE: Path | None = None   # --bytecode: where the whole command's .pyc files go


def _whole(project: Path) -> float:
    """Wall time of the whole `cog build` command, as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if BYTECODE is not None:
        # As a pip-installed cog_py runs: its modules' bytecode written once and read after
        # (the checkout has none, and PYTHONDONTWRITEBYTECODE in the environment forbids it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cog_py.cli.main", "build", "-t", TAG, "--progress", "quiet"],
                          cwd=project, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return took


def _whole_floor(project: Path) -> float:
    """Wall time of the whole floor command: `docker build` (classic builder) copying the project."""
    dockerfile = project.parent / "Dockerfile.floor"
    dockerfile.write_text(f"FROM {TAG}\nCOPY . /src/\n")
    ignore = project / ".dockerignore"
    saved = ignore.read_text() if ignore.is_file() else None
    ignore.write_text((saved or "") + "\n.cog\n")
    try:
        started = time.monotonic()
        subprocess.run(["/usr/bin/docker", "build", "-q", "--network", "host", "-f", str(dockerfile),
                        "-t", f"{TAG}-floor", str(project)], check=True, capture_output=True,
                       env=dict(os.environ, DOCKER_BUILDKIT="0"))
        return time.monotonic() - started
    finally:
        if saved is None:
            ignore.unlink()
        else:
            ignore.write_text(saved)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _layers(client: Any, image: str) -> list[dict[str, Any]]:
    return list(client.api.history(image))


def main() -> int:
    global BYTECODE
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", default="blur")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--whole", type=int, default=7, help="pairs of (whole cog build, whole floor) after edits")
    parser.add_argument("--bytecode", action="store_true",
                        help="let the whole command write and read .pyc files (as an installed cog_py has them)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cog-py-bench-"))
    os.environ["COG_PY_CACHE_DIR"] = str(work / "cache")
    project = work / args.example
    shutil.copytree(REPO / "examples" / args.example, project, ignore=shutil.ignore_patterns(".cog", "__pycache__"))
    client = connect()
    # Pin the runtime wheel: in a checkout others edit, its hash would change between builds.
    from cog_py.build.wheel import runtime_wheel

    pinned = work / runtime_wheel().name
    shutil.copy2(runtime_wheel(), pinned)
    os.environ["COG_PY_RUNTIME_WHEEL"] = str(pinned)
    if args.bytecode:
        BYTECODE = work / "pyc"
    try:
        cold = _build(project, no_cache=True)
        # The second build also records the freeze, so later code-only builds label in one pass.
        warm = _build(project)
        with (project / "predict.py").open("a") as fh:
            fh.write("\n# edited by build_bench\n")
        rebuild = _build(project)
        floor = _floor(client, project)
        if BYTECODE is not None:
            _whole(project)   # writes the bytecode
        whole: list[float] = []
        whole_floor: list[float] = []
        loads = [_load()]
        for i in range(args.whole):
            with (project / "predict.py").open("a") as fh:
                fh.write(f"\n# edit {i}\n")
            if i % 2 == 0:   # alternate which of the pair goes first
                w = _whole(project)
                f = _whole_floor(project)
            else:
                f = _whole_floor(project)
                w = _whole(project)
            whole.append(w)
            whole_floor.append(f)
        loads.append(_load())

        config = load_config(cwd=project).config
        base = f"python:{config.build.python_version}-slim"
        image_size = int(client.images.get(TAG).attrs["Size"])
        base_size = int(client.images.get(base).attrs["Size"])
        history = _layers(client, TAG)
        user_pkgs = sum(h["Size"] for h in history if "/tmp/requirements.txt" in (h.get("CreatedBy") or "")
                        and "pip install" in (h.get("CreatedBy") or ""))
        # The code layer(s) above the dependency image's last instruction (its CMD): committed by
        # cog_py ("COPY src/ /src/ (cog_py: ...)") or a builder's COPY.
        source = 0
        for h in history:
            created_by = h.get("CreatedBy") or ""
            if "CMD [" in created_by:
                break
            if any(mark in created_by for mark in ("COPY dir:", "COPY file:", "COPY src/ /src/")):
                source += h["Size"]
        runtime = image_size - base_size - user_pkgs - source
        report = {
            "example": args.example,
            "cold_build_s": round(cold, 2),
            "second_build_s": round(warm, 2),
            "rebuild_after_predict_edit_s": round(rebuild, 2),
            "floor_s": round(floor, 2),
            "rebuild_over_floor": round(rebuild / floor, 2),
            "image_mb": round(image_size / 1e6, 1),
            "base_mb": round(base_size / 1e6, 1),
            "user_packages_mb": round(user_pkgs / 1e6, 1),
            "project_files_mb": round(source / 1e6, 2),
            "runtime_mb": round(runtime / 1e6, 1),
            "whole_cog_build_s": [round(w, 3) for w in whole],
            "whole_floor_s": [round(w, 3) for w in whole_floor],
            "whole_cog_build_median_s": round(statistics.median(whole), 3) if whole else None,
            "whole_floor_median_s": round(statistics.median(whole_floor), 3) if whole else None,
            "whole_delta_median_s": round(statistics.median(whole) - statistics.median(whole_floor), 3) if whole else None,
            "whole_delta_per_pair_s": [round(a - b, 3) for a, b in zip(whole, whole_floor)],
            "load_average_before_after": loads,
            "bytecode": BYTECODE is not None,
            "targets": {"rebuild_over_floor": "<= 3", "runtime_mb": "< 40", "whole_delta_median_s": "<= 0.35"},
        }
    finally:
        for tag in (TAG, f"{TAG}-floor"):
            try:
                client.images.remove(tag, force=True)
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
        client.close()
        shutil.rmtree(work, ignore_errors=True)
    for key, value in report.items():
        if key != "targets":
            print(f"{key:32} {value}")
    print(f"{'targets':32} rebuild/floor <= 3, runtime < 40 MB, whole cog build - whole floor <= 0.35 s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
