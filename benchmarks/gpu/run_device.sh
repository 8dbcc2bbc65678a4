#!/usr/bin/env bash
# One-shot GPU check of keras_dlkit: the whole gallery at the full profile on
# the jax backend, then the benchmarks, inside a hard 9-minute deadline.
#
# Made for the borrowed device machine (one H200; python3 with jax, torch,
# matplotlib, scikit-image, ... but no keras and no internet):
#
#   run(command="bash benchmarks/gpu/run_device.sh", carry=[".whl", ".devdata"],
#       timeout_s=570)
#
#   .whl/     wheels the machine lacks (keras, namex, optree), py3.12 x86-64;
#             installed with pip --target /tmp/site, no registry reached.
#             Made with: pip download --no-deps --only-binary=:all:
#             --python-version 3.12 --implementation cp --platform
#             manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
#             --platform manylinux_2_17_x86_64 -d .whl keras==<ours> namex optree
#             benchmarks/transformers.py also needs keras-hub there: add
#             keras-hub==<ours> kagglehub kagglesdk (keras_hub imports
#             kagglehub at import time) to that download; without them that
#             benchmark stops at once, saying keras-hub is missing.
#   .devdata/ a KERAS_HOME holding datasets/ as seeded by
#             `KERAS_HOME=$PWD/.devdata python -m keras_dlkit.datasets seed`.
#             Remove the keras.json seeding writes there (it names a backend)
#             and copy links as files (cp -L): links do not travel.
#   The repo itself goes on PYTHONPATH (no pip install of it).
#
# Phases (offsets from the start; every one is cut short by its end time):
#   1. env     wheels, nvidia-smi, versions, whether jax and torch see the GPU.
#   2. gallery every gallery/*/plot_*.py (globbed now), JOBS at a time, each
#              through benchmarks/gpu/_run_example.py (figures -> PNG, one JSON
#              line), each under min(EXAMPLE_TIMEOUT, GALLERY_END_S - now).
#   3. bench   benchmarks/*.py on jax (then torch) until BENCH_END_S.
#   4. report  summary.md and figures.tar.gz (again after phase 2, in case).
#
# Results in $OUT (a temp folder when unset), 7 files: summary.md (also
# printed last), gallery.jsonl, examples.log (every example's output),
# bench.log, env.txt, figures.tar.gz (<family>__<example>__<n>.png), run.log.
#
# Settings (environment):
#   DEVICE_DRYRUN=1   local CPU test: the quick profile, .venv/bin/python, no
#                     wheels, JOBS=2, 2 examples, tensorflow blocked (as there).
#   JOBS (12), EXAMPLE_TIMEOUT (330 s), GALLERY_FILTER (regex on the path, '.'),
#   GALLERY_LIMIT (0: all), GALLERY_ORDER (families first, in this order:
#   'fundamentals cnn generative'; the lighter first, so that most finish and
#   the slow ones still get minutes: enough for their per-epoch times),
#   MIN_EXAMPLE_S (40: an example with less time left is skipped),
#   GALLERY_END_S (390), BENCH_END_S (510), HARD_END_S (540; bounds the
#   report), BENCH (1; 0 skips phase 3), PROFILE (full), PYTHON (python3).
#   Example: JOBS=16 GALLERY_FILTER=generative bash benchmarks/gpu/run_device.sh
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
REPO=$PWD
T0=$(date +%s)
DRYRUN=${DEVICE_DRYRUN:-0}

if [[ $DRYRUN == 1 ]]; then
  : "${PYTHON:=$REPO/.venv/bin/python}" "${PROFILE:=quick}" "${JOBS:=2}"
  : "${GALLERY_LIMIT:=2}" "${EXAMPLE_TIMEOUT:=150}" "${GALLERY_END_S:=240}"
  : "${BENCH_END_S:=330}" "${HARD_END_S:=360}" "${BLOCK:=tensorflow}"
  : "${BENCH_SET:=dryrun}"
else
  : "${PYTHON:=python3}" "${PROFILE:=full}" "${JOBS:=12}" "${GALLERY_LIMIT:=0}"
  : "${EXAMPLE_TIMEOUT:=330}" "${GALLERY_END_S:=390}" "${BENCH_END_S:=510}"
  : "${HARD_END_S:=540}" "${BLOCK:=}" "${BENCH_SET:=device}"
fi
: "${GALLERY_FILTER:=.}" "${BENCH:=1}" "${MIN_EXAMPLE_S:=40}"
: "${GALLERY_ORDER=fundamentals cnn generative}"
PY=$PYTHON

if [[ -z ${OUT:-} ]]; then OUT=$(mktemp -d /tmp/dlkit-out.XXXXXX); fi
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/dlkit-work.XXXXXX)
FIGS=$WORK/figs
mkdir -p "$FIGS" "$WORK/logs" "$WORK/scratch"
exec > >(tee -a "$OUT/run.log") 2>&1

elapsed() { echo $(($(date +%s) - T0)); }
left_until() { echo $((T0 + $1 - $(date +%s))); }
say() { printf '[%4ss] %s\n' "$(elapsed)" "$*"; }

say "run_device.sh: dryrun=$DRYRUN profile=$PROFILE jobs=$JOBS out=$OUT work=$WORK"

# ---------------------------------------------------------------- 1. env
if [[ $DRYRUN != 1 ]]; then
  if ls .whl/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
      --upgrade --target /tmp/site .whl/*.whl || say "WARNING: wheel install failed"
    export PYTHONPATH=/tmp/site:$REPO
  else
    say "WARNING: no .whl/ (carry it); keras must already be installed"
    export PYTHONPATH=$REPO
  fi
else
  export PYTHONPATH=$REPO
fi

export KERAS_HOME=$WORK/keras_home
if [[ -d .devdata ]]; then
  cp -rL .devdata "$KERAS_HOME"
else
  say "WARNING: no .devdata/ (carry it); data sets will be missing offline"
  mkdir -p "$KERAS_HOME"
fi
export MPLBACKEND=Agg DLKIT_GALLERY_PROFILE=$PROFILE JAX_THREEFRY_PARTITIONABLE=false \
  XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
  TF_CPP_MIN_LOG_LEVEL=2

{
  echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)  cpus: $(nproc)"
  echo "mem: $(free -g 2>/dev/null | awk '/Mem:/{print $2 " GiB"}')"
  (command -v nvidia-smi >/dev/null && timeout 30 nvidia-smi -L) || echo "nvidia-smi: none"
  (command -v nvidia-smi >/dev/null && timeout 30 nvidia-smi \
    --query-gpu=name,memory.total,memory.used,driver_version --format=csv,noheader) || true
  echo "python: $PY  PYTHONPATH=$PYTHONPATH  KERAS_HOME=$KERAS_HOME"
  echo "profile=$PROFILE jobs=$JOBS example_timeout=$EXAMPLE_TIMEOUT gallery_end=$GALLERY_END_S bench_end=$BENCH_END_S hard_end=$HARD_END_S"
  KERAS_BACKEND=jax timeout 90 "$PY" - <<'EOF'
import importlib, platform, sys, time
print("python", platform.python_version(), sys.executable)
for name in ("numpy", "matplotlib", "scipy", "skimage", "sklearn", "PIL", "tifffile",
             "pandas", "h5py", "ml_dtypes", "optree", "namex"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '?')}")
    except Exception as error:
        print(f"{name} MISSING: {error}")
try:
    import jax
    print("jax", jax.__version__, "backend", jax.default_backend(), "devices", jax.devices())
except Exception as error:
    print("jax FAILED:", repr(error))
try:
    import torch
    ok = torch.cuda.is_available()
    print("torch", torch.__version__, "cuda", ok, torch.cuda.get_device_name(0) if ok else "")
except Exception as error:
    print("torch FAILED:", repr(error))
try:
    import keras
    start = time.perf_counter()
    x = keras.ops.ones((2048, 2048))
    y = keras.ops.convert_to_numpy(keras.ops.matmul(x, x))
    print("keras", keras.__version__, "backend", keras.backend.backend(),
          "matmul ok" if float(y[0, 0]) == 2048.0 else "matmul WRONG",
          getattr(keras.ops.matmul(x, x), "devices", lambda: "?")(),
          f"{time.perf_counter() - start:.2f}s")
    import keras_dlkit
    print("keras_dlkit", keras_dlkit.__version__, keras_dlkit.__file__)
    print("jax_threefry_partitionable", jax.config.jax_threefry_partitionable)
except Exception as error:
    print("keras/keras_dlkit FAILED:", repr(error))
EOF
} 2>&1 | grep -v "^WARNING: All log messages\|absl::InitializeLog" | tee "$OUT/env.txt"

# GPU load and memory every 15 s, for the report (the sampler is ended below).
GPU_SAMPLER=
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader \
    -l 15 >"$WORK/gpu.csv" 2>/dev/null &
  GPU_SAMPLER=$!
fi

# ---------------------------------------------------------------- 2. gallery
RUNNER=$REPO/benchmarks/gpu/_run_example.py
export REPO OUT WORK FIGS PY RUNNER T0 EXAMPLE_TIMEOUT GALLERY_END_S MIN_EXAMPLE_S BLOCK

run_one() {
  local script=$1 fam ex log left t start rc took
  fam=$(basename "$(dirname "$script")")
  ex=$(basename "$script" .py)
  log=$WORK/logs/${fam}__${ex}.log
  left=$((T0 + GALLERY_END_S - $(date +%s)))
  t=$((left < EXAMPLE_TIMEOUT ? left : EXAMPLE_TIMEOUT))
  if ((t < MIN_EXAMPLE_S)); then
    printf '[gallery] %s/%s skipped (%ss left)\n' "$fam" "$ex" "$left"
    "$PY" "$RUNNER" "$script" --figdir "$FIGS" --jsonl "$OUT/gallery.jsonl" \
      --record-killed skipped >/dev/null 2>&1
    return 0
  fi
  printf '[gallery] %s/%s start (timeout %ss)\n' "$fam" "$ex" "$t"
  start=$(date +%s)
  # shellcheck disable=SC2086
  KERAS_BACKEND=jax timeout -k 10 $((t + 20)) "$PY" "$RUNNER" "$script" \
    --figdir "$FIGS" --jsonl "$OUT/gallery.jsonl" --log "$log" --timeout "$t" \
    --workdir "$WORK/scratch/${fam}__${ex}" ${BLOCK:+--block $BLOCK} >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  if ((rc == 124 || rc == 137)); then
    "$PY" "$RUNNER" "$script" --figdir "$FIGS" --jsonl "$OUT/gallery.jsonl" \
      --log "$log" --record-killed killed --seconds "$took" >/dev/null 2>&1
  fi
  printf '[gallery] %s/%s done rc=%s in %ss: %s\n' "$fam" "$ex" "$rc" "$took" \
    "$(grep -a '^\[runner\]' "$log" | tail -1 | cut -c1-200)"
  (
    flock 9
    {
      printf '\n======== %s/%s rc=%s %ss ========\n' "$fam" "$ex" "$rc" "$took"
      tail -c 1500000 "$log"
    } >>"$OUT/examples.log"
  ) 9>"$WORK/examples.lock"
}
export -f run_one

mapfile -t ALL < <(ls gallery/*/plot_*.py 2>/dev/null | grep -E -- "$GALLERY_FILTER")
EXAMPLES=()  # the families of GALLERY_ORDER first, in that order, then the rest
for fam in $GALLERY_ORDER; do
  for s in "${ALL[@]}"; do [[ $s == gallery/$fam/* ]] && EXAMPLES+=("$s"); done
done
for s in "${ALL[@]}"; do
  listed=0
  for fam in $GALLERY_ORDER; do [[ $s == gallery/$fam/* ]] && listed=1; done
  ((listed)) || EXAMPLES+=("$s")
done
if ((GALLERY_LIMIT > 0)); then EXAMPLES=("${EXAMPLES[@]:0:GALLERY_LIMIT}"); fi
say "gallery: ${#EXAMPLES[@]} examples, $JOBS at a time, until ${GALLERY_END_S}s"
: >"$OUT/gallery.jsonl"
if ((${#EXAMPLES[@]} > 0)); then
  printf '%s\n' "${EXAMPLES[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {}
fi
say "gallery done: $(grep -c . "$OUT/gallery.jsonl") lines, $(ls "$FIGS" | wc -l) figures"
report() {  # at most 30 s, and never past HARD_END_S (10 s at least)
  local t
  t=$(left_until "$HARD_END_S")
  t=$((t > 30 ? 30 : (t < 10 ? 10 : t)))
  timeout "$t" "$PY" "$REPO/benchmarks/gpu/_summarize.py" --out "$OUT" --figdir "$FIGS" \
    || say "WARNING: summary failed"
}
report

# ---------------------------------------------------------------- 3. benchmarks
bench() {  # bench NAME BACKEND BUDGET_S ARGS...
  local name=$1 backend=$2 budget=$3 left t start rc
  shift 3
  if [[ ! -f benchmarks/$name.py ]]; then
    echo "=== bench $name $backend: absent, skipped" | tee -a "$OUT/bench.log"
    return 0
  fi
  left=$(left_until "$BENCH_END_S")
  t=$((left < budget ? left : budget))
  if ((t < 20)); then
    echo "=== bench $name $backend $*: skipped (${left}s left)" | tee -a "$OUT/bench.log"
    return 0
  fi
  echo "=== bench $name $backend $* (timeout ${t}s, at $(elapsed)s)" | tee -a "$OUT/bench.log"
  start=$(date +%s)
  KERAS_BACKEND=$backend timeout -k 5 "$t" "$PY" "benchmarks/$name.py" "$@" 2>&1 \
    | grep -av "^WARNING: All log messages\|absl::InitializeLog\|cpu_feature_guard\|rebuild TensorFlow" \
    | tee -a "$OUT/bench.log"
  rc=${PIPESTATUS[0]}
  echo "=== end rc=$rc$( ((rc == 124 || rc == 137)) && echo ' (TIMEOUT)') $(($(date +%s) - start))s" \
    | tee -a "$OUT/bench.log"
}

: >"$OUT/bench.log"
if [[ $BENCH == 1 ]]; then
  say "benchmarks until ${BENCH_END_S}s"
  if [[ $BENCH_SET == dryrun ]]; then
    bench training_overhead jax 90 --rounds 1 --epochs 2 --train 2000 --units 64
    bench generative jax 90 --rounds 1 --epochs 2 --train 256
  else
    CNN=(--processes 1 --rounds 3 --steps 10 --warmup 2 --batch-size 32 --size 224 --no-memory)
    # GPT-2 small in mixed_bfloat16 against keras-hub's GPT2CausalLM: tokens/s
    # and MFU (issue 21); first, as the newest family's acceptance figure.
    bench transformers jax 110 --size gpt2_small --processes 1 --rounds 3 --steps 5 \
      --warmup 2 --gen-rounds 2 --gen-batch 8 --prompt 64 --max-length 256
    bench training_overhead jax 45 --rounds 2 --epochs 3
    bench generative jax 40 --rounds 2 --epochs 3
    bench cnn_vs_keras_applications jax 70 --models resnet50 "${CNN[@]}"
    bench cnn_vs_keras_applications jax 70 --models efficientnet_b0 "${CNN[@]}"
    bench training_overhead torch 45 --rounds 2 --epochs 3
    bench generative torch 40 --rounds 2 --epochs 3
  fi
fi

# ---------------------------------------------------------------- 4. report
say "report"
if [[ -n $GPU_SAMPLER ]]; then
  kill "$GPU_SAMPLER" 2>/dev/null
  { echo "--- nvidia-smi every 15 s: time, GPU utilization, memory used"; cat "$WORK/gpu.csv"; } \
    >>"$OUT/env.txt"
fi
report
# The table and the benchmarks (the per-example details stay in the file).
if [[ -f $OUT/summary.md ]]; then sed "/^## What each example printed/,\$d" "$OUT/summary.md"; fi
ls -la "$OUT"
say "done (hard end ${HARD_END_S}s)"
