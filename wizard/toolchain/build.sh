#!/usr/bin/env bash
# Build pinned Go tools from the Go module proxy into a cache outside any repo.
#
# This file ships inside the wizard package: `homelab-wizard doctor --install-tools` runs it for the
# product's own tools (flux, kubeseal, age), and tests/testbed/build.sh sources it and adds the
# testbed's components (etcd, kubernetes, kwok, the Flux controllers, helm), so both share one
# recipe, one set of pins (pins.env, beside this file) and one cache.
#
# Each component lands in $TESTBED_CACHE/<component>-<version>-r<recipe>/bin and is only built when
# that directory is missing, so a warm run does nothing. Builds go to a temp directory first and are
# renamed into place, so an interrupted build never looks done.
# Usage: build.sh [component ...]   (default: $DEFAULT_COMPONENTS)
set -euo pipefail

toolchain_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pins.env
source "$toolchain_dir/pins.env"
CACHE=${TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-wizard/testbed}
log() { printf '[%s] %s\n' "${BUILD_LOG_NAME:-build}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
LDFLAGS='-s -w'

# component <name> <version> <binaries...>: what build_<name> builds, so the cache can be checked.
declare -A VERSION_OF=() BINS_OF=()
component() { local c=$1 v=$2; shift 2; VERSION_OF[$c]=$v; BINS_OF[$c]="$*"; }

need_go() {
  command -v go >/dev/null || die "the Go toolchain (go $GO_MIN or newer) is not on PATH; install Go (https://go.dev/dl/) and run the build again"
  local gov; gov=$(go env GOVERSION | sed 's/^go//')
  case "$(printf '%s\n%s\n' "$GO_MIN" "$gov" | sort -V | head -1)" in
    "$GO_MIN") ;; *) die "go $gov is older than the required $GO_MIN" ;;
  esac
}

# wrapper <dir>: a throwaway main module, so replace directives can be set (go install refuses them).
wrapper() { rm -rf "$1"; mkdir -p "$1"; (cd "$1" && go mod init local/testbed-wrapper >/dev/null 2>&1); }

# mod_dir <module@version>: where the module proxy's copy was unpacked.
mod_dir() { go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'; }

build_sealed_secrets() {
  local w=$1/w mod=github.com/bitnami-labs/sealed-secrets
  wrapper "$w"; cd "$w"
  go get -tool "$mod/cmd/controller@$SEALED_SECRETS_VERSION" "$mod/cmd/kubeseal@$SEALED_SECRETS_VERSION"
  mkdir -p "$1/bin" "$1/crds"
  go build -trimpath -ldflags="$LDFLAGS -X main.VERSION=${SEALED_SECRETS_VERSION#v}" -o "$1/bin/sealed-secrets-controller" "$mod/cmd/controller"
  go build -trimpath -ldflags="$LDFLAGS -X main.VERSION=${SEALED_SECRETS_VERSION#v}" -o "$1/bin/kubeseal" "$mod/cmd/kubeseal"
  cp "$(mod_dir "$mod@$SEALED_SECRETS_VERSION")/helm/sealed-secrets/crds/"*.yaml "$1/crds/"
}

build_flux() {
  [ -n "$KUBECTL" ] || die "kubectl is needed to render the flux CLI's manifests; install the wizard first (it brings kubectl)"
  local src=$1/flux2 dir
  dir=$(mod_dir "github.com/fluxcd/flux2/v2@$FLUX_VERSION")
  rm -rf "$src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  # The release manifests are not in the module zip: render them from each controller's own
  # module config (what the controller releases publish) and point the bases at the files.
  local c v m out=$src/cmd/flux/manifests
  rm -rf "$src/manifests/bases/source-watcher"   # its v2 module is not served by the proxy
  sed -i '/bases\/source-watcher/d; /source-watcher/d' "$src/manifests/install/kustomization.yaml"
  for c in source-controller:$SOURCE_CONTROLLER_VERSION kustomize-controller:$KUSTOMIZE_CONTROLLER_VERSION \
           notification-controller:$NOTIFICATION_CONTROLLER_VERSION helm-controller:$HELM_CONTROLLER_VERSION \
           image-reflector-controller:$IMAGE_REFLECTOR_CONTROLLER_VERSION \
           image-automation-controller:$IMAGE_AUTOMATION_CONTROLLER_VERSION; do
    v=${c#*:}; c=${c%%:*}
    m=$(mod_dir "github.com/fluxcd/$c@$v")
    [ -n "$m" ] || die "could not download github.com/fluxcd/$c@$v"
    "$KUBECTL" kustomize "$m/config/crd" > "$src/manifests/bases/$c/$c.crds.yaml"
    "$KUBECTL" kustomize "$m/config/manager" > "$src/manifests/bases/$c/$c.deployment.yaml"
    sed -i "s#https://github.com/fluxcd/$c/releases/download/$v/##" "$src/manifests/bases/$c/kustomization.yaml"
  done
  rm -rf "$out"; mkdir -p "$out"
  for b in "$src"/manifests/bases/*/; do "$KUBECTL" kustomize "$b" > "$out/$(basename "$b").yaml"; done
  "$KUBECTL" kustomize "$src/manifests/rbac" > "$out/rbac.yaml"
  "$KUBECTL" kustomize "$src/manifests/policies" > "$out/policies.yaml"
  cd "$src"
  go build -trimpath -ldflags="$LDFLAGS -X main.VERSION=${FLUX_VERSION#v}" -o "$1/bin/flux" ./cmd/flux
  rm -rf "$src"
}

# age reads its version from the build info, which `go install module@version` fills in.
build_age() {
  mkdir -p "$1/bin"
  GOBIN="$1/bin" go install -trimpath -ldflags="$LDFLAGS" \
    "filippo.io/age/cmd/age@$AGE_VERSION" "filippo.io/age/cmd/age-keygen@$AGE_VERSION"
}

component flux "$FLUX_VERSION" flux
component sealed_secrets "$SEALED_SECRETS_VERSION" sealed-secrets-controller kubeseal
component age "$AGE_VERSION" age age-keygen
DEFAULT_COMPONENTS="sealed_secrets flux age"

# build_one <component>: build into a temp dir, then rename into the cache (atomic "done").
build_one() {
  local c=$1 v final tmp start
  [ -n "${VERSION_OF[$c]:-}" ] || die "unknown component $c (known: ${!VERSION_OF[*]})"
  v=${VERSION_OF[$c]}; final="$CACHE/${c//_/-}-$v-r$RECIPE"
  if [ -d "$final/bin" ]; then
    local have=1 b
    for b in ${BINS_OF[$c]}; do [ -x "$final/bin/$b" ] || have=0; done
    if [ $have = 1 ]; then log "$c $v: cached ($final)"; return 0; fi
    log "$c $v: cached build is incomplete, rebuilding"; rm -rf "$final"
  fi
  tmp="$final.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  start=$(date +%s)
  log "$c $v: building"
  # A separate process, so that `set -e` really stops at the first failing command
  # (bash ignores -e inside anything run as an `if` condition). Through bash, not "$0" itself:
  # an installed wheel does not keep the script's executable bit.
  local ok=1 b
  bash "$0" --one "$c" "$tmp" >"$tmp.log" 2>&1 || ok=0
  for b in ${BINS_OF[$c]}; do [ -x "$tmp/bin/$b" ] || { ok=0; echo "missing binary: $b" >>"$tmp.log"; }; done
  if [ $ok = 1 ]; then
    rm -rf "$tmp/w"; mv "$tmp" "$final"; mv "$tmp.log" "$final/build.log"
    log "$c $v: built in $(( $(date +%s) - start ))s"
  else
    log "$c $v: FAILED after $(( $(date +%s) - start ))s; last lines of $tmp.log:"
    tail -n 25 "$tmp.log" >&2
    rm -rf "$tmp"
    return 1
  fi
}

# main [component ...]: the entry point of this script and of every script that sources it.
main() {
  if [ "${1:-}" = --one ]; then "build_$2" "$3"; exit 0; fi
  if [ "${1:-}" = --queue ]; then shift; build_one "$1"; exit $?; fi
  need_go
  mkdir -p "$CACHE"
  local want=${*:-$DEFAULT_COMPONENTS} t pid total_start lanes rc=0
  want=${want//-/_}
  # Leftovers of builds that were killed: <component>.tmp.<pid> whose pid is gone.
  for t in "$CACHE"/*.tmp.*; do
    [ -e "$t" ] || continue
    pid=${t##*.tmp.}; pid=${pid%.log}
    kill -0 "$pid" 2>/dev/null || rm -rf "$t"
  done
  total_start=$(date +%s)
  lanes=${TESTBED_BUILD_LANES:-$(nproc 2>/dev/null || echo 2)}
  # xargs hands the next component to whichever lane is free; it exits non-zero if any build failed.
  printf '%s\n' $want | xargs -P "$lanes" -I{} bash "$0" --queue {} || rc=1
  log "total: $(( $(date +%s) - total_start ))s with $lanes lane(s) (cache: $CACHE)"
  exit $rc
}

# Sourced (by tests/testbed/build.sh): define only; the sourcing script adds components, then calls main.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
