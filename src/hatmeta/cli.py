"""The ``hatmeta`` command: start a review and check its files. The workflow stays Snakemake.

``hatmeta new DIR``
    Write a review directory (:func:`hatmeta.scaffold.new_review`) that
    ``snakemake --cores 4 --directory DIR --config review=config.yaml`` runs end to end.
``hatmeta check [DIR] [--config FILE]``
    Check a review's config, extraction sheet, bibliography, trials table and risk-of-bias
    files with the checks the workflow runs at start-up, in the same order and with the same
    messages (file, line, column): read the config strictly
    (:func:`hatmeta.config.read_workflow_config`), validate it against the schema
    (:func:`hatmeta.config.validate`), then check the data against it
    (:func:`hatmeta.preflight.check`). Nothing is written.
``hatmeta --version``
    The version (``pyproject.toml``, see CHANGELOG.md).

Exit codes: :data:`OK` (0) success; :data:`INVALID` (1) the review's inputs are invalid (every
problem is printed) or ``new`` cannot write where asked; :data:`USAGE` (2) the command line is
wrong (an unknown option, a directory that does not exist).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

OK, INVALID, USAGE = 0, 1, 2
#: The config ``hatmeta check`` reads when none is given: a review's own, else the workflow's
#: default (``config/config.yaml``, as ``snakemake`` reads it without ``review=``).
CONFIG_NAMES = ("config.yaml", "config/config.yaml")
RUN = "snakemake --cores 4 --directory {directory} --config review=config.yaml"


def check_review(directory: Path, config_name: str | None = None) -> list[str]:
    """Run the workflow's start-up checks on the review in ``directory``; return what the
    workflow's start-up would say (the trials each analysis leaves out, and why).

    Raises
    ------
    hatmeta.config.ConfigError, hatmeta.preflight.InputError
        With the workflow's own message.
    """
    from hatmeta import preflight
    from hatmeta.config import read_workflow_config, settings, validate

    if config_name is None:
        found = [name for name in CONFIG_NAMES if (directory / name).is_file()]
        config_name = found[0] if found else CONFIG_NAMES[0]
    # Paths in a review's config are relative to its directory, as under snakemake --directory.
    with contextlib.chdir(directory):
        config: dict = {"review": config_name}
        source, positions = read_workflow_config(config, [])
        validate(config, source=source, positions=positions)
        return preflight.check(settings(config), source, positions)


def _new(args: argparse.Namespace) -> int:
    from hatmeta.scaffold import ScaffoldError, new_review

    try:
        written = new_review(args.directory, risk_of_bias=args.risk_of_bias)
    except ScaffoldError as err:
        print(f"hatmeta new: {err}", file=sys.stderr)
        return INVALID
    for path in written:
        print(f"wrote {path}")
    print(f"next: hatmeta check {args.directory}")
    print(f"then, from the hatmeta checkout: {RUN.format(directory=args.directory)}")
    return OK


def _check(args: argparse.Namespace) -> int:
    from hatmeta.config import ConfigError
    from hatmeta.preflight import InputError

    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"hatmeta check: {directory} is not a directory", file=sys.stderr)
        return USAGE
    started = time.perf_counter()
    try:
        notes = check_review(directory, args.config)
    except (ConfigError, InputError) as err:
        print(str(err), file=sys.stderr)
        return INVALID
    for note in notes:
        print(note)
    print(f"{directory}: valid ({time.perf_counter() - started:.1f} s)")
    return OK


def parser() -> argparse.ArgumentParser:
    import hatmeta

    top = argparse.ArgumentParser(
        prog="hatmeta",
        description="Start a hatmeta review and check its files (the workflow is Snakemake's).",
        epilog="exit codes: 0 ok, 1 invalid input, 2 usage error",
    )
    top.add_argument("--version", action="version", version=f"hatmeta {hatmeta.__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    new = commands.add_parser(
        "new",
        help="write a review directory that runs as it is (the BCG vaccine trials)",
        description="Write a review directory: config.yaml with comments, extraction.csv, "
        "bibliography.csv and trials.csv (and risk_of_bias.csv with --risk-of-bias).",
    )
    new.add_argument("directory", metavar="DIR", help="a new or empty directory")
    new.add_argument("--risk-of-bias", action="store_true", help="also write a risk-of-bias table")
    new.set_defaults(run=_new)
    check = commands.add_parser(
        "check",
        help="check a review's config and data files as the workflow's start-up does",
        description="Check a review's config, sheet, bibliography, trials table and "
        "risk-of-bias files with the workflow's start-up checks; nothing is written. "
        "Exit codes: 0 valid, 1 invalid (every problem printed), 2 usage error.",
    )
    check.add_argument(
        "directory", metavar="DIR", nargs="?", default=".", help="the review (default: here)"
    )
    check.add_argument(
        "--config",
        metavar="FILE",
        help="the review's config, relative to DIR (default: config.yaml, else config/config.yaml)",
    )
    check.set_defaults(run=_check)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's); return the exit code."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
