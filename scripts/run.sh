#!/usr/bin/env bash
# The run command: set up on embedded defaults (no external services), build the bundled sample
# package, show what intake reads from each drawing and run the full check on the package.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
DATA_DIR="${LIANSHEN_DATA_DIR:-./var}"
mkdir -p "$DATA_DIR/samples"
.venv/bin/python -m samples.make_samples "$DATA_DIR/samples" --all
PACKAGE="$DATA_DIR/samples/residential_tower"
for dxf in "$PACKAGE"/*/*.dxf; do
  .venv/bin/lianshen inspect --no-progress "$dxf"
  echo
done
.venv/bin/lianshen check "$PACKAGE"
echo
echo "== 含预设违规的送审包 / the package with seeded violations (exit code 3 = error findings, as intended)"
set +e
.venv/bin/lianshen check "$DATA_DIR/samples/residential_tower_violations"
status=$?
set -e
[ "$status" -eq 3 ] || exit "$status"
