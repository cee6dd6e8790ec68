#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs every test.
# Usage: bash tests/run.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's chromium (browser tests and figure export need it)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "chromium is missing and this is not root: run 'sudo apt-get install chromium' first." >&2
    echo "(the browser tests fail, not skip, without it)" >&2
  fi
fi

echo "== installing Python packages (tests/requirements.txt)"
python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt

echo "== running the test suite"
python3 -m pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"
