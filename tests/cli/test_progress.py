"""Progress on stderr: a tqdm bar on a terminal, a plain line every N seconds otherwise."""

from __future__ import annotations

import io

from lrs.cli.progress import Progress


def test_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress("lrs import", stream=stream, every=0)
    progress.update(1500, "stored 1,500")
    progress.update(3000)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("lrs import: 1,500 statements in ")
    assert lines[0].endswith("; stored 1,500")


def test_no_line_before_the_interval() -> None:
    stream = io.StringIO()
    progress = Progress("lrs export", stream=stream, every=3600)
    progress.update(10)
    progress.close()
    assert stream.getvalue() == ""


def test_a_bar_when_asked_for() -> None:
    stream = io.StringIO()
    progress = Progress("lrs export", stream=stream, total=100, bar=True)
    progress.update(40)
    progress.update(100)
    progress.close()
    assert "lrs export: 100%" in stream.getvalue()
