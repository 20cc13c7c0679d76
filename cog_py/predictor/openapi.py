"""PredictorInfo -> the OpenAPI 3.0.2 document Cog produces (a pure function).

The same document is stored in the image label, written to `.cog/openapi_schema.json` and
served at `/openapi.json`. `openapi_json()` writes it as Cog does: compact, keys sorted
except where order carries meaning (paths, components, the properties of the model's
input and output schemas); a document with both predictions and trainings is written
pretty-printed with every key sorted, as Cog's merge step does.
"""

from __future__ import annotations

import json
import math
from typing import Any

from cog_py.predictor.adt import MISSING, InputField, Kind, OutputMode, OutputType, PredictorInfo, TypeRef
from cog_py.predictor.checks import title_case

_REF = "#/components/schemas/"
_SCALAR_SCHEMAS: dict[Kind, dict[str, Any]] = {
    Kind.STR: {"type": "string"},
    Kind.INT: {"type": "integer"},
    Kind.FLOAT: {"type": "number"},
    Kind.BOOL: {"type": "boolean"},
    Kind.PATH: {"type": "string", "format": "uri"},
    Kind.FILE: {"type": "string", "format": "uri"},
    Kind.SECRET: {"type": "string", "format": "password", "writeOnly": True, "x-cog-secret": True},
    Kind.ANY: {"type": "object"},
}
_MODEL_COMPONENTS = ("Input", "Output", "TrainingInput", "TrainingOutput")


def input_type_schema(ref: TypeRef) -> dict[str, Any]:
    """The JSON schema of an input type (dict value types are discarded, as in Cog)."""
    if ref.kind in _SCALAR_SCHEMAS:
        return dict(_SCALAR_SCHEMAS[ref.kind])
    if ref.kind in (Kind.DICT, Kind.OBJECT):
        return {"type": "object"}
    if ref.kind is Kind.LIST:
        item = input_type_schema(ref.item) if ref.item is not None else {"type": "object"}
        return {"type": "array", "items": item}
    if ref.kind is Kind.UNION:
        members = []
        for member in ref.members:
            schema = input_type_schema(member)
            if ref.nullable:
                schema["nullable"] = True
            members.append(schema)
        return {"anyOf": members}
    raise ValueError(f"no schema for {ref.kind}")


def output_type_schema(ref: TypeRef) -> dict[str, Any]:
    """The JSON schema of a value inside an output (no title)."""
    if ref.kind in _SCALAR_SCHEMAS:
        schema = dict(_SCALAR_SCHEMAS[ref.kind])
    elif ref.kind is Kind.DICT:
        schema = {"type": "object"}
        if ref.item is not None:
            schema["additionalProperties"] = output_type_schema(ref.item)
    elif ref.kind is Kind.LIST:
        item = output_type_schema(ref.item) if ref.item is not None else {"type": "object"}
        schema = {"type": "array", "items": item}
    elif ref.kind is Kind.OBJECT:
        schema = _object_schema(ref)
    elif ref.kind is Kind.UNION:
        schema = {"anyOf": [output_type_schema(m) for m in ref.members]}
    else:
        raise ValueError(f"no output schema for {ref.kind}")
    if ref.nullable:
        schema["nullable"] = True
    return schema


def _object_schema(ref: TypeRef) -> dict[str, Any]:
    if not ref.fields:
        return {"type": "object"}
    properties: dict[str, Any] = {}
    required = []
    for field in ref.fields:
        prop = output_type_schema(field.type)
        prop["title"] = title_case(field.name)
        properties[field.name] = prop
        if field.is_required:
            required.append(field.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def output_schema(output: OutputType) -> dict[str, Any]:
    """The `Output` component."""
    if output.mode is OutputMode.SINGLE:
        schema = output_type_schema(output.type)
    else:
        schema = {"type": "array", "items": output_type_schema(output.type), "x-cog-array-type": "iterator"}
        if output.mode is OutputMode.CONCATENATE:
            schema["x-cog-array-display"] = "concatenate"
    schema["title"] = "Output"
    return schema


def input_property(field: InputField) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One property of the Input component, and its enum component when it has choices."""
    prop: dict[str, Any] = {"x-order": field.order}
    enum = None
    if field.choices is not None:
        json_type = "integer" if field.type.kind is Kind.INT else "string"
        enum = {"title": field.name, "description": "An enumeration.", "enum": list(field.choices), "type": json_type}
        prop["allOf"] = [{"$ref": _REF + field.name}]
    else:
        prop["title"] = title_case(field.name)
        prop.update(input_type_schema(field.type))
    if field.default is not MISSING:
        prop["default"] = field.default
    if field.type.nullable:
        prop["nullable"] = True
    optional = {
        "description": field.description,
        "minimum": field.ge,
        "maximum": field.le,
        "minLength": field.min_length,
        "maxLength": field.max_length,
        "pattern": field.regex,
        "deprecated": True if field.deprecated else None,
        "x-cog-accept": field.accept,
    }
    prop.update({k: v for k, v in optional.items() if v is not None})
    return prop, enum


def input_schema(info: PredictorInfo, title: str) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The Input (or TrainingInput) component and the enum components it refers to."""
    properties: dict[str, Any] = {}
    enums = []
    required = []
    for field in info.inputs:
        prop, enum = input_property(field)
        properties[field.name] = prop
        if enum is not None:
            enums.append((field.name, enum))
        if field.required:
            required.append(field.name)
    schema: dict[str, Any] = {"title": title, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, enums


def _json_response(ref: str | None) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF + ref} if ref else {}}}


def _validation_error_response() -> dict[str, Any]:
    return {"description": "Validation Error", "content": _json_response("HTTPValidationError")}


def _mode_names(train: bool) -> dict[str, str]:
    if train:
        return {"endpoint": "/trainings", "request": "TrainingRequest", "response": "TrainingResponse",
                "cancel": "/trainings/{training_id}/cancel", "summary": "Train",
                "description": "Run a single training on the model", "op": "train_trainings_post",
                "cancel_op": "cancel_trainings__training_id__cancel_post", "param": "training_id",
                "input": "TrainingInput", "output": "TrainingOutput"}
    return {"endpoint": "/predictions", "request": "PredictionRequest", "response": "PredictionResponse",
            "cancel": "/predictions/{prediction_id}/cancel", "summary": "Predict",
            "description": "Run a single prediction on the model", "op": "predict_predictions_post",
            "cancel_op": "cancel_predictions__prediction_id__cancel_post", "param": "prediction_id",
            "input": "Input", "output": "Output"}


def _single_document(info: PredictorInfo, version: str) -> dict[str, Any]:
    n = _mode_names(info.mode == "train")
    inp, enums = input_schema(info, n["input"])
    components: dict[str, Any] = {n["input"]: inp, n["output"]: output_schema(info.output)}
    components.update(enums)
    components[n["request"]] = {
        "title": n["request"], "type": "object",
        "properties": {"id": {"title": "Id", "type": "string"}, "input": {"$ref": _REF + n["input"]}},
    }
    components[n["response"]] = {
        "title": n["response"], "type": "object",
        "properties": {
            "input": {"$ref": _REF + n["input"]},
            "output": {"$ref": _REF + n["output"]},
            "id": {"title": "Id", "type": "string"},
            "version": {"title": "Version", "type": "string"},
            "created_at": {"title": "Created At", "type": "string", "format": "date-time"},
            "started_at": {"title": "Started At", "type": "string", "format": "date-time"},
            "completed_at": {"title": "Completed At", "type": "string", "format": "date-time"},
            "status": {"title": "Status", "type": "string"},
            "error": {"title": "Error", "type": "string"},
            "logs": {"title": "Logs", "type": "string"},
            "metrics": {"title": "Metrics", "type": "object"},
        },
    }
    components["Status"] = {
        "title": "Status", "description": "An enumeration.",
        "enum": ["starting", "processing", "succeeded", "canceled", "failed"], "type": "string",
    }
    components["HTTPValidationError"] = {
        "title": "HTTPValidationError", "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "array", "items": {"$ref": _REF + "ValidationError"}}},
    }
    components["ValidationError"] = {
        "title": "ValidationError", "required": ["loc", "msg", "type"], "type": "object",
        "properties": {
            "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
        },
    }
    ok = {"description": "Successful Response", "content": _json_response(None)}
    post: dict[str, Any] = {
        "summary": n["summary"], "description": n["description"], "operationId": n["op"],
        "requestBody": {"content": _json_response(n["request"])},
        "responses": {"200": {"description": "Successful Response", "content": _json_response(n["response"])},
                      "422": _validation_error_response()},
    }
    if info.streaming:
        post["x-cog-streaming"] = True
    paths = {
        "/": {"get": {"summary": "Root", "operationId": "root__get", "responses": {"200": ok}}},
        "/health-check": {"get": {"summary": "Healthcheck", "operationId": "healthcheck_health_check_get",
                                  "responses": {"200": ok}}},
        n["endpoint"]: {"post": post},
        n["cancel"]: {"post": {
            "summary": "Cancel", "operationId": n["cancel_op"],
            "parameters": [{"required": True, "schema": {"title": title_case(n["param"]), "type": "string"},
                            "name": n["param"], "in": "path"}],
            "responses": {"200": ok, "422": _validation_error_response()},
        }},
    }
    return {"openapi": "3.0.2", "info": {"title": "Cog", "version": version}, "paths": paths,
            "components": {"schemas": components}}


def render_openapi(predict: PredictorInfo | None, train: PredictorInfo | None = None, *, version: str) -> dict[str, Any]:
    """Build the OpenAPI document of a model (predictions, trainings or both)."""
    if predict is None and train is None:
        raise ValueError("render_openapi needs a predict or a train PredictorInfo")
    if train is not None and train.mode != "train":
        from dataclasses import replace

        train = replace(train, mode="train")
    if predict is None:
        assert train is not None
        return _single_document(train, version)
    doc = _single_document(predict, version)
    if train is not None:
        extra = _single_document(train, version)
        doc["paths"].update(extra["paths"])
        doc["components"]["schemas"].update(extra["components"]["schemas"])
    return doc


def _normalise(value: Any, keep_order: bool, path: tuple[str, ...], sort_all: bool) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        if sort_all or not keep_order:
            items.sort(key=lambda kv: kv[0])
        out = {}
        for key, child in items:
            child_path = path + (key,)
            out[key] = _normalise(child, _ordered(child_path), child_path, sort_all)
        return out
    if isinstance(value, list):
        return [_normalise(v, False, path + ("[]",), sort_all) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)  # Go writes 1.0 as 1
    return value


def _ordered(path: tuple[str, ...]) -> bool:
    """Where key order carries meaning (Cog's ordered maps)."""
    if path in (("paths",), ("components", "schemas")):
        return True
    if path[-1] == "properties" and len(path) >= 3 and path[:2] == ("components", "schemas"):
        return path[2] in _MODEL_COMPONENTS
    return False


def openapi_json(doc: dict[str, Any]) -> str:
    """Write the document as Cog does (see the module docstring)."""
    paths = doc.get("paths", {})
    both = "/predictions" in paths and "/trainings" in paths
    normal = _normalise(doc, False, (), both)
    if both:
        text = json.dumps(normal, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(normal, separators=(",", ":"), ensure_ascii=False)
    # Go's encoder escapes these inside strings; they never occur outside strings in JSON.
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text
