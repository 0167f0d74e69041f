"""Progress of a long command on stderr: a tqdm bar on a terminal, plain lines otherwise.

A log file or a pipe gets one line every ``every`` seconds (and none for a command that ends
sooner), so a cron job's mail or a CI log shows the command is moving without a bar's
carriage returns.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from tqdm import tqdm

DEFAULT_EVERY_SECONDS = 10.0


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """``--progress-every SECONDS``, for a command that reports progress with ``Progress``."""
    parser.add_argument(
        "--progress-every",
        type=float,
        default=DEFAULT_EVERY_SECONDS,
        metavar="SECONDS",
        help="when stderr is not a terminal, a progress line this often (default "
        f"{DEFAULT_EVERY_SECONDS:.0f})",
    )


class Progress:
    """Counts statements; ``update`` takes the count so far and a short detail text."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        every: float = DEFAULT_EVERY_SECONDS,
        stream: TextIO | None = None,
        bar: bool | None = None,
    ) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._every = every
        self._started = time.monotonic()
        self._last_line = self._started
        self._done = 0
        use_bar = self._stream.isatty() if bar is None else bar
        self._bar: tqdm[None] | None = None
        if use_bar:
            self._bar = tqdm(
                total=total,
                desc=label,
                unit=" statements",
                unit_scale=True,
                file=self._stream,
                dynamic_ncols=True,
            )

    def update(self, done: int, detail: str = "") -> None:
        """The number of statements handled so far."""
        if self._bar is not None:
            self._bar.update(done - self._done)
            if detail:
                self._bar.set_postfix_str(detail, refresh=False)
        else:
            now = time.monotonic()
            if now - self._last_line >= self._every:
                self._last_line = now
                self._line(done, detail, now)
        self._done = done

    def close(self) -> None:
        """End the bar (the caller prints its own summary)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _line(self, done: int, detail: str, now: float) -> None:
        elapsed = now - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        extra = f"; {detail}" if detail else ""
        print(
            f"{self._label}: {done:,} statements in {elapsed:,.0f} s ({rate:,.0f}/s){extra}",
            file=self._stream,
            flush=True,
        )
