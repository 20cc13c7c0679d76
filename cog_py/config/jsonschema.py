"""The JSON Schema of cog.yaml, generated from the raw models (for editors and docs).

`python -m cog_py.config.jsonschema` prints it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from cog_py.config.raw import RawConfig

SCHEMA_ID = "https://github.com/cog-py/cog_py/cog-yaml.schema.json"


class _CogYamlSchema(GenerateJsonSchema):
    """Drop the `null` branch and `default: null` of optional fields: unset is just absent."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if schema.get("default") is None:
            return inner
        return super().default_schema(schema)


def cog_yaml_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) that a valid cog.yaml satisfies."""
    schema = RawConfig.model_json_schema(schema_generator=_CogYamlSchema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "cog.yaml",
    }


def main() -> None:
    print(json.dumps(cog_yaml_json_schema(), indent=2))


if __name__ == "__main__":
    main()
