"""Valid cog.yaml files resolve into the frozen Config the rest of cog_py reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from cog_py.config.loader import LoadedConfig, load_config, parse_config
from cog_py.config.models import Mount, RunItem

FULL = dedent(
    """\
    build:
      gpu: true
      python_version: "3.12.4"
      python_requirements: requirements.txt
      system_packages:
        - ffmpeg
        - libgl1
      cuda: "12.1"
      cudnn: "8"
      run:
        - echo one
        - command: cat /run/secrets/token > /dev/null
          mounts:
            - type: secret
              id: token
              target: /run/secrets/token
    predict: predict.py:Predictor
    train: train.py:Trainer
    image: registry.example.com/me/model
    concurrency:
      max: 4
    environment:
      - HF_HOME=/src/.hf
      - COG_SETUP_TIMEOUT=10
      - EMPTY=
      - WITH_EQUALS=a=b
    """
)


def test_minimal_config_gets_defaults(load: Callable[..., LoadedConfig], tmp_path: Path) -> None:
    loaded = load('build:\n  python_version: "3.11"\n')
    config = loaded.config
    assert loaded.warnings == []
    assert config.build.python_version == "3.11"
    assert config.build.gpu is False
    assert config.build.requirements == ()
    assert config.build.run == ()
    assert config.predict is None and config.predict_key == "predict"
    assert config.environment == () and config.concurrency_max is None
    assert config.project_dir == tmp_path.resolve()
    assert config.config_path == (tmp_path / "cog.yaml").resolve()


def test_full_config(load: Callable[..., LoadedConfig]) -> None:
    requirements = "torch==2.3.1  # pinned\n# a comment\n\nnumpy>=1.26 \\\n  ; python_version >= '3.10'\n"
    loaded = load(FULL, {"requirements.txt": requirements})
    config = loaded.config
    assert loaded.warnings == []
    assert config.build.gpu is True
    assert config.build.python_version == "3.12.4"
    assert config.build.python_requirements == "requirements.txt"
    assert config.build.requirements == ("torch==2.3.1", "numpy>=1.26 ; python_version >= '3.10'")
    assert config.build.system_packages == ("ffmpeg", "libgl1")
    assert (config.build.cuda, config.build.cudnn) == ("12.1", "8")
    assert config.build.run == (
        RunItem(command="echo one"),
        RunItem(
            command="cat /run/secrets/token > /dev/null",
            mounts=(Mount(type="secret", id="token", target="/run/secrets/token"),),
        ),
    )
    assert config.predict == "predict.py:Predictor" and config.predict_key == "predict"
    assert config.train == "train.py:Trainer"
    assert config.image == "registry.example.com/me/model"
    assert config.concurrency_max == 4
    assert config.environment == (
        ("HF_HOME", "/src/.hf"),
        ("COG_SETUP_TIMEOUT", "10"),
        ("EMPTY", ""),
        ("WITH_EQUALS", "a=b"),
    )


def test_run_key_is_first_class(load: Callable[..., LoadedConfig]) -> None:
    loaded = load('build:\n  python_version: "3.13"\nrun: run.py:Runner\n')
    assert loaded.warnings == []
    assert loaded.config.predict == "run.py:Runner"
    assert loaded.config.predict_key == "run"


def test_predict_key_is_never_warned_about(load: Callable[..., LoadedConfig]) -> None:
    loaded = load('build:\n  python_version: "3.13"\npredict: "src/predict.py:Predictor"\n')
    assert loaded.warnings == []
    assert loaded.config.predict == "src/predict.py:Predictor"


def test_python_packages_is_deprecated_but_used(load: Callable[..., LoadedConfig]) -> None:
    loaded = load('build:\n  python_version: "3.11"\n  python_packages:\n    - numpy==1.26.4\n    - pillow\n')
    assert loaded.config.build.requirements == ("numpy==1.26.4", "pillow")
    assert loaded.config.build.python_packages == ("numpy==1.26.4", "pillow")
    assert loaded.warnings == [
        'cog.yaml:3: deprecated field "build.python_packages": use "build.python_requirements" instead'
    ]


def test_pre_install_runs_after_run_and_warns(load: Callable[..., LoadedConfig]) -> None:
    loaded = load('build:\n  python_version: "3.11"\n  pre_install:\n    - echo late\n  run:\n    - echo early\n')
    assert [item.command for item in loaded.config.build.run] == ["echo early", "echo late"]
    assert loaded.warnings == ['cog.yaml:3: deprecated field "build.pre_install": use "build.run" instead']


def test_default_target_is_ignored_with_a_warning(load: Callable[..., LoadedConfig]) -> None:
    loaded = load('build:\n  python_version: "3.11"\nconcurrency:\n  max: 2\n  default_target: 1\n')
    assert loaded.config.concurrency_max == 2
    assert loaded.warnings == ['cog.yaml:5: "concurrency.default_target" is not supported yet: ignored']


@pytest.mark.parametrize(
    ("line", "expected"),
    [("python_version: 3.11", "3.11"), ("python_version: 3.12", "3.12"), ("python_version: '3.10'", "3.10")],
)
def test_unambiguous_numeric_python_versions_are_taken_as_written(
    load: Callable[..., LoadedConfig], line: str, expected: str
) -> None:
    assert load(f"build:\n  {line}\n").config.build.python_version == expected


def test_numeric_cuda_and_cudnn_are_taken_as_written(load: Callable[..., LoadedConfig]) -> None:
    build = load("build:\n  gpu: true\n  python_version: '3.11'\n  cuda: 11.8\n  cudnn: 8\n").config.build
    assert (build.cuda, build.cudnn) == ("11.8", "8")


def test_block_scalar_run_command_loses_only_its_final_newline(load: Callable[..., LoadedConfig]) -> None:
    config = load("build:\n  python_version: '3.11'\n  run:\n    - |\n      echo hi\n").config
    assert config.build.run == (RunItem(command="echo hi"),)


def test_empty_values_mean_unset(load: Callable[..., LoadedConfig]) -> None:
    config = load("build:\n  python_version: '3.11'\n  gpu:\n  system_packages:\nimage:\n").config
    assert config.build.gpu is False and config.build.system_packages == () and config.image is None


def test_config_is_frozen(load: Callable[..., LoadedConfig]) -> None:
    config = load("build:\n  python_version: '3.11'\n").config
    with pytest.raises(Exception):  # pydantic ValidationError for frozen instances
        setattr(config, "image", "x")


def test_absolute_requirements_path(load: Callable[..., LoadedConfig], tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "reqs.txt"
    outside.parent.mkdir()
    outside.write_text("httpx\n")
    config = load(f"build:\n  python_version: '3.11'\n  python_requirements: {outside}\n").config
    assert config.build.requirements == ("httpx",)


def test_parse_config_reads_requirements_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "requirements.txt").write_text("./wheels/my pkg-1.0-py3-none-any.whl\n")
    loaded = parse_config(
        "build:\n  python_version: '3.11'\n  python_requirements: requirements.txt\n",
        config_path=tmp_path / "sub" / "cog.yaml",
    )
    assert loaded.config.build.requirements == ("./wheels/my pkg-1.0-py3-none-any.whl",)


def test_load_config_reads_the_file_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text("build:\n  python_version: '3.11'\nimage: custom\n")
    assert load_config(path).config.image == "custom"


def test_queue_and_batch(load: Callable[..., LoadedConfig]) -> None:
    config = load('build:\n  python_version: "3.11"\nconcurrency:\n  max: 2\n  queue: 64\n'
                  "batch:\n  max_size: 16\n  max_wait_ms: 5\n").config
    assert config.concurrency_max == 2 and config.concurrency_queue == 64
    assert config.batch is not None and (config.batch.max_size, config.batch.max_wait_ms) == (16, 5.0)
    alone = load('build:\n  python_version: "3.11"\nconcurrency:\n  queue: 8\nbatch:\n  max_size: 4\n').config
    assert alone.concurrency_max is None and alone.concurrency_queue == 8   # a queue alone keeps one slot
    assert alone.batch is not None and alone.batch.max_wait_ms is None   # unset: @batch's, else 10
    plain = load('build:\n  python_version: "3.11"\n').config
    assert plain.concurrency_queue is None and plain.batch is None
