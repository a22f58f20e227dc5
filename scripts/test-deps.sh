#!/usr/bin/env bash
# Installs, from Debian packages, what the test suite needs, when it is missing. Idempotent.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v bird >/dev/null 2>&1 || need+=(bird2)
command -v ipmi_sim >/dev/null 2>&1 || need+=(openipmi)
if [ ${#need[@]} -gt 0 ]; then
  echo "test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
