#!/usr/bin/env bash
# Installs everything krbsim needs on a fresh machine with only Node 20 on it:
# pnpm (the pinned version), the workspace's packages (frozen lock file), and,
# when this machine can install Debian packages, MIT krb5 and tshark for the
# interop tests and the libkrb5 benchmark baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

APT_PACKAGES="krb5-kdc krb5-user krb5-admin-server krb5-k5tls libkrb5-dev krb5-gss-samples tshark gcc openssl"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then
    echo "setup: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: cannot install$missing (no apt-get or no root): MIT interop tests will be skipped" >&2
  fi
fi

pnpm install --frozen-lockfile
