"""Check prediction inputs against the model's `Input` schema, as Cog's two validators do.

One small JSON Schema walker (the subset Cog's documents use: type, enum via allOf/$ref, anyOf,
minimum/maximum, minLength/maxLength, pattern, items, properties/required) finds `Issue`s;
two renderers word them: `server_message` like the in-container validator (422 `detail`
entries) and `cli_message` like Cog's CLI preflight check (`invalid input "count": ...`).
`nullable` is ignored on purpose: an explicit null is an error, omit the input instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cog_py.errors import InputValidationError

_REF = "#/components/schemas/"


@dataclass(frozen=True)
class Issue:
    """One problem: where (`path`), what rule (`rule`), the offending value and the rule's limit."""

    path: tuple[str | int, ...]
    rule: str  # missing, null, type, enum, minimum, maximum, minLength, maxLength, pattern, anyOf
    value: Any = None
    limit: Any = None

    @property
    def name(self) -> str:
        """Dotted name as the CLI shows it (`opts.scale`)."""
        return ".".join(str(p) for p in self.path)


def _json_type(value: Any) -> str:
    """The JSON type name of a Python value as Cog's CLI names it (every number is a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, json_type: str) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if json_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if json_type == "object":
        return isinstance(value, dict)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "null":
        return value is None
    return True


class SchemaWalker:
    """Validates values against schemas that may `$ref` the document's components."""

    def __init__(self, components: dict[str, Any] | None = None) -> None:
        self.components = components or {}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            target: dict[str, Any] = self.components.get(ref[len(_REF):], {})
            return target
        return schema

    def check(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...]) -> list[Issue]:
        """Return the issues of `value` against `schema` (first failing rule per value)."""
        schema = self.resolve(schema)
        for sub in schema.get("allOf", []):
            found = self.check(sub, value, path)
            if found:
                return found
        if "anyOf" in schema:
            if not any(not self.check(sub, value, path) for sub in schema["anyOf"]):
                return [Issue(path, "anyOf", value)]
        json_type = schema.get("type")
        if isinstance(json_type, str) and not _is_type(value, json_type):
            return [Issue(path, "null" if value is None else "type", value, json_type)]
        if "enum" in schema and value not in schema["enum"]:
            return [Issue(path, "enum", value, schema["enum"])]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                return [Issue(path, "minimum", value, schema["minimum"])]
            if "maximum" in schema and value > schema["maximum"]:
                return [Issue(path, "maximum", value, schema["maximum"])]
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                return [Issue(path, "minLength", value, schema["minLength"])]
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                return [Issue(path, "maxLength", value, schema["maxLength"])]
            if "pattern" in schema and re.search(schema["pattern"], value) is None:
                return [Issue(path, "pattern", value, schema["pattern"])]
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            issues: list[Issue] = []
            for index, item in enumerate(value):
                issues += self.check(schema["items"], item, path + (index,))
            return issues
        if isinstance(value, dict) and "properties" in schema:
            return self.check_object(schema, value, path)
        return []

    def check_object(self, schema: dict[str, Any], value: dict[str, Any], path: tuple[str | int, ...]) -> list[Issue]:
        """Check properties in schema order; a missing required property is an issue at its place."""
        issues: list[Issue] = []
        required = schema.get("required", [])
        for name, prop in schema.get("properties", {}).items():
            if name in value:
                issues += self.check(prop, value[name], path + (name,))
            elif name in required:
                issues.append(Issue(path + (name,), "missing"))
        return issues


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def server_message(issue: Issue) -> tuple[str, str]:
    """(msg, type) of a 422 `detail` entry, worded like Cog's runtime validator."""
    v = _dump(issue.value)
    rule, limit = issue.rule, issue.limit
    if rule == "missing":
        return "Field required", "value_error.missing"
    if rule == "null":
        return f"null is not of type \"{limit or 'object'}\"", "value_error"
    if rule == "type":
        return f"{v} is not of type \"{limit}\"", "value_error"
    if rule == "enum":
        return f"{v} is not one of {_dump(limit)}", "value_error"
    if rule == "minimum":
        return f"{v} is less than the minimum of {_number(limit)}", "value_error"
    if rule == "maximum":
        return f"{v} is greater than the maximum of {_number(limit)}", "value_error"
    if rule == "minLength":
        return f"{v} is shorter than {limit} character{'s' if limit != 1 else ''}", "value_error"
    if rule == "maxLength":
        return f"{v} is longer than {limit} character{'s' if limit != 1 else ''}", "value_error"
    if rule == "pattern":
        return f"{v} does not match \"{limit}\"", "value_error"
    return f"{v} is not valid under any of the schemas listed in the 'anyOf' keyword", "value_error"


def cli_message(issue: Issue) -> str:
    """The message Cog's CLI prints for one issue."""
    name, rule, limit = issue.name, issue.rule, issue.limit
    if rule == "missing":
        return f'missing required input "{name}"'
    if rule == "null":
        return f'invalid input "{name}": must not be null (omit the input to use its default)'
    if rule == "type":
        return f'invalid input "{name}": expected {limit}, got {_json_type(issue.value)}'
    if rule == "enum":
        return f'invalid input "{name}": must be one of: ' + ", ".join(str(_plain(v)) for v in limit)
    reasons = {
        "minimum": f"number must be at least {_number(limit)}",
        "maximum": f"number must be at most {_number(limit)}",
        "minLength": f"minimum string length is {limit}",
        "maxLength": f"maximum string length is {limit}",
        "pattern": f'string doesn\'t match the regular expression "{limit}"',
        "anyOf": 'doesn\'t match any schema from "anyOf"',
    }
    return f'invalid input "{name}": {reasons[rule]}'


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return value


def unknown_inputs_message(unknown: list[str], valid: list[str]) -> str:
    """`unknown input "nope"; valid inputs are: a, b` and its plural/no-inputs forms."""
    unknown = sorted(unknown)
    if len(unknown) == 1:
        head = f'unknown input "{unknown[0]}"'
    else:
        head = "unknown inputs " + ", ".join(f'"{u}"' for u in unknown)
    if not valid:
        return f"{head}; model does not accept inputs"
    return f"{head}; valid inputs are: {', '.join(sorted(valid))}"


def input_component(doc: dict[str, Any], *, train: bool = False) -> dict[str, Any]:
    """The Input (or TrainingInput, falling back to Input) component of an OpenAPI document."""
    schemas = doc.get("components", {}).get("schemas", {})
    name = "TrainingInput" if train and "TrainingInput" in schemas else "Input"
    if name not in schemas:
        raise InputValidationError([("", "OpenAPI schema is missing Input component")])
    component: dict[str, Any] = schemas[name]
    return component


def validate_cli_inputs(doc: dict[str, Any], payload: dict[str, Any], *, train: bool = False) -> dict[str, Any]:
    """Check inputs the way Cog's CLI does before building or starting anything.

    Unknown names first, then explicit nulls, then the schema; raises InputValidationError
    whose message is exactly Cog's (several problems: `input validation failed:\\n- ...`).
    """
    component = input_component(doc, train=train)
    properties = component.get("properties", {})
    unknown = [name for name in payload if name not in properties]
    if unknown:
        raise InputValidationError([(sorted(unknown)[0], unknown_inputs_message(unknown, list(properties)))])
    nulls = sorted(name for name, value in payload.items() if value is None)
    if nulls:
        raise InputValidationError([(nulls[0], cli_message(Issue((nulls[0],), "null")))])
    walker = SchemaWalker(doc.get("components", {}).get("schemas", {}))
    issues = walker.check_object(component, payload, ())
    if issues:
        raise InputValidationError([(issue.name, cli_message(issue)) for issue in issues])
    return payload


def _server_error(issues: list[Issue]) -> InputValidationError:
    errors, details = [], []
    for issue in issues:
        name = "/".join(str(p) for p in issue.path) or "__root__"
        msg, kind = server_message(issue)
        errors.append((name, msg))
        details.append({"loc": ["body", "input", name], "msg": msg, "type": kind})
    error = InputValidationError(errors)
    error.details = details  # type: ignore[attr-defined]
    return error


def validate_server_inputs(doc: dict[str, Any], payload: Any, *, train: bool = False) -> dict[str, Any]:
    """Check a request's `input` the way Cog's server does; return what reaches the model.

    Unknown keys are stripped, the rest validated against the Input (or TrainingInput)
    component, and omitted nullable inputs without a default are set to None. Raises
    InputValidationError with `.details`, the 422 `detail` entries, in parameter order.
    """
    component = input_component(doc, train=train)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise _server_error([Issue((), "type", payload, "object")])
    properties: dict[str, Any] = component.get("properties", {})
    cleaned: dict[str, Any] = {k: v for k, v in payload.items() if k in properties}
    payload = cleaned
    walker = SchemaWalker(doc.get("components", {}).get("schemas", {}))
    issues = walker.check_object(component, payload, ())
    flagged = {i.path[0] for i in issues}
    issues += [Issue((k,), "null") for k, v in payload.items() if v is None and k not in flagged]
    if issues:
        order = {name: index for index, name in enumerate(properties)}
        raise _server_error(sorted(issues, key=lambda i: order.get(str(i.path[0]), 0)))
    for name, prop in properties.items():
        if name not in payload and prop.get("nullable") and "default" not in prop:
            cleaned[name] = None
    return cleaned
