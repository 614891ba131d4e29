#!/usr/bin/env bash
# Installs the MIT Kerberos KDC the Kerberos acceptance tests start on
# loopback (internal/testbed/acctest/kdc.go): krb5kdc, kdb5_util and kadmin.local.
# Idempotent and cheap when done: apt runs only when a binary is missing.
# Without root or apt it says so and exits 0: the Kerberos tests then skip
# with a message naming this script.
set -euo pipefail

need=(krb5kdc kdb5_util kadmin.local)
missing=()
for b in "${need[@]}"; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-kdc: ${missing[*]} missing and this is not root with apt-get; the Kerberos tests will skip" >&2
  exit 0
fi
start=$SECONDS
echo "install-kdc: installing krb5-kdc krb5-admin-server krb5-user (missing: ${missing[*]})..."
export DEBIAN_FRONTEND=noninteractive
# An update only when the package lists do not know the packages yet.
if ! apt-cache show krb5-kdc >/dev/null 2>&1; then
  apt-get update -qq || true
fi
if ! apt-get install -y -qq --no-install-recommends krb5-kdc krb5-admin-server krb5-user >/dev/null; then
  echo "install-kdc: apt-get could not install the KDC; the Kerberos tests will skip" >&2
  exit 0
fi
# The packages start system services for a realm nobody configured; the
# tests run their own KDC on a random loopback port instead.
for svc in krb5-kdc krb5-admin-server; do
  (command -v systemctl >/dev/null && systemctl stop "$svc") >/dev/null 2>&1 || true
  (service "$svc" stop) >/dev/null 2>&1 || true
done
echo "install-kdc: done in $((SECONDS - start)) s"
