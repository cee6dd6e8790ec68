#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs every test.
# Usage: bash tests/run.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's chromium (browser tests, figure export) and nginx (tests/test_deploy.py: replicas behind nginx).
if ! command -v chromium >/dev/null 2>&1 || ! { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's chromium and nginx"
    apt-get update -qq
    # nginx is only a binary here: no system service is started (policy-rc.d 101 = "do not start")
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; NO_START=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core nginx >/dev/null
    [ -z "${NO_START:-}" ] || rm -f /usr/sbin/policy-rc.d
  else
    echo "chromium or nginx is missing and this is not root: run 'sudo apt-get install chromium nginx' first." >&2
    echo "(the browser tests and the deployment test fail, not skip, without them)" >&2
  fi
fi

echo "== installing Python packages (tests/requirements.txt)"
python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt

echo "== running the test suite"
python3 -m pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"
