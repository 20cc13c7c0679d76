"""Seed stand-ins for public base images that cannot be pulled here (test fixtures).

One debootstrap per Debian release, customised to look like the official python image and cached
as a tarball in the state dir; every tag that needs that release is a `docker import` of it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from engine_state import ACTIONS, EngineScriptError, apt_install, docker_cli, run, say

STANDIN_LABEL = "dev.cog-py.standin"  # cog_py/labels.py STANDIN; scripts must run before install
PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def image_present(tag: str) -> bool:
    return run([docker_cli(), "image", "inspect", tag]).returncode == 0


def pull_works(tag: str) -> bool:
    try:
        return run([docker_cli(), "pull", tag], timeout=60).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_image(state: Path, tag: str, release: str) -> None:
    """`tag` present afterwards: already there, pulled, or seeded from `release`."""
    if image_present(tag):
        say(f"{tag}: present")
        return
    ACTIONS.append(f"provided {tag}")
    if pull_works(tag):
        say(f"{tag}: pulled")
        return
    say(f"{tag}: cannot be pulled; seeding a stand-in from Debian {release}")
    tarball, meta = rootfs(state, release)
    started = time.monotonic()
    changes = [
        f"ENV PATH={PATH_ENV}",
        "ENV LANG=C.UTF-8",
        f"ENV PYTHON_VERSION={meta['python_version']}",
        f"LABEL {STANDIN_LABEL}=debian-{release}",
        'CMD ["python3"]',
    ]
    argv = [docker_cli(), "import"]
    for change in changes:
        argv += ["--change", change]
    done = run([*argv, str(tarball), tag], timeout=600)
    if done.returncode != 0:
        raise EngineScriptError(f"docker import of {tarball} as {tag} failed:\n{done.stdout}")
    say(f"{tag}: seeded from debian-{release} (python {meta['python_version']}, import {time.monotonic() - started:.1f} s)")


def rootfs(state: Path, release: str) -> tuple[Path, dict[str, str]]:
    """The cached, customised rootfs tarball of `release` and its facts; built on first use."""
    cache = state / "rootfs"
    tarball, meta_file = cache / f"{release}.tar", cache / f"{release}.json"
    if tarball.exists() and meta_file.exists():
        say(f"rootfs {release}: cached ({tarball})")
        return tarball, json.loads(meta_file.read_text())
    apt_install(["debootstrap"])
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache, prefix=f"{release}-") as tmp:
        root = Path(tmp) / "root"
        mirror = debian_mirror()
        say(f"rootfs {release}: debootstrap from {mirror} (about a minute)")
        argv = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", release, str(root), mirror]
        script = Path("/usr/share/debootstrap/scripts") / release
        if not script.exists():
            argv.append("/usr/share/debootstrap/scripts/sid")
        done = run(argv, timeout=1200)
        if done.returncode != 0:
            raise EngineScriptError(f"debootstrap {release} failed:\n{done.stdout[-3000:]}")
        meta = customise(root)
        partial = cache / f"{release}.tar.partial"
        done = run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], timeout=600)
        if done.returncode != 0:
            raise EngineScriptError(f"tar of the {release} rootfs failed:\n{done.stdout[-2000:]}")
        partial.replace(tarball)
        meta_file.write_text(json.dumps(meta) + "\n")
    say(f"rootfs {release}: built ({time.monotonic() - started:.1f} s, python {meta['python_version']})")
    return tarball, meta


def customise(root: Path) -> dict[str, str]:
    """Make a Debian rootfs look like the official python image: python/pip in /usr/local/bin,
    pip allowed to install (no PEP 668 marker), the host's CA bundle trusted, no apt lists."""
    shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    local_bin = root / "usr/local/bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    for name, target in (("python", "python3"), ("python3", "python3"), ("pip", "pip3"), ("pip3", "pip3")):
        link = local_bin / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"/usr/bin/{target}")
    for leftover in (root / "var/lib/apt/lists").glob("*_*"):
        leftover.unlink()
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    done = run(["chroot", str(root), "/usr/bin/python3", "-c", "import platform; print(platform.python_version())"])
    if done.returncode != 0:
        raise EngineScriptError(f"python3 does not run in the new rootfs:\n{done.stdout}")
    return {"python_version": done.stdout.strip()}


def debian_mirror() -> str:
    """The main Debian mirror this machine's apt uses (deb822 sources), not the security one."""
    try:
        text = SOURCES.read_text()
    except OSError:
        return DEFAULT_MIRROR
    for stanza in text.split("\n\n"):
        fields = dict(line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#"))
        uris = fields.get("URIs", "").split()
        if uris and "security" not in fields.get("Suites", "") and "security" not in uris[0]:
            return uris[0].strip()
    return DEFAULT_MIRROR
