#!/usr/bin/env bash
# Prints the path of a deployment tool, fetching it from Debian's archive on first use:
#
#   deploy/tools.sh kubectl     Debian's kubernetes-client (kubectl 1.20 with kustomize 2.0.3),
#                               unpacked under build/tools/ (not installed: it would clash with
#                               a kubectl that another package put in /usr/bin).
#
# `KUBECTL=/path/to/kubectl` skips the download and uses that one.
set -euo pipefail
cd "$(dirname "$0")/.."
case ${1:-} in
  kubectl)
    if [[ -n ${KUBECTL:-} ]]; then echo "$KUBECTL"; exit 0; fi
    dest=$PWD/build/tools/kubernetes-client
    if [[ ! -x $dest/usr/bin/kubectl ]]; then
      tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
      if ! (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1); then
        # no package lists yet (a fresh machine): read them, then try once more
        if [[ $(id -u) -eq 0 ]]; then apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null; fi
        (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null) || {
          echo "deploy/tools.sh: cannot download Debian's kubernetes-client (apt-get download)" >&2
          exit 2
        }
      fi
      rm -rf "$dest" && mkdir -p "$dest"
      dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$dest"
    fi
    echo "$dest/usr/bin/kubectl"
    ;;
  *) echo "usage: deploy/tools.sh kubectl" >&2; exit 2 ;;
esac
