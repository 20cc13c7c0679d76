"""All build decisions: Config + BuildOptions -> BuildPlan. Pure; reads only local artifact paths."""

from __future__ import annotations

import re

from cog_py.build.gpu import CudaResolution, resolve_cuda
from cog_py.build.plan import SERVER_VENV, BuildOptions, BuildPlan, RunStep, SecretMount
from cog_py.build.requirements import render_requirements
from cog_py.build.system_cuda import system_cuda_reason
from cog_py.build.versions import Version, cuda_image_tags, ubuntu_pythons
from cog_py.config.models import Config
from cog_py.errors import BuildError

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
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
        res = resolve_cuda(build.requirements, build.cuda, build.cudnn, python=py.short)
        warnings.extend(res.warnings)
        if res.note:
            notes.append(res.note)
    use_cuda_base = False
    if res is not None:
        use_cuda_base, why = _wants_cuda_base(config, options, res, py)
        notes.append(why)
    if use_cuda_base:
        assert res is not None
        base_image = _cuda_base(res, py)
        python_bin = f"{CUDA_PYTHON_VENV}/bin/python"
    else:
        base_image = f"python:{build.python_version}-slim"
        python_bin = "/usr/local/bin/python"

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
    if use_cuda_base:
        apt += [f"python{py.short}", f"python{py.short}-venv"]
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
        site_packages=f"{SERVER_VENV}/lib/python{py.short}/site-packages",
        preamble_env=tuple(preamble),
        ca_cert=options.ca_cert is not None,
        apt_packages=tuple(apt),
        apt_check_python=f"python{py.short}" if use_cuda_base else None,
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
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


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
        if not _cuda_base_offers(res, py):
            return False, (f"python:X-slim base: no torch/TensorFlow pin, and no nvidia/cuda image for the "
                           f"default CUDA {res.cuda} packages python{py.short}")
        return True, f"nvidia/cuda base: no torch/TensorFlow pin decides CUDA; Cog's default CUDA {res.cuda}"
    return False, "python:X-slim base: torch's wheels carry their CUDA libraries"


def _cuda_base_offers(res: CudaResolution, py: Version) -> bool:
    pythons = ubuntu_pythons()
    return any(py.short in pythons.get(i.ubuntu, ()) for i in cuda_image_tags(res.cuda, res.cudnn))


def _cuda_base(res: CudaResolution, py: Version) -> str:
    images = cuda_image_tags(res.cuda, res.cudnn)
    if not images:
        raise BuildError(
            f"no nvidia/cuda image is known for CUDA {res.cuda} with cuDNN {res.cudnn}",
            hint="Pick a CUDA/cuDNN pair listed in cog_py/build/data/cuda.json.",
        )
    pythons = ubuntu_pythons()
    for image in images:
        if py.short in pythons.get(image.ubuntu, ()):
            return f"nvidia/cuda:{image.tag}"
    offered = sorted({p for i in images for p in pythons.get(i.ubuntu, ())})
    raise BuildError(
        f"the nvidia/cuda images for CUDA {res.cuda} (Ubuntu "
        + ", ".join(sorted({i.ubuntu for i in images}))
        + f") have no python{py.short} package",
        hint=(f"Use python_version {' or '.join(offered)} with this CUDA, or build on "
              f"python:{py.short}-slim with CUDA wheels (remove build.cuda, or pass "
              "--use-cuda-base-image=false)") if offered else
             "Remove build.cuda or pass --use-cuda-base-image=false to build on python:X.Y-slim.",
    )


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
