"""Hand-written OpenAPI documents shaped like the ones Cog puts in `run.cog.openapi_schema`."""

from __future__ import annotations

from typing import Any


def document(inputs: dict[str, Any], required: list[str], output: dict[str, Any], *,
             extra: dict[str, Any] | None = None, streaming: bool = False, mode: str = "predict") -> dict[str, Any]:
    """A minimal Cog-style document: Input/Output components and the response chain."""
    prefix = "Training" if mode == "train" else "Prediction"
    in_name = "TrainingInput" if mode == "train" else "Input"
    out_name = "TrainingOutput" if mode == "train" else "Output"
    endpoint = "/trainings" if mode == "train" else "/predictions"
    input_schema: dict[str, Any] = {"title": in_name, "type": "object", "properties": inputs}
    if required:
        input_schema["required"] = required
    post: dict[str, Any] = {
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{prefix}Response"}}}}},
    }
    if streaming:
        post["x-cog-streaming"] = True
    schemas = {
        in_name: input_schema,
        out_name: {"title": out_name, **output},
        **(extra or {}),
        f"{prefix}Response": {
            "title": f"{prefix}Response",
            "type": "object",
            "properties": {"output": {"$ref": f"#/components/schemas/{out_name}"}, "status": {"type": "string"}},
        },
    }
    return {"openapi": "3.0.2", "info": {"title": "Cog", "version": "0.1.0"},
            "paths": {endpoint: {"post": post}}, "components": {"schemas": schemas}}


def rich_document() -> dict[str, Any]:
    """Inputs of every kind the CLI coerces."""
    inputs = {
        "prompt": {"title": "Prompt", "type": "string", "x-order": 0},
        "count": {"title": "Count", "type": "integer", "x-order": 1, "default": 1, "minimum": 1, "maximum": 10},
        "scale": {"title": "Scale", "type": "number", "x-order": 2, "default": 1.5},
        "flag": {"title": "Flag", "type": "boolean", "x-order": 3, "default": False},
        "size": {"allOf": [{"$ref": "#/components/schemas/size"}], "x-order": 4, "default": "small"},
        "image": {"title": "Image", "type": "string", "format": "uri", "x-order": 5, "nullable": True},
        "words": {"title": "Words", "type": "array", "items": {"type": "string"}, "x-order": 6, "default": []},
        "nums": {"title": "Nums", "type": "array", "items": {"type": "integer"}, "x-order": 7, "default": []},
        "data": {"title": "Data", "type": "object", "x-order": 8, "default": {}},
        "either": {"title": "Either", "anyOf": [{"type": "string"}, {"type": "number"}], "x-order": 9, "default": "x"},
        "name": {"title": "Name", "type": "string", "x-order": 10, "default": "ab", "minLength": 2, "pattern": "^[a-z]+$"},
        "files": {"title": "Files", "type": "array", "items": {"type": "string", "format": "uri"}, "x-order": 11, "default": []},
    }
    extra = {"size": {"title": "size", "description": "An enumeration.", "enum": ["small", "medium", "large"], "type": "string"}}
    return document(inputs, ["prompt"], {"type": "string"}, extra=extra)
