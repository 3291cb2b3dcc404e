#!/usr/bin/env bash
# Builds the upstream tools Ballast tests against from the pinned wrapper modules in tools/.
# Binaries land in ${BALLAST_CACHE:-~/.cache/ballast}/bin/<tool>-<version>/<tool>; a tool
# already there is skipped, so a warm run is instant.
#
#   tools/build.sh            build everything
#   tools/build.sh helm sops  build only these (names as in the table below)
#
# The tools of one wrapper module are built by one `go build`, so the packages they share compile
# once (the Kubernetes tools and kwok share the kubernetes module for that reason). Up to
# BALLAST_BUILD_JOBS modules build at the same time, so that one module's downloads and link
# steps overlap another's compiling: 2 by default (all the builds together peaked at 1.7 GiB), 1
# when less than 4 GiB of memory is free.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BALLAST_CACHE:-$HOME/.cache/ballast}/bin"

if ! command -v go >/dev/null 2>&1; then
  echo "ballast: Go is not installed; install Go 1.26 or newer (https://go.dev/doc/install) and put 'go' on PATH to build the local control plane." >&2
  exit 2
fi
export CGO_ENABLED=0 GOTOOLCHAIN=local

# tool | wrapper module | main package | module whose version names the binary
# Modules are built in the order they first appear here, the longest build first.
table="
kube-apiserver|kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes
kube-controller-manager|kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|k8s.io/kubernetes
kube-scheduler|kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|k8s.io/kubernetes
kubectl|kubernetes|k8s.io/kubernetes/cmd/kubectl|k8s.io/kubernetes
kwok|kubernetes|sigs.k8s.io/kwok/cmd/kwok|sigs.k8s.io/kwok
sops|sops|github.com/getsops/sops/v3/cmd/sops|github.com/getsops/sops/v3
helm|helm|helm.sh/helm/v3/cmd/helm|helm.sh/helm/v3
etcd|etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3
kustomize|kustomize|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/kustomize/v5
kubeseal|sealed-secrets|github.com/bitnami-labs/sealed-secrets/cmd/kubeseal|github.com/bitnami-labs/sealed-secrets
sealed-secrets-controller|sealed-secrets|github.com/bitnami-labs/sealed-secrets/cmd/controller|github.com/bitnami-labs/sealed-secrets
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
    kubeseal) echo "-s -w -X main.VERSION=$v" ;;
    sealed-secrets-controller) echo "-s -w -X main.VERSION=$v" ;;
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

# The sealed-secrets controller needs its SealedSecret CRD, which the pinned module carries in its
# helm chart; copy it next to the binary so tests install the very CRD of the version they run.
sealed_secrets_crd() { # dest wrapper-dir
  local src; src=$(cd "$here/$2" && go list -m -f '{{.Dir}}' github.com/bitnami-labs/sealed-secrets)
  cp -f "$src/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml" "$1/crd.yaml.tmp"
  chmod 0644 "$1/crd.yaml.tmp"
  mv -f "$1/crd.yaml.tmp" "$1/crd.yaml"
}

# The file name `go build -o dir/` gives a main package: its last path element that is not a
# major-version suffix (go.etcd.io/etcd/server/v3 -> server).
bin_name() { # package
  local p=$1
  [[ ${p##*/} =~ ^v[0-9]+$ ]] && p=${p%/*}
  echo "${p##*/}"
}

clock() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
start_all=$SECONDS
say() { echo "ballast: [$(clock $((SECONDS - start_all)))] $*"; }

lanes=${BALLAST_BUILD_JOBS:-}
if [ -z "$lanes" ]; then
  free_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null || true)
  lanes=2; [ -n "$free_kib" ] && [ "$free_kib" -lt $((4 * 1024 * 1024)) ] && lanes=1
fi
if ! [[ $lanes =~ ^[1-9][0-9]*$ ]]; then
  echo "ballast: BALLAST_BUILD_JOBS must be a positive number of modules to build at once, not '$lanes'." >&2
  exit 2
fi

wanted=("$@")
for t in "${wanted[@]+"${wanted[@]}"}"; do
  if ! grep -q "^$t|" <<< "$table"; then
    echo "ballast: no tool named '$t'; the tools are: $(cut -d'|' -f1 <<< "$table" | xargs)." >&2
    exit 2
  fi
done
want() { [ ${#wanted[@]} -eq 0 ] && return 0; local t; for t in "${wanted[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# What to build, grouped by wrapper module.
declare -A version pkg_of dest_of group_tools
groups=()
total=0
while IFS='|' read -r tool dir pkg vermod; do
  [ -z "$tool" ] && continue
  want "$tool" || continue
  version[$tool]=$(module_version "$dir" "$vermod")
  dest="$cache/$tool-${version[$tool]}"
  if [ -x "$dest/$tool" ] && { [ "$tool" != kwok ] || [ -s "$dest/stages.yaml" ]; } &&
    { [ "$tool" != sealed-secrets-controller ] || [ -s "$dest/crd.yaml" ]; }; then
    echo "ballast: $tool ${version[$tool]} is cached at $dest"
    continue
  fi
  pkg_of[$tool]=$pkg; dest_of[$tool]=$dest
  [ -z "${group_tools[$dir]:-}" ] && groups+=("$dir")
  group_tools[$dir]+="${group_tools[$dir]:+ }$tool"
  total=$((total + 1))
done <<< "$table"

if [ "$total" -eq 0 ]; then
  echo "ballast: tools ready in $cache (0 built, $(clock $((SECONDS - start_all))))"
  exit 0
fi

work="$cache/.build.$$"
mkdir -p "$work"
set -m # each build runs in its own process group, so an interrupt can stop all of it
running=()
fetchers=()
declare -A pgroup started
cleanup() {
  local p d
  set +m # no job-status lines for the builds stopped here
  for p in "${fetchers[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for d in "${running[@]}"; do kill -TERM -- "-${pgroup[$d]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One `go build` for all of a module's missing tools, each linked with its own -ldflags; -v lists
# every package as it is compiled, which the progress lines count. The linker drops DWARF anyway
# (-w), so the compiler is told not to make it: a tenth less compile time, the same code.
build_group() { # wrapper-dir
  local dir=$1 tool flags=() pkgs=()
  cd "$here/$dir" || return
  for tool in ${group_tools[$dir]}; do
    pkgs+=("${pkg_of[$tool]}")
    flags+=("-ldflags=${pkg_of[$tool]}=$(ldflags_for "$tool" "${version[$tool]}" "$dir")")
  done
  go list -deps "${pkgs[@]}" > "$work/$dir.deps.tmp" || return
  mv "$work/$dir.deps.tmp" "$work/$dir.deps"
  go build -v -trimpath -gcflags=all=-dwarf=false "${flags[@]}" -o "$work/$dir.out/" "${pkgs[@]}"
}

start_group() {
  local dir=$1
  ( rc=0; build_group "$dir" > "$work/$dir.log" 2>&1 || rc=$?
    echo "$rc" > "$work/$dir.rc.tmp" && mv "$work/$dir.rc.tmp" "$work/$dir.rc" ) &
  pgroup[$dir]=$!
  started[$dir]=$SECONDS
  running+=("$dir")
  say "building ${group_tools[$dir]} (tools/$dir)"
}

progress() { # wrapper-dir -> "N/M packages" once its dependencies are listed
  local n m
  [ -s "$work/$1.deps" ] || { echo "downloading modules"; return; }
  m=$(wc -l < "$work/$1.deps")
  n=$(grep -vc '^go: ' "$work/$1.log" || true)
  echo "$n/$m packages"
}

finish_group() { # wrapper-dir; returns the build's exit code
  local dir=$1 rc tool bin took
  rc=$(cat "$work/$dir.rc")
  took=$((SECONDS - started[$dir]))
  if [ "$rc" != 0 ]; then
    cp "$work/$dir.log" "$cache/build-$dir.log"
    tail -n 40 "$work/$dir.log" | sed 's/^/    /' >&2
    say "building ${group_tools[$dir]} failed (exit $rc) after $(clock "$took"); full log: $cache/build-$dir.log" >&2
    return 1
  fi
  for tool in ${group_tools[$dir]}; do
    bin=$(bin_name "${pkg_of[$tool]}")
    mkdir -p "${dest_of[$tool]}"
    mv -f "$work/$dir.out/$bin" "${dest_of[$tool]}/$tool"
    [ "$tool" = kwok ] && kwok_stages "${dest_of[$tool]}" "$dir"
    [ "$tool" = sealed-secrets-controller ] && sealed_secrets_crd "${dest_of[$tool]}" "$dir"
    built=$((built + 1))
  done
  say "built ${group_tools[$dir]} in $(clock "$took") ($built of $total tools done)"
}

say "building $total tools from ${#groups[@]} Go modules, $lanes at a time (the first build takes about 10 minutes on 2 cores)"
# Fetch every module's sources at once; downloading is network-bound and overlaps the compiling.
for dir in "${groups[@]}"; do
  (cd "$here/$dir" && go mod download) > /dev/null 2>&1 &
  fetchers+=($!)
done

pending=("${groups[@]}")
built=0
failed=0
last_report=$SECONDS
while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
  while [ "$failed" = 0 ] && [ ${#pending[@]} -gt 0 ] && [ ${#running[@]} -lt "$lanes" ]; do
    start_group "${pending[0]}"
    pending=("${pending[@]:1}")
  done
  sleep 1
  still=()
  for dir in "${running[@]}"; do
    if [ ! -e "$work/$dir.rc" ]; then still+=("$dir"); continue; fi
    # After a failure nothing new starts; what is running finishes, so its work stays cached.
    finish_group "$dir" || { failed=1; pending=(); }
  done
  running=("${still[@]+"${still[@]}"}")
  if [ $((SECONDS - last_report)) -ge 30 ] && [ ${#running[@]} -gt 0 ]; then
    last_report=$SECONDS
    line=""
    for dir in "${running[@]}"; do line+="${line:+; }${group_tools[$dir]}: $(progress "$dir")"; done
    queued=""
    for dir in "${pending[@]+"${pending[@]}"}"; do queued+=" ${group_tools[$dir]}"; done
    say "building $line${queued:+; queued:$queued}"
  fi
done
wait

if [ "$failed" != 0 ]; then
  echo "ballast: $built of $total tools built; the failure is above." >&2
  exit 1
fi
echo "ballast: tools ready in $cache ($built built, $(clock $((SECONDS - start_all))))"
