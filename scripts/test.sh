#!/usr/bin/env bash
# Set up a virtual environment with everything the tests need, then run lint, types, validation,
# the strict site build and the whole test suite. Used by the README and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium をインストールします（ブラウザのテスト用）"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js をインストールします（ブラウザ用検索エンジンのテスト用）"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

echo "== ruff"; .venv/bin/ruff check indexer site_plugins tests $( [ -d bench ] && echo bench )
echo "== mypy"; .venv/bin/mypy
echo "== validate"; .venv/bin/python -m indexer validate cases
if [ -f mkdocs.yml ]; then
  echo "== mkdocs build --strict"; .venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)" 2>&1 | tail -n 5
fi
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest はテストを1件も実行しませんでした（exit 5）。失敗として扱います。" >&2
  exit 1
fi
exit "$status"
