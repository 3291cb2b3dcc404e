#!/usr/bin/env bash
# The README's first command: a local control plane built from upstream sources, an example
# repo synced with `ballast sync`, a manual change shown as drift and reverted, and a commit
# applied. (The continuous controller arrives with issue 4; until then each step is one sync.)
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm run build
ballast() { npx --no-install node dist/src/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Build the pinned upstream tools (many minutes the first time, cached after)"
ballast dev tools

step "Start a local control plane: etcd, kube-apiserver, controller-manager, scheduler, kwok"
ballast dev up
eval "$(ballast dev env)"
kubectl get nodes -o wide

step "Commit the example app to a Git repo"
repo="$(mktemp -d)/demo"
git init -q -b main "$repo"
cp -r examples/hello "$repo/hello"
git -C "$repo" add . && git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm "hello app"

step "Diff, then sync the repo with server-side apply and wait until healthy"
ballast diff --repo "file://$repo" --path hello --app hello -n hello >/dev/null || echo "(diff exit $?: out of sync, as expected before the first sync)"
ballast sync --repo "file://$repo" --path hello --app hello -n hello --wait 120
kubectl -n hello get deploy,pods -o wide

step "Change the Deployment by hand: ballast diff shows the drift, ballast sync reverts it"
kubectl -n hello scale deployment/hello --replicas=5
ballast diff --repo "file://$repo" --path hello --app hello -n hello || true
ballast sync --repo "file://$repo" --path hello --app hello -n hello
kubectl -n hello get deployment hello -o jsonpath='replicas after sync: {.spec.replicas}{"\n"}'

step "Push a commit: the next sync applies it"
sed -i 's/Hello from Ballast/Hello again/' "$repo/hello/app.yaml"
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qam "new greeting"
ballast sync --repo "file://$repo" --path hello --app hello -n hello
kubectl -n hello get configmap hello -o jsonpath='greeting: {.data.greeting}{"\n"}'

echo
echo "Done. The clusters keep running: eval \"\$(npx node dist/src/cli/main.js dev env)\" to use them,"
echo "and 'npx node dist/src/cli/main.js dev down' to stop everything."
