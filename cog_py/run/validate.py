"""Check prediction inputs against the model's `Input` schema with Cog's CLI messages.

Runs before any build or container starts. The checking itself is `cog_py.predictor.validate`,
the one schema walker that the server edge uses too; this module adapts it to a `ModelSchema`
(`predict` or `train` mode, a document that may lack an `Input` component). As Cog's CLI does:
unknown names are reported on their own first, then explicit nulls, then every other problem
in the schema's input order.
"""

from __future__ import annotations

import math
from typing import Any

from cog_py.errors import InputValidationError
from cog_py.run.schema import JSON, ModelSchema
from cog_py.predictor.validate import SchemaWalker, unknown_inputs_message, validate_cli_inputs


def check_unknown(schema: ModelSchema, payload: dict[str, Any]) -> None:
    """Raise when the payload names inputs the model does not have."""
    known = [name for name, _ in schema.input_properties()]
    unknown = [name for name in payload if name not in known]
    if unknown:
        raise InputValidationError([(sorted(unknown)[0], unknown_inputs_message(unknown, known))])


def validate_payload(schema: ModelSchema, payload: dict[str, Any]) -> None:
    """Raise `InputValidationError` listing every problem with `payload`."""
    check_unknown(schema, payload)
    if schema.input_schema() is None:
        return  # no Input component: nothing more to check here (the model's server checks)
    for name, value in payload.items():
        if isinstance(value, float) and not math.isfinite(value):  # `--json` accepts NaN; JSON itself does not
            raise InputValidationError([(name, f'invalid input "{name}": must be a finite number')])
    validate_cli_inputs(schema.doc, payload, train=schema.mode == "train")


def problem(schema: ModelSchema, prop: JSON, value: Any) -> bool:
    """True when `value` does not fit the property schema `prop`."""
    return bool(SchemaWalker(schema.doc.get("components", {}).get("schemas", {})).check(prop, value, ()))
