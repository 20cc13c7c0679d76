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

    python bench/build_bench.py [--example blur] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
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

TAG = "cog-py-bench-build"


def _build(project: Path, **settings: Any) -> float:
    config = load_config(cwd=project).config
    started = time.monotonic()
    verbose = os.environ.get("BENCH_VERBOSE") == "1"
    say = (lambda m: print(f"  {time.monotonic() - started:6.2f} {m[:100]}", file=sys.stderr)) if verbose else (lambda _m: None)
    build_image(config, BuildSettings(tag=TAG, progress="auto" if verbose else "quiet", **settings), say)
    return time.monotonic() - started


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


def _layers(client: Any, image: str) -> list[dict[str, Any]]:
    return list(client.api.history(image))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", default="blur")
    parser.add_argument("--json", type=Path)
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
    try:
        cold = _build(project, no_cache=True)
        # The second build also records the freeze, so later code-only builds label in one pass.
        warm = _build(project)
        with (project / "predict.py").open("a") as fh:
            fh.write("\n# edited by build_bench\n")
        rebuild = _build(project)
        floor = _floor(client, project)

        config = load_config(cwd=project).config
        base = f"python:{config.build.python_version}-slim"
        image_size = int(client.images.get(TAG).attrs["Size"])
        base_size = int(client.images.get(base).attrs["Size"])
        history = _layers(client, TAG)
        user_pkgs = sum(h["Size"] for h in history if "/tmp/requirements.txt" in (h.get("CreatedBy") or "")
                        and "pip install" in (h.get("CreatedBy") or ""))
        source = sum(h["Size"] for h in history[:8] if "COPY dir:" in (h.get("CreatedBy") or "")
                     or "COPY file:" in (h.get("CreatedBy") or ""))
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
            "targets": {"rebuild_over_floor": "<= 3", "runtime_mb": "< 40"},
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
    print(f"{'targets':32} rebuild/floor <= 3, runtime < 40 MB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
