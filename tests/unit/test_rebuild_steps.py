"""What a rebuild, or a long catch-up, says of where its time went."""

from __future__ import annotations

import pytest

from cli.operating import _say_steps, _steps_json


def test_the_steps_a_person_waited_on_are_named_in_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    steps = {"pages": 4.24, "timeline": 0.0, "alerts": 4.51, "indexes": 0.46}
    _say_steps(steps)
    # A step under a tenth of a second is not named.
    assert capsys.readouterr().out == (
        "  of which: applying the events 4.2 s, alerts 4.5 s, making the indexes 0.5 s\n"
    )
    assert _steps_json({"pages": 4.23456, "alerts": 0.0001}) == {"pages": 4.235, "alerts": 0.0}


def test_nothing_is_said_when_no_step_took_a_tenth_of_a_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _say_steps({"pages": 0.04, "alerts": 0.02})
    _say_steps({})
    assert capsys.readouterr().out == ""
