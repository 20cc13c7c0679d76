"""Render a prediction response the way Cog's CLI does (cog-anatomy §1.4.4).

Strings are printed raw, other values as 2-space JSON, file outputs (data URLs) are written to
`output.<ext>` (lists: `output.0.<ext>`, ...) or the `-o` path; `--json` prints the whole
response. Human messages go through `log`/`warn`; results go to `stdout`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cog_py.errors import CogError, UsageError
from cog_py.run.mime import decode_data_url, extension_for_mime, is_data_url
from cog_py.run.schema import JSON, is_uri

Say = Callable[[str], None]


class PredictionFailed(CogError):
    """The model answered, but the prediction did not succeed (exit status 1)."""


@dataclass(frozen=True)
class OutputOptions:
    """Where and how to render one response."""

    output_path: str | None = None   # `-o` as given
    json_mode: bool = False          # `--json`: print the whole response
    default_name: str = "output"     # `weights` for `cog train`
    always_write: bool = False       # `cog train`: non-file outputs land in the file too


def resolve_output_path(opts: OutputOptions, *, cwd: Path) -> Path:
    """Decide the output file path and check that its directory can be written."""
    default = opts.default_name + (".json" if opts.json_mode else "")
    if opts.output_path:
        raw = opts.output_path[1:] if opts.output_path.startswith("@") else opts.output_path
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else cwd / path
        if path.is_dir():
            path = path / default
    else:
        path = cwd / default
        if path.is_dir():
            raise UsageError(f'Default output name "{default}" conflicts with directory, provide --output')
    parent = path.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(f"Output directory is not writable: {parent}")
    return path


def ordered_response(response: dict[str, Any]) -> dict[str, Any]:
    """The response as `--json` prints it: status, output, error ("" when absent), metrics (sorted)."""
    metrics = response.get("metrics") or {}
    return {
        "status": response.get("status"),
        "output": response.get("output"),
        "error": response.get("error") or "",
        "metrics": {k: metrics[k] for k in sorted(metrics)},
    }


def to_json_text(value: Any) -> str:
    """2-space JSON; integral floats print as integers, as Cog's Go CLI prints them."""
    return json.dumps(_go_numbers(value), indent=2, ensure_ascii=False)


def render_response(
    response: dict[str, Any],
    output_schema: JSON,
    opts: OutputOptions,
    *,
    cwd: Path,
    stdout: IO[str],
    log: Say,
    warn: Say,
    printed_stream: bool = False,
) -> None:
    """Print or write the response; raise `PredictionFailed` when it did not succeed.

    `printed_stream` says the output was already printed chunk by chunk (SSE), so a string
    result is not printed again.
    """
    status = response.get("status")
    if opts.json_mode:
        text = to_json_text(ordered_response(response)) + "\n"
        if opts.output_path:
            path = resolve_output_path(opts, cwd=cwd)
            if path.suffix != ".json":
                warn(f"Output path {path} does not end in .json; writing the JSON response there anyway")
            _write(path, text.encode(), log)
        else:
            stdout.write(text)
            stdout.flush()
        if status != "succeeded":
            raise PredictionFailed(f'Prediction failed with status "{status}": {response.get("error") or ""}')
        return
    if status != "succeeded":
        raise PredictionFailed(f'Prediction failed with status "{status}": {response.get("error") or ""}')
    output = response.get("output")
    if output is None:
        warn("No output generated")
        return
    if _is_file_output(output_schema, output):
        write_files(output, resolve_output_path(opts, cwd=cwd), log)
        return
    text = output if isinstance(output, str) else to_json_text(output)
    if opts.output_path or opts.always_write:
        _write(resolve_output_path(opts, cwd=cwd), text.encode(), log)
    elif printed_stream:
        stdout.write("\n")
    else:
        stdout.write(text if text.endswith("\n") else text + "\n")
    stdout.flush()


def write_files(output: Any, path: Path, log: Say) -> list[Path]:
    """Write one data URL to `path`, or a list to `<base>.<i><ext>`; return the paths written."""
    if isinstance(output, list):
        stem, ext = _split_ext(path)
        written = []
        for i, item in enumerate(output):
            written.append(_write_data_url(item, Path(f"{stem}.{i}{ext}"), log))
        return written
    return [_write_data_url(output, path, log)]


def _write_data_url(url: Any, path: Path, log: Say) -> Path:
    if not is_data_url(url):
        # An upload URL or plain path: nothing to decode, show where it is.
        log(f"Output is at: {url}")
        return path
    mime, data = decode_data_url(url)
    stem, ext = _split_ext(path)
    if not ext:
        path = Path(stem + extension_for_mime(mime))
    _write(path, data, log)
    return path


def _split_ext(path: Path) -> tuple[str, str]:
    """Split off an extension; a purely numeric one (`output.0`) does not count."""
    text = str(path)
    ext = path.suffix
    if not ext or ext[1:].isdigit():
        return text, ""
    return text[: -len(ext)], ext


def _write(path: Path, data: bytes, log: Say) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CogError(f"Failed to write output to {path}: {exc.strerror or exc}") from exc
    log(f"Written output to: {_shown(path)}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _is_file_output(schema: JSON, output: Any) -> bool:
    if is_uri(schema):
        return isinstance(output, str)
    if schema.get("type") == "array" and is_uri(schema.get("items") or {}):
        return isinstance(output, list)
    return False


def _go_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    return value
