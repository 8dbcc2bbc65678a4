"""Write summary.md and figures.tar.gz for ``benchmarks/gpu/run_device.sh``.

    python benchmarks/gpu/_summarize.py --out OUT --figdir FIGS

Reads ``OUT/gallery.jsonl``, ``OUT/bench.log`` and ``OUT/env.txt``; writes
``OUT/summary.md`` (a table of the gallery runs, then each benchmark's
result lines, its JSON result line (``benchmarks/_common.py``) shortened to
its ratios and intervals) and ``OUT/figures.tar.gz`` (every PNG under ``--figdir``,
flat). When the archive would exceed ``--max-mb``, the PNGs are downscaled
(Pillow, halving the pixel count each pass) until it fits.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tarfile

# The benchmarks' shared result line, from the folder above.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402

BENCH_HEADER = re.compile(r"^=== bench (?P<name>\S+) (?P<rest>.*)$")


def load_gallery(path: str) -> list[dict]:
    records = []
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    return sorted(records, key=lambda r: (r.get("family", ""), r.get("example", "")))


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def short_result(record: dict) -> str:
    """A benchmark's JSON result line as ``result: <ratio> [interval]; ...``."""
    ratios = "; ".join(
        f"{key} {_common.format_ratio(record, key)}" for key in record["ratio"]
    )
    return f"result ({record['device']}): {ratios or 'no ratio'}"


def bench_sections(path: str) -> list[tuple[str, list[str]]]:
    """(header, result lines) per benchmark run in bench.log."""
    sections: list[tuple[str, list[str]]] = []
    if not os.path.exists(path):
        return sections
    with open(path, errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\n").rsplit("\r", 1)[-1]
            match = BENCH_HEADER.match(line)
            if match:
                sections.append((line[4:], []))
            elif sections and line.startswith("=== end"):
                sections[-1][1].append(line[4:])
            elif sections and _common.parse_result(line):
                sections[-1][1].append(short_result(_common.parse_result(line)))
            elif sections:
                sections[-1][1].append(line)
    result = []
    keep = re.compile(
        r"^result|ratio|median|backend=|peak|growth|not measured|Error|error|Traceback|"
        r"ms|MiB|end ",
        re.IGNORECASE,
    )
    for header, lines in sections:
        chosen = [x for x in lines if keep.search(x) and "WARNING" not in x]
        result.append((header, (chosen or lines)[-25:]))
    return result


def write_summary(out: str, records: list[dict]) -> None:
    lines = ["# keras_dlkit on the device", ""]
    env = os.path.join(out, "env.txt")
    if os.path.exists(env):
        with open(env, errors="replace") as handle:
            text = [row.rstrip() for row in handle]
        marker = next(
            (i for i, row in enumerate(text) if row.startswith("--- nvidia-smi")), None
        )
        head = text[:marker][:40] if marker is not None else text[:40]
        if marker is not None:
            util, memory = [], []
            for row in text[marker + 1 :]:
                parts = [p.strip().split()[0] for p in row.split(",")[1:3] if p.strip()]
                try:
                    util.append(float(parts[0]))
                    memory.append(float(parts[1]))
                except (IndexError, ValueError):
                    pass
            if util:
                head.append(
                    f"GPU while running ({len(util)} samples): utilization mean "
                    f"{sum(util) / len(util):.0f} %, max {max(util):.0f} %; "
                    f"memory used max {max(memory):.0f} MiB"
                )
        lines += ["```", *head, "```", ""]
    counts: dict[str, int] = {}
    for record in records:
        counts[record.get("status", "?")] = counts.get(record.get("status", "?"), 0) + 1
    lines.append(
        f"## Gallery ({len(records)} examples: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + ")"
    )
    lines += [
        "",
        "| example | status | seconds | figures | key printed lines |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for r in records:
        status = r.get("status", "?")
        if r.get("error"):
            status += ": " + r["error"][:160]
        key = "<br>".join(cell(k) for k in r.get("key_lines", [])[-4:])
        lines.append(
            f"| {r.get('family')}/{r.get('example')} | {cell(status)} | "
            f"{r.get('seconds', 0):.1f} | {r.get('figures', 0)} | {key} |"
        )
    lines += ["", "## Benchmarks", ""]
    sections = bench_sections(os.path.join(out, "bench.log"))
    if not sections:
        lines.append("(none ran)")
    for header, body in sections:
        lines += [f"### {header}", "", "```", *body, "```", ""]
    lines += ["", "## What each example printed (last lines)", ""]
    for r in records:
        lines += [f"### {r.get('family')}/{r.get('example')}: {r.get('status')}", ""]
        lines += ["```", *(r.get("printed") or r.get("stdout_tail") or []), "```", ""]
    with open(os.path.join(out, "summary.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


def png_bytes(path: str, scale: float) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    if scale >= 1.0:
        return data
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    buffer = io.BytesIO()
    image.resize(size, Image.LANCZOS).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_tarball(out: str, figdir: str, max_mb: float) -> None:
    pngs = (
        sorted(f for f in os.listdir(figdir) if f.endswith(".png"))
        if os.path.isdir(figdir)
        else []
    )
    target = os.path.join(out, "figures.tar.gz")
    scale = 1.0
    for _ in range(6):
        with tarfile.open(target, "w:gz", compresslevel=6) as archive:
            for name in pngs:
                try:
                    data = png_bytes(os.path.join(figdir, name), scale)
                except Exception as error:
                    print(f"skipped {name}: {error}")
                    continue
                info = tarfile.TarInfo(f"figures/{name}")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        size_mb = os.path.getsize(target) / 2**20
        print(f"figures.tar.gz: {len(pngs)} PNGs, scale {scale:.2f}, {size_mb:.1f} MiB")
        if size_mb <= max_mb:
            return
        scale *= 0.7


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--figdir", required=True)
    parser.add_argument("--max-mb", type=float, default=15.0)
    args = parser.parse_args()
    records = load_gallery(os.path.join(args.out, "gallery.jsonl"))
    write_summary(args.out, records)
    write_tarball(args.out, args.figdir, args.max_mb)


if __name__ == "__main__":
    main()
