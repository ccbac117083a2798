#!/usr/bin/env bash
# The run command: set up on embedded defaults (no external services), build the bundled sample
# package and inspect every drawing of it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
DATA_DIR="${LIANSHEN_DATA_DIR:-./var}"
mkdir -p "$DATA_DIR/samples"
.venv/bin/python -m samples.make_samples "$DATA_DIR/samples"
status=0
for dxf in "$DATA_DIR"/samples/residential_tower/*/*.dxf; do
  .venv/bin/lianshen inspect "$dxf" || status=$?
  echo
done
exit "$status"
