from __future__ import annotations

import pytest

from cog_py.config.requirements import parse_requirements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy\n", ("numpy",)),
        ("# comment\n\n   \nnumpy\n", ("numpy",)),
        ("torch==2.3.1  # the pinned one\n", ("torch==2.3.1",)),
        ("numpy \\\n  >=1.26\n", ("numpy >=1.26",)),
        ("a \\\n  b \\\n  c\n", ("a b c",)),
        ("-e .\n--editable .\nrequests\n", ("requests",)),
        ("-e ./lib\n", ("-e ./lib",)),
        ("git+https://example.com/x.git#egg=x\n", ("git+https://example.com/x.git#egg=x",)),
        ("--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n", ("--extra-index-url https://download.pytorch.org/whl/cpu", "torch")),
        ("./dist/my pkg-1.0-py3-none-any.whl\n", ("./dist/my pkg-1.0-py3-none-any.whl",)),
        ("last \\", ("last",)),
        ("", ()),
    ],
)
def test_parse_requirements(text: str, expected: tuple[str, ...]) -> None:
    assert parse_requirements(text) == expected
