#!/usr/bin/env bash
# Installs the real gateway software that notify's integration tests start on loopback
# (Kannel, HylaFAX + iaxmodem + faxmail, baresip, SIPp, espeak-ng, sox) and the npm SMSC simulator.
# Idempotent: a second run only checks. Must run as root (CI does). Recipes: shared/gateways/GATEWAYS.md.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# curl: the fax tests' HylaFAX notify script (done/failed webhook); ghostscript and libtiff-tools (gs, tiffinfo)
# check the received fax page (hylafax-server pulls them in today; named so the tests never depend on that).
PACKAGES=(kannel kannel-extras hylafax-server hylafax-client iaxmodem baresip-core sip-tester espeak-ng sox
          curl ghostscript libtiff-tools)

if [ "$(id -u)" != 0 ]; then
  echo "install_gateways.sh: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Debian's maintainer scripts must not start system daemons (the tests run private copies):
  # a policy-rc.d that exits 101 forbids it. Only created when absent, and removed again after.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ "$created_policy" = 1 ]; then
    rm -f /usr/sbin/policy-rc.d
  fi
else
  echo "install_gateways.sh: apt packages already installed"
fi

# The SMSC simulator for SMPP tests: npm `smpp`, pinned by the committed package-lock.json,
# installed into the test folder (node_modules is not committed).
SMSC_DIR="$REPO_ROOT/tests/integration/gateways/smsc"
if ! command -v npm >/dev/null 2>&1; then
  # NodeSource node ships its own npm and conflicts with Debian's: install Debian's only if absent.
  if ! command -v node >/dev/null 2>&1; then
    apt-get install -y -q --no-install-recommends nodejs npm
  else
    apt-get install -y -q --no-install-recommends npm
  fi
fi
if [ ! -d "$SMSC_DIR/node_modules/smpp" ]; then
  (cd "$SMSC_DIR" && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "install_gateways.sh: npm smpp already installed"
fi
echo "install_gateways.sh: done"
