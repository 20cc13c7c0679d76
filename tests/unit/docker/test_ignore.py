""".dockerignore matching (cog_py/docker/ignore.py) against the docker SDK's `exclude_paths`,
which did the matching before, on the same trees and patterns; and where the two differ on
purpose (the docker CLI's rules: case-sensitive, `[^...]`, backslash escapes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

from cog_py.docker.ignore import compile_patterns, excluded, included_paths

FILES = [
    "predict.py", "cog.yaml", "requirements.txt", "Dockerfile", ".dockerignore", ".env", "README.md",
    "notes.secret", "a.tmp", "model/weights.bin", "model/config.json", "model/sub/deep.bin",
    "model/sub/keep.txt", "data/train/x.csv", "data/train/y.csv", "data/test/z.csv", "data/readme.md",
    "src/pkg/__init__.py", "src/pkg/mod.py", "src/pkg/__pycache__/mod.cpython-311.pyc",
    "src/pkg/build/out.o", "build/lib/x.py", "docs/index.md", "docs/img/a.png", "x/y/z/w.txt",
    "file with space.txt", "weird[1].txt", "a.b.c", "+plus+.txt", "(paren).py", "dollar$.txt",
]

PATTERN_SETS = [
    [],
    ["*.secret"],
    ["**/*.tmp", "*.tmp"],
    ["model"],
    ["model/", "!model/config.json"],
    ["model/**", "!model/sub/keep.txt"],
    ["data/*/", "!data/test"],
    ["data/**/*.csv"],
    ["**/__pycache__", "**/*.pyc"],
    ["src/**/build"],
    ["*", "!predict.py", "!cog.yaml", "!src"],
    ["*", "!*.py"],
    ["docs", "!docs/img/a.png"],
    ["./model/../data", "/build//lib/", "x/./y/z"],
    [".env", "README.md", "a.?.c"],
    ["weird[0-9].txt", "file with space.txt"],
    ["+plus+.txt", "(paren).py", "dollar$.txt"],
    ["**"],
    ["**", "!cog.yaml"],
    ["Dockerfile", ".dockerignore"],
    ["x/y", "!x/y/z/w.txt"],
    ["x/*/z"],
    ["*/*/deep.bin", "model/sub/*"],
    ["!predict.py", "predict.py"],
    ["."],
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ctx")
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    (root / "empty-dir").mkdir()
    (root / "link-to-model").symlink_to(root / "model")
    return root


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=["|".join(p) or "none" for p in PATTERN_SETS])
def test_the_same_paths_as_the_docker_sdk(tree: Path, patterns: list[str]) -> None:
    oracle = sorted(p for p in exclude_paths(str(tree), list(patterns)) if p not in ("", "."))
    assert included_paths(tree, list(patterns)) == oracle


def test_a_project_dockerignore_like_cog_init_writes(tree: Path) -> None:
    patterns = ["**/.git", "**/.github", "**/.ci", "__pycache__", "*.pyc", "*.pyo", "*.pyd", ".cog", ".cog/**",
                ".git", ".git/**"]
    oracle = sorted(p for p in exclude_paths(str(tree), list(patterns)) if p not in ("", "."))
    assert included_paths(tree, patterns) == oracle


def test_matching_is_case_sensitive_as_the_docker_cli_on_linux(tree: Path) -> None:
    # The SDK lowered both sides; Docker's own matcher does not.
    assert "README.md" in included_paths(tree, ["readme.md"])
    assert "README.md" not in included_paths(tree, ["README.md"])


def test_go_pattern_syntax() -> None:
    def out(path: str, *patterns: str) -> bool:
        return excluded(path, compile_patterns(list(patterns)))

    assert out("a1.txt", "a[^x].txt") and not out("ax.txt", "a[^x].txt")
    assert out("a*.txt", "a\\*.txt") and not out("ab.txt", "a\\*.txt")
    assert out("x/y/z", "**/z") and out("z", "**/z") and out("x/y/z/w", "x/**")
    assert out("x/y", "*")   # `*` matches the top component, and so all below it
    assert out("deep/er/file.tmp", "**/*.tmp") and not out("file.tmp", "*/*.tmp")
    assert out("a/b", "a/b/") and out("a/b", "/a/b") and out("a/b", "./a//b")
    assert not out("keep.py", "*", "!*.py") and out("a/keep.py", "*", "!*.py")


def test_an_excluded_directory_is_walked_only_for_an_exception_below_it(tree: Path) -> None:
    kept = included_paths(tree, ["model", "!model/sub/keep.txt"])
    assert "model/sub/keep.txt" in kept and "model/sub/deep.bin" not in kept and "model" not in kept
    assert "model/sub/keep.txt" not in included_paths(tree, ["model", "!*/sub/keep.txt"])
