"""Checks of the project as a whole: imports the requirements do not install, and large files that
would land in the code layer."""

from __future__ import annotations

import ast
import re
import sys

from cog_py.doctor.model import Finding, Project, Skipped
from cog_py.doctor.sources import Source, project_sources

# Import names whose distribution is called something else (the common ones in models).
DISTRIBUTIONS = {
    "PIL": ("pillow",), "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                                "opencv-contrib-python-headless"),
    "yaml": ("pyyaml",), "sklearn": ("scikit-learn",), "skimage": ("scikit-image",), "bs4": ("beautifulsoup4",),
    "attr": ("attrs",), "dateutil": ("python-dateutil",), "dotenv": ("python-dotenv",), "jwt": ("pyjwt",),
    "Crypto": ("pycryptodome",), "fitz": ("pymupdf",), "magic": ("python-magic",), "serial": ("pyserial",),
    "docx": ("python-docx",), "pptx": ("python-pptx",), "OpenSSL": ("pyopenssl",), "google": ("protobuf",
    "google-cloud-storage", "google-generativeai", "google-genai", "google-api-python-client"),
    "huggingface_hub": ("huggingface-hub",), "git": ("gitpython",), "Levenshtein": ("python-levenshtein", "levenshtein"),
    "faiss": ("faiss-cpu", "faiss-gpu"), "onnxruntime": ("onnxruntime", "onnxruntime-gpu"), "mpl_toolkits": ("matplotlib",),
    "pkg_resources": ("setuptools",), "setuptools": ("setuptools",), "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "basicsr": ("basicsr",), "clip": ("clip", "openai-clip"), "lightning": ("lightning", "pytorch-lightning"),
}
# What the image has without the requirements: our SDK (`cog`), and pip's own tools.
PROVIDED = {"cog", "cog_py", "pip", "setuptools", "pkg_resources", "wheel", "__future__"}
_URL_NAME = re.compile(r"(?:#egg=|/)(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?(?:@[^/#]*)?(?:#.*)?$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _required(lines: tuple[str, ...]) -> set[str]:
    from cog_py.build.requirements import package_name

    names = set()
    for line in lines:
        name = package_name(line)
        if name is None and "://" in line:
            match = _URL_NAME.search(line.split()[0] if " @ " not in line else line)
            name = _normalize(match["name"]) if match else None
        if name is None and " @ " in line:
            name = _normalize(line.split(" @ ", 1)[0].strip())
        if name:
            names.add(name)
    return names


def _guarded(tree: ast.Module) -> set[int]:
    """Imports inside `try:` blocks that handle ImportError: optional by design."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                h.type is None or any(getattr(n, "id", None) in ("ImportError", "ModuleNotFoundError", "Exception")
                                      for n in ast.walk(h.type)) for h in node.handlers):
            found.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return found


def _imports(source: Source) -> list[tuple[str, int]]:
    guarded = _guarded(source.tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(source.tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def _is_dev_file(rel: str) -> bool:
    """Tests and packaging scripts import tools the image does not need."""
    parts = rel.split("/")
    name = parts[-1]
    return (any(p in ("tests", "test") for p in parts[:-1]) or name in ("setup.py", "conftest.py", "noxfile.py")
            or name.startswith("test_") or name.endswith("_test.py"))


def check_missing_requirements(project: Project) -> list[Finding]:
    config = project.config
    if config is None:
        raise Skipped("cog.yaml is not valid")
    required = _required(config.build.requirements)
    local = {p.stem if p.suffix == ".py" else p.name for p in project.root.iterdir()} if project.root.is_dir() else set()
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    reported: set[str] = set()
    findings = []
    for source in project_sources(project):
        if _is_dev_file(source.rel):
            continue
        # modules next to the file are importable too (scripts run from their own directory)
        here = source.rel.rsplit("/", 1)[0] if "/" in source.rel else ""
        siblings = {p.stem if p.suffix == ".py" else p.name for p in (project.root / here).iterdir()} if here else set()
        for module, line in _imports(source):
            if module in stdlib or module in PROVIDED or module in local or module in siblings or module in reported:
                continue
            candidates = DISTRIBUTIONS.get(module, (module,))
            if any(_normalize(c) in required for c in candidates) or _normalize(module) in required:
                continue
            reported.add(module)
            listed = config.build.python_requirements or "build.python_packages"
            findings.append(Finding(
                "python-missing-requirement", "warning",
                f'imports "{module}", which {listed} does not list: the import fails in the image',
                source.rel, line, remediation=f"Add {candidates[0]} (pinned, e.g. {candidates[0]}==X.Y) to {listed}"))
    return findings


def check_large_files(project: Project) -> list[Finding]:
    """Weights in the code layer: every code edit re-sends and re-stores them."""
    from cog_py.build.context import WEIGHT_THRESHOLD, find_weights, scan_project

    if project.config_path is None:
        raise Skipped("no cog.yaml")
    try:
        weights = find_weights(scan_project(project.root))
    except OSError as exc:
        raise Skipped(f"cannot list the project: {exc}") from exc
    findings = []
    for rel in weights:
        size = (project.root / rel).stat().st_size
        findings.append(Finding(
            "project-large-files", "warning",
            f"{size / 1e6:.0f} MB file that would be copied into the code layer "
            f"(files of {WEIGHT_THRESHOLD // (1024 * 1024)} MiB or more)",
            rel, remediation="Build with --separate-weights to give weights a layer of their own, or list the "
            "file in .dockerignore and download it in setup()"))
    return findings
