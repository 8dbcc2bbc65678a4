"""``benchmarks/transformers.py``'s pure parts: sizes, flags and the peak table.

Fast: no model is built; the benchmark itself is run by hand (``make bench``).
"""

import importlib.util
import os
import sys

import pytest

_DIR = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


def _load():
    sys.path.insert(0, _DIR)  # The script imports ``_common`` from its folder.
    try:
        path = os.path.join(_DIR, "transformers.py")
        spec = importlib.util.spec_from_file_location("bench_transformers", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(_DIR)


bench = _load()


def test_named_sizes_set_the_flags_and_given_flags_win():
    args = bench.parse(["--size", "gpt2_small"])
    assert (args.layers, args.hidden, args.heads) == (12, 768, 12)
    assert (args.vocab, args.seq, args.batch, args.context) == (50257, 1024, 8, 1024)
    args = bench.parse(["--size", "gpt2_small", "--layers", "2", "--batch", "4"])
    assert (args.layers, args.batch, args.hidden) == (2, 4, 768)
    args = bench.parse([])
    assert (args.layers, args.hidden, args.heads, args.vocab) == (4, 256, 4, 8192)


def test_quick_is_tiny_and_flags_still_win():
    args = bench.parse(["--quick", "--hidden", "32"])
    assert args.layers == 1 and args.hidden == 32 and args.processes == 1


@pytest.mark.parametrize(
    "flags",
    [
        ["--heads", "3"],  # 3 does not divide 256
        ["--prompt", "96"],  # not shorter than --max-length
        ["--max-length", "2048"],  # beyond --context
        ["--seq", "2048"],
        ["--rounds", "0"],
    ],
)
def test_impossible_flags_stop_the_parser(flags, capsys):
    with pytest.raises(SystemExit):
        bench.parse(flags)
    assert "error" in capsys.readouterr().err


def test_peak_flops_by_card_name():
    assert bench.peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert bench.peak_flops("NVIDIA H100 PCIe") == 756e12
    assert bench.peak_flops("NVIDIA H200") == 989e12
    assert bench.peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert bench.peak_flops("NVIDIA L4") == 121e12
    assert bench.peak_flops("Tesla T4") is None
    assert bench.peak_flops(None) is None
