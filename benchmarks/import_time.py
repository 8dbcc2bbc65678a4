"""Import cost of keras_dlkit against ``import keras``, as a ratio of medians.

Each command runs in a fresh interpreter, alternating ours and the anchor so
that drift in machine load hits both alike. Run:

    python benchmarks/import_time.py --runs 15

Target (issue 2): ``import keras_dlkit`` / ``import keras`` <= 1.10.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import keras": "import keras",
    "import keras_dlkit": "import keras_dlkit",
    "import keras_dlkit + all namespaces": (
        "import keras_dlkit\n"
        "for name in keras_dlkit._SUBPACKAGES: getattr(keras_dlkit, name)"
    ),
}


def time_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    for code in COMMANDS.values():  # warm the file-system cache
        time_once(code)
    samples = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, code in COMMANDS.items():
            samples[name].append(time_once(code))
    anchor = statistics.median(samples["import keras"])
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    print(f"backend={backend} runs={args.runs}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:40s} median {median:7.3f} s   ratio {median / anchor:5.2f}")


if __name__ == "__main__":
    main()
