"""Find cog.yaml and load it into a `Config`, reporting every problem with its line.

    text --parse_yaml--> data + lines --normalise--> --RawConfig + checks--> Config

Problems are collected across all stages and raised together as one ConfigError, one line
each: `cog.yaml:4: build.python_version: minimum supported Python version is 3.8 ...`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cog_py.config.checks import check_document
from cog_py.config.environment import parse_environment
from cog_py.config.models import BatchConfig, BuildConfig, Config, Mount, RunItem
from cog_py.config.problems import describe_value, from_validation_error, render
from cog_py.config.raw import NO_EFFECT, NOT_SUPPORTED, RawBuild, RawConfig
from cog_py.config.requirements import parse_requirements
from cog_py.config.yamlsource import Problem, YamlSource, parse_yaml
from cog_py.errors import ConfigError

DEFAULT_FILENAME = "cog.yaml"
MAX_PARENT_LEVELS = 100
# Versions YAML may have read as numbers; we use the literal text instead.
_VERSION_FIELDS = (("build", "python_version"), ("build", "cuda"), ("build", "cudnn"))


@dataclass(frozen=True)
class LoadedConfig:
    """A valid config and the warnings its file deserves (printed by every command)."""

    config: Config
    warnings: list[str] = field(default_factory=list)


def find_config(cwd: Path, filename: str = DEFAULT_FILENAME) -> Path:
    """Return `filename` in `cwd` or its nearest parent directory that has one."""
    candidate = cwd / filename
    if candidate.is_file():
        return candidate.resolve()
    search_parents = Path(filename).name == filename
    if search_parents:
        directory = cwd.resolve()
        for _ in range(MAX_PARENT_LEVELS):
            if (directory / filename).is_file():
                return directory / filename
            if directory.parent == directory:
                break
            directory = directory.parent
    where = f"{cwd} (or in any parent directories)" if search_parents else str(cwd)
    raise ConfigError(
        f"{filename} not found in {where}",
        hint='Run "cog init" to create one, or name another file with -f/--file.',
    )


def load_config(
    path: Path | None = None, *, cwd: Path | None = None, filename: str = DEFAULT_FILENAME
) -> LoadedConfig:
    """Load and validate cog.yaml: `path` if given, else found from `cwd` (default: the CWD)."""
    if path is None:
        path = find_config(cwd or Path.cwd(), filename)
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"failed to read {path}: {exc}", hint="Check that the file is a readable text file.") from exc
    return parse_config(text, config_path=path)


def parse_config(text: str, *, config_path: Path) -> LoadedConfig:
    """Validate the text of a config file that lives at `config_path`."""
    name = config_path.name
    source = parse_yaml(text)
    problems = list(source.problems)
    warnings: list[Problem] = []
    raw: RawConfig | None = None
    if not problems:
        data = source.data
        if data is None:
            problems.append(Problem(1, (), 'the file is empty: it needs at least build.python_version, e.g. "3.11"'))
        elif not isinstance(data, dict):
            problems.append(Problem(1, (), f"must be a mapping of keys such as build and predict, got {describe_value(data)}"))
        else:
            _normalise(data, source, problems, warnings)
            try:
                raw = RawConfig.model_validate(data)
            except ValidationError as exc:
                problems.extend(from_validation_error(exc, source))
            found = check_document(data, source, config_path.parent)
            problems.extend(found.problems)
            warnings.extend(found.warnings)
    if problems or raw is None:
        problems.sort(key=lambda p: p.line)
        raise ConfigError("\n".join(render(name, p) for p in problems), hint=_hint(problems, name))
    warnings.sort(key=lambda p: p.line)
    config = _resolve(raw, config_path)
    return LoadedConfig(config=config, warnings=[render(name, w) for w in warnings])


def _hint(problems: list[Problem], name: str) -> str:
    if any(p.message.startswith("invalid YAML") for p in problems):
        return f"Check the indentation and quoting on that line of {name}."
    return f'Fix {name} as described; every key is listed under "cog.yaml reference" in the cog_py README.'


def _normalise(data: dict[str, Any], source: YamlSource, problems: list[Problem], warnings: list[Problem]) -> None:
    """Set aside keys we do not support yet and keep versions as the user typed them."""
    for path, (message, fatal) in NOT_SUPPORTED.items():
        parent = data if len(path) == 1 else data.get(path[0])
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
            problem = Problem(source.line_of(path), path, message)
            (problems if fatal else warnings).append(
                problem if fatal else Problem(problem.line, (), f'"{".".join(path)}" is {message}')
            )
    for path, note in NO_EFFECT.items():
        parent = data if len(path) == 1 else data.get(path[0])
        if isinstance(parent, dict) and path[-1] in parent:
            warnings.append(Problem(source.line_of(path), (), f'"{".".join(path)}" {note}'))
    for loc in _VERSION_FIELDS:
        build = data.get("build")
        value = build.get(loc[1]) if isinstance(build, dict) else None
        literal = source.plain_text.get(loc)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and literal is not None:
            assert isinstance(build, dict)
            build[loc[1]] = literal
            if isinstance(value, float) and str(value) != literal:
                problems.append(
                    Problem(
                        source.line_of(loc),
                        loc,
                        f'YAML reads {literal} as the number {value}: quote it, {loc[1]}: "{literal}"',
                    )
                )


def _resolve(raw: RawConfig, config_path: Path) -> Config:
    build = raw.build or RawBuild()
    assert build.python_version is not None  # checked
    project_dir = config_path.parent
    ref = raw.run if raw.run is not None else raw.predict
    return Config(
        build=BuildConfig(
            gpu=bool(build.gpu),
            python_version=build.python_version.strip(),
            python_requirements=build.python_requirements,
            python_packages=tuple(build.python_packages or ()),
            requirements=_requirements(build, project_dir),
            overrides=_overrides(build, project_dir),
            system_packages=tuple(build.system_packages or ()),
            run=_run_items(build),
            cuda=build.cuda.strip() if build.cuda else None,
            cudnn=build.cudnn.strip() if build.cudnn else None,
        ),
        predict=ref.strip() if ref else None,
        predict_key="run" if raw.run is not None else "predict",
        train=raw.train.strip() if raw.train else None,
        image=raw.image or None,
        concurrency_max=raw.concurrency.max if raw.concurrency else None,
        concurrency_queue=raw.concurrency.queue if raw.concurrency else None,
        batch=_batch(raw),
        environment=parse_environment(raw.environment or []),
        project_dir=project_dir,
        config_path=config_path,
    )


def _batch(raw: RawConfig) -> BatchConfig | None:
    if raw.batch is None or raw.batch.max_size is None:
        return None
    wait = raw.batch.max_wait_ms
    return BatchConfig(max_size=raw.batch.max_size, max_wait_ms=None if wait is None else float(wait))


def _requirements(build: RawBuild, project_dir: Path) -> tuple[str, ...]:
    if build.python_requirements:
        path = project_dir / build.python_requirements
        try:
            return parse_requirements(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"failed to open python_requirements file: {exc}",
                hint="Check that build.python_requirements names a readable text file.",
            ) from exc
    return tuple(build.python_packages or ())


def _overrides(build: RawBuild, project_dir: Path) -> tuple[str, ...]:
    """build.python_overrides: requirement lines whose versions win over the requirements'."""
    if not build.python_overrides:
        return ()
    path = project_dir / build.python_overrides
    try:
        return parse_requirements(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"failed to open python_overrides file: {exc}",
            hint="Check that build.python_overrides names a readable requirements file.",
        ) from exc


def _run_items(build: RawBuild) -> tuple[RunItem, ...]:
    items = []
    for entry in build.run or []:
        if isinstance(entry, str):
            items.append(RunItem(command=entry.rstrip("\n")))
        else:
            mounts = tuple(Mount(type=m.type or "secret", id=m.id or "", target=m.target or "") for m in entry.mounts or [])
            items.append(RunItem(command=(entry.command or "").rstrip("\n"), mounts=mounts))
    items.extend(RunItem(command=command.rstrip("\n")) for command in build.pre_install or [])
    return tuple(items)
