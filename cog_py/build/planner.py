"""All build decisions: Config + BuildOptions -> BuildPlan. Pure; reads only local artifact paths."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cog_py.build.plan import SERVER_VENV, BuildOptions, BuildPlan, RunStep, SecretMount
from cog_py.build.requirements import render_requirements
from cog_py.build.standalone import StandalonePython, standalone_python
from cog_py.build.system_cuda import system_cuda_reason
from cog_py.build.versions import Version, cuda_image_tags, ubuntu_pythons
from cog_py.config.models import Config
from cog_py.errors import BuildError

if TYPE_CHECKING:
    from cog_py.build.gpu import CudaResolution

SUPPORTED_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
MIN_PYTHON = Version(3, 8)
# The HTTP parent (fastapi, uvicorn, pydantic 2 and our server) needs this Python or newer: the
# current fastapi/pydantic releases need 3.9 (for 3.8 pip resolves only their last 3.8 releases,
# pydantic 2.10 / fastapi 0.124, no longer maintained). Older models get a parent interpreter of
# its own (a standalone CPython of SERVER_STANDALONE_PYTHON), apart from the model's environment.
SERVER_MIN_PYTHON = Version(3, 9)
SERVER_STANDALONE_PYTHON = "3.12"
SERVER_PYTHON_PREFIX = "/opt/cog/server-python"
CUDA_PYTHON_PREFIX = "/opt/cog/python-standalone"
# Installed with the user's requirements, as Cog's SDK brought them into the model's environment
# (Cog >= 0.17: requests, pyyaml, typing_extensions); the user's own lines win.
COG_PROVIDED = ("requests", "pyyaml", "typing_extensions")
CUDA_PYTHON_VENV = "/opt/cog/python"
_APT_NAME = re.compile(r"^[a-z0-9][a-z0-9+.\-]*(:[a-z0-9]+)?(=[A-Za-z0-9.+~:\-]+)?$")
_GPU_ENV = (
    ("NVIDIA_DRIVER_CAPABILITIES", "all"),
    ("LD_LIBRARY_PATH",
     "$LD_LIBRARY_PATH:/usr/lib/x86_64-linux-gnu:/usr/local/nvidia/lib64:/usr/local/nvidia/bin"),
)


def check_python_version(version: str) -> Version:
    """Parse build.python_version and refuse versions we cannot build images for."""
    try:
        v = Version.parse(version)
    except ValueError:
        raise BuildError(
            f"invalid build.python_version \"{version}\": must include major and minor version (e.g., '3.11')",
        ) from None
    if (v.major, v.minor) < (MIN_PYTHON.major, MIN_PYTHON.minor):
        raise BuildError(
            f"invalid build.python_version \"{version}\": minimum supported Python version is {MIN_PYTHON.short}",
            hint='Set build.python_version in cog.yaml to 3.10 or newer, e.g. python_version: "3.12".',
        )
    if v.short not in SUPPORTED_PYTHONS:
        raise BuildError(
            f"unsupported Python version {version}: cog_py builds images for Python "
            + ", ".join(SUPPORTED_PYTHONS),
            hint='Set build.python_version in cog.yaml to one of them, e.g. python_version: "3.12".',
        )
    return v


def make_plan(config: Config, options: BuildOptions) -> BuildPlan:
    """Decide the image for `config` as built with `options`."""
    build = config.build
    py = check_python_version(build.python_version)
    warnings: list[str] = []
    notes: list[str] = []
    res: CudaResolution | None = None
    if build.gpu:
        from cog_py.build.gpu import resolve_cuda   # CUDA tables and pins: GPU models only

        res = resolve_cuda(build.requirements, build.cuda, build.cudnn, python=py.short)
        warnings.extend(res.warnings)
        if res.note:
            notes.append(res.note)
    use_cuda_base = False
    if res is not None:
        use_cuda_base, why = _wants_cuda_base(config, options, res, py)
        notes.append(why)
    standalone: list[StandalonePython] = []
    apt_python = False
    if use_cuda_base:
        assert res is not None
        base_image, apt_python = _cuda_base(res, py)
        python_bin = f"{CUDA_PYTHON_VENV}/bin/python"
        if not apt_python:
            standalone.append(standalone_python(py.short, CUDA_PYTHON_PREFIX))
            notes.append(f"python{py.short}: not packaged by {base_image}'s Ubuntu; a standalone CPython "
                         f"{standalone[-1].version} is installed at {CUDA_PYTHON_PREFIX}")
    else:
        base_image = f"python:{build.python_version}-slim"
        python_bin = "/usr/local/bin/python"
    server_python_bin, server_version = python_bin, py.short
    if py.sort_key()[:2] < SERVER_MIN_PYTHON.sort_key()[:2]:
        server = standalone_python(SERVER_STANDALONE_PYTHON, SERVER_PYTHON_PREFIX)
        standalone.append(server)
        server_python_bin, server_version = server.python, server.minor
        notes.append(f"HTTP server: Python {py.short} is older than its dependencies support; it runs on a "
                     f"standalone CPython {server.version} at {SERVER_PYTHON_PREFIX}, apart from the model's Python")

    base_dir = config.project_dir
    if build.python_requirements:
        base_dir = (config.project_dir / build.python_requirements).parent
    reqs = render_requirements(
        build.requirements,
        gpu_cuda=res.cuda if res is not None else None,
        base_dir=base_dir,
        project_dir=config.project_dir,
        torch_pick=res.framework_version if res is not None and res.framework == "torch" else None,
        provided=COG_PROVIDED,
        overrides=build.overrides,
    )
    warnings.extend(reqs.warnings)

    apt = ["tini"]
    for pkg in build.system_packages:
        if not _APT_NAME.match(pkg):
            raise BuildError(
                f"invalid build.system_packages entry \"{pkg}\": not a Debian package name",
                hint="List apt package names only, e.g. ffmpeg or libgl1.",
            )
        apt.append(pkg)
    if use_cuda_base and apt_python:
        apt += [f"python{py.short}", f"python{py.short}-venv"]
    if standalone:
        apt += ["curl", "ca-certificates"]
    apt = list(dict.fromkeys(apt))

    runs = tuple(
        RunStep(command=item.command, mounts=tuple(SecretMount(m.id, m.target) for m in item.mounts))
        for item in build.run
    )
    for step in runs:
        if "\n" in step.command:
            raise BuildError(f"invalid build.run command {step.command!r}: a command cannot contain a newline",
                             hint="Split it into several run items or join lines with &&.")

    preamble = [("DEBIAN_FRONTEND", "noninteractive"), ("PYTHONUNBUFFERED", "1"),
                ("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_ROOT_USER_ACTION", "ignore")]
    if build.gpu:
        preamble += list(_GPU_ENV)

    return BuildPlan(
        base_image=base_image,
        base_kind="cuda" if use_cuda_base else "python",
        python_version=py.short,
        python_bin=python_bin,
        site_packages=f"{SERVER_VENV}/lib/python{server_version}/site-packages",
        server_python_bin=server_python_bin,
        server_python_version=server_version,
        standalone_pythons=tuple(standalone),
        venv_python=(f"python{py.short}" if apt_python else standalone[0].python) if use_cuda_base else None,
        preamble_env=tuple(preamble),
        ca_cert=options.ca_cert is not None,
        apt_packages=tuple(apt),
        apt_check_python=f"python{py.short}" if use_cuda_base and apt_python else None,
        make_python_venv=use_cuda_base,
        environment=config.environment,
        requirements_text=reqs.text,
        constraints_text="".join(f"{line}\n" for line in build.overrides),
        local_artifacts=tuple(a.rel for a in reqs.artifacts),
        runtime_wheel=options.runtime_wheel,
        runs=runs,
        weights=options.weights if options.separate_weights else (),
        baked_env=_baked_env(config, options),
        copy_source=options.mode == "release",
        needs_buildkit=any(step.mounts for step in runs),
        gpu=build.gpu,
        cuda=res.cuda if res else None,
        cudnn=res.cudnn if res else None,
        ray_version=_ray_version(py) if options.with_ray else None,
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _ray_version(py: Version) -> str:
    """--with-ray: the Ray release cog_py.ray is made for; Ray needs Python 3.10 or newer."""
    from cog_py.ray import RAY_VERSION

    if (py.major, py.minor) < (3, 10):
        raise BuildError(
            f"--with-ray: Ray {RAY_VERSION} needs Python 3.10 or newer, and the server's environment uses the "
            f"model's Python {py.short}",
            hint='Set build.python_version to "3.10" or newer in cog.yaml, or build without --with-ray.')
    return RAY_VERSION


def _wants_cuda_base(config: Config, options: BuildOptions, res: CudaResolution, py: Version) -> tuple[bool, str]:
    """The base image rule for GPU models, and the reason in words (README: "Base image rule").

    An nvidia/cuda devel base when `--use-cuda-base-image=true`, `build.cuda` is set, TensorFlow
    is pinned, no torch/TensorFlow pin decides the CUDA version, or something needs system CUDA
    (system_cuda.py); otherwise `python:X-slim` with torch's CUDA wheels.
    """
    flag = options.use_cuda_base_image.lower()
    if flag == "false":
        return False, "python:X-slim base: --use-cuda-base-image=false"
    if flag != "auto":
        return True, "nvidia/cuda base: --use-cuda-base-image=true"
    build = config.build
    if build.cuda is not None:
        return True, f"nvidia/cuda base: build.cuda is {build.cuda}"
    if res.framework == "tensorflow":
        return True, "nvidia/cuda base: TensorFlow uses the system's CUDA"
    reason = system_cuda_reason(build.requirements, (step.command for step in build.run))
    if reason is not None:
        return True, f"nvidia/cuda base: {reason}"
    if res.framework is None:
        return True, f"nvidia/cuda base: no torch/TensorFlow pin decides CUDA; Cog's default CUDA {res.cuda}"
    return False, "python:X-slim base: torch's wheels carry their CUDA libraries"


def _cuda_base(res: CudaResolution, py: Version) -> tuple[str, bool]:
    """The nvidia/cuda image for `res`, and whether its Ubuntu packages python`py` (apt).

    The best image whose Ubuntu packages that Python; else the best image (newest CUDA patch,
    newest Ubuntu), where a standalone CPython build provides it.
    """
    images = cuda_image_tags(res.cuda, res.cudnn)
    if not images:
        raise BuildError(
            f"no nvidia/cuda image is known for CUDA {res.cuda} with cuDNN {res.cudnn}",
            hint="Pick a CUDA/cuDNN pair listed in cog_py/build/data/cuda.json.",
        )
    pythons = ubuntu_pythons()
    for image in images:
        if py.short in pythons.get(image.ubuntu, ()):
            return f"nvidia/cuda:{image.tag}", True
    return f"nvidia/cuda:{images[0].tag}", False


def _baked_env(config: Config, options: BuildOptions) -> tuple[tuple[str, str], ...]:
    env: list[tuple[str, str]] = []
    if config.predict:
        env.append(("COG_PREDICT_TYPE_STUB", config.predict))
    if config.train:
        env.append(("COG_TRAIN_TYPE_STUB", config.train))
    concurrency = config.concurrency_max or options.concurrency_max
    if concurrency is not None:
        env.append(("COG_MAX_CONCURRENCY", str(concurrency)))
    if config.concurrency_queue:
        env.append(("COG_QUEUE_SIZE", str(config.concurrency_queue)))
    if config.batch is not None:
        env.append(("COG_BATCH_MAX_SIZE", str(config.batch.max_size)))
        if config.batch.max_wait_ms is not None:
            env.append(("COG_BATCH_MAX_WAIT_MS", f"{config.batch.max_wait_ms:g}"))
    if config.build.gpu:
        env.append(("COG_GPU", "1"))
    return tuple(env)
