"""Consistency rules for one input: constraints fit the type, the default obeys them.

Shared by the runtime and the static inspector so both reject the same predictors with the
same words. `fail(problem)` builds the error (it knows the file and parameter).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cog_py.errors import SchemaError
from cog_py.predictor.adt import MISSING, InputField, Kind

Fail = Callable[[str], SchemaError]

_NUMERIC = (Kind.INT, Kind.FLOAT)
_CHOICE_KINDS = {Kind.STR: str, Kind.INT: int}
_ARTICLE_NAMES = {str: "a str", int: "an int"}


def title_case(name: str) -> str:
    """`api_key` -> `Api Key` (the schema's property titles)."""
    return " ".join(word[:1].upper() + word[1:] for word in name.split("_") if word)


def check_input(field: InputField, fail: Fail) -> None:
    """Raise `fail(...)` when the Input(...) metadata does not fit the parameter."""
    kind = field.type.kind
    if (field.ge is not None or field.le is not None) and kind not in _NUMERIC:
        raise fail("invalid constraint: ge and le (minimum, maximum) are only valid on int and float inputs")
    if (field.min_length is not None or field.max_length is not None or field.regex is not None) and kind is not Kind.STR:
        raise fail("min_length, max_length and regex are only valid on str inputs")
    if field.regex is not None:
        try:
            re.compile(field.regex)
        except re.error as exc:
            raise fail(f"regex {field.regex!r} is not a valid regular expression: {exc}") from None
    if field.choices is not None:
        _check_choices(field, fail)
    if field.accept is not None and kind not in (Kind.PATH, Kind.FILE):
        raise fail("accept is only valid on Path or File inputs")
    if field.default is not MISSING and field.default is not None:
        _check_default(field, field.default, fail)


def _check_choices(field: InputField, fail: Fail) -> None:
    kind = field.type.kind
    expected = _CHOICE_KINDS.get(kind)
    if expected is None:
        raise fail(f"invalid choices: choices are only valid on str and int inputs, not on {kind.value} inputs")
    if not field.choices:  # one value is fine: Cog 0.16 wrote a one-value enum
        raise fail("invalid choices: choices must list at least 1 value")
    for choice in field.choices or ():
        if isinstance(choice, bool) or not isinstance(choice, expected):
            raise fail(f"invalid choices: choice {choice!r} is not {_ARTICLE_NAMES[expected]} like the input")
    if field.ge is not None or field.le is not None:
        raise fail("invalid choices: choices cannot be combined with ge or le (minimum, maximum)")
    if field.min_length is not None or field.max_length is not None:
        raise fail("invalid choices: choices cannot be combined with min_length or max_length")


def _check_default(field: InputField, default: Any, fail: Fail) -> None:
    kind = field.type.kind
    if field.choices is not None and default not in field.choices:
        shown = ", ".join(repr(c) for c in field.choices)
        raise fail(f"invalid default {default!r}: not one of the choices ({shown})")
    if kind in _NUMERIC and isinstance(default, (int, float)) and not isinstance(default, bool):
        if field.ge is not None and default < field.ge:
            raise fail(f"invalid default {default!r}: less than the minimum ge={field.ge!r}")
        if field.le is not None and default > field.le:
            raise fail(f"invalid default {default!r}: greater than the maximum le={field.le!r}")
    if kind is Kind.STR and isinstance(default, str):
        if field.min_length is not None and len(default) < field.min_length:
            raise fail(f"default {default!r} is shorter than min_length={field.min_length}")
        if field.max_length is not None and len(default) > field.max_length:
            raise fail(f"default {default!r} is longer than max_length={field.max_length}")
        if field.regex is not None and re.search(field.regex, default) is None:
            raise fail(f"default {default!r} does not match regex {field.regex!r}")
