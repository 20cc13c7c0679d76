"""cog.yaml that would hang or crash the parser is refused with a line: alias bombs, NULs, deep nesting."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import pytest

from cog_py.config.loader import LoadedConfig
from cog_py.config.yamlsafe import MAX_EXPANDED_NODES
from cog_py.config.yamlsource import parse_yaml
from cog_py.errors import ConfigError

PY = 'build:\n  python_version: "3.11"\n'


def bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a: &a [' + ",".join(['"lol"'] * width) + "]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ",".join([f"*{'a' if n == 1 else f'l{n - 1}'}"] * width) + "]")
    return PY + "\n".join(lines) + "\n"


def _errors(load: Callable[..., LoadedConfig], text: str, files: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text, files)
    return info.value.message.splitlines()


def test_a_billion_laughs_is_refused_by_the_expansion_budget_in_bounded_memory(load):
    text = bomb()
    assert len(text) < 600
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.monotonic()
    errors = _errors(load, text)
    assert time.monotonic() - t0 < 60          # a guard against a hang, not a timing assertion
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024
    assert len(errors) == 1 and errors[0].startswith("cog.yaml:")
    line = int(errors[0].split(":")[1])
    assert 3 <= line <= 11
    assert "too many alias expansions" in errors[0]


def test_aliases_within_the_budget_are_shared_not_copied():
    source = parse_yaml("base: &b {x: [1, 2, 3]}\none: *b\ntwo: *b\n")
    assert source.problems == []
    assert source.data["one"] is source.data["two"] is source.data["base"]
    assert source.line_of(("two", "x", 0)) == 3          # under an alias: the alias' key line


def test_the_budget_counts_the_expanded_document():
    width = 400
    text = "a: &a [" + ",".join(["1"] * width) + "]\nb: [" + ",".join(["*a"] * (MAX_EXPANDED_NODES // width + 1)) + "]\n"
    assert "too many alias expansions" in parse_yaml(text).problems[0].message
    assert parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n").problems == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PY + "predict: x\x00\n", "cog.yaml:3: invalid YAML: unacceptable character #x0000: special characters are not allowed"),
        ("a: " + "[" * 10_000 + "\n", "cog.yaml:1: invalid YAML: nested too deeply (more than 200 levels)"),
        (PY + "a: " + "[" * 300 + "]" * 300 + "\n", "cog.yaml:3: invalid YAML: nested too deeply (more than 200 levels)"),
    ],
)
def test_parser_failures_carry_a_line(load, text, expected):
    assert _errors(load, text) == [expected]


def test_a_malformed_requirement_names_its_file_and_line(load):
    errors = _errors(load, PY + '  python_packages: ["torch=====2", "numpy>=1.26"]\n')
    assert len(errors) == 1 and errors[0].startswith('cog.yaml:3: build.python_packages[0]: invalid requirement')
    assert '"torch=====2"' in errors[0]
    errors = _errors(load, PY + "  python_requirements: requirements.txt\n",
                     files={"requirements.txt": "numpy \\\n  >=1.26\n# pinned\ntorch=====2\n"})
    assert len(errors) == 1
    assert errors[0].startswith("cog.yaml:3: build.python_requirements: requirements.txt:4: invalid requirement")
    assert errors[0].endswith('(got "torch=====2")')
