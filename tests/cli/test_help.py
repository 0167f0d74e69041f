"""``lrs --help`` lists every command, and every command's ``--help`` ends with an example."""

from __future__ import annotations

import pytest

from lrs.cli.main import main

COMMANDS = (
    ("serve",),
    ("migrate",),
    ("bootstrap",),
    ("check",),
    ("store",),
    ("store", "create"),
    ("store", "list"),
    ("client",),
    ("client", "create"),
    ("client", "list"),
    ("client", "regenerate"),
    ("client", "disable"),
    ("client", "enable"),
    ("import",),
    ("export",),
    ("pg",),
)


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    for name in {command[0] for command in COMMANDS}:
        assert f"\n    {name} " in text or f"\n    {name}\n" in text, name
    words = " ".join(text.split())
    for sub in ("stores (PostgreSQL): create, list", "regenerate, disable, enable"):
        assert sub in words
    assert "LRS_DATABASE_URL" in text  # the settings table is still there


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_help_shows_an_example(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    text = _help(capsys, *command)
    example = text.split("example:\n", 1)
    assert len(example) == 2, text
    assert example[1].strip().startswith(("lrs ", "LRS_")), example[1]
    assert " ".join(command) in example[1]


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
