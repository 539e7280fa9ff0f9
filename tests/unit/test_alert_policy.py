"""The alert policy: shipped defaults with their sources, and a force's overrides."""

from __future__ import annotations

import pytest

from projections.alerts.policy import RULES, PolicyError, load_policy


def test_every_rule_ships_with_figures_and_a_source():
    policy = load_policy()
    assert set(policy.rules) == set(RULES)
    assert policy.days("ARMS_OVERDUE") == 42
    assert policy.visit_interval("very-high") == 28
    assert all(rule.source for rule in policy.rules.values())
    assert "West Midlands" in policy.rules["ARMS_OVERDUE"].note
    assert "local settings" in policy.rules["VISIT_OVERDUE"].note


def test_a_force_file_changes_only_what_it_names(tmp_path):
    path = tmp_path / "force.toml"
    path.write_text(
        '[rules.VISIT_OVERDUE]\nhigh = 30\nsource = "Force visiting policy 2019"\n',
        encoding="utf-8",
    )
    policy = load_policy(str(path))
    assert policy.visit_interval("high") == 30
    assert policy.visit_interval("low") == 182
    assert policy.days("ARMS_OVERDUE") == 42
    assert policy.rules["VISIT_OVERDUE"].source == "Force visiting policy 2019"
    assert policy.origin == str(path)
    assert policy.digest != load_policy().digest


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not toml at all [", "is not valid TOML"),
        ('[rules.ARMS_OVERDUE]\nweeks = 6\nsource = "x"\n', "has no figure 'weeks'"),
        ('[rules.ARMS_OVERDUE]\ndays = "six"\nsource = "x"\n', "whole number of days"),
        ('[rules.ARMS_OVERDUE]\ndays = true\nsource = "x"\n', "whole number of days"),
        ('[rules.ARMS_OVERDUE]\ndays = 0\nsource = "x"\n', "whole number of days"),
        ('[rules.ARMS_OVERDUE]\ndays = 36501\nsource = "x"\n', "from 1 to 36500 (a century)"),
        ('[rules.ARMS_OVERDUE]\ndays = 3000000\nsource = "x"\n', "from 1 to 36500"),
        ('[rules.VISIT_OVERDUE]\nhigh = 99999999999999999\nsource = "x"\n', "from 1 to 36500"),
        (
            "[rules.ARMS_OVERDUE]\ndays = " + "9" * 5000 + '\nsource = "x"\n',
            "a number has more digits than any figure needs",
        ),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        ('[rules.ARMS_OVERDUE]\ndays = 10\nsource = ""\n', "must say where its figures come from"),
        ("[thresholds]\narms = 10\n", "only [rules.NAME] tables"),
        ('[rules.NOT_A_RULE]\ndays = 10\nsource = "x"\n', "unknown rule 'NOT_A_RULE'"),
    ],
)
def test_a_malformed_file_is_refused_saying_what_is_wrong(tmp_path, text, says):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(str(path))
    assert says in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(str(tmp_path / "absent.toml"))


def test_a_century_is_the_longest_figure_taken(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text('[rules.ARMS_OVERDUE]\ndays = 36500\nsource = "x"\n', encoding="utf-8")
    assert load_policy(str(path)).days("ARMS_OVERDUE") == 36500


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[rules.ARMS_OVERDUE]\ndays = 10\nsource = "Gr\xfcn"\n')
    with pytest.raises(PolicyError) as refused:
        load_policy(str(path))
    assert str(refused.value) == (
        f"policy file {path} is not UTF-8 text (line 3); save it as UTF-8, or unset LEDGER_POLICY"
    )


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, no_hang):
    import os

    path = tmp_path / "policy.toml"
    os.mkfifo(path)
    with pytest.raises(PolicyError, match="is a named pipe"):
        load_policy(str(path))


def test_a_file_larger_than_a_mebibyte_is_refused(tmp_path):
    path = tmp_path / "large.toml"
    path.write_bytes(b"#" * (1024 * 1024) + b"\n")
    with pytest.raises(PolicyError, match="larger than 1 MiB"):
        load_policy(str(path))
