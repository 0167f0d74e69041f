"""Run a command and print its peak resident set size: ``python -m tests.bench.peak_rss CMD...``.

A child forked from a large process (the bench, after generating and importing data) starts with
the parent's pages counted in its RSS, and Linux keeps that high-water mark across ``exec``, so
its ``ru_maxrss`` says how big the bench was, not the command. This launcher is small: the
command, forked from it, reports its own peak. The last line on stderr is
``peak_rss_kb <N>``; the exit status is the command's.
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main() -> int:
    """Run ``sys.argv[1:]``; print its peak RSS in KB to stderr."""
    completed = subprocess.run(sys.argv[1:], check=False)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak_rss_kb {peak}", file=sys.stderr)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
