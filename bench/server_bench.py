#!/usr/bin/env python3
"""cog_py's server against Cog's runtimes: run the shared harness N times, print the ratio table.

    python bench/server_bench.py                  # 3 runs (about 4 min each on 2 cores), then the table
    python bench/server_bench.py --runs 1 --quick # smoke test
    python bench/server_bench.py --table bench/results/run-*.json   # the table from earlier runs
    python bench/server_bench.py --models file-out --only-targets coglet-0.23.1,cog_py   # file outputs

The harness (/work/shared/bench/serverbench.py, read-only) starts every target of
bench/targets.json on every workload, pinned to CPU 0 with the load generator on CPU 1, and
writes one JSON per run under bench/results/ (git-ignored). Each figure below is the median
over the runs of the raw values; the ratio is taken between the medians, and the spread of the
per-run ratios is shown beside it. Timings are never asserted by tests: this is a report.

Needs the venvs of /work/shared/bench/setup_venvs.sh plus /tmp/bench-venvs/ours:
    python3 -m venv /tmp/bench-venvs/ours
    /tmp/bench-venvs/ours/bin/pip install -e '.[server]' orjson
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
HARNESS = Path(os.environ.get("SERVERBENCH", "/work/shared/bench/serverbench.py"))
BENCH_PYTHON = os.environ.get("BENCH_PYTHON", "/tmp/bench-venvs/bench/bin/python")
MODELS = "hello,hello-async,sleep,sleep-async"
OURS, COGLET, FASTAPI = "cog_py", "coglet-0.23.1", "ref-fastapi-uvicorn"

Run = dict[tuple[str, str], dict[str, Any]]


def targets_file(ours_venv: str | None, results: Path) -> Path:
    """bench/targets.json, with our target's venv replaced when asked (several checkouts, one /tmp)."""
    if not ours_venv:
        return HERE / "targets.json"
    doc = json.loads((HERE / "targets.json").read_text())
    for target in doc["targets"]:
        if target["name"] == OURS:
            target["venv"] = ours_venv
    path = results / "targets-ours-venv.json"
    path.write_text(json.dumps(doc, indent=1))
    return path


def run_harness(out: Path, *, quick: bool, models: str, extra: list[str], targets: Path = HERE / "targets.json") -> None:
    cmd = [BENCH_PYTHON, str(HARNESS), "run", "--targets", str(targets),
           "--only-models", models, "--out", str(out), *extra]
    if quick:
        cmd.append("--quick")
    env = dict(os.environ, BENCH_RESULTS=str(out.parent))
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, env=env, check=True)
    # coglet never removes its per-prediction directories (the harness counted them already).
    shutil.rmtree("/tmp/coglet/predictions", ignore_errors=True)


def load(path: Path) -> Run:
    doc = json.loads(path.read_text())
    return {(r["target"], r["model"]): r for r in doc["runs"] if "error" not in r}


# -- figures: each reads one number from one (target, model) result ------------------------------
def phase(name: str, *keys: str) -> Callable[[dict[str, Any]], float | None]:
    def get(r: dict[str, Any]) -> float | None:
        value: Any = r.get("phases", {}).get(name, {})
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        return value

    return get


def cpu_per_409(r: dict[str, Any]) -> float | None:
    """Server CPU (ms) per 409 in the C=16 window of a one-slot model, net of the successful ones.

    With the 50 ms `sleep` model almost every request in that window is a 409; the few that
    succeed are charged at their own C=1 cost and subtracted.
    """
    c16, c1 = r["phases"].get("c16"), r["phases"].get("c1")
    if not c16 or not c1:
        return None
    n409 = c16["counts"].get("http_409", 0)
    if not n409:
        return None
    cpu_ms = c16["server_cpu_pct"] / 100.0 * c16["window_s"] * 1000.0
    ok = c16["counts"].get("ok", 0)
    return max(0.0, cpu_ms - ok * (c1.get("server_cpu_ms_per_ok") or 0.0)) / n409


def seq_409s(r: dict[str, Any]) -> float:
    """409s answered to a client that sends one request at a time (seq and C=1 phases)."""
    return float(sum(r["phases"].get(p, {}).get("counts", {}).get("http_409", 0) for p in ("seq", "c1")))


def files_per_prediction(r: dict[str, Any]) -> float | None:
    growth = r.get("watch_dirs_growth")
    if growth is None:
        return None
    answered = sum(sum(p.get("counts", {}).values()) for p in r.get("phases", {}).values())
    answered += r.get("first_predict", {}).get("n", 0)
    return sum(growth.values()) / max(1, answered)


# (label, model, getter, compare-with, kind, target): kind "ratio" = ours/other, "delta" = ours-other,
# "abs" = our value alone. A target "<=x"/">=x" is checked against the median figure.
FIGURES: list[tuple[str, str, Callable[[dict[str, Any]], Any], str, str, str]] = [
    ("server CPU ms per ok hello (C=1)", "hello", phase("c1", "server_cpu_ms_per_ok"), COGLET, "ratio", "<=0.5"),
    ("sequential hello p50 ms", "hello", phase("seq", "latency", "p50_ms"), COGLET, "ratio", "<=0.5"),
    ("hello ok req/s, 1 client", "hello", phase("c1", "ok_rps"), COGLET, "ratio", ">=2"),
    ("async hello ok req/s, 16 clients", "hello-async", phase("c16", "ok_rps"), COGLET, "ratio", ">=4"),
    ("50 ms async sleep ok req/s, 16 clients", "sleep-async", phase("c16", "ok_rps"), COGLET, "ratio", ">=1.0"),
    ("cold start to READY ms (hello)", "hello", lambda r: r["cold_start"]["median_ms"], FASTAPI, "delta", "<=30"),
    ("idle RSS MB of the process tree", "hello", lambda r: r["idle_rss_mb"], COGLET, "ratio", "<=0.8"),
    ("server CPU ms per 409 (sleep, C=16)", "sleep", cpu_per_409, COGLET, "abs", "<=0.03"),
    ("409s seen by a sequential client (hello)", "hello", seq_409s, COGLET, "abs", "<=0"),
    ("409s seen by a sequential client (sleep)", "sleep", seq_409s, COGLET, "abs", "<=0"),
    ("files left on disk per prediction (hello)", "hello", files_per_prediction, COGLET, "abs", "<=0"),
    ("server CPU ms per ok 100 KB file output (C=1)", "file-out", phase("c1", "server_cpu_ms_per_ok"), COGLET, "ratio",
     "<=0.6"),
    ("100 KB file output ok req/s, 1 client", "file-out", phase("c1", "ok_rps"), COGLET, "ratio", ">=1.0"),
    ("100 KB file output ok req/s, 16 clients", "file-out", phase("c16", "ok_rps"), COGLET, "ratio", ">=1.0"),
    # Issue 17's floors: the bare FastAPI+uvicorn app in the same run ("model@target": the other
    # side runs another workload; the bare app has no async hello, so its sync hello is the floor).
    ("server CPU ms per ok hello (C=1) vs the bare app", "hello", phase("c1", "server_cpu_ms_per_ok"), FASTAPI,
     "ratio", "<=1.5"),
    ("sequential hello p50 ms vs the bare app", "hello", phase("seq", "latency", "p50_ms"), FASTAPI, "ratio", "<=1.3"),
    ("async hello ok req/s, 16 clients vs the bare app's sync hello", "hello-async", phase("c16", "ok_rps"),
     "hello@" + FASTAPI, "ratio", ">=1.0"),
]


def _other(spec: str, model: str) -> tuple[str, str]:
    """'target' or 'model@target': whom a figure compares with, and on which workload."""
    if "@" in spec:
        other_model, target = spec.split("@", 1)
        return target, other_model
    return spec, model


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(v: float | None, nd: int = 3) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{nd}g}" if abs(v) < 1000 else f"{v:.0f}"


def _ok(value: float | None, target: str) -> str:
    if value is None:
        return "?"
    bound = float(target[2:])
    return "yes" if (value <= bound + 1e-12 if target.startswith("<=") else value >= bound) else "NO"


def _pair(run: Run, target: str, model: str, get: Callable[[dict[str, Any]], Any]) -> float | None:
    r = run.get((target, model))
    if r is None:
        return None
    try:
        value = get(r)
    except (KeyError, TypeError, ZeroDivisionError):
        return None
    return None if value is None else float(value)


def table(runs: list[Run]) -> str:
    head = ("| figure | cog_py | vs | other | ratio / delta (median of runs) | per-run | target | met |\n"
            "|---|---|---|---|---|---|---|---|")
    lines = [head]
    for label, model, get, spec, kind, target in FIGURES:
        other, other_model = _other(spec, model)
        ours_v = [v for run in runs if (v := _pair(run, OURS, model, get)) is not None]
        other_v = [v for run in runs if (v := _pair(run, other, other_model, get)) is not None]
        ours_m, other_m = _median(ours_v), _median(other_v)
        per_run: list[float] = []
        for run in runs:
            a, b = _pair(run, OURS, model, get), _pair(run, other, other_model, get)
            if a is None or b is None:
                continue
            if kind == "ratio" and b:
                per_run.append(a / b)
            elif kind == "delta":
                per_run.append(a - b)
        if kind == "ratio":
            figure = ours_m / other_m if ours_m is not None and other_m else None
            shown = f"{_fmt(figure)}x"
        elif kind == "delta":
            figure = ours_m - other_m if ours_m is not None and other_m is not None else None
            shown = f"{figure:+.0f} ms" if figure is not None else "n/a"
        else:
            figure = ours_m
            shown = _fmt(figure)
        spread = ", ".join(_fmt(v) for v in per_run) if per_run else ", ".join(_fmt(v) for v in ours_v)
        lines.append(f"| {label} | {_fmt(ours_m)} | {spec} | {_fmt(other_m)} | {shown} | {spread} | {target} "
                     f"| {_ok(figure, target)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the harness's short smoke settings")
    parser.add_argument("--models", default=MODELS)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--table", nargs="+", type=Path, metavar="JSON", help="only print the table of these runs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to the harness")
    parser.add_argument("--only-targets", help="passed to the harness (comma-separated target names)")
    parser.add_argument("--ours-venv", help="our target's venv instead of /tmp/bench-venvs/ours")
    args = parser.parse_args(argv)
    if args.table:
        paths = args.table
    else:
        if not HARNESS.is_file() or not Path(BENCH_PYTHON).exists():
            print(f"need {HARNESS} and {BENCH_PYTHON}: run /work/shared/bench/setup_venvs.sh", file=sys.stderr)
            return 2
        args.results.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        extra = [x for kv in args.set for x in ("--set", kv)]
        if args.only_targets:
            extra += ["--only-targets", args.only_targets]
        targets = targets_file(args.ours_venv, args.results)
        paths = []
        for i in range(args.runs):
            out = args.results / f"run-{stamp}-{i + 1}.json"
            run_harness(out, quick=args.quick, models=args.models, extra=extra, targets=targets)
            paths.append(out)
    runs = [load(p) for p in paths]
    print()
    print(f"cog_py server vs coglet 0.23.1 and bare FastAPI+uvicorn, {len(runs)} run(s): "
          + ", ".join(p.name for p in paths))
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
