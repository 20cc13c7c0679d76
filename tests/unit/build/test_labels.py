from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from cog_py import labels as keys
from cog_py.build.image_labels import config_json, git_labels, image_labels, strip_credentials
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from tests.golden import assert_golden
from tests.unit.build.conftest import make_config


def test_config_label_has_cogs_shape(project: Path) -> None:
    cfg = make_config(project, gpu=True, requirements=("torch==2.7.1",), python_requirements="requirements.txt",
                      system_packages=("ffmpeg",), run=("echo hi", ("cat /s", (("tok", "/s"),))),
                      environment=(("A", "b"),), train="train.py:train")
    plan = make_plan(cfg, BuildOptions())
    assert_golden("labels/run.cog.config.json", config_json(cfg, plan) + "\n")
    value = json.loads(config_json(cfg, plan))
    assert value["build"]["cuda"] == "12.8" and value["build"]["cudnn"] == "9"
    assert value["predict"] == "predict.py:Predictor"


def test_config_label_leaves_empty_values_out(project: Path) -> None:
    assert config_json(make_config(project)) == '{"build":{"python_version":"3.11"},"predict":"predict.py:Predictor"}'


def test_strip_credentials() -> None:
    assert strip_credentials("https://user:tok@github.com/a/b.git") == "https://github.com/a/b.git"
    assert strip_credentials("https://tok@example.com/x") == "https://example.com/x"
    assert strip_credentials("git@github.com:a/b.git") == "git@github.com:a/b.git"
    assert strip_credentials("https://github.com/a/b") == "https://github.com/a/b"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_git_labels_from_a_real_checkout(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "-c", "user.email=t@e", "-c", "user.name=t", "add", ".")
    _git(project, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x")
    _git(project, "tag", "v1.2.3")
    _git(project, "remote", "add", "origin", "https://bob:secret@git.example.com/bob/model.git")
    out = git_labels(project, environ={})
    assert out[keys.OCI_REVISION] == _git(project, "rev-parse", "HEAD")
    assert out[keys.OCI_VERSION] == "v1.2.3"
    assert out[keys.OCI_SOURCE] == "https://git.example.com/bob/model.git"
    env = git_labels(project, environ={"GITHUB_SHA": "abc", "GITHUB_REF_NAME": "main"})
    assert env[keys.OCI_REVISION] == "abc" and env[keys.OCI_VERSION] == "main"


def test_no_git_no_oci_git_labels(project: Path) -> None:
    assert git_labels(project, environ={}) == {}


def test_every_label(project: Path) -> None:
    cfg = make_config(project)
    out = image_labels(cfg, make_plan(cfg, BuildOptions()), schema_json='{"openapi":"3.0.2"}',
                       pip_freeze="numpy==2.0\n", now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert out[keys.OCI_CREATED] == "2026-01-02T03:04:05Z"
    assert out[keys.COG_PIP_FREEZE] == "numpy==2.0\n"
    assert json.loads(out[keys.COG_CONFIG])["build"]["python_version"] == "3.11"
    assert out[keys.COG_OPENAPI_SCHEMA] == '{"openapi":"3.0.2"}'
    from cog_py._version import __version__
    assert out[keys.COG_VERSION] == __version__
