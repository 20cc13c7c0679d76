from __future__ import annotations

import pytest

from cog_py.config.environment import check_environment_entry, parse_environment


@pytest.mark.parametrize(
    "name", ["PATH", "LD_LIBRARY_PATH", "HF_ENDPOINT", "R8_X", "REPLICATE_API_TOKEN", "NVIDIA_VISIBLE_DEVICES", "NV_X", "PGET_X", "KUBERNETES_SERVICE_HOST"]
)
def test_reserved_names(name: str) -> None:
    assert check_environment_entry(f"{name}=1", set()) == (
        f'environment variable "{name}" is not allowed: reserved for internal use'
    )


@pytest.mark.parametrize("entry", ["COG_SETUP_TIMEOUT=10", "_X=", "hf_home=/x", "A=b=c", "PATHS=ok"])
def test_allowed(entry: str) -> None:
    assert check_environment_entry(entry, set()) is None


def test_duplicate_after_first() -> None:
    seen: set[str] = set()
    assert check_environment_entry("A=1", seen) is None
    assert check_environment_entry("A=2", seen) == 'environment variable "A" is already defined'


def test_parse_keeps_order_and_splits_on_first_equals() -> None:
    assert parse_environment(["B=1", "A=x=y"]) == (("B", "1"), ("A", "x=y"))
