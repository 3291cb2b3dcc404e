#!/usr/bin/env bash
# Builds the upstream tools Ballast tests against from the pinned wrapper modules in tools/.
# Binaries land in ${BALLAST_CACHE:-~/.cache/ballast}/bin/<tool>-<version>/<tool>; a tool
# already there is skipped, so a warm run is instant.
#
#   tools/build.sh            build everything
#   tools/build.sh helm sops  build only these (names as in the table below)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BALLAST_CACHE:-$HOME/.cache/ballast}/bin"

if ! command -v go >/dev/null 2>&1; then
  echo "ballast: Go is not installed; install Go 1.26 or newer (https://go.dev/doc/install) and put 'go' on PATH to build the local control plane." >&2
  exit 2
fi

# tool | wrapper module | main package | module whose version names the binary
table="
etcd|etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3
kube-apiserver|kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes
kube-controller-manager|kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|k8s.io/kubernetes
kube-scheduler|kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|k8s.io/kubernetes
kubectl|kubernetes|k8s.io/kubernetes/cmd/kubectl|k8s.io/kubernetes
kwok|kubernetes|sigs.k8s.io/kwok/cmd/kwok|sigs.k8s.io/kwok
helm|helm|helm.sh/helm/v3/cmd/helm|helm.sh/helm/v3
kustomize|kustomize|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/kustomize/v5
sops|sops|github.com/getsops/sops/v3/cmd/sops|github.com/getsops/sops/v3
"

module_version() { # wrapper-dir module
  (cd "$here/$1" && go list -m -f '{{.Version}}' "$2")
}

ldflags_for() { # tool version wrapper-dir
  local tool=$1 v=$2 dir=$3
  case "$tool" in
    kube-*|kubectl)
      local mm=${v#v}; local major=${mm%%.*}; local rest=${mm#*.}; local minor=${rest%%.*}
      local vars=""
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        vars+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        vars+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      done
      echo "-s -w$vars" ;;
    etcd) echo "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$v" ;;
    kwok) echo "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}" ;;
    helm)
      # helm's Makefile stamps the Kubernetes version it was built against; without it
      # .Capabilities.KubeVersion falls back to v1.20.0 and charts needing newer fail.
      local cg; cg=$(module_version "$dir" k8s.io/client-go); cg=${cg#v0.}; local kmin=${cg%%.*}
      local hv="-X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
        hv+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kmin"
      done
      echo "-s -w $hv" ;;
    kustomize)

      echo "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$v -X sigs.k8s.io/kustomize/api/provenance.buildDate=1970-01-01T00:00:00Z" ;;
    *) echo "-s -w" ;;
  esac
}

# kwok ships its default node and pod lifecycles as Stage manifests inside its module, and the
# binary needs them passed with --config; copy them from the pinned module next to the binary.
kwok_stages() { # dest wrapper-dir
  local src; src=$(cd "$here/$2" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
  local f out="$1/stages.yaml"
  : > "$out.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---" >> "$out.tmp"; cat "$src/$f" >> "$out.tmp"
  done
  mv -f "$out.tmp" "$out"
}

wanted=("$@")
want() { [ ${#wanted[@]} -eq 0 ] && return 0; local t; for t in "${wanted[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

start_all=$SECONDS
built=0
while IFS='|' read -r tool dir pkg vermod; do
  [ -z "$tool" ] && continue
  want "$tool" || continue
  version=$(module_version "$dir" "$vermod")
  dest="$cache/$tool-$version"
  if [ -x "$dest/$tool" ] && { [ "$tool" != kwok ] || [ -s "$dest/stages.yaml" ]; }; then
    echo "ballast: $tool $version is cached at $dest"
    continue
  fi
  echo "ballast: building $tool $version from $pkg (the first build of a tool takes minutes)..."
  t0=$SECONDS
  mkdir -p "$dest"
  tmp="$dest/.$tool.tmp.$$"
  (cd "$here/$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath \
      -ldflags "$(ldflags_for "$tool" "$version" "$dir")" -o "$tmp" "$pkg")
  mv -f "$tmp" "$dest/$tool"
  [ "$tool" = kwok ] && kwok_stages "$dest" "$dir"
  echo "ballast: built $tool $version in $((SECONDS - t0))s"
  built=$((built + 1))
done <<< "$table"
echo "ballast: tools ready in $cache ($built built, $((SECONDS - start_all))s)"
