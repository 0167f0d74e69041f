"""The ``lrs`` command: the parser of every command, and the dispatch to its module.

Commands live in small modules (``server``: serve, migrate, bootstrap, pg; ``check``;
``tenancy``: store and client; ``imports``; ``exports``), each with ``register(commands)``; the
work itself is in ``lrs.ops`` and ``lrs.tenancy``, usable without this command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from lrs import __version__
from lrs.cli import check, exports, imports, server, tenancy
from lrs.cli.common import FAILED, CommandError
from lrs.core.errors import LrsError
from lrs.core.settings import SETTINGS_DOC

_EXAMPLES = """\
examples:
  lrs check                                   are the settings, database and schema fine?
  lrs store create --title "Course pilots"    a new store and its client's credentials
  lrs import statements.ndjson.gz             load statements (JSON array or NDJSON)
  lrs export --format csv -o statements.csv   every statement of the only store, as CSV
  lrs COMMAND --help                          a command's options and an example"""


def _settings_epilog() -> str:
    lines = [_EXAMPLES, "", "environment variables:"]
    for name, (default, description) in SETTINGS_DOC.items():
        lines.append(f"  {name:<26} {description} Default: {default}.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``lrs`` and every command."""
    parser = argparse.ArgumentParser(
        prog="lrs",
        description=(
            "A lightweight Learning Record Store (xAPI 2.0.0 and 1.0.3, Learning Locker APIs)."
        ),
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lrs {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    server.register(commands)
    check.register(commands)
    tenancy.register(commands)
    imports.register(commands)
    exports.register(commands)
    server.register_pg(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lrs`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    name = args.command_name
    try:
        return int(args.run(args))
    except CommandError as error:
        print(f"lrs {name}: {error.message}", file=sys.stderr)
        return error.exit_code
    except LrsError as error:
        print(f"lrs {name}: {error.message}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print(f"lrs {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read stdout stopped (`lrs export | head`): end quietly, and keep Python from
        # failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
