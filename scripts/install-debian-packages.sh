#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt when running as root.
# Not root: prints what is missing and carries on (the tests that need them say so).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/debian-packages.txt | awk '{print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "not root: Debian packages not installed: ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
apt-get "${apt_opts[@]}" update >/dev/null
apt-get "${apt_opts[@]}" install "${missing[@]}" >/dev/null
echo "installed Debian packages: ${missing[*]}"
