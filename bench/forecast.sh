#!/usr/bin/env bash
# Time to forecast the year end of every goal of the demo overview (Mettmann 2022), in a release
# build: every method chosen and every model fitted afresh, and with the fits kept. The issue's
# yardstick: under 200 ms in total. Prints median, minimum and maximum.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
cargo bench -p zielwerk-app --bench forecast --locked
