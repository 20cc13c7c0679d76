"""Check prediction inputs against the model's `Input` schema with Cog's CLI messages.

Runs before any build or container starts. Unknown names are reported on their own first
(as Cog does); then every other problem is collected, in the schema's input order.
"""

from __future__ import annotations

import math
import re
from typing import Any

from cog_py.errors import InputValidationError
from cog_py.predict.schema import JSON, ModelSchema, json_type


def check_unknown(schema: ModelSchema, payload: dict[str, Any]) -> None:
    """Raise when the payload names inputs the model does not have."""
    known = [name for name, _ in schema.input_properties()]
    unknown = [name for name in payload if name not in known]
    if not unknown:
        return
    quoted = ", ".join(f'"{n}"' for n in unknown)
    noun = "input" if len(unknown) == 1 else "inputs"
    tail = f"valid inputs are: {', '.join(known)}" if known else "model does not accept inputs"
    raise InputValidationError([(unknown[0], f"unknown {noun} {quoted}; {tail}")])


def validate_payload(schema: ModelSchema, payload: dict[str, Any]) -> None:
    """Raise `InputValidationError` listing every problem with `payload`."""
    check_unknown(schema, payload)
    required = set(schema.required_inputs())
    errors: list[tuple[str, str]] = []
    for name, prop in schema.input_properties():
        if name not in payload:
            if name in required:
                errors.append((name, f'missing required input "{name}"'))
            continue
        reason = problem(schema, prop, payload[name])
        if reason is not None:
            errors.append((name, f'invalid input "{name}": {reason}'))
    if errors:
        raise InputValidationError(errors)


def problem(schema: ModelSchema, prop: JSON, value: Any) -> str | None:
    """Return why `value` does not fit `prop`, or None when it does."""
    if value is None:
        return "must not be null (omit the input to use its default)"
    return _check(schema, schema.resolve(prop), value)


def _check(schema: ModelSchema, prop: JSON, value: Any) -> str | None:
    alts = prop.get("anyOf") or prop.get("oneOf")
    if isinstance(alts, list) and alts:
        reasons = [_check(schema, schema.resolve(m), value) for m in alts]
        if any(r is None for r in reasons):
            return None
        types = [t for t in (schema.resolve(m).get("type") for m in alts) if isinstance(t, str)]
        if json_type(value) not in _widen(types):
            return f"expected {' or '.join(dict.fromkeys(types))}, got {json_type(value)}"
        return next(r for r in reasons if r is not None)
    if value is None:
        return "must not be null (omit the input to use its default)"
    kind = prop.get("type")
    if isinstance(kind, str) and json_type(value) not in _widen([kind]):
        return f"expected {kind}, got {json_type(value)}"
    if "enum" in prop and value not in prop["enum"]:
        return "must be one of: " + ", ".join(_show(v) for v in prop["enum"])
    return _constraints(schema, prop, value)


def _widen(types: list[str]) -> set[str]:
    """JSON Schema's `number` accepts integers too."""
    out = set(types)
    if "number" in out:
        out.add("integer")
    return out


def _constraints(schema: ModelSchema, prop: JSON, value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if "minimum" in prop and value < prop["minimum"]:
            return f"must be greater than or equal to {_show(prop['minimum'])}"
        if "maximum" in prop and value > prop["maximum"]:
            return f"must be less than or equal to {_show(prop['maximum'])}"
    if isinstance(value, str):
        if "minLength" in prop and len(value) < prop["minLength"]:
            return f"length must be at least {prop['minLength']}"
        if "maxLength" in prop and len(value) > prop["maxLength"]:
            return f"length must be at most {prop['maxLength']}"
        pattern = prop.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            return f"does not match pattern {pattern!r}"
    if isinstance(value, list):
        if "minItems" in prop and len(value) < prop["minItems"]:
            return f"must have at least {prop['minItems']} items"
        if "maxItems" in prop and len(value) > prop["maxItems"]:
            return f"must have at most {prop['maxItems']} items"
        items = prop.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                reason = _check(schema, schema.resolve(items), item)
                if reason is not None:
                    return f"item {i}: {reason}"
    return None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
