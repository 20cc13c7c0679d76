"""`cog serve --ray`: the development container runs `python -m cog_py.ray.local` from the server's
environment (the image then has Ray); `python -m cog_py.ray.local`'s own flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.cli.options import ray_local_args
from cog_py.errors import RayError
from cog_py.run.serve import ServeOptions, serve_spec
from cog_py.ray.local import parse_args


def test_serve_spec_runs_the_local_ray_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_DOCKER_NETWORK", "host")
    args = ray_local_args(2, None, None)
    spec, _ = serve_spec(ServeOptions(port=9002, ray_args=args), "img", tmp_path, model_gpu=False)
    assert spec.command == ("/opt/cog/server/bin/python", "-m", "cog_py.ray.local", "--host", "127.0.0.1",
                            "--project-dir", "/src", "--replicas", "2")
    parsed = parse_args(list(spec.command[3:]))
    assert (parsed.host, parsed.project_dir, parsed.replicas, parsed.max_replicas) == ("127.0.0.1", "/src", 2, None)
    monkeypatch.delenv("COG_DOCKER_NETWORK")
    spec, _ = serve_spec(ServeOptions(ray_args=ray_local_args(1, 1, 3)), "img", tmp_path, model_gpu=False)
    assert spec.command is not None and "--host" not in spec.command        # published by the engine
    assert spec.command[-4:] == ("--min-replicas", "1", "--max-replicas", "3")


def test_scaling_flags_are_checked_before_anything_is_built() -> None:
    with pytest.raises(RayError, match="--min-replicas needs --max-replicas"):
        ray_local_args(1, 2, None)
