"""Run one gallery example, save its figures as PNG, append one JSON line.

Used by ``benchmarks/gpu/run_device.sh``; not part of the library. Run:

    python benchmarks/gpu/_run_example.py gallery/cnn/plot_cnn_zoo.py \
        --figdir FIGS --jsonl gallery.jsonl --log LOG --timeout 300

The example runs with ``runpy.run_path`` as ``__main__`` (its own folder first
on ``sys.path``, ``sys.argv`` its path), in a scratch working folder, so it
can neither depend on nor litter the caller's folder. Its stdout and stderr
must already go to ``--log`` (the caller redirects them); the tail of that
file goes into the JSON line.

Figures are saved as ``<family>__<example>__<n>.png`` (``n`` counts from 01):
when the example calls ``plt.show()`` (all open figures, then closed, as
sphinx-gallery's scraper does), when it closes a figure itself (that figure,
first), and at the end, also after an error or a timeout (every figure still
open). ``--timeout`` raises :class:`ExampleTimeout` inside the example
(``SIGALRM``; ``SIGTERM`` does the same), so a slow example still leaves its
figures and its line. The caller's ``timeout -k`` is only the backstop for an
example stuck inside one native call; then ``--record-killed`` writes its
line instead.

JSON line fields: ``example``, ``family``, ``status`` (``ok``, ``error``,
``timeout``, ``killed``, ``skipped``), ``error`` (the last traceback line),
``seconds``, ``figures``, ``key_lines`` (printed lines that look like
results), ``printed`` (the last printed lines, without progress bars, epoch
lines and log noise), ``stdout_tail`` (raw), ``backend``, ``profile``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import traceback

# The benchmarks' shared method (the Stopwatch here), from the folder above.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _common  # noqa: E402

KEY = re.compile(
    r"accura|\bacc\b|loss|\biou\b|dice|psnr|ssim|\bfid\b|\bmap\b|error|"
    r"trained in|score|ratio|parameters|precision|recall",
    re.IGNORECASE,
)
PROGRESS = re.compile(r"^\s*(\d+/\d+\s|Epoch \d+/\d+)")


class ExampleTimeout(BaseException):
    """Raised inside the example when its time is up (not an ``Exception``)."""


def names(script: str) -> tuple[str, str]:
    path = os.path.abspath(script)
    family = os.path.basename(os.path.dirname(path))
    example = os.path.splitext(os.path.basename(path))[0]
    return family, example


def tail(path: str | None, lines: int) -> list[str]:
    if not path or not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 400_000))
        text = handle.read().decode("utf-8", "replace")
    # Keras's progress bars rewrite one line with carriage returns.
    out = [line.rsplit("\r", 1)[-1].rstrip() for line in text.splitlines()]
    return [line for line in out if line][-lines:]


NOISE = re.compile(
    r"^(WARNING|I0000|W0000|E0000|\[runner\])|absl::|cpu_feature_guard|"
    r"rebuild TensorFlow|UserWarning|warnings\.warn"
)
DECIMAL = re.compile(r"\d\.\d{2,}")


JAX_NOTE = re.compile(r"^-{10,}$|^For simplicity, JAX has removed|^The above exception")


def printed(path: str | None, lines: int = 30) -> list[str]:
    """What the example printed, without progress bars, epoch lines, logs and
    traceback frames (a traceback's last line, the exception, stays)."""
    kept, in_traceback = [], False
    for line in tail(path, 6000):
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback and line[:1].isspace():
            continue
        in_traceback = False
        if PROGRESS.match(line) or NOISE.search(line) or JAX_NOTE.search(line):
            continue
        kept.append(line[:240])
    return kept[-lines:]


def last_progress(path: str | None) -> str:
    """The last epoch line and step line: how far training got, how fast."""
    epoch = step = ""
    for line in tail(path, 6000):
        if line.startswith("Epoch "):
            epoch = line.strip()
        elif PROGRESS.match(line):
            step = line.strip()
    return f"last progress: {epoch} {step}"[:240] if epoch or step else ""


def key_lines(path: str | None, progress: bool = False) -> list[str]:
    """Printed lines that look like results (a keyword or a decimal figure);
    with ``progress``, the last progress line too (for a run cut short)."""
    found = [
        line.strip()[:200]
        for line in printed(path, 400)
        if KEY.search(line) or DECIMAL.search(line)
    ][-6:]
    if progress and last_progress(path):
        found = found[-5:] + [last_progress(path)]
    return found


def where_in(script: str, tb) -> str:
    """``line N: code`` of the script's innermost frame in a traceback."""
    frames = [
        f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) == script
    ]
    return f"at line {frames[-1].lineno}: {frames[-1].line}" if frames else ""


def append_line(jsonl: str, record: dict) -> None:
    line = json.dumps(record) + "\n"
    # One write of one short line in append mode: parallel writers don't mix.
    fd = os.open(jsonl, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def already_recorded(jsonl: str, family: str, example: str) -> bool:
    if not os.path.exists(jsonl):
        return False
    with open(jsonl) as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if (record.get("family"), record.get("example")) == (family, example):
                return True
    return False


class FigureSaver:
    """Saves each matplotlib figure once, in the order they are shown or closed."""

    def __init__(self, plt, figdir: str, prefix: str, dpi: int):
        self.plt, self.figdir, self.prefix, self.dpi = plt, figdir, prefix, dpi
        self.saved: set[int] = set()
        self.count = 0
        self.errors: list[str] = []

    def save(self, figures) -> None:
        for figure in figures:
            if id(figure) in self.saved:
                continue
            self.saved.add(id(figure))
            self.count += 1
            path = os.path.join(self.figdir, f"{self.prefix}__{self.count:02d}.png")
            try:
                figure.savefig(path, dpi=self.dpi)
            except Exception as error:  # a broken figure must not hide the rest
                self.count -= 1
                self.errors.append(f"savefig: {type(error).__name__}: {error}")

    @staticmethod
    def open_figures():
        # Through Gcf, not plt.figure(n), which would make each one current.
        from matplotlib._pylab_helpers import Gcf

        return [manager.canvas.figure for manager in Gcf.get_all_fig_managers()]

    def install(self) -> None:
        plt = self.plt
        original_close = plt.close

        def show(*args, **kwargs):
            self.save(self.open_figures())
            original_close("all")

        def close(fig=None):
            if fig is None:
                targets = [plt.gcf()] if plt.get_fignums() else []
            elif isinstance(fig, str) and fig == "all":
                targets = self.open_figures()
            elif isinstance(fig, (int, str)):
                targets = [
                    f
                    for f in self.open_figures()
                    if f.number == fig or f.get_label() == fig
                ]
            else:
                targets = [getattr(fig, "figure", fig)]
            self.save(targets)
            return original_close(fig)

        plt.show, plt.close = show, close


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script")
    parser.add_argument("--figdir", required=True)
    parser.add_argument("--jsonl", required=True)
    parser.add_argument("--log", help="the file stdout and stderr go to")
    parser.add_argument("--timeout", type=float, default=0, help="seconds; 0: none")
    parser.add_argument("--dpi", type=int, default=80)
    parser.add_argument("--workdir", help="working folder (default: a new temp one)")
    parser.add_argument(
        "--record-killed",
        metavar="STATUS",
        help="only append a line with this status (killed, skipped) and exit",
    )
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument(
        "--block",
        nargs="*",
        default=[],
        help="top-level modules to make unimportable (emulates a machine without them)",
    )
    args = parser.parse_args()
    # Absolute before the example's chdir.
    args.figdir, args.jsonl = os.path.abspath(args.figdir), os.path.abspath(args.jsonl)
    args.log = os.path.abspath(args.log) if args.log else None
    family, example = names(args.script)
    record = {
        "example": example,
        "family": family,
        "status": "",
        "error": "",
        "seconds": 0.0,
        "figures": 0,
        "key_lines": [],
        "printed": [],
        "stdout_tail": [],
        "backend": os.environ.get("KERAS_BACKEND", ""),
        "profile": os.environ.get("DLKIT_GALLERY_PROFILE", ""),
    }
    if args.record_killed:
        if already_recorded(args.jsonl, family, example):
            return 0  # the runner wrote its own line before the outer timeout hit
        figs = [
            f
            for f in (os.listdir(args.figdir) if os.path.isdir(args.figdir) else [])
            if f.startswith(f"{family}__{example}__")
        ]
        record.update(
            status=args.record_killed,
            seconds=round(args.seconds, 1),
            figures=len(figs),
            error="killed by the outer timeout (stuck in a native call?)"
            if args.record_killed == "killed"
            else "",
            key_lines=key_lines(args.log, progress=True),
            printed=printed(args.log),
            stdout_tail=tail(args.log, 40),
        )
        append_line(args.jsonl, record)
        return 0

    if args.block:
        blocked = set(args.block)

        class _Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in blocked:
                    raise ModuleNotFoundError(f"No module named {name!r} (blocked)")
                return None

        sys.meta_path.insert(0, _Blocker())

    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.figdir, exist_ok=True)
    saver = FigureSaver(plt, args.figdir, f"{family}__{example}", args.dpi)
    saver.install()

    def on_signal(signum, frame):
        raise ExampleTimeout(f"time up ({signal.Signals(signum).name})")

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    script = os.path.abspath(args.script)
    workdir = args.workdir or tempfile.mkdtemp(prefix=f"{example}-")
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(script))
    import runpy

    watch = _common.Stopwatch().start()
    status, error = "ok", ""
    try:
        if args.timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
        runpy.run_path(script, run_name="__main__")
    except ExampleTimeout as stop:
        status = "timeout"
        error = (
            f"{stop} after {args.timeout:.0f} s, {where_in(script, stop.__traceback__)}"
        )
        print(f"[runner] {error}", flush=True)
    except BaseException as failure:  # SystemExit and KeyboardInterrupt too
        if isinstance(failure, SystemExit) and failure.code in (None, 0):
            status = "ok"
        else:
            status = "error"
            # The exception's own first line, not the notes JAX appends.
            message = str(failure).strip().splitlines()
            error = f"{type(failure).__name__}: {message[0] if message else ''}"
            where = where_in(script, failure.__traceback__)
            error += f" ({where})" if where else ""
            traceback.print_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    seconds = watch.stop()
    try:
        saver.save(saver.open_figures())
    except BaseException as failure:
        saver.errors.append(f"{type(failure).__name__}: {failure}")
    if saver.errors:
        print("figure errors:", *saver.errors, sep="\n  ", flush=True)
    print(
        f"[runner] {family}/{example}: {status} in {seconds:.1f} s, "
        f"{saver.count} figures {error}",
        flush=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    record.update(
        status=status,
        error=error[:300],
        seconds=round(seconds, 1),
        figures=saver.count,
        key_lines=key_lines(args.log, progress=status != "ok"),
        printed=printed(args.log),
        stdout_tail=tail(args.log, 40),
    )
    append_line(args.jsonl, record)
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (JAX/XLA threads can hang it); all is written.
    os._exit(code)
