"""Turn pydantic's validation errors into our one-line problems, and render them.

A rendered problem reads `cog.yaml:4: build.python_version: <message>`.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import ValidationError

from cog_py.config.raw import MODEL_AT
from cog_py.config.yamlsource import Loc, Problem, YamlSource

_TYPE_MESSAGES = {
    "bool_type": "must be a boolean (true or false)",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "union_tag_not_found": 'must be a string or a mapping with a "command" key',
}


def format_loc(loc: Loc) -> str:
    """Render a path the way a user would write it: `build.run[0].command`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def render(filename: str, problem: Problem) -> str:
    """Return the one line that describes `problem`."""
    where = format_loc(problem.loc)
    body = f"{where}: {problem.message}" if where else problem.message
    return f"{filename}:{problem.line}: {body}"


def quote(value: str) -> str:
    """Quote a user value on one line: a newline in it must not split the problem's line."""
    return json.dumps(value, ensure_ascii=False)


def describe_value(value: Any) -> str:
    """Name a YAML value briefly: `string "yes"`, `number 3`, `a list`."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {quote(value if len(value) <= 40 else value[:37] + '...')}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def from_validation_error(error: ValidationError, source: YamlSource) -> list[Problem]:
    """Translate each pydantic error into a Problem with a line."""
    problems = []
    for item in error.errors():
        loc: Loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("~")))
        problems.append(Problem(source.line_of(loc), loc, _message(item, loc)))
    return problems


def _message(item: Any, loc: Loc) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        if loc == ("build", "python_version"):
            return PYTHON_VERSION_REQUIRED
        return "required key is missing"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}, got {describe_value(item.get('input'))}"
    return str(item["msg"])


PYTHON_VERSION_REQUIRED = (
    "python_version is required. Add it to the build section of your cog.yaml, "
    'e.g. `python_version: "3.13"`'
)


def _unknown_key(loc: Loc) -> str:
    parent = tuple("[]" if isinstance(p, int) else p for p in loc[:-1])
    model = MODEL_AT.get(parent)
    message = "unknown key"
    if model is not None:
        close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
        if close:
            message += f' (did you mean "{close[0]}"?)'
    return message
