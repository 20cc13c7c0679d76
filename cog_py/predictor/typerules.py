"""The type rules of the schema, shared by both readers of annotations.

`annotations.py` reads live type objects (runtime inspection, in the worker) and `static/types.py`
reads annotation expressions from source (static inspection, at build time). They differ only in
how they see a type; what the schema accepts, and how a refusal is worded, is decided here once,
so that the two can never disagree (tests/unit/predictor/test_static_equivalence.py checks it).
Standard library only.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from cog_py.errors import SchemaError
from cog_py.predictor.adt import Kind, TypeRef

Fail = Callable[[str], SchemaError]

# Kinds a multi-member input union may combine (JSON-native values the server can tell apart).
UNION_OK = frozenset({Kind.STR, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.DICT, Kind.ANY, Kind.LIST})

OPTIONAL_OUTPUT = "unsupported output type: Optional is not allowed as a return type"
NESTED_GENERIC = "nested generics like List[Optional[X]] are not supported"


def union_member(ref: TypeRef, shown: str, fail: Fail) -> TypeRef:
    """`ref`, a member of an input union shown as `shown`, if a union may hold it."""
    if ref.kind not in UNION_OK or ref.nullable:
        raise fail(f"unsupported union member {shown}: unions may only combine "
                   "str, int, float, bool, dict, Any and list[...]")
    return ref


def input_list(item: TypeRef, fail: Fail) -> TypeRef:
    """The input type `list[item]`, if inputs may be lists of `item` (flat, not nullable)."""
    if item.nullable or item.kind in (Kind.LIST, Kind.UNION):
        raise fail(NESTED_GENERIC)
    return TypeRef(Kind.LIST, item=item)


BATCH_INPUT = ("@batch: every parameter of a batched {method}() must be a list, e.g. `prompt: list[str]` "
               "(the schema shows one item per request)")
BATCH_STREAMING = "@batch cannot be combined with @streaming: a batched {method}() returns one list of outputs"
BATCH_OUTPUT = ("@batch: a batched {method}() must return a list with one output per input, e.g. `-> list[str]`")


BatchOverride = Optional[Tuple[Optional[int], Optional[float]]]


def merge_batch(override: BatchOverride, decorator: Optional[Tuple[int, float]]) -> Optional[Tuple[int, float]]:
    """(max_size, max_wait_ms) from cog.yaml's `batch:` (either number may be unset: None) over
    `@batch`'s; None when the predictor is not batched (no decorator and no max_size)."""
    size = override[0] if override is not None and override[0] else None
    wait = override[1] if override is not None and override[1] is not None else None
    if decorator is None and size is None:
        return None
    return (size or (decorator[0] if decorator else 16),
            float(wait if wait is not None else (decorator[1] if decorator else 10.0)))


def batch_item(ref: TypeRef, method: str, fail: Fail) -> TypeRef:
    """The per-request type of a batched input `list[X]`: X."""
    if ref.kind is not Kind.LIST or ref.item is None or ref.nullable:
        raise fail(BATCH_INPUT.format(method=method))
    return ref.item


def batch_output(ref: TypeRef, is_single: bool, method: str, fail: Fail) -> TypeRef:
    """The per-request output type of a batched `-> list[Y]`: Y."""
    if not is_single or ref.kind is not Kind.LIST or ref.item is None:
        raise fail(BATCH_OUTPUT.format(method=method))
    return ref.item


def concatenate_element(is_str: bool, shown: str, fail: Fail) -> None:
    """A ConcatenateIterator yields str, nothing else."""
    if not is_str:
        raise fail(f"ConcatenateIterator element type must be str, got {shown}")


def unsupported(shown: str, fail: Fail, *, output: bool = False) -> SchemaError:
    """The error for a type the schema cannot express."""
    return fail(f"unsupported {'output type' if output else 'type'} {shown}")
