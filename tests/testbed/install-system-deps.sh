#!/usr/bin/env bash
# Debian packages the project needs: age (sops+age encryption) and git's http-backend (testbed git server).
set -euo pipefail
need=()
command -v age >/dev/null && command -v age-keygen >/dev/null || need+=(age)
[ -x /usr/lib/git-core/git-http-backend ] || need+=(git)
command -v openssl >/dev/null || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
echo "[install] Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq >/dev/null || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
