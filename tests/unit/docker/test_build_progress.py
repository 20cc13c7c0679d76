from __future__ import annotations

from cog_py.docker.build import _Progress


def test_auto_progress_shows_steps_with_elapsed_time() -> None:
    said: list[str] = []
    progress = _Progress("auto", said.append)
    progress.line("Step 1/3 : FROM python:3.11-slim", (1, 3, "FROM python:3.11-slim"))
    progress.line("some output")
    assert len(said) == 1 and said[0].endswith("Step 1/3: FROM python:3.11-slim") and said[0].startswith("[")


def test_quiet_and_plain() -> None:
    quiet: list[str] = []
    _Progress("quiet", quiet.append).line("x", (1, 2, "RUN x"))
    assert quiet == []
    plain: list[str] = []
    p = _Progress("plain", plain.append)
    p.line("Step 1/2 : RUN x", (1, 2, "RUN x"))
    p.line("hello")
    assert plain == ["Step 1/2 : RUN x", "hello"]


def test_failure_keeps_the_failing_steps_tail_only() -> None:
    p = _Progress("quiet", lambda _m: None)
    p.line("", (2, 5, "RUN echo one"))
    p.line("one")
    p.line("", (3, 5, "RUN make"))
    p.line(" ---> Running in abc")
    p.line("compiling")
    p.line("make: *** [all] Error 2")
    err = p.failure("The command '/bin/sh -c make' returned a non-zero code: 2", "python:3.11-slim")
    assert err.message.startswith("image build failed at step 3/5: RUN make\n")
    assert "  compiling\n  make: *** [all] Error 2" in err.message
    assert "one" not in err.message.split("\n")[1:] and "Running in" not in err.message
    assert err.message.endswith("returned a non-zero code: 2")


def test_unpullable_base_image() -> None:
    p = _Progress("quiet", lambda _m: None)
    p.line("", (1, 9, "FROM python:3.12-slim AS cog-system"))
    err = p.failure("pull access denied for python, repository does not exist or may require 'docker login'",
                    "python:3.12-slim")
    assert err.message.startswith("the base image python:3.12-slim could not be pulled: pull access denied")
    assert err.hint and "docker image inspect python:3.12-slim" in err.hint
