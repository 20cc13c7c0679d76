"""Everything the server reads at start: command-line flags, environment, `./cog.yaml`.

Start-up inputs follow coglet: the predictor reference, the training reference and the slot
count come from `COG_PREDICT_TYPE_STUB`, `COG_TRAIN_TYPE_STUB` and `COG_MAX_CONCURRENCY`
(baked by the build), falling back to `./cog.yaml` as legacy Cog did; so does the admission
queue (`COG_QUEUE_SIZE`, `concurrency.queue`). cog.yaml is read with
PyYAML, a core dependency of cog_py and so always present in the server's own environment.
Every timing the tests need to shorten has an environment variable (see `Settings`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
TYPE_CHECKING = False   # not typing's: read before the worker is spawned (~8 ms in an image); mypy reads it as True
if TYPE_CHECKING:
    import argparse
    from typing import Any, Mapping
    from dataclasses import dataclass, field
else:   # read before the worker is spawned: no dataclasses start-up cost (see cog_py/_record.py)
    from cog_py._record import dataclass, field

from cog_py.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 5000
    upload_url: str | None = None
    await_explicit_shutdown: bool = False
    mode: str = "predict"
    predict_ref: str | None = None
    train_ref: str | None = None
    max_concurrency: int | None = None     # None: the predictor's @concurrent, else 1
    queue_size: int | None = None          # COG_QUEUE_SIZE / concurrency.queue: None = no queue (409)
    batch_max_size: int | None = None      # COG_BATCH_MAX_SIZE / batch.max_size: batch as @batch does
    batch_max_wait_ms: float | None = None  # COG_BATCH_MAX_WAIT_MS / batch.max_wait_ms (None: @batch's, else 10)
    project_dir: Path = Path(".")
    worker_python: str = sys.executable
    setup_timeout: float | None = None     # COG_SETUP_TIMEOUT
    throttle_interval: float = 0.5         # COG_THROTTLE_RESPONSE_INTERVAL
    stream_history: int = 1024             # COG_STREAM_HISTORY_CAPACITY
    webhook_auth_token: str | None = field(default=None, repr=False)  # WEBHOOK_AUTH_TOKEN: never in a repr or log
    webhook_retries: int = 12              # COG_WEBHOOK_MAX_RETRIES
    webhook_backoff: float = 0.1           # COG_WEBHOOK_BACKOFF_S: first retry delay, doubled each time
    webhook_timeout: float = 30.0          # COG_WEBHOOK_TIMEOUT_S
    cancel_grace: float = 5.0              # COG_CANCEL_GRACE_S: then the worker is restarted
    shutdown_grace: float = 300.0          # COG_SHUTDOWN_GRACE_S: in-flight predictions may finish
    crash_window: float = 60.0             # COG_WORKER_CRASH_WINDOW_S
    crash_limit: int = 3                   # COG_WORKER_CRASH_LIMIT: deaths in the window => DEFUNCT
    # The parent's backstop for a healthcheck round trip the worker never answers; the user's
    # healthcheck limit (COG_HEALTHCHECK_TIMEOUT, 5 s) is applied by the worker.
    health_backstop: float = 10.0
    log_level: str = "info"
    log_format: str = "json"
    ready_file: Path | None = None         # /var/run/cog/ready under Kubernetes
    max_request_bytes: int = 100 * 1024 * 1024   # COG_MAX_REQUEST_BYTES: larger bodies get 413
    header_timeout: float = 10.0           # COG_HEADER_TIMEOUT_S: a request head must be complete by then
    playground: bool = True                # COG_PLAYGROUND=0: no GET /playground

    @property
    def ref(self) -> str | None:
        return self.train_ref if self.mode == "train" else self.predict_ref

    @property
    def schema_path(self) -> Path:
        return self.project_dir / ".cog" / "openapi_schema.json"


# What parse_args([]) returns: an image's CMD passes no flags, and argparse (with re, gettext:
# ~8 ms) would be imported before the worker is spawned only to say so.
_NO_FLAGS = {"host": "0.0.0.0", "upload_url": None, "await_explicit_shutdown": "false", "mode": "predict",
             "threads": None, "version": False}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    if not (sys.argv[1:] if argv is None else argv):
        from types import SimpleNamespace

        return SimpleNamespace(**_NO_FLAGS)  # type: ignore[return-value]   # the same attributes
    return parser().parse_args(argv)


def parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cog_py.server", description="Cog's in-container HTTP server.")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--upload-url", dest="upload_url", default=None)
    parser.add_argument("--await-explicit-shutdown", dest="await_explicit_shutdown", nargs="?", const="true",
                        default="false")
    parser.add_argument("--x-mode", dest="mode", choices=["predict", "train"], default="predict")
    parser.add_argument("--threads", type=int, default=None, help="accepted for compatibility; ignored")
    parser.add_argument("-v", "--version", action="store_true")
    return parser


def _float(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def _wait_ms(raw: str | None) -> float | None:
    """A batch wait in milliseconds (0 allowed); None when unset or invalid."""
    try:
        value = float((raw or "").strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _capacity(raw: str | None) -> int:
    """COG_STREAM_HISTORY_CAPACITY: 0 disables replay; unset or invalid means 1024."""
    try:
        return max(0, int((raw or "").strip()))
    except ValueError:
        return 1024


def read_cog_yaml(project_dir: Path) -> dict[str, Any]:
    """The keys the server needs from cog.yaml: predict/run, train, concurrency.max and .queue."""
    path = project_dir / "cog.yaml"
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (yaml.YAMLError, RecursionError) as exc:   # RecursionError: nested too deeply
        raise ConfigError(f"cog.yaml: {exc or 'nested too deeply'}") from exc
    if not isinstance(data, dict):
        return {}
    concurrency = data.get("concurrency") or {}
    return {
        "predict": data.get("run") or data.get("predict"),
        "train": data.get("train"),
        "max": concurrency.get("max") if isinstance(concurrency, dict) else None,
        "queue": concurrency.get("queue") if isinstance(concurrency, dict) else None,
        "batch": data.get("batch") if isinstance(data.get("batch"), dict) else None,
    }


def load_settings(args: argparse.Namespace, env: Mapping[str, str] | None = None,
                  cwd: Path | None = None) -> Settings:
    """Combine flags, environment and cog.yaml into Settings."""
    env = os.environ if env is None else env
    project = cwd or Path.cwd()
    predict_ref = env.get("COG_PREDICT_TYPE_STUB") or None
    train_ref = env.get("COG_TRAIN_TYPE_STUB") or None
    slots = _int(env, "COG_MAX_CONCURRENCY", None)
    queue_size = _int(env, "COG_QUEUE_SIZE", None)
    batch_size = _int(env, "COG_BATCH_MAX_SIZE", None)
    batch_wait = _wait_ms(env.get("COG_BATCH_MAX_WAIT_MS"))
    if predict_ref is None and train_ref is None:
        yml = read_cog_yaml(project)
        predict_ref, train_ref = yml.get("predict"), yml.get("train")
        if slots is None and isinstance(yml.get("max"), int) and yml["max"] > 0:
            slots = yml["max"]
        if queue_size is None and isinstance(yml.get("queue"), int) and yml["queue"] > 0:
            queue_size = yml["queue"]
        batch = yml.get("batch") or {}
        if batch_size is None and isinstance(batch.get("max_size"), int) and batch["max_size"] > 0:
            batch_size = batch["max_size"]
        if batch_wait is None:
            batch_wait = _wait_ms(str(batch.get("max_wait_ms", "")))
    explicit = str(args.await_explicit_shutdown).lower() not in ("", "false", "0", "no")
    kubernetes = bool(env.get("KUBERNETES_SERVICE_HOST"))
    return Settings(
        host=args.host,
        port=_int(env, "PORT", 5000) or 5000,
        upload_url=args.upload_url,
        await_explicit_shutdown=explicit,
        mode=args.mode,
        predict_ref=predict_ref,
        train_ref=train_ref,
        max_concurrency=slots,
        queue_size=queue_size,
        batch_max_size=batch_size,
        batch_max_wait_ms=batch_wait,
        project_dir=project,
        worker_python=env.get("COG_WORKER_PYTHON") or sys.executable,
        setup_timeout=_float(env, "COG_SETUP_TIMEOUT", None),
        throttle_interval=_float(env, "COG_THROTTLE_RESPONSE_INTERVAL", 0.5) or 0.5,
        stream_history=_capacity(env.get("COG_STREAM_HISTORY_CAPACITY")),
        webhook_auth_token=env.get("WEBHOOK_AUTH_TOKEN") or None,
        webhook_retries=_int(env, "COG_WEBHOOK_MAX_RETRIES", 12) or 12,
        webhook_backoff=_float(env, "COG_WEBHOOK_BACKOFF_S", 0.1) or 0.1,
        webhook_timeout=_float(env, "COG_WEBHOOK_TIMEOUT_S", 30.0) or 30.0,
        cancel_grace=_float(env, "COG_CANCEL_GRACE_S", 5.0) or 5.0,
        shutdown_grace=_float(env, "COG_SHUTDOWN_GRACE_S", 300.0) or 300.0,
        crash_window=_float(env, "COG_WORKER_CRASH_WINDOW_S", 60.0) or 60.0,
        crash_limit=_int(env, "COG_WORKER_CRASH_LIMIT", 3) or 3,
        log_level=(env.get("COG_LOG_LEVEL") or "info").lower(),
        log_format="console" if env.get("LOG_FORMAT", "").lower() == "console" else "json",
        ready_file=Path(env.get("COG_READY_FILE") or "/var/run/cog/ready") if kubernetes else None,
        max_request_bytes=_int(env, "COG_MAX_REQUEST_BYTES", 100 * 1024 * 1024) or 100 * 1024 * 1024,
        header_timeout=_float(env, "COG_HEADER_TIMEOUT_S", 10.0) or 10.0,
        playground=env.get("COG_PLAYGROUND", "").strip().lower() not in ("0", "false", "no", "off"),
    )
