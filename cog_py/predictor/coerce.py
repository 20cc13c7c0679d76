"""Prediction inputs: JSON payload -> keyword arguments for predict(), as Cog prepares them.

`validate_inputs(info, payload)` is the CLI's preflight check (no file I/O, Cog's CLI
messages). `prepare_inputs(info, payload, tmpdir=...)` is what the worker runs: unknown keys
are stripped, the payload is validated (Cog's runtime messages), omitted Optional inputs
become None, and Path/File/Secret values (also inside list[...] and Optional) are turned
into objects: URLs and `data:` URIs are downloaded into `tmpdir`, keeping their file names.
A `str` input holding a URL stays a str.

Errors are `InputValidationError`; each carries `.details`, the 422 `detail` entries
(`{"loc": ["body", "input", name], "msg": ..., "type": ...}`). A download that fails raises
`InputPreparationError` (a subclass): Cog answers that one with a failed prediction.
"""

from __future__ import annotations

import concurrent.futures
import os
from dataclasses import dataclass, field
from pathlib import Path as _StdPath
from typing import Any, Callable

from cog_py.errors import InputPreparationError as InputPreparationError  # re-exported
from cog_py.errors import InputValidationError
from cog_py.predictor.adt import InputField, Kind, PredictorInfo, TypeRef
from cog_py.predictor.openapi import input_schema
from cog_py.predictor.validate import validate_cli_inputs, validate_server_inputs
from cog_py.types import File, Path, Secret, URLPath

_MAX_DOWNLOAD_WORKERS = 8


class InputsCanceled(Exception):
    """The prediction was canceled while its file inputs were being fetched."""


Fetch = Callable[[URLPath, _StdPath], Any]


_DOCUMENTS: dict[int, tuple[PredictorInfo, dict[str, Any]]] = {}


def _document(info: PredictorInfo) -> dict[str, Any]:
    # Built once per predictor: the worker validates every request against the same document
    # (read-only), and rendering it is most of the cost of a small prediction.
    cached = _DOCUMENTS.get(id(info))
    if cached is not None and cached[0] is info:
        return cached[1]
    title = "TrainingInput" if info.mode == "train" else "Input"
    component, enums = input_schema(info, title)
    schemas = {title: component, **dict(enums)}
    doc = {"components": {"schemas": schemas}}
    _DOCUMENTS[id(info)] = (info, doc)
    return doc


def validate_inputs(info: PredictorInfo, payload: dict[str, Any]) -> dict[str, Any]:
    """Check `-i`/`--json` inputs before any build, with Cog's CLI messages; return them."""
    return validate_cli_inputs(_document(info), payload, train=info.mode == "train")


@dataclass
class PreparedInputs:
    """Keyword arguments for predict(); `cleanup()` removes downloaded files."""

    kwargs: dict[str, Any]
    paths: list[str] = field(default_factory=list)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def cleanup(self) -> None:
        """Delete every temporary file made for these inputs (safe to call twice)."""
        for path in self.paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.paths.clear()
        for fn in self._cleanups:
            fn()
        self._cleanups.clear()


def prepare_inputs(info: PredictorInfo, payload: dict[str, Any] | None, *, tmpdir: _StdPath | str,
                   fetch: Fetch | None = None, cancelled: Callable[[], bool] | None = None) -> PreparedInputs:
    """Validate and convert a prediction's `input` object (see the module docstring).

    `fetch(url, directory)` writes one URL input to a file (default `URLPath.convert`);
    `cancelled()` is polled while fetching: when it turns true, InputsCanceled is raised at once
    (a fetch still running finishes or times out on its own thread and removes its file).
    """
    doc = _document(info)
    kwargs = validate_server_inputs(doc, payload, train=info.mode == "train")
    prepared = PreparedInputs(kwargs)
    pending: list[tuple[str, int | None, URLPath]] = []
    try:
        for f in info.inputs:
            if f.name in kwargs and kwargs[f.name] is not None:
                kwargs[f.name] = _convert(f, kwargs[f.name], pending)
        if pending:
            _download_all(kwargs, pending, _StdPath(tmpdir), prepared, fetch, cancelled)
    except BaseException:
        prepared.cleanup()
        raise
    return prepared


def _convert_one(ref: TypeRef, value: Any) -> Any:
    if ref.kind is Kind.PATH:
        return Path.validate(value)
    if ref.kind is Kind.FILE:
        return File.validate(value)
    if ref.kind is Kind.SECRET:
        return Secret(value)
    return value


def _convert(f: InputField, value: Any, pending: list[tuple[str, int | None, URLPath]]) -> Any:
    ref = f.type
    try:
        if ref.kind is Kind.LIST and ref.item is not None and ref.item.kind in (Kind.PATH, Kind.FILE, Kind.SECRET):
            items = [_convert_one(ref.item, v) for v in value]
            for index, item in enumerate(items):
                if isinstance(item, URLPath):
                    pending.append((f.name, index, item))
            return items
        converted = _convert_one(ref, value)
    except (TypeError, ValueError) as exc:
        _raise_preparation(f.name, str(exc))
    if isinstance(converted, URLPath):
        pending.append((f.name, None, converted))
    return converted


def _raise_preparation(name: str, msg: str) -> None:
    error = InputPreparationError([(name, msg)])
    error.details = [{"loc": ["body", "input", name], "msg": msg, "type": "value_error"}]  # type: ignore[attr-defined]
    raise error


def _download_all(
    kwargs: dict[str, Any], pending: list[tuple[str, int | None, URLPath]], tmpdir: _StdPath, prepared: PreparedInputs,
    fetch: Fetch | None = None, cancelled: Callable[[], bool] | None = None,
) -> None:
    """Fetch every URL input in parallel; put the local Paths in place of the URLPaths."""
    if not pending:
        return
    tmpdir.mkdir(parents=True, exist_ok=True)
    workers = min(_MAX_DOWNLOAD_WORKERS, len(pending))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [(name, index, url, pool.submit(fetch or URLPath.convert, url, tmpdir)) for name, index, url in pending]
        if cancelled is not None:
            waiting = {future for *_, future in futures}
            while waiting:
                _, waiting = concurrent.futures.wait(waiting, timeout=0.1)
                if cancelled():
                    for *_, future in futures:   # files of finished fetches are removed by the caller
                        if future.done() and future.exception() is None:
                            prepared.paths.append(str(future.result()))
                        else:
                            future.add_done_callback(_discard)
                    raise InputsCanceled()
        failure: tuple[str, str] | None = None
        for name, index, url, future in futures:
            try:
                local = future.result()
            except Exception as exc:  # noqa: BLE001 - reported as the input's error
                if failure is None:
                    failure = (name, f"failed to download input {name!r} from {_shown(url.source)}: "
                                     f"{type(exc).__name__}: {exc}")
                continue
            prepared.paths.append(str(local))
            if index is None:
                kwargs[name] = local
            else:
                kwargs[name][index] = local
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if failure is not None:
        prepared.cleanup()
        _raise_preparation(*failure)


def _discard(future: concurrent.futures.Future[Any]) -> None:
    """Remove the file of a fetch that finished after its prediction was canceled."""
    if not future.cancelled() and future.exception() is None:
        try:
            os.unlink(future.result())
        except OSError:
            pass


def _shown(url: str) -> str:
    return url if not url.startswith("data:") else url[:40] + "..."
