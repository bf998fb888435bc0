#!/usr/bin/env bash
# Installs what the engine-free Docker checks and the browser test need, from Debian's packages:
#   chromium        /usr/bin/chromium, driven by playwright-core in test/docs-browser.test.ts
#   docker-compose  1.29.2, validates docker-compose.yml without an engine (test/compose-smoke.test.ts)
# Idempotent: does nothing (and touches no network) when both are already installed.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-chromium: chromium and docker-compose already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

echo "install-chromium: installing ${missing[*]}"

log=$(mktemp)
if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-chromium: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
echo "install-chromium: $(chromium --version 2>/dev/null); $(docker-compose version --short 2>/dev/null)"
