"""Turn `-i name=value` flags or a `--json` document into the request's `input` object.

Values from `-i` are strings; they are coerced using the property's schema (Cog's rules):
objects are parsed as JSON, arrays take a JSON array or wrap a single value, scalars become
bool/int/float when the schema accepts those (and, for unions with `string`, only when the
candidate fits). `@path` reads a local file and sends it as a data URL.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from cog_py.errors import CogError, InputValidationError, UsageError
from cog_py.run.mime import encode_file
from cog_py.run.schema import JSON, ModelSchema
from cog_py.run.validate import check_unknown, problem, validate_payload

_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def parse_input_flags(flags: Sequence[str]) -> dict[str, list[str]]:
    """Split each `name=value` on the first `=`; repeated names collect their values in order."""
    parsed: dict[str, list[str]] = {}
    for flag in flags:
        if "=" not in flag:
            raise UsageError(f"Failed to parse input '{flag}', expected format is 'name=value'")
        name, value = flag.split("=", 1)
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        parsed.setdefault(name, []).append(value)
    return parsed


def read_json_inputs(source: str, *, stdin: IO[str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Read `--json`: literal JSON, `@file`, or `-`/`@-` for stdin. Must be a JSON object."""
    if source in ("-", "@-"):
        text = (stdin or sys.stdin).read()
        where = "stdin"
    elif source.startswith("@"):
        path = _local_path(source[1:], cwd)
        try:
            text = path.read_text()
        except OSError as exc:
            raise UsageError(f"Failed to read JSON inputs from {path}: {exc.strerror or exc}") from exc
        where = str(path)
    else:
        text, where = source, "--json"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"Failed to parse JSON inputs from {where}: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError(f"JSON inputs from {where} must be an object, like {{\"name\": \"value\"}}")
    return value


def build_payload(
    schema: ModelSchema,
    *,
    flags: Sequence[str] = (),
    json_source: str | None = None,
    stdin: IO[str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Parse, coerce and validate inputs; files become data URLs. Raises before anything runs."""
    if flags and json_source is not None:
        raise UsageError("Must use one of --json or --input to provide model inputs")
    if json_source is not None:
        payload = read_json_inputs(json_source, stdin=stdin, cwd=cwd)
        check_unknown(schema, payload)
        payload = {k: _files_in_json(v, cwd) for k, v in payload.items()}
    else:
        parsed = parse_input_flags(flags)
        check_unknown(schema, parsed)
        props = dict(schema.input_properties())
        payload = {name: coerce_flag(schema, props[name], values, cwd=cwd) for name, values in parsed.items()}
    validate_payload(schema, payload)
    return payload


def coerce_flag(schema: ModelSchema, prop: JSON, values: list[str], *, cwd: Path | None = None) -> Any:
    """Coerce the string value(s) of one `-i` name to what its schema expects."""
    prop = schema.resolve(prop)
    accepted = schema.accepted_types(prop)
    if len(values) > 1:
        item = _array_item(schema, prop)
        return [_coerce_one(schema, item, v, cwd) for v in values]
    value = values[0]
    if value.startswith("@"):
        return _wrap_if_array(accepted, encode_file(_local_path(value[1:], cwd)))
    if "array" in accepted:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
        if "string" in accepted:
            return value
        return [_coerce_one(schema, _array_item(schema, prop), value, cwd)]
    return _coerce_one(schema, prop, value, cwd)


def _coerce_one(schema: ModelSchema, prop: JSON, value: str, cwd: Path | None) -> Any:
    if value.startswith("@"):
        return encode_file(_local_path(value[1:], cwd))
    accepted = schema.accepted_types(prop)
    if "object" in accepted and not ({"string"} & accepted):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise UsageError(f"Failed to parse input '{value}' as JSON: {exc}") from exc
    candidate: Any = None
    if value in ("true", "false") and "boolean" in accepted:
        candidate = value == "true"
    elif _INT.match(value) and {"integer", "number"} & accepted:
        candidate = int(value)
    elif _FLOAT.match(value) and "number" in accepted:
        candidate = float(value)
    if candidate is None:
        return value
    if "string" in accepted and problem(schema, prop, candidate):
        return value
    return candidate


def _array_item(schema: ModelSchema, prop: JSON) -> JSON:
    for member in schema.members(prop):
        if member.get("type") == "array":
            return schema.resolve(member.get("items") or {})
    return {}


def _wrap_if_array(accepted: set[str], value: str) -> Any:
    return [value] if "array" in accepted and "string" not in accepted else value


def _files_in_json(value: Any, cwd: Path | None) -> Any:
    """In `--json` documents, strings starting with `@` name local files to send."""
    if isinstance(value, str) and value.startswith("@"):
        return encode_file(_local_path(value[1:], cwd))
    if isinstance(value, list):
        return [_files_in_json(v, cwd) for v in value]
    return value


def _local_path(raw: str, cwd: Path | None) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute() and cwd is not None:
        path = cwd / path
    return path


__all__ = [
    "InputValidationError",
    "build_payload",
    "coerce_flag",
    "parse_input_flags",
    "read_json_inputs",
]
