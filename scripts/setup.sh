#!/usr/bin/env bash
# Installs everything krbsim needs on a fresh machine with only Node 20 on it:
# pnpm (the pinned version), the workspace's packages (frozen lock file), and,
# when this machine can install Debian packages, MIT krb5, tshark, FreeTDS, Impacket, a JDK, Go with
# gokrb5 and headless Chromium for the interop tests and the libkrb5 benchmark baseline, and a private, unpacked
# Heimdal (.tools/heimdal) for the Heimdal interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

# chromium: the HTML trace report is checked in a real headless browser
# (test/trace-html.test.ts); it is the largest of these (about 2 minutes to install).
# samba-ad-dc, samba-ad-provision: a Samba AD domain controller, the oracle of what a Windows DC's
# KDC answers (test/interop/kdc-ad-differential-samba.test.ts); its KDC runs only inside that test,
# from a private directory, on ports the OS picks.
# python3-impacket: Impacket's Kerberos and MS-TDS clients (getTGT, getST, mssqlclient, ticketer), the
# Windows-minded oracle of test/interop/impacket.test.ts.
# openjdk-17-jdk-headless: Java's own Kerberos (JGSS), the one behind Java's JDBC drivers
# (test/interop/jgss.test.ts compiles its peer with javac); libjtds-java: jTDS, a JDBC driver logging in
# to the emulated instance with it.
# python3-tds, python3-kerberos: python-tds, a TDS client in Python independent of FreeTDS, logging in
# with pykerberos over MIT's GSS-API (test/interop/tds-pytds.test.ts).
# golang-go, golang-github-jcmturner-gokrb5.v8-dev: gokrb5, the pure Go Kerberos (client, SPNEGO service
# and PAC decoder), built from Debian's sources by test/interop/gokrb5.test.ts.
APT_PACKAGES="krb5-kdc krb5-user krb5-admin-server krb5-k5tls krb5-pkinit libkrb5-dev krb5-gss-samples tshark gcc openssl freetds-bin tdsodbc unixodbc python3-pymssql python3-tds python3-kerberos python3-impacket openjdk-17-jdk-headless libjtds-java golang-go golang-github-jcmturner-gokrb5.v8-dev chromium samba-ad-dc samba-ad-provision"
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
    # Samba's packages start its file-server daemons on a machine booted with systemd; the tests
    # run only a KDC of their own, so the services the install just started are stopped and disabled.
    case "$missing" in *samba*)
      if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        $SUDO systemctl disable --now smbd nmbd winbind samba-ad-dc >/dev/null 2>&1 || true
      fi ;;
    esac
  else
    echo "setup: cannot install$missing (no apt-get or no root): MIT interop tests will be skipped" >&2
  fi
fi

# Heimdal, the second real Kerberos the interop tests drive (test/interop/heimdal-*).
# Its Debian packages conflict with MIT's, so they are never installed: apt-get
# download fetches them and dpkg -x unpacks them into .tools/heimdal (git-ignored),
# and the tests run the binaries with LD_LIBRARY_PATH at its lib directory.
# HEIMDAL_DEBS: heimdal-clients, heimdal-kdc and every Heimdal library they link
# (`apt-cache depends`, Debian 12); HEIMDAL_LIBS: the system libraries those
# link too, ordinary packages installed as usual.
HEIMDAL_DIR=.tools/heimdal
HEIMDAL_DEBS="heimdal-clients heimdal-kdc libasn1-8-heimdal libgssapi3-heimdal libhcrypto5-heimdal libhdb9-heimdal libheimbase1-heimdal libheimntlm0-heimdal libhx509-5-heimdal libkadm5clnt7-heimdal libkadm5srv8-heimdal libkafs0-heimdal libkdc2-heimdal libkrb5-26-heimdal libotp0-heimdal libroken19-heimdal libsl0-heimdal libwind0-heimdal"
HEIMDAL_LIBS="libc6 libcap-ng0 libcom-err2 libcrypt1 libdb5.3 libedit2 libldap-2.5-0 libsqlite3-0"
heimdal_setup() {
  local root="" tmp log missing="" p
  [ "$(id -u)" -eq 0 ] || root="sudo"
  if [ -f "$HEIMDAL_DIR/packages.txt" ] && [ -x "$HEIMDAL_DIR/usr/bin/kinit.heimdal" ]; then
    return 0 # already unpacked
  fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "setup: no apt-get/dpkg: the Heimdal interop tests cannot run" >&2
    return 0
  fi
  for p in $HEIMDAL_LIBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ] && ! { [ -z "$root" ] || sudo -n true 2>/dev/null; }; then
    echo "setup: cannot install$missing (no root): the Heimdal interop tests cannot run" >&2
    return 0
  fi
  echo "setup: unpacking Heimdal into $HEIMDAL_DIR"
  tmp=$(mktemp -d)
  log="$tmp/apt.log"
  if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $root apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1 ||
      { $root apt-get update -qq >>"$log" 2>&1 && $root apt-get install -y -qq --no-install-recommends $missing >>"$log" 2>&1; } ||
      { cat "$log" >&2; rm -rf "$tmp"; echo "setup: Heimdal's libraries did not install: the Heimdal interop tests cannot run" >&2; return 0; }
  fi
  # A fresh machine may have no package lists yet: update once, then try again.
  (cd "$tmp" && apt-get download $HEIMDAL_DEBS >>"$log" 2>&1) ||
    { $root apt-get update -qq >>"$log" 2>&1 && (cd "$tmp" && apt-get download $HEIMDAL_DEBS >>"$log" 2>&1); } ||
    { cat "$log" >&2; rm -rf "$tmp"; echo "setup: apt-get download of Heimdal failed: the Heimdal interop tests cannot run" >&2; return 0; }
  rm -rf "$HEIMDAL_DIR.new"
  mkdir -p "$HEIMDAL_DIR.new"
  for p in "$tmp"/*.deb; do
    dpkg -x "$p" "$HEIMDAL_DIR.new"
    dpkg-deb --show --showformat='${Package} ${Version}\n' "$p" >>"$HEIMDAL_DIR.new/packages.txt"
  done
  rm -rf "$tmp" "$HEIMDAL_DIR"
  mv "$HEIMDAL_DIR.new" "$HEIMDAL_DIR"
}
heimdal_setup

pnpm install --frozen-lockfile
