"""current_scope / record_metric / scope_for_prediction."""

from __future__ import annotations

import asyncio

import pytest

from cog_py import BaseRunner, current_scope, emit_metric
from cog_py.scope import scope_for_prediction


def test_modes_and_dot_paths() -> None:
    with scope_for_prediction({"user": "u1"}) as scope:
        scope.record_metric("tokens", 3)
        scope.record_metric("tokens", 2, mode="incr")
        scope.record_metric("tokens", 1, mode="increment")
        scope.record_metric("timing.preprocess", 0.1)
        scope.record_metric("timing.model.load", 1.5)
        scope.record_metric("seen", "a", mode="append")
        scope.record_metric("seen", "b", mode="append")
        scope.record_metric("single", 1)
        scope.record_metric("single", 2, mode="append")
        current_scope().metrics["flag"] = True
        emit_metric("emitted", 7)
        assert current_scope() is scope
        assert current_scope().context == {"user": "u1"}
    assert scope.metrics.snapshot() == {
        "tokens": 6,
        "timing": {"preprocess": 0.1, "model": {"load": 1.5}},
        "seen": ["a", "b"],
        "single": [1, 2],
        "flag": True,
        "emitted": 7,
    }
    assert isinstance(scope.metrics["tokens"], int)
    assert scope.metrics["timing.model.load"] == 1.5


def test_replace_with_none_and_del_remove() -> None:
    with scope_for_prediction() as scope:
        scope.record_metric("a", 1)
        scope.record_metric("b.c", 1)
        scope.record_metric("a", None)
        del scope.metrics["b.c"]
    assert scope.metrics.snapshot() == {"b": {}}


def test_type_cannot_change_without_deletion() -> None:
    with scope_for_prediction() as scope:
        scope.record_metric("x", 1)
        with pytest.raises(ValueError, match="already holds a number"):
            scope.record_metric("x", "one")
        scope.record_metric("x", None)
        scope.record_metric("x", "one")
    assert scope.metrics.snapshot() == {"x": "one"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "metric name must not be empty"),
        ("a" * 129, "metric name must be 128 characters or fewer"),
        ("a.b.c.d.e", "metric name must have at most 4 dot-separated segments (got 5)"),
        (".a", "metric name must not start with a dot"),
        ("a.", "metric name must not end with a dot"),
        ("a..b", "metric name must not contain empty segments (consecutive dots)"),
        ("_invalid", "metric name segment '_invalid' must start with a letter"),
        ("a__b", "metric name segment 'a__b' must not contain consecutive underscores"),
        ("ab_", "metric name segment 'ab_' must end with a letter or digit"),
        ("a-b", "metric name segment 'a-b' must contain only letters, digits and underscores"),
        ("predict_time", "'predict_time' is reserved by the runtime"),
        ("cog.x", "the 'cog.' prefix is reserved for system metrics"),
    ],
)
def test_name_validation(name: str, message: str) -> None:
    with scope_for_prediction() as scope, pytest.raises(ValueError) as err:
        scope.record_metric(name, 1)
    assert message in str(err.value)


def test_listener_sees_every_record() -> None:
    events = []
    with scope_for_prediction(listener=lambda *e: events.append(e)) as scope:
        scope.record_metric("t", 0.5)
        scope.record_metric("n", 1, mode="incr")
        scope.record_metric("l", 1, mode="append")
    assert events == [("t", 0.5, "replace"), ("n", 1, "increment"), ("l", 1, "append")]


def test_outside_a_prediction_records_go_nowhere() -> None:
    current_scope().record_metric("x", 1)
    assert current_scope().metrics.snapshot() == {}
    assert current_scope().context == {}


def test_concurrent_async_predictions_have_their_own_scopes() -> None:
    class Runner(BaseRunner):
        async def run(self, n: int) -> int:
            for _ in range(n):
                self.record_metric("steps", 1, mode="incr")
                await asyncio.sleep(0)
            return n

    runner = Runner()

    async def one(n: int):
        with scope_for_prediction({"n": str(n)}) as scope:
            await runner.run(n)
            assert runner.scope.context == {"n": str(n)}
        return scope.metrics.snapshot()

    async def main():
        return await asyncio.gather(one(3), one(5), one(7))

    assert asyncio.run(main()) == [{"steps": 3}, {"steps": 5}, {"steps": 7}]


def test_batch_scope_gives_each_request_its_scope() -> None:
    from cog_py.scope import Scope, current_scope, scope_for_batch

    items = [Scope({"n": "0"}), Scope({"n": "1"})]
    with scope_for_batch(items):
        scope = current_scope()
        assert [s.context["n"] for s in scope.items] == ["0", "1"]   # type: ignore[attr-defined]
        scope.items[1].record_metric("tokens", 5)                      # type: ignore[attr-defined]
        scope.record_metric("model", "m")                               # every request
    assert items[0].metrics.snapshot() == {"model": "m"}
    assert items[1].metrics.snapshot() == {"model": "m", "tokens": 5}
