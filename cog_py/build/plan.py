"""The decided shape of an image: every value the Dockerfile template needs, nothing to decide.

`make_plan` (planner.py) produces a `BuildPlan`; `render_dockerfile` (dockerfile.py) only loops
and interpolates over it. Paths named `ctx_*` are inside the build context we assemble
(context.py): `src/` holds the project, `cog/` the generated files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cog_py.build.standalone import StandalonePython

Mode = Literal["release", "dev"]

CTX_SOURCE = "src"            # the project's files (after .dockerignore)
CTX_WEIGHTS = "weights"       # --separate-weights: large files, copied before the code
CTX_COG = "cog"               # generated files: requirements.txt, runtime wheels, CA cert
CTX_LOCAL = "cog/local"       # local wheels/sdists named in requirements
CTX_RUNTIME = "cog/runtime"   # our wheel + the server's wheels

SERVER_VENV = "/opt/cog/server"


@dataclass(frozen=True)
class SecretMount:
    id: str
    target: str


@dataclass(frozen=True)
class RunStep:
    command: str
    mounts: tuple[SecretMount, ...] = ()


@dataclass(frozen=True)
class SecretSpec:
    """A `--secret id=..,src=..|env=..` given to the build (never stored in the image)."""

    id: str
    src: str | None = None
    env: str | None = None


@dataclass(frozen=True)
class BuildOptions:
    """What the command line adds to cog.yaml."""

    mode: Mode = "release"
    use_cuda_base_image: str = "auto"          # "auto" | "true" | "false"
    separate_weights: bool = False
    weights: tuple[str, ...] = ()              # project-relative paths (context.find_weights)
    secrets: tuple[SecretSpec, ...] = ()
    ca_cert: str | None = None                 # PEM text (cacert.load_ca_cert)
    runtime_wheel: str = "cog_py-0.0.0-py3-none-any.whl"
    concurrency_max: int | None = None         # from @concurrent when cog.yaml has none
    with_ray: bool = False                     # --with-ray: Ray Serve in the server's environment


@dataclass(frozen=True)
class BuildPlan:
    base_image: str
    base_kind: Literal["python", "cuda"]
    python_version: str                        # major.minor
    python_bin: str                            # the user's (worker's) interpreter in the image
    site_packages: str                         # the server venv's site-packages
    preamble_env: tuple[tuple[str, str], ...]
    ca_cert: bool
    apt_packages: tuple[str, ...]              # tini + system_packages (+ Python on CUDA bases)
    apt_check_python: str | None               # python3.X package the CUDA base must offer
    make_python_venv: bool                     # CUDA base: the user's Python is a venv on PATH
    environment: tuple[tuple[str, str], ...]   # cog.yaml `environment`
    requirements_text: str                     # generated requirements.txt ("" = none)
    constraints_text: str = field(default="", kw_only=True)  # build.python_overrides, as pip constraints
    local_artifacts: tuple[str, ...]           # project-relative paths copied to CTX_LOCAL
    runtime_wheel: str
    runs: tuple[RunStep, ...]
    weights: tuple[str, ...]
    baked_env: tuple[tuple[str, str], ...]
    copy_source: bool
    needs_buildkit: bool
    gpu: bool = False
    server_python_bin: str = ""                # the parent's interpreter ("" = python_bin)
    server_python_version: str = ""            # its major.minor ("" = python_version)
    standalone_pythons: tuple[StandalonePython, ...] = ()  # downloaded + unpacked in cog-system
    venv_python: str | None = None             # CUDA base: makes the model's venv (apt or standalone)
    cuda: str | None = None
    cudnn: str | None = None
    ray_version: str | None = None             # --with-ray: ray[serve]==this in the server's environment
    warnings: tuple[str, ...] = field(default=(), compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)   # decisions `cog debug` explains

    @property
    def server_python(self) -> str:
        return self.server_python_bin or self.python_bin

    @property
    def server_python_short(self) -> str:
        return self.server_python_version or self.python_version

    @property
    def runtime_env(self) -> tuple[tuple[str, str], ...]:
        return (
            ("COG_SERVER_PYTHON", f"{SERVER_VENV}/bin/python"),
            ("COG_WORKER_PYTHON", self.python_bin),
        )
