#!/usr/bin/env bash
# Build the testbed's Go binaries from the Go module proxy into a cache outside the repo.
#
# The pins, the cache layout and the recipes of the tools the wizard itself installs (flux, kubeseal,
# age) live in the package: wizard/toolchain/build.sh and pins.env. This script sources that and adds
# what only the testbed runs. See wizard/toolchain/build.sh for how the cache works.
# Usage: tests/testbed/build.sh [component ...]   (default: all that the testbed starts)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_LOG_NAME=testbed-build
# shellcheck source=../../wizard/toolchain/build.sh
source "$here/../../wizard/toolchain/build.sh"

# copy_replaces <module@version> <wrapper dir>: the module's own non-local replace directives.
copy_replaces() {
  local gomod
  gomod=$(go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -n "$gomod" ] || die "could not download $1 from the Go module proxy"
  python3 - "$gomod" "$2" <<'PY'
import json, subprocess, sys
gomod, wdir = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.check_output(["go", "mod", "edit", "-json", gomod]))
for r in info.get("Replace") or []:
    new = r["New"]
    if new["Path"].startswith("."):  # ./api is a nested module the zip leaves out
        continue
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    subprocess.check_call(["go", "mod", "edit", f"-replace={old}={new['Path']}@{new['Version']}"], cwd=wdir)
PY
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
  local m; m=$(mod_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
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
  mkdir -p "$1/crds"; cp "$(mod_dir "$mod@$3")"/config/crd/bases/*.yaml "$1/crds/"
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

component etcd "$ETCD_VERSION" etcd
component kubernetes "$K8S_VERSION" kube-apiserver kube-controller-manager kube-scheduler
component kwok "$KWOK_VERSION" kwok
component source_controller "$SOURCE_CONTROLLER_VERSION" source-controller
component kustomize_controller "$KUSTOMIZE_CONTROLLER_VERSION" kustomize-controller
component notification_controller "$NOTIFICATION_CONTROLLER_VERSION" notification-controller
component helm_controller "$HELM_CONTROLLER_VERSION" helm-controller
component helm "$HELM_VERSION" helm

# Longest first (cold times measured on a 2-core machine, issue 22: kubernetes 972 s, source-controller
# 395 s, sealed-secrets 349 s, notification-controller 316 s, kwok 294 s, kustomize-controller 288 s,
# helm-controller 159 s, flux 113 s, etcd 105 s, helm 84 s), taken from one queue by as many lanes as
# the machine has cores: the old fixed split (kubernetes alone in one lane) left that lane idle for
# half of the 35 minutes. age is not here: the testbed uses the system's (Debian's) age.
DEFAULT_COMPONENTS="kubernetes source_controller sealed_secrets notification_controller kwok kustomize_controller helm_controller flux etcd helm"
main "$@"
