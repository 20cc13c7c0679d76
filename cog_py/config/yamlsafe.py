"""Composing cog.yaml safely: bounded alias expansion, bounded nesting, every error with a line.

PyYAML's composer already resolves an alias to the node it names (one shared node, not a
copy); what explodes is whoever walks the tree afterwards as if it were expanded (a 446-byte
"billion laughs" file stands for 9^9 nodes). `compose` measures the expanded size of the
node graph (memoised per node, so the measuring is linear in the file) and refuses a
document that would expand past `MAX_EXPANDED_NODES`, naming the line of the anchor whose
expansion crosses the budget. Reader errors (a NUL byte) and nesting too deep for the
parser (10,000 `[`) become problems with a line as well.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

# A real cog.yaml has tens to hundreds of nodes; the budget leaves room for large `run`
# lists and environment tables while keeping the walk (and memory) small.
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 200


class YamlProblem(Exception):
    """One fatal problem with the text: its 1-based line and a message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def compose(text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """Return (loader, root node); the caller disposes of the loader. Raises YamlProblem."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(text, exc) from exc
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        loader.dispose()
        raise _reader_problem(text, exc) from exc
    except RecursionError as exc:
        line = loader.get_mark().line + 1
        loader.dispose()
        raise YamlProblem(line, f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from exc
    except BaseException:
        loader.dispose()
        raise
    if node is not None:
        try:
            _check_size(node)
        except BaseException:
            loader.dispose()
            raise
    return loader, node


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> YamlProblem:
    line = text.count("\n", 0, max(0, exc.position)) + 1
    char = exc.character
    shown = f"character #x{char:04x}" if isinstance(char, int) else f"character {char!r}"
    return YamlProblem(line, f"invalid YAML: unacceptable {shown}: {exc.reason}")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_size(root: yaml.Node) -> None:
    """Refuse a node graph that expands past the budget, or nests deeper than MAX_DEPTH."""
    sizes: dict[int, int] = {}
    cap = MAX_EXPANDED_NODES + 1

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1,
                              f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)")
        total = 1
        for child in _children(node):
            total = min(cap, total + size(child, depth + 1))
        sizes[id(node)] = total
        return total

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, MAX_DEPTH * 3 + 200))
    try:
        if size(root, 0) <= MAX_EXPANDED_NODES:
            return
    finally:
        sys.setrecursionlimit(limit)
    # Name the innermost node whose expansion alone passes the budget: an anchor that an
    # alias multiplies there.
    node = root
    while True:
        bigger = next((c for c in _children(node) if sizes.get(id(c), 0) > MAX_EXPANDED_NODES), None)
        if bigger is None:
            break
        node = bigger
    raise YamlProblem(node.start_mark.line + 1,
                      f"too many alias expansions (the document would expand to more than "
                      f"{MAX_EXPANDED_NODES} nodes)")


def shared(memo: dict[int, Any], node: yaml.Node) -> tuple[bool, Any]:
    """(True, value) when `node` was converted before (an alias): reuse it, do not copy."""
    key = id(node)
    if key in memo:
        return True, memo[key]
    return False, None
