"""Checks of cog.yaml: parsing, the schema `cog build` enforces, deprecated fields, the predictor
reference, framework pins, the Python version's end of life, and downloads in build.run.

The parse and schema findings are the problems `cog build` reports (the loader's, one finding
per line); the reference check reuses `check_predictor_refs`, which `cog build` runs too.
"""

from __future__ import annotations

import re
from datetime import date

from cog_py.config.checks import check_predictor_refs
from cog_py.doctor.edits import yaml_key_rename, yaml_replace_block
from cog_py.doctor.model import Finding, Fix, NewFile, Project, Skipped

_RENDERED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<message>.*)$")
_REF = re.compile(r"^[^:]+\.py:[A-Za-z_][A-Za-z0-9_]*$")
_REF_KEYS = ("run", "predict", "train")
SCHEMA_REMEDIATION = 'Fix cog.yaml as described; every key is listed under "cog.yaml reference" in the cog_py README.'


def _split(line: str) -> tuple[str | None, int | None, str]:
    match = _RENDERED.match(line)
    if match is None:
        return None, None, line
    return match["file"], int(match["line"]), match["message"]


def check_parse(project: Project) -> list[Finding]:
    if project.config_path is None:
        return [Finding("config-parse", "error", f"{project.config_name} not found", project.config_name,
                        remediation='Run "cog init" to create a cog.yaml')]
    if project.read_error is not None:
        return [Finding("config-parse", "error", project.read_error, project.config_name,
                        remediation="Make it a readable UTF-8 text file")]
    assert project.source is not None
    return [
        Finding("config-parse", "error", problem.message, project.config_name, problem.line,
                remediation="Check the indentation and quoting on that line (YAML)")
        for problem in project.source.problems
    ]


def _is_ref_form_problem(message: str) -> bool:
    return any(message.startswith(f"{key}: must be in the form") for key in _REF_KEYS)


def check_schema(project: Project) -> list[Finding]:
    if project.source is None or project.source.problems:
        raise Skipped("cog.yaml does not parse")
    findings = []
    for rendered in project.config_errors:
        file, line, message = _split(rendered)
        if not _is_ref_form_problem(message):
            findings.append(Finding("config-schema", "error", message, file, line, remediation=SCHEMA_REMEDIATION))
    for rendered in project.config_warnings:
        file, line, message = _split(rendered)
        if "deprecated" not in message:   # those are config-deprecated-fields'
            findings.append(Finding("config-schema", "warning", message, file, line, remediation=SCHEMA_REMEDIATION))
    return findings


def check_deprecated_fields(project: Project) -> list[Finding]:
    data = project.data
    if data is None:
        raise Skipped("cog.yaml does not parse")
    build = data.get("build")
    if not isinstance(build, dict):
        return []
    findings = []
    if "python_packages" in build:
        findings.append(Finding(
            "config-deprecated-fields", "warning",
            '"build.python_packages" is deprecated: list the packages in a requirements.txt file and name it '
            "in build.python_requirements",
            project.config_name, project.line_of("build", "python_packages"),
            remediation='Move the packages to requirements.txt and set build.python_requirements: "requirements.txt"',
            fix=_packages_fix(project, build),
        ))
    if "pre_install" in build:
        findings.append(Finding(
            "config-deprecated-fields", "warning",
            '"build.pre_install" is deprecated: use build.run',
            project.config_name, project.line_of("build", "pre_install"),
            remediation="Move the pre_install commands to build.run",
            fix=_pre_install_fix(project, build),
        ))
    return findings


def _packages_fix(project: Project, build: dict[str, object]) -> Fix | None:
    packages = build.get("python_packages")
    if "python_requirements" in build or not isinstance(packages, list) or not packages:
        return None
    if not all(isinstance(p, str) for p in packages) or (project.root / "requirements.txt").exists():
        return None
    assert project.source is not None and project.text is not None
    edits = yaml_replace_block(project.text, project.source, ("build", "python_packages"), len(packages),
                               'python_requirements: "requirements.txt"', project.config_name)
    if edits is None:
        return None
    text = "".join(f"{p}{_item_comment(project, i, p)}\n" for i, p in enumerate(packages))
    return Fix("moved build.python_packages to requirements.txt and set build.python_requirements",
               edits=edits, new_files=(NewFile("requirements.txt", text),))


def _item_comment(project: Project, index: int, package: str) -> str:
    """`  # why` when the list item's line ends with a comment (it moves with the package)."""
    from cog_py.doctor.edits import lines_of

    assert project.source is not None and project.text is not None
    number = project.source.lines.get(("build", "python_packages", index))
    lines = lines_of(project.text)
    if number is None or number > len(lines):
        return ""
    match = re.match(r"^\s*-\s*(?P<value>.*?)\s+(?P<comment>#.*)$", lines[number - 1])
    if match is None or match["value"].strip("'\"") != package:
        return ""
    return f"  {match['comment']}"


def _pre_install_fix(project: Project, build: dict[str, object]) -> Fix | None:
    if "run" in build:
        return None   # merging two lists by line edits is not safe enough; the remediation says how
    assert project.source is not None and project.text is not None
    edit = yaml_key_rename(project.text, project.source, ("build", "pre_install"), "run", project.config_name)
    return Fix("renamed build.pre_install to build.run", edits=(edit,)) if edit else None


def check_predict_ref(project: Project) -> list[Finding]:
    data = project.data
    if data is None:
        raise Skipped("cog.yaml does not parse")
    findings = []
    for key in _REF_KEYS:
        ref = data.get(key)
        if not isinstance(ref, str):
            continue
        line = project.line_of(key)
        example = {"run": "run.py:Runner", "train": "train.py:Trainer"}.get(key, "predict.py:Predictor")
        if not _REF.match(ref.strip()):
            findings.append(Finding("config-predict-ref", "error",
                                    f'{key}: must be in the form "file.py:Name", e.g. "{example}" (got "{ref}")',
                                    project.config_name, line,
                                    remediation=f'Set {key} in cog.yaml to "file.py:ClassName" or "file.py:function_name"'))
            continue
        file_part, name = ref.strip().rsplit(":", 1)
        for problem in check_predictor_refs(ref, None, project.root, keys=(key, "train")):
            if "does not exist" in problem:
                findings.append(Finding("config-predict-ref", "error", f"{file_part} not found",
                                        project.config_name, line,
                                        remediation=f"Create {file_part} or update the {key} field in cog.yaml"))
            elif "defines no class or function" in problem:
                findings.append(Finding("config-predict-ref", "error",
                                        f"{name} not found: {file_part} defines no class or function named {name}",
                                        project.config_name, line,
                                        remediation=f"Define {name} in {file_part} or update the {key} field in cog.yaml"))
            else:
                message = problem.split(": ", 2)[-1]
                findings.append(Finding("config-predict-ref", "error", message, project.config_name, line,
                                        remediation=f"Fix {file_part} so that it parses"))
    return findings


def check_framework_pins(project: Project) -> list[Finding]:
    """A torch or tensorflow pin the version tables do not know: no CUDA or wheel index for it."""
    from cog_py.build.requirements import pinned_version
    from cog_py.build.versions import Version, strip_local, tensorflow_releases, torch_releases

    config = project.config
    if config is None:
        raise Skipped("cog.yaml is not valid")
    findings = []
    torch = pinned_version(config.build.requirements, "torch")
    if torch:
        where = _pin_where(project, "torch")
        try:
            want = Version.parse(strip_local(torch))
            known = any(Version.parse(r.torch).matches(want) for r in torch_releases())
        except ValueError:
            known = False
        if not known:
            findings.append(Finding(
                "config-framework-pin", "warning" if not config.build.gpu else "error",
                f"torch=={torch} is not in cog_py's version tables: "
                + ("the build cannot pick a CUDA version for it" if config.build.gpu
                   else "its wheels and Python versions are unknown"),
                *where, remediation="Pin a torch release the tables know (see cog_py/build/data/torch.json), "
                "or set build.cuda explicitly"))
    tf = pinned_version(config.build.requirements, "tensorflow")
    if tf and not any(r.tensorflow == tf for r in tensorflow_releases()):
        where = _pin_where(project, "tensorflow")
        findings.append(Finding(
            "config-framework-pin", "warning" if not config.build.gpu else "error",
            f"tensorflow=={tf} is not in cog_py's version tables: "
            + ("the build cannot pick CUDA and cuDNN for it" if config.build.gpu else "its Python versions are unknown"),
            *where, remediation="Pin a TensorFlow release the tables know (see cog_py/build/data/tensorflow.json), "
            "or set build.cuda and build.cudnn explicitly"))
    return findings


def _pin_where(project: Project, name: str) -> tuple[str, int | None]:
    """Where the requirement `name` is written: its line in the requirements file or cog.yaml."""
    from cog_py.build.requirements import package_name
    from cog_py.config.requirements import requirement_lines

    config = project.config
    if config.build.python_requirements:
        rel = config.build.python_requirements
        try:
            text = (project.root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return rel, None
        return rel, next((n for n, line in requirement_lines(text) if package_name(line) == name), None)
    for index, line in enumerate(config.build.python_packages):
        if package_name(line) == name:
            return project.config_name, project.line_of("build", "python_packages", index)
    return project.config_name, project.line_of("build", "python_packages")


# First day without security fixes, per https://devguide.python.org/versions/
PYTHON_EOL = {"3.8": date(2024, 10, 7), "3.9": date(2025, 10, 31), "3.10": date(2026, 10, 31),
              "3.11": date(2027, 10, 31), "3.12": date(2028, 10, 31), "3.13": date(2029, 10, 31),
              "3.14": date(2030, 10, 31)}
EOL_WARNING_DAYS = 183   # "near": within about six months
TODAY_ENV = "COG_DOCTOR_TODAY"   # YYYY-MM-DD: pins "today" (tests)


def check_python_eol(project: Project) -> list[Finding]:
    config = project.config
    if config is None:
        raise Skipped("cog.yaml is not valid")
    short = ".".join(config.build.python_version.split(".")[:2])
    eol = PYTHON_EOL.get(short)
    if eol is None:
        return []
    override = project.environ.get(TODAY_ENV)
    today = date.fromisoformat(override) if override else date.today()
    line = project.line_of("build", "python_version")
    if today >= eol:
        return [Finding("config-python-eol", "warning",
                        f"Python {short} reached its end of life on {eol.isoformat()}: no more security fixes",
                        project.config_name, line, remediation='Move to a supported Python, e.g. python_version: "3.12"')]
    if (eol - today).days <= EOL_WARNING_DAYS:
        return [Finding("config-python-eol", "warning",
                        f"Python {short} reaches its end of life on {eol.isoformat()}",
                        project.config_name, line, remediation="Plan the move to a newer Python version")]
    return []


_DOWNLOADERS = re.compile(r"\b(curl|wget|pget|git\s+clone|huggingface-cli\s+download|aria2c)\b")
_URL = re.compile(r"""(?:https?|ftp)://[^\s'"]+""")
_FLOATING = re.compile(r"/(latest|main|master|HEAD|nightly)(/|$)|[?&](ref|branch)=(main|master)\b", re.IGNORECASE)
_PINNED = re.compile(r"\b[0-9a-f]{7,64}\b|(?<![0-9])v?\d+\.\d+(\.\d+)?")


def check_build_run_downloads(project: Project) -> list[Finding]:
    """`build.run` commands that fetch a URL that may change: a rebuild gets different bytes."""
    config = project.config
    if config is None:
        raise Skipped("cog.yaml is not valid")
    findings = []
    for index, item in enumerate(config.build.run):
        command = item.command
        if not _DOWNLOADERS.search(command):
            continue
        for url in _URL.findall(command):
            if url.endswith((".git",)) or "git clone" in command:
                pinned = re.search(r"git\s+(checkout|reset\s+--hard)\s+[0-9a-f]{7,40}\b", command) is not None
            else:
                pinned = not _FLOATING.search(url) and _PINNED.search(url.split("://", 1)[1]) is not None
            if not pinned:
                findings.append(Finding(
                    "config-build-run-download", "warning",
                    f"build.run[{index}] downloads {url} at build time without a pinned version",
                    project.config_name, project.line_of("build", "run", index),
                    remediation="Pin what is downloaded (a release version, tag or commit in the URL, or "
                    "git checkout <commit>) so every build gets the same bytes"))
    return findings
