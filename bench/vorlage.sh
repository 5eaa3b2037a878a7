#!/usr/bin/env bash
# Time to build the demo's committee Vorlage (report model and PDF through typst), warm, in a
# release build; and a steering meeting (agenda with frozen figures, minutes PDF). Prints median,
# minimum and maximum of 10 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
cargo bench -p zielwerk-web --bench vorlage --locked
