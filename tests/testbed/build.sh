#!/usr/bin/env bash
# Build the testbed's Go binaries from the Go module proxy into a cache outside the repo.
#
# Each component lands in $TESTBED_CACHE/<component>-<version>-r<recipe>/bin and is only
# built when that directory is missing, so a warm run does nothing. Builds go to a temp
# directory first and are renamed into place, so an interrupted build never looks done.
# Usage: tests/testbed/build.sh [component ...]   (default: all)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
CACHE=${TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-wizard/testbed}
mkdir -p "$CACHE"
log() { printf '[testbed-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "the Go toolchain (go $GO_MIN or newer) is not on PATH; install Go and run 'make testbed-build' again"
gov=$(go env GOVERSION | sed 's/^go//')
case "$(printf '%s\n%s\n' "$GO_MIN" "$gov" | sort -V | head -1)" in
  "$GO_MIN") ;; *) die "go $gov is older than the required $GO_MIN" ;;
esac
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
LDFLAGS='-s -w'

# wrapper <dir>: a throwaway main module, so replace directives can be set (go install refuses them).
wrapper() { rm -rf "$1"; mkdir -p "$1"; (cd "$1" && go mod init local/testbed-wrapper >/dev/null 2>&1); }

# copy_replaces <module@version> <wrapper dir>: the module's own non-local replace directives.
copy_replaces() {
  local gomod
  gomod=$(go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -n "$gomod" ] || die "could not download $1 from the Go module proxy"
  python3 - "$gomod" "$2" <<'EOF'
import json, subprocess, sys
gomod, wdir = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.check_output(["go", "mod", "edit", "-json", gomod]))
for r in info.get("Replace") or []:
    new = r["New"]
    if new["Path"].startswith("."):  # ./api is a nested module the zip leaves out
        continue
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    subprocess.check_call(["go", "mod", "edit", f"-replace={old}={new['Path']}@{new['Version']}"], cwd=wdir)
EOF
}

build_etcd() {
  local w=$1/w
  wrapper "$w"; cd "$w"
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags="$LDFLAGS" -o "$1/bin/etcd" go.etcd.io/etcd/server/v3
}

build_kubernetes() {
  local w=$1/w gomod minor ver=${K8S_VERSION#v}
  wrapper "$w"; cd "$w"
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # k8s.io/kubernetes requires its staging modules at v0.0.0; v1.X.Y is published as v0.X.Y.
  for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s.io\// {print $1}' "$gomod" | sort -u); do
    go mod edit "-replace=$m=$m@v0.${ver#1.}"
  done
  local cmds="kube-apiserver kube-controller-manager kube-scheduler"
  for c in $cmds; do go get -tool "k8s.io/kubernetes/cmd/$c@$K8S_VERSION"; done
  minor=$(echo "$ver" | cut -d. -f2)
  local x=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    x+=" -X $p.buildDate=2000-01-01T00:00:00Z"
  done
  mkdir -p "$1/bin"
  go build -trimpath -ldflags="$LDFLAGS$x" -o "$1/bin/" $(for c in $cmds; do echo "k8s.io/kubernetes/cmd/$c"; done)
}

build_kwok() {
  local w=$1/w
  wrapper "$w"; cd "$w"
  go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  go build -trimpath -ldflags="$LDFLAGS" -o "$1/bin/kwok" sigs.k8s.io/kwok/cmd/kwok
  # kwok alone has no stages; keep the ones kwokctl would inject next to the binary.
  local m; m=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$1/stages"
  cp "$m/kustomize/stage/node/fast/node-initialize.yaml" \
     "$m/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$m/kustomize/stage/pod/fast/pod-ready.yaml" "$m/kustomize/stage/pod/fast/pod-complete.yaml" \
     "$m/kustomize/stage/pod/fast/pod-delete.yaml" "$1/stages/"
}

flux_controller() {  # <out> <name> <version> [extra replace ...]
  local w=$1/w mod=github.com/fluxcd/$2 out=$1 name=$2 ver=$3 r
  shift 3
  wrapper "$w"; cd "$w"
  copy_replaces "$mod@$ver" "$w"
  for r in "$@"; do go mod edit "-replace=$r"; done
  set -- "$out" "$name" "$ver"
  go get -tool "$mod@$3"
  go build -trimpath -ldflags="$LDFLAGS" -o "$1/bin/$2" "$mod"
  local dir; dir=$(go mod download -json "$mod@$3" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$1/crds"; cp "$dir"/config/crd/bases/*.yaml "$1/crds/"
}
build_source_controller() { flux_controller "$1" source-controller "$SOURCE_CONTROLLER_VERSION" $SOURCE_CONTROLLER_EXTRA_REPLACES; }
build_kustomize_controller() { flux_controller "$1" kustomize-controller "$KUSTOMIZE_CONTROLLER_VERSION"; }
build_notification_controller() { flux_controller "$1" notification-controller "$NOTIFICATION_CONTROLLER_VERSION"; }
build_helm_controller() { flux_controller "$1" helm-controller "$HELM_CONTROLLER_VERSION" $HELM_CONTROLLER_EXTRA_REPLACES; }

# The helm CLI, to install a release by hand on the "before" cluster (issue 13's adoption test).
build_helm() {
  local w=$1/w
  wrapper "$w"; cd "$w"
  go get -tool "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  go build -trimpath -ldflags="$LDFLAGS -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" -o "$1/bin/helm" helm.sh/helm/v4/cmd/helm
}

build_sealed_secrets() {
  local w=$1/w mod=github.com/bitnami-labs/sealed-secrets
  wrapper "$w"; cd "$w"
  go get -tool "$mod/cmd/controller@$SEALED_SECRETS_VERSION" "$mod/cmd/kubeseal@$SEALED_SECRETS_VERSION"
  mkdir -p "$1/bin" "$1/crds"
  go build -trimpath -ldflags="$LDFLAGS -X main.VERSION=${SEALED_SECRETS_VERSION#v}" -o "$1/bin/sealed-secrets-controller" "$mod/cmd/controller"
  go build -trimpath -ldflags="$LDFLAGS -X main.VERSION=${SEALED_SECRETS_VERSION#v}" -o "$1/bin/kubeseal" "$mod/cmd/kubeseal"
  local dir; dir=$(go mod download -json "$mod@$SEALED_SECRETS_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp "$dir/helm/sealed-secrets/crds/"*.yaml "$1/crds/"
}

build_flux() {
  [ -n "$KUBECTL" ] || die "kubectl is needed to render the flux CLI's manifests; install the project first (make install)"
  local src=$1/flux2 dir
  dir=$(go mod download -json "github.com/fluxcd/flux2/v2@$FLUX_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
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
    m=$(go mod download -json "github.com/fluxcd/$c@$v" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
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

version_of() {
  case $1 in
    etcd) echo "$ETCD_VERSION" ;; kubernetes) echo "$K8S_VERSION" ;; kwok) echo "$KWOK_VERSION" ;;
    source_controller) echo "$SOURCE_CONTROLLER_VERSION" ;; kustomize_controller) echo "$KUSTOMIZE_CONTROLLER_VERSION" ;;
    notification_controller) echo "$NOTIFICATION_CONTROLLER_VERSION" ;; sealed_secrets) echo "$SEALED_SECRETS_VERSION" ;;
    flux) echo "$FLUX_VERSION" ;; helm_controller) echo "$HELM_CONTROLLER_VERSION" ;; helm) echo "$HELM_VERSION" ;;
    *) die "unknown component $1" ;;
  esac
}

expected_bins() {
  case $1 in
    etcd) echo etcd ;; kubernetes) echo kube-apiserver kube-controller-manager kube-scheduler ;; kwok) echo kwok ;;
    sealed_secrets) echo sealed-secrets-controller kubeseal ;; flux) echo flux ;; *) echo "${1//_/-}" ;;
  esac
}

# build_one <component>: build into a temp dir, then rename into the cache (atomic "done").
build_one() {
  local c=$1 v final tmp start
  v=$(version_of "$c"); final="$CACHE/${c//_/-}-$v-r$RECIPE"
  if [ -d "$final/bin" ]; then
    local have=1 b
    for b in $(expected_bins "$c"); do [ -x "$final/bin/$b" ] || have=0; done
    if [ $have = 1 ]; then log "$c $v: cached ($final)"; return 0; fi
    log "$c $v: cached build is incomplete, rebuilding"; rm -rf "$final"
  fi
  tmp="$final.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  start=$(date +%s)
  log "$c $v: building"
  # A separate process, so that `set -e` really stops at the first failing command
  # (bash ignores -e inside anything run as an `if` condition).
  local ok=1 b
  "$0" --one "$c" "$tmp" >"$tmp.log" 2>&1 || ok=0
  for b in $(expected_bins "$c"); do [ -x "$tmp/bin/$b" ] || { ok=0; echo "missing binary: $b" >>"$tmp.log"; }; done
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

if [ "${1:-}" = --one ]; then "build_$2" "$3"; exit 0; fi
if [ "${1:-}" = --queue ]; then shift; build_one "$1"; exit $?; fi

# Longest first (cold times measured on a 2-core machine, issue 22: kubernetes 972 s, source-controller
# 395 s, sealed-secrets 349 s, notification-controller 316 s, kwok 294 s, kustomize-controller 288 s,
# helm-controller 159 s, flux 113 s, etcd 105 s, helm 84 s), taken from one queue by as many lanes as
# the machine has cores: the old fixed split (kubernetes alone in one lane) left that lane idle for
# half of the 35 minutes.
all="kubernetes source_controller sealed_secrets notification_controller kwok kustomize_controller helm_controller flux etcd helm"
want=${*:-$all}
want=${want//-/_}
# Leftovers of builds that were killed: <component>.tmp.<pid> whose pid is gone.
for t in "$CACHE"/*.tmp.*; do
  [ -e "$t" ] || continue
  pid=${t##*.tmp.}; pid=${pid%.log}
  kill -0 "$pid" 2>/dev/null || rm -rf "$t"
done
total_start=$(date +%s)
lanes=${TESTBED_BUILD_LANES:-$(nproc 2>/dev/null || echo 2)}
rc=0
# xargs hands the next component to whichever lane is free; it exits non-zero if any build failed.
printf '%s\n' $want | xargs -P "$lanes" -I{} "$0" --queue {} || rc=1
log "total: $(( $(date +%s) - total_start ))s with $lanes lane(s) (cache: $CACHE)"
exit $rc
