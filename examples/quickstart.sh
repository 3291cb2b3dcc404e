#!/usr/bin/env bash
# The README's first command: a local control plane built from upstream sources, an example app
# applied with server-side apply, and the node and Running pods shown.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm run build
ballast() { npx --no-install node dist/src/cli/main.js "$@"; }

ballast dev tools                # builds the pinned upstream tools once (many minutes the first time)
ballast dev up
eval "$(ballast dev env)"

kubectl apply --server-side --field-manager=ballast -f examples/hello/app.yaml
kubectl -n hello rollout status deployment/hello --timeout=120s
kubectl get nodes -o wide
kubectl -n hello get pods -o wide

echo
echo "Done. The clusters keep running: eval \"\$(npx node dist/src/cli/main.js dev env)\" to use them,"
echo "and 'npx node dist/src/cli/main.js dev down' to stop everything."
