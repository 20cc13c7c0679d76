"""Reading a model's OpenAPI document (the `run.cog.openapi_schema` label or `/openapi.json`).

Cog's document names its components `Input`/`Output` (predict) and `TrainingInput`/
`TrainingOutput` (train); properties reference enums through `allOf: [{$ref}]` and unions
through `anyOf`. These helpers resolve those so the input and output code can ask plain
questions: which JSON types does this property accept, is this output a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cog_py.errors import CogError

JSON = dict[str, Any]


@dataclass(frozen=True)
class ModelSchema:
    """An OpenAPI document plus the mode (`predict` or `train`) the CLI is using it for."""

    doc: JSON
    mode: str = "predict"

    @property
    def endpoint(self) -> str:
        return "/trainings" if self.mode == "train" else "/predictions"

    def _components(self) -> JSON:
        comps = self.doc.get("components", {}).get("schemas", {})
        return comps if isinstance(comps, dict) else {}

    def input_schema(self) -> JSON | None:
        """The `Input` (or `TrainingInput`, falling back to `Input`) component, None when absent."""
        comps = self._components()
        if self.mode == "train" and "TrainingInput" in comps:
            return dict(comps["TrainingInput"])
        found = comps.get("Input")
        return dict(found) if isinstance(found, dict) else None

    def input_properties(self) -> list[tuple[str, JSON]]:
        """(name, resolved property schema) in `x-order` order."""
        schema = self.input_schema() or {}
        props = schema.get("properties") or {}
        items = [(name, self.resolve(prop)) for name, prop in props.items()]
        return sorted(items, key=lambda kv: kv[1].get("x-order", 1 << 30))

    def output_schema(self) -> JSON:
        """The resolved output schema, following the response model like Cog's CLI does."""
        try:
            post = self.doc["paths"][self.endpoint]["post"]
            ok = post["responses"]["200"]["content"]["application/json"]["schema"]
            response = self.resolve(ok)
            return self._with_items(self.resolve(response["properties"]["output"]))
        except (KeyError, TypeError):
            comps = self._components()
            name = "TrainingOutput" if self.mode == "train" else "Output"
            if name in comps:
                return self._with_items(self.resolve(comps[name]))
        raise CogError(f"invalid OpenAPI schema: missing output definition for {self.endpoint}")

    def _with_items(self, schema: JSON) -> JSON:
        if isinstance(schema.get("items"), dict):
            schema["items"] = self.resolve(schema["items"])
        return schema

    def is_streaming(self) -> bool:
        """True when the model was marked `@streaming` (`x-cog-streaming` on its POST)."""
        try:
            return bool(self.doc["paths"][self.endpoint]["post"].get("x-cog-streaming"))
        except (KeyError, TypeError, AttributeError):
            return False

    def resolve(self, schema: Any) -> JSON:
        """Inline `$ref` and single-element `allOf` wrappers (keeping sibling keys)."""
        if not isinstance(schema, dict):
            return {}
        seen = 0
        out = dict(schema)
        while seen < 32:
            seen += 1
            if "$ref" in out:
                target = self._lookup(out.pop("$ref"))
                out = {**target, **out}
                continue
            all_of = out.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1:
                out.pop("allOf")
                target = self.resolve(all_of[0])
                out = {**target, **out}
                continue
            break
        return out

    def _lookup(self, ref: str) -> JSON:
        if not ref.startswith("#/"):
            raise CogError(f"invalid OpenAPI schema: unsupported reference {ref}")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node:
                raise CogError(f"invalid OpenAPI schema: unresolved reference {ref}")
            node = node[part]
        return dict(node) if isinstance(node, dict) else {}

    def members(self, schema: JSON) -> list[JSON]:
        """The alternatives of a union (`anyOf`/`oneOf`), or the schema itself."""
        alts = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(alts, list) and alts:
            return [self.resolve(m) for m in alts]
        return [schema]

    def accepted_types(self, schema: JSON) -> set[str]:
        """JSON type names a property accepts; empty means anything."""
        types: set[str] = set()
        for member in self.members(schema):
            kind = member.get("type")
            if isinstance(kind, list):
                types.update(str(k) for k in kind)
            elif isinstance(kind, str):
                types.add(kind)
            elif "enum" in member:
                types.update(json_type(v) for v in member["enum"])
            else:
                return set()
        return types


def json_type(value: Any) -> str:
    """The JSON type name of a Python value (bool is not a number)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def is_uri(schema: JSON) -> bool:
    """True for `{type: string, format: uri}`: a file output."""
    return schema.get("type") == "string" and schema.get("format") == "uri"
