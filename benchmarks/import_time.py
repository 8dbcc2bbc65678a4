"""Import cost of keras_dlkit against ``import keras``, as a ratio of medians.

Each command runs in a fresh interpreter (:func:`_common.time_process`), the
commands taking turns in ABBA order (:func:`_common.abba`) so that drift in
machine load hits them alike; one warm-up run of each fills the file-system
cache first. The figure is each command's median over ``import keras``'s,
with a 95% bootstrap interval paired by run. Run:

    python benchmarks/import_time.py --runs 15

Target (issue 2): ``import keras_dlkit`` / ``import keras`` <= 1.10.
"""

import argparse
import os
import statistics
import sys

import _common

ANCHOR = "import keras"
COMMANDS = {
    ANCHOR: "import keras",
    "import keras_dlkit": "import keras_dlkit",
    # Every namespace, by the package's public __all__.
    "import keras_dlkit + all namespaces": (
        "import keras_dlkit\n"
        "for name in keras_dlkit.__all__:\n"
        "    if name != '__version__': getattr(keras_dlkit, name)"
    ),
}


def time_once(code: str) -> float:
    return _common.time_process([sys.executable, "-c", code], env=os.environ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    args = _common.parse_args(parser, quick={"runs": 1})
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    for code in COMMANDS.values():  # warm the file-system cache
        time_once(code)
    samples = {name: [] for name in COMMANDS}
    for run in range(args.runs):
        for name in _common.abba(list(COMMANDS), run):
            samples[name].append(time_once(COMMANDS[name]))
    record = _common.result_record("import_time", samples, ANCHOR)
    print(f"backend={record['backend']} runs={args.runs}")
    anchor = statistics.median(samples[ANCHOR])
    for name, values in samples.items():
        median = statistics.median(values)
        key = f"{name} vs {ANCHOR}"
        ratio = _common.format_ratio(record, key) if key in record["ratio"] else ""
        print(
            f"{name:40s} median {median:7.3f} s   ratio {median / anchor:5.2f}"
            + (f"   {ratio}" if ratio else "")
        )
    _common.print_result(record)


if __name__ == "__main__":
    main()
