#!/usr/bin/env bash
# The run command: set up on embedded defaults (no external services) and start the platform
# with the demo users of every role and the sample package submitted and processed.
# Arguments are passed to `lianshen serve` (e.g. --port 8080, --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export LIANSHEN_DATA_DIR="${LIANSHEN_DATA_DIR:-./var}"
cat <<INFO
联审 Lianshen — 多图联审平台
  数据目录 data:   $LIANSHEN_DATA_DIR (SQLite, files, embedded broker)
  演示账号 users:  applicant, reviewer-planning, reviewer-architecture, reviewer-fire,
                   reviewer-civil_defence, reviewer-lightning, bureau, supervisor, admin
  密码 password:   ${LIANSHEN_DEMO_PASSWORD:-lianshen-demo}
INFO
exec .venv/bin/lianshen serve --demo "$@"
