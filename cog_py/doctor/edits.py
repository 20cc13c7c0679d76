"""Build line edits for YAML keys and Python statements, touching nothing but the affected lines.

Every helper returns None when the source is shaped in a way it cannot edit safely (a value
spread over lines, two statements on a line): the finding then keeps its remediation and no fix.
"""

from __future__ import annotations

import ast
import re

from cog_py.config.yamlsource import Loc, YamlSource
from cog_py.doctor.model import Edit

_YAML_KEY = re.compile(r"""^(?P<indent>\s*)(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P=q)\s*:(?P<rest>.*)$""")
_YAML_ITEM = re.compile(r"^\s*-(\s|$)")


_BREAK = re.compile(r"\r\n|\r|\n")


def lines_of(text: str) -> list[str]:
    """Lines without their endings, split where Python and YAML both break lines (the fixer
    splits the same way, so an Edit's line number means the same line to both)."""
    lines = _BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def split_keepends(text: str) -> list[str]:
    """The lines of `text` with their endings: "".join(result) == text."""
    out, start = [], 0
    for match in _BREAK.finditer(text):
        out.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _trailing_comment(rest: str) -> str:
    """` # why` at the end of a key line whose value is empty (`key:  # why`)."""
    stripped = rest.strip()
    return f"  {stripped}" if stripped.startswith("#") else ""


def yaml_key_rename(text: str, source: YamlSource, loc: Loc, new_key: str, file: str) -> Edit | None:
    """Rename the key at `loc`, keeping its indentation, value and comment."""
    line_no = source.lines.get(loc)
    lines = lines_of(text)
    if line_no is None or line_no > len(lines):
        return None
    old = lines[line_no - 1]
    match = _YAML_KEY.match(old)
    if match is None or match["key"] != loc[-1]:
        return None
    return Edit(file, line_no, old, (f"{match['indent']}{new_key}:{match['rest']}",))


def yaml_replace_block(text: str, source: YamlSource, loc: Loc, items: int, replacement: str,
                       file: str) -> tuple[Edit, ...] | None:
    """Replace the key at `loc` and its list value (flow `[a, b]` or one `- item` per line) by the
    single line `replacement` at the same indentation; comment lines among the items stay."""
    line_no = source.lines.get(loc)
    lines = lines_of(text)
    if line_no is None or line_no > len(lines):
        return None
    old = lines[line_no - 1]
    match = _YAML_KEY.match(old)
    if match is None or match["key"] != loc[-1]:
        return None
    item_lines = [source.lines.get((*loc, index)) for index in range(items)]
    if any(n is None for n in item_lines):
        return None
    if all(n == line_no for n in item_lines):          # flow style on the key's line
        rest = match["rest"]
        comment = rest[rest.rindex("]") + 1:] if "]" in rest else ""
        if comment.strip() and not comment.strip().startswith("#"):
            return None
        return (Edit(file, line_no, old, (f"{match['indent']}{replacement}{comment.rstrip()}",)),)
    if match["rest"].strip() and not match["rest"].strip().startswith("#"):
        return None
    edits = [Edit(file, line_no, old, (f"{match['indent']}{replacement}{_trailing_comment(match['rest'])}",))]
    numbers = [n for n in item_lines if n is not None]
    if numbers != sorted(set(numbers)) or numbers[0] <= line_no:
        return None
    for position, number in enumerate(numbers):
        text_line = lines[number - 1]
        if not _YAML_ITEM.match(text_line):
            return None
        end = numbers[position + 1] if position + 1 < len(numbers) else _block_end(lines, number)
        for between in range(number + 1, end):   # a continuation of this item: not safe to cut
            stripped = lines[between - 1].strip()
            if stripped and not stripped.startswith("#"):
                return None
        edits.append(Edit(file, number, text_line))
    return tuple(edits)


def _block_end(lines: list[str], item_line: int) -> int:
    """The first line after `item_line` that is not more indented than the item (1-based)."""
    indent = len(lines[item_line - 1]) - len(lines[item_line - 1].lstrip())
    number = item_line + 1
    while number <= len(lines):
        line = lines[number - 1]
        if line.strip() and not line.strip().startswith("#") and len(line) - len(line.lstrip()) <= indent:
            break
        number += 1
    return number


# -- Python ------------------------------------------------------------------------------------

def _col(line: str, byte_offset: int) -> int:
    """ast's UTF-8 byte column -> index into the str line."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def statement_alone(lines: list[str], node: ast.stmt, *, one_line: bool = True) -> bool:
    """The statement fills its lines (bar indentation and a trailing comment); one line unless
    `one_line` is False."""
    if node.end_lineno is None or node.end_col_offset is None or (one_line and node.end_lineno != node.lineno):
        return False
    first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
    before = first[: _col(first, node.col_offset)]
    after = last[_col(last, node.end_col_offset):].strip()
    return not before.strip() and (not after or after.startswith("#"))


def remove_statements(lines: list[str], nodes: list[ast.stmt], holders: dict[int, list[ast.stmt]],
                      file: str) -> tuple[Edit, ...] | None:
    """Delete whole statements (each may span lines); a block left empty gets `pass`.

    `holders` maps id(statement) to the statement list that holds it (sources.parents)."""
    edits: list[Edit] = []
    removed = {id(n) for n in nodes}
    for node in nodes:
        if not statement_alone(lines, node, one_line=False):
            return None
        assert node.end_lineno is not None
        body = holders.get(id(node), [])
        emptied = bool(body) and all(id(s) in removed for s in body) and body[0] is node
        for number in range(node.lineno, node.end_lineno + 1):
            if emptied and number == node.lineno:
                line = lines[number - 1]
                indent = line[: len(line) - len(line.lstrip())]
                edits.append(Edit(file, number, line, (f"{indent}pass",)))
            else:
                edits.append(Edit(file, number, lines[number - 1]))
        # a blank line after it that would now follow a blank line or a block's header goes too
        after = node.end_lineno + 1
        before = lines[node.lineno - 2].rstrip() if node.lineno > 1 else ""
        if not emptied and after <= len(lines) and not lines[after - 1].strip() \
                and (not before or before.endswith(":")) and not any(e.line == after for e in edits):
            edits.append(Edit(file, after, lines[after - 1]))
    return tuple(edits)


def replace_statement(lines: list[str], node: ast.stmt, new_source: str, file: str) -> Edit | None:
    """Replace a one-line statement's text, keeping indentation and a trailing comment."""
    if not statement_alone(lines, node):
        return None
    assert node.end_col_offset is not None
    line = lines[node.lineno - 1]
    start, end = _col(line, node.col_offset), _col(line, node.end_col_offset)
    return Edit(file, node.lineno, line, (line[:start] + new_source + line[end:],))


def import_from_source(node: ast.ImportFrom, names: list[ast.alias]) -> str:
    module = "." * (node.level or 0) + (node.module or "")
    parts = [f"{a.name} as {a.asname}" if a.asname else a.name for a in names]
    return f"from {module} import {', '.join(parts)}"
