"""Our own model of a predictor's signature: plain frozen dataclasses, standard library only.

Both the runtime inspector (importing predict.py) and the static inspector (reading it with
`ast`) produce a `PredictorInfo`; the OpenAPI renderer, input coercion and output encoding
consume it. Nothing here knows about pydantic, FastAPI or Docker.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from cog_py.sdk.spec import MISSING as MISSING  # the SDK owns both; re-exported for the inspectors
from cog_py.sdk.spec import InputSpec as InputSpec


class Kind(str, enum.Enum):
    """The kinds of value a schema type can describe."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    PATH = "path"          # cog.Path: a local file; a URI in JSON
    FILE = "file"          # cog.File (deprecated): a file object; a URI in JSON
    SECRET = "secret"
    ANY = "any"            # typing.Any / Opaque: passed through as JSON
    DICT = "dict"          # dict, Dict[K, V], TypedDict
    OBJECT = "object"      # a BaseModel (ours or pydantic) or TypedDict with known fields
    LIST = "list"
    UNION = "union"        # A | B of JSON-native members


@dataclass(frozen=True)
class ObjectField:
    """A field of an output object (BaseModel / TypedDict).

    `required` None means: required when there is no default and the type is not nullable;
    False marks e.g. a `NotRequired` TypedDict key.
    """

    name: str
    type: TypeRef
    default: Any = MISSING
    required: bool | None = None

    @property
    def is_required(self) -> bool:
        """Listed in the object's `required` array."""
        if self.required is not None:
            return self.required
        return self.default is MISSING and not self.type.nullable


@dataclass(frozen=True)
class TypeRef:
    """A type as the schema sees it.

    `item` is set for LIST (the element type) and for DICT with typed values
    (`dict[str, V]`); `members` for UNION; `fields` and `name` for OBJECT.
    `nullable` marks Optional[T] / T | None.
    """

    kind: Kind
    item: TypeRef | None = None
    members: tuple[TypeRef, ...] = ()
    fields: tuple[ObjectField, ...] = ()
    name: str | None = None
    nullable: bool = False


@dataclass(frozen=True)
class InputField:
    """One parameter of predict()/train(), in signature order (`order` is x-order)."""

    name: str
    type: TypeRef
    order: int
    default: Any = MISSING
    description: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    regex: str | None = None
    choices: tuple[Any, ...] | None = None
    deprecated: bool | None = None
    accept: str | None = None  # Input(accept="image/*") => x-cog-accept (Path/File only)

    @property
    def required(self) -> bool:
        """Required when there is no default and the type is not Optional."""
        return self.default is MISSING and not self.type.nullable


def input_field(spec: InputSpec, name: str, type: TypeRef, order: int, *, default: Any,
                choices: tuple[Any, ...] | None) -> InputField:
    """The parameter's InputField from what `Input(...)` said; `default` and `choices` come already
    checked and made JSON values."""
    return InputField(name=name, type=type, order=order, default=default, description=spec.description,
                      ge=spec.ge, le=spec.le, min_length=spec.min_length, max_length=spec.max_length,
                      regex=spec.regex, choices=choices, deprecated=spec.deprecated, accept=spec.accept)


class OutputMode(str, enum.Enum):
    """How predict() produces its output."""

    SINGLE = "single"            # returns one value
    ITERATOR = "iterator"        # Iterator[T] / AsyncIterator[T] / generator
    CONCATENATE = "concatenate"  # ConcatenateIterator[str] / AsyncConcatenateIterator[str]


@dataclass(frozen=True)
class OutputType:
    """The return annotation of predict()/train()."""

    type: TypeRef
    mode: OutputMode = OutputMode.SINGLE


@dataclass(frozen=True)
class PredictorInfo:
    """Everything the schema, the server and the CLI need to know about one predictor."""

    ref: str                      # "predict.py:Predictor"
    mode: str                     # "predict" or "train"
    method: str                   # "predict", "run" or "train" (or the function's name)
    is_class: bool
    is_async: bool
    inputs: tuple[InputField, ...]
    output: OutputType
    streaming: bool = False       # @streaming
    concurrency_max: int | None = None  # @concurrent(max=N)
    batch_max_size: int | None = None   # @batch / cog.yaml batch: predict() takes lists; inputs/output are per item
    batch_max_wait_ms: float | None = None
    setup_weights: bool = False   # setup() takes a `weights` parameter
    has_healthcheck: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
