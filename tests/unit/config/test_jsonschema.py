from __future__ import annotations

import json
import subprocess
import sys

from cog_py.config.jsonschema import cog_yaml_json_schema
from tests.golden import assert_golden_json


def test_schema_matches_golden() -> None:
    assert_golden_json("cog-yaml.schema.json", cog_yaml_json_schema())


def test_schema_describes_every_key_and_forbids_others() -> None:
    schema = cog_yaml_json_schema()
    assert set(schema["properties"]) == {"build", "predict", "run", "train", "image", "concurrency", "environment"}
    assert schema["additionalProperties"] is False
    build = schema["$defs"]["RawBuild"]
    assert "python_version" in build["properties"] and build["additionalProperties"] is False
    assert "null" not in json.dumps(schema)


def test_module_prints_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cog_py.config.jsonschema"], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == cog_yaml_json_schema()
