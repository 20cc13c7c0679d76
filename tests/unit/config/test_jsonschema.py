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
    assert set(schema["properties"]) == {"build", "predict", "run", "train", "image", "concurrency", "batch", "environment",
                                        "tests"}
    assert schema["additionalProperties"] is False
    build = schema["$defs"]["RawBuild"]
    assert "python_version" in build["properties"] and build["additionalProperties"] is False
    assert "null" not in json.dumps(schema)


def test_module_prints_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cog_py.config.jsonschema"], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == cog_yaml_json_schema()


def test_every_key_cog_0_16_accepted_is_described() -> None:
    # issue 12 row "build-fast": Cog 0.16's schema is the reference (../shared, skipped without it)
    from tests.shared import shared_path

    cog = json.loads(shared_path("reference/cog-data/v0.16.12-config_schema_v1.0.json").read_text())
    ours = cog_yaml_json_schema()
    assert set(cog["properties"]) <= set(ours["properties"])
    assert set(cog["properties"]["build"]["properties"]) <= set(ours["$defs"]["RawBuild"]["properties"])
    cog_concurrency = set(cog["properties"]["concurrency"]["properties"]) - {"default_target"}  # a warning, as before
    assert cog_concurrency <= set(ours["$defs"]["RawConcurrency"]["properties"])
