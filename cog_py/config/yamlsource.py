"""Read cog.yaml text into plain data plus a map from field paths to line numbers.

PyYAML's `safe_load` forgets where things came from; we compose the node tree instead, so
every later problem can name the line it is about (`cog.yaml:4: build.gpu: ...`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from cog_py.config.yamlsafe import YamlProblem, compose, shared

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (line, dotted path) and what."""

    line: int
    loc: Loc
    message: str


@dataclass
class YamlSource:
    """The document as plain Python data, with 1-based lines for each path in it."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    # literal text of every plain (unquoted) scalar, for numbers YAML would reshape (3.10 -> 3.1)
    plain_text: dict[Loc, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """Return the line of `loc`, or of its closest ancestor that appears in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


def parse_yaml(text: str) -> YamlSource:
    """Parse `text`; malformed YAML gives a source with `data=None` and one problem."""
    try:
        loader, node = compose(text)
    except YamlProblem as exc:
        return YamlSource(data=None, problems=[Problem(exc.line, (), exc.message)])
    except yaml.YAMLError as exc:
        return YamlSource(data=None, problems=[_yaml_problem(exc)])
    try:
        source = YamlSource(data=None)
        if node is not None:
            source.lines[()] = node.start_mark.line + 1
            source.data = _convert(loader, node, (), source, {})
        return source
    except yaml.YAMLError as exc:
        return YamlSource(data=None, problems=[_yaml_problem(exc)])
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    detail = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        detail = f"{detail} (column {mark.column + 1})"
    return Problem(line, (), f"invalid YAML: {detail}")


def _convert(loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, source: YamlSource, memo: dict[int, Any]) -> Any:
    seen, value = shared(memo, node)
    if seen:   # an alias: the value converted at its anchor, shared (lines under it: the anchor's)
        return value
    result = _convert_new(loader, node, loc, source, memo)
    if isinstance(node, yaml.CollectionNode):
        memo[id(node)] = result
    return result


def _convert_new(loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, source: YamlSource, memo: dict[int, Any]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                source.problems.append(Problem(line, loc, "keys must be plain names"))
                continue
            child: Loc = (*loc, key if isinstance(key, str) else str(key))
            if key in first_line:
                source.problems.append(
                    Problem(line, child, f"duplicate key (first defined on line {first_line[key]})")
                )
                continue
            first_line[key] = line
            source.lines[child] = line
            result[child[-1]] = _convert(loader, value_node, child, source, memo)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*loc, index)
            source.lines[child] = item_node.start_mark.line + 1
            items.append(_convert(loader, item_node, child, source, memo))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(node, yaml.ScalarNode) and node.style is None:
        source.plain_text[loc] = node.value
    return value
