"""Every malformed cog.yaml gives one exact line per problem: `cog.yaml:LINE: path: message`."""

from __future__ import annotations

from collections.abc import Callable
from textwrap import dedent

import pytest

from cog_py.config.loader import LoadedConfig
from cog_py.errors import ConfigError

PY = 'build:\n  python_version: "3.11"\n'

# (case id, cog.yaml text, the exact error lines)
CASES: list[tuple[str, str, list[str]]] = [
    (
        "malformed-yaml",
        "build:\n  gpu: true\n python_version: '3.11'\n",
        ["cog.yaml:3: invalid YAML: expected <block end>, but found '<block mapping start>' (column 2)"],
    ),
    (
        "malformed-yaml-colon",
        'build:\n  python_version: "3.11"\npredict: a: b\n',
        ["cog.yaml:3: invalid YAML: mapping values are not allowed here (column 11)"],
    ),
    ("empty-file", "", ['cog.yaml:1: the file is empty: it needs at least build.python_version, e.g. "3.11"']),
    (
        "comments-only",
        "# nothing here\n\n",
        ['cog.yaml:1: the file is empty: it needs at least build.python_version, e.g. "3.11"'],
    ),
    (
        "root-is-a-list",
        "- build\n- predict\n",
        ["cog.yaml:1: must be a mapping of keys such as build and predict, got a list"],
    ),
    ("unknown-top-key-suggested", PY + "predcit: predict.py:Predictor\n", ['cog.yaml:3: predcit: unknown key (did you mean "predict"?)']),
    ("unknown-build-key-suggested", PY + "  python_verison: '3.12'\n", ['cog.yaml:3: build.python_verison: unknown key (did you mean "python_version"?)']),
    ("unknown-key-no-suggestion", PY + "flavour: vanilla\n", ["cog.yaml:3: flavour: unknown key"]),
    ("gpu-not-bool", PY + '  gpu: "yes"\n', ['cog.yaml:3: build.gpu: must be a boolean (true or false), got string "yes"']),
    ("gpu-number", PY + "  gpu: 1\n", ["cog.yaml:3: build.gpu: must be a boolean (true or false), got number 1"]),
    ("system-packages-string", PY + "  system_packages: libgl1\n", ['cog.yaml:3: build.system_packages: must be a list, got string "libgl1"']),
    (
        "system-packages-item-number",
        PY + "  system_packages:\n    - ffmpeg\n    - 7\n",
        ["cog.yaml:5: build.system_packages[1]: must be a string, got number 7"],
    ),
    ("build-not-mapping", "build: python3.11\n", ['cog.yaml:1: build: must be a mapping, got string "python3.11"']),
    ("image-number", PY + "image: 42\n", ["cog.yaml:3: image: must be a string, got number 42"]),
    ("environment-not-list", PY + "environment: A=1\n", ['cog.yaml:3: environment: must be a list, got string "A=1"']),
    (
        "python-version-missing",
        "build:\n  gpu: false\n",
        ['cog.yaml:1: build.python_version: python_version is required. Add it to the build section of your cog.yaml, e.g. `python_version: "3.13"`'],
    ),
    (
        "build-missing",
        "predict: predict.py:Predictor\n",
        ['cog.yaml:1: build.python_version: python_version is required. Add it to the build section of your cog.yaml, e.g. `python_version: "3.13"`'],
    ),
    ("python-too-old", 'build:\n  python_version: "3.7"\n', ['cog.yaml:2: build.python_version: minimum supported Python version is 3.8 (got "3.7")']),
    ("python-2", 'build:\n  python_version: "2.7"\n', ['cog.yaml:2: build.python_version: minimum supported Python version is 3.8 (got "2.7")']),
    ("python-major-only", 'build:\n  python_version: "3"\n', ["cog.yaml:2: build.python_version: must include major and minor version (e.g., '3.11') (got \"3\")"]),
    ("python-garbage", "build:\n  python_version: three\n", ['cog.yaml:2: build.python_version: invalid major/minor version number (got "three")']),
    (
        "python-unquoted-3.10",
        "build:\n  python_version: 3.10\n",
        ['cog.yaml:2: build.python_version: YAML reads 3.10 as the number 3.1: quote it, python_version: "3.10"'],
    ),
    (
        "packages-and-requirements",
        PY + "  python_packages: [numpy]\n  python_requirements: requirements.txt\n",
        ["cog.yaml:3: build.python_packages: only one of python_packages or python_requirements can be set, not both"],
    ),
    (
        "requirements-file-missing",
        PY + "  python_requirements: reqs/missing.txt\n",
        ['cog.yaml:3: build.python_requirements: file does not exist (got "reqs/missing.txt")'],
    ),
    ("predict-no-colon", PY + "predict: predict.py\n", ["cog.yaml:3: predict: must be in the form 'predict.py:Predictor' (got \"predict.py\")"]),
    (
        "predict-with-newline-stays-one-line",
        PY + 'predict: "predict.py\\nPredictor"\n',
        ["cog.yaml:3: predict: must be in the form 'predict.py:Predictor' (got \"predict.py\\nPredictor\")"],
    ),
    ("predict-no-py", PY + "predict: predict:Predictor\n", ["cog.yaml:3: predict: must be in the form 'predict.py:Predictor' (got \"predict:Predictor\")"]),
    ("run-ref-bad", PY + "run: \"run.py:\"\n", ["cog.yaml:3: run: must be in the form 'run.py:Runner' (got \"run.py:\")"]),
    ("train-ref-bad", PY + "train: Trainer\n", ["cog.yaml:3: train: must be in the form 'train.py:Trainer' (got \"Trainer\")"]),
    ("predict-and-run", PY + "predict: predict.py:Predictor\nrun: run.py:Runner\n", ["cog.yaml:4: run: only one of run or predict can be set"]),
    (
        "env-denied-name",
        PY + "environment:\n  - PATH=/opt/bin\n",
        ['cog.yaml:4: environment[0]: environment variable "PATH" is not allowed: reserved for internal use'],
    ),
    (
        "env-denied-prefix",
        PY + "environment:\n  - COG_SETUP_TIMEOUT=10\n  - CUDA_VISIBLE_DEVICES=0\n",
        ['cog.yaml:5: environment[1]: environment variable "CUDA_VISIBLE_DEVICES" is not allowed: reserved for internal use'],
    ),
    (
        "env-format",
        PY + "environment:\n  - 1ABC=x\n",
        ['cog.yaml:4: environment[0]: environment variable "1ABC=x" is not in the KEY=VALUE format'],
    ),
    (
        "env-duplicate",
        PY + "environment:\n  - A=1\n  - A=2\n",
        ['cog.yaml:5: environment[1]: environment variable "A" is already defined'],
    ),
    ("concurrency-zero", PY + "concurrency:\n  max: 0\n", ["cog.yaml:4: concurrency.max: must be at least 1 (got 0)"]),
    (
        "concurrency-old-python",
        'build:\n  python_version: "3.10"\nconcurrency:\n  max: 4\n',
        ["cog.yaml:4: concurrency.max: concurrency requires Python 3.11 or higher"],
    ),
    ("concurrency-no-max", PY + "concurrency: {}\n", ["cog.yaml:3: concurrency.max: required key is missing"]),
    ("concurrency-queue-zero", PY + "concurrency:\n  max: 1\n  queue: 0\n",
     ["cog.yaml:5: concurrency.queue: must be at least 1 (got 0)"]),
    ("batch-no-size", PY + "batch:\n  max_wait_ms: 5\n", ["cog.yaml:3: batch.max_size: required key is missing"]),
    ("batch-size-zero", PY + "batch:\n  max_size: 0\n", ["cog.yaml:4: batch.max_size: must be at least 1 (got 0)"]),
    ("batch-wait-negative", PY + "batch:\n  max_size: 4\n  max_wait_ms: -1\n",
     ["cog.yaml:5: batch.max_wait_ms: must not be negative (got -1)"]),
    ("concurrency-not-int", PY + "concurrency:\n  max: 2.5\n", ["cog.yaml:4: concurrency.max: must be an integer, got number 2.5"]),
    ("cuda-major-only", PY + '  cuda: "12"\n', ["cog.yaml:3: build.cuda: must include both major and minor versions (e.g., '11.8') (got \"12\")"]),
    ("cuda-too-old", PY + '  cuda: "10.2"\n', ['cog.yaml:3: build.cuda: minimum supported CUDA version is 11 (got "10.2")']),
    ("cuda-garbage", PY + "  cuda: latest\n", ['cog.yaml:3: build.cuda: invalid major version number (got "latest")']),
    ("cudnn-garbage", PY + "  cudnn: v8\n", ['cog.yaml:3: build.cudnn: must be a version number such as "8" or "9" (got "v8")']),
    (
        "run-newline",
        PY + '  run:\n    - "apt-get update\\napt-get install -y ffmpeg"\n',
        ["cog.yaml:4: build.run[0]: command must not contain a newline: write each command as its own item"],
    ),
    ("run-item-number", PY + "  run:\n    - 5\n", ['cog.yaml:4: build.run[0]: must be a string or a mapping with a "command" key, got number 5']),
    ("run-item-no-command", PY + "  run:\n    - mounts: []\n", ["cog.yaml:4: build.run[0].command: required key is missing"]),
    (
        "run-item-unknown-key",
        PY + "  run:\n    - command: echo hi\n      mount: []\n",
        ['cog.yaml:5: build.run[0].mount: unknown key (did you mean "mounts"?)'],
    ),
    (
        "mount-type-cache",
        PY + "  run:\n    - command: pip download x\n      mounts:\n        - type: cache\n          id: pip\n          target: /root/.cache\n",
        ['cog.yaml:6: build.run[0].mounts[0].type: must be "secret" (got "cache")'],
    ),
    (
        "mount-missing-id",
        PY + "  run:\n    - command: cat /run/s\n      mounts:\n        - type: secret\n          target: /run/s\n",
        ["cog.yaml:6: build.run[0].mounts[0].id: required key is missing"],
    ),
    (
        "weights-not-supported",
        PY + "weights:\n  - name: w\n",
        ["cog.yaml:3: weights: not supported yet: cog_py has no managed weights; copy weights into the image or download them in setup()"],
    ),
    ("model-not-supported", PY + "model: r8.im/me/model\n", ['cog.yaml:3: model: not supported yet: use "image" to name the image']),
    (
        "sdk-version-not-supported",
        PY + '  sdk_version: "0.16.0"\n',
        ["cog.yaml:3: build.sdk_version: not supported yet: images always get the runtime of this cog_py version"],
    ),
    (
        "duplicate-key",
        'build:\n  gpu: true\n  python_version: "3.11"\n  gpu: false\n',
        ["cog.yaml:4: build.gpu: duplicate key (first defined on line 2)"],
    ),
    (
        "all-problems-at-once",
        dedent(
            """\
            build:
              gpu: maybe
              python_version: "3.7"
            predict: predict.py
            environment:
              - PYTHONPATH=/src
            """
        ),
        [
            'cog.yaml:2: build.gpu: must be a boolean (true or false), got string "maybe"',
            'cog.yaml:3: build.python_version: minimum supported Python version is 3.8 (got "3.7")',
            "cog.yaml:4: predict: must be in the form 'predict.py:Predictor' (got \"predict.py\")",
            'cog.yaml:6: environment[0]: environment variable "PYTHONPATH" is not allowed: reserved for internal use',
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_config_reports_each_problem_on_its_line(
    load: Callable[..., LoadedConfig], text: str, expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        load(text, {"requirements.txt": "numpy\n"})
    assert info.value.message.splitlines() == expected
    assert info.value.hint


def test_the_table_has_enough_cases() -> None:
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


def test_yaml_errors_get_a_yaml_hint(load: Callable[..., LoadedConfig]) -> None:
    with pytest.raises(ConfigError) as info:
        load("build: [\n")
    assert info.value.hint == "Check the indentation and quoting on that line of cog.yaml."


def test_other_errors_point_to_the_reference(load: Callable[..., LoadedConfig]) -> None:
    with pytest.raises(ConfigError) as info:
        load("build:\n  python_version: '3.7'\n")
    assert info.value.hint is not None and "cog.yaml reference" in info.value.hint


def test_problems_name_the_file_as_given(write_project: Callable[..., object], tmp_path: object) -> None:
    from pathlib import Path

    from cog_py.config.loader import load_config

    assert isinstance(tmp_path, Path)
    other = tmp_path / "cog.gpu.yaml"
    other.write_text("build:\n  gpu: 3\n  python_version: '3.11'\n")
    with pytest.raises(ConfigError) as info:
        load_config(other)
    assert info.value.message == "cog.gpu.yaml:2: build.gpu: must be a boolean (true or false), got number 3"


@pytest.mark.parametrize("version", ["3.8", "3.9", "3.9.18"])
def test_python_3_8_and_3_9_load_with_one_end_of_life_warning(load: Callable[..., LoadedConfig], version: str) -> None:
    loaded = load(f'build:\n  python_version: "{version}"\n')
    assert loaded.config.build.python_version == version
    assert loaded.warnings == [
        f"cog.yaml:2: Python {version[:3]} has reached end of life; move to Python 3.10 or newer"]


def test_python_3_10_loads_without_a_warning(load: Callable[..., LoadedConfig]) -> None:
    assert load('build:\n  python_version: "3.10"\n').warnings == []
