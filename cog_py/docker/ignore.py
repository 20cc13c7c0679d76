"""`.dockerignore` matching with Docker's rules, standard library only.

The rules are those of the docker CLI's pattern matcher (Go's `filepath.Match` syntax turned
into a regular expression): `*` is any run of characters but `/`, `?` one character but `/`,
`[...]` a class (`[^...]` negated), `\\` escapes the next character, `**` any number of path
components (also none); a pattern is cleaned like a path (`./`, `//`, `..`, a leading and a
trailing `/` do not count) and matched against the whole relative path; a path is excluded when
the last pattern that matches it, or one of its parent directories, is not a `!` exception.
Matching is case-sensitive, as on Linux. As the docker SDK's context walk did before,
`.dockerignore` and `Dockerfile` at the top always stay in. An excluded directory is not
descended into unless an exception pattern names something below it.

(Before this module the docker SDK's `exclude_paths` did the matching; importing it costs a code-
only `cog build` ~70 ms. The unit tests compare both on the same patterns.)
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

KEPT = ("Dockerfile", ".dockerignore")   # never excluded (the SDK's walk kept them too)


def read_dockerignore(root: Path) -> list[str]:
    """Patterns of `root/.dockerignore` (comments and blank lines dropped)."""
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line)
    return patterns


@dataclass(frozen=True)
class Pattern:
    text: str           # the cleaned pattern, `/`-separated, no leading `/`
    exclusion: bool     # a `!` exception
    regex: re.Pattern[str]

    def match(self, path: str) -> bool:
        return self.regex.match(path) is not None


_SPECIAL = set(".+()|{}$")


def _translate(pattern: str) -> str:
    """The regular expression of a Go `filepath.Match` pattern with `**` (anchored)."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append("\\\\")
        elif ch == "[":
            end = pattern.find("]", i + 1 if i < n and pattern[i] == "^" else i)
            if end < 0:
                out.append("\\[")
            else:
                body = pattern[i:end]
                negate = body.startswith("^")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append("[" + ("^" if negate else "") + body + "]")
                i = end + 1
        else:
            out.append(re.escape(ch))
    out.append("$")
    return "".join(out)


def compile_patterns(patterns: list[str]) -> list[Pattern]:
    """The patterns as matchers; `.` (ignored by Docker for historical reasons) and empty ones dropped."""
    compiled = []
    for raw in patterns:
        text = raw.strip()
        exclusion = text.startswith("!")
        if exclusion:
            text = text[1:].strip()
        if not text:
            continue
        text = posixpath.normpath(text).lstrip("/")
        while text.startswith("../"):
            text = text[3:]
        if text in (".", "..", ""):
            continue
        compiled.append(Pattern(text=text, exclusion=exclusion, regex=re.compile(_translate(text), re.DOTALL)))
    return compiled


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether `path` (relative, `/`-separated) is excluded: the last pattern that matches it or
    one of its parents decides."""
    parents = path.split("/")[:-1]
    result = False
    for pattern in patterns:
        if pattern.exclusion != result:
            continue   # an exception cannot change an unmatched path, nor an exclusion a matched one
        hit = pattern.match(path)
        if not hit:
            for i in range(1, len(parents) + 1):
                if pattern.match("/".join(parents[:i])):
                    hit = True
                    break
        if hit:
            result = not pattern.exclusion
    return result


def included_paths(root: Path, patterns: list[str]) -> list[str]:
    """Project-relative POSIX paths (files and directories) that a build context would send."""
    compiled = compile_patterns(patterns)
    exceptions = [p.text for p in compiled if p.exclusion]
    kept: list[str] = []

    def walk(directory: str, rel: str) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            out = excluded(path, compiled) and path not in KEPT
            if not out:
                kept.append(path)
            if not entry.is_dir(follow_symlinks=False):
                continue
            if out and not any((e + "/").startswith(path + "/") for e in exceptions):
                continue
            walk(entry.path, path)

    walk(str(root), "")
    return sorted(kept)

