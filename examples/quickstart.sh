#!/usr/bin/env bash
# The README's first command. A local control plane built from upstream sources; the local Git
# server holding examples/guestbook; `ballast install` and the controller running locally; an
# Application shown Synced and Healthy; a `kubectl scale` reverted by self-heal; a pushed, signed
# commit announced by a signed webhook and applied, then reverted in Git; the sync history with
# each commit's signer; the audit ledger that recorded it all; and the web UI (`ballast ui`).
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm run build
ballast() { npx --no-install ballast "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Polls a shell condition (a string, evaluated each time) until it holds, so the demo never
# sleeps longer than it must.
until_ok() {
  local what=$1 tries=$2 check=$3
  for _ in $(seq "$tries"); do eval "$check" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "timed out waiting: $what" >&2
  return 1
}

state="${XDG_STATE_HOME:-$HOME/.local/state}/ballast/quickstart"
# Runs `ballast ARGS` under nohup, logging to NAME.log, in a process group of its own (set -m):
# npx runs ballast as a grandchild, so `kill -- -PID` of the group stops both.
background() {
  local name=$1
  shift
  set -m
  nohup npx --no-install ballast "$@" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  set +m
}
stop_demo() {
  local pid
  for p in ui controller git; do
    [ -f "$state/$p.pid" ] || continue
    pid="$(cat "$state/$p.pid")"
    # A pid file from before process groups names the process alone.
    { kill -- "-$pid" || kill "$pid"; } 2>/dev/null || true
    rm -f "$state/$p.pid"
  done
}
# A rerun starts clean: the previous run's controller, Git server and control plane go.
stop_demo
[ -f "$state/dev/state.json" ] && ballast dev down --state "$state/dev" >/dev/null 2>&1 || true
rm -rf "$state" && mkdir -p "$state"

step "Build the pinned upstream tools (many minutes the first time, cached after)"
ballast dev tools

step "Start a local control plane: etcd, kube-apiserver, controller-manager, scheduler, kwok"
ballast dev up --state "$state/dev"
eval "$(ballast dev env --state "$state/dev")"
kubectl get nodes -o wide

step "Serve a Git repository from the local Git server (git http-backend, token auth)"
openssl rand -hex 16 >"$state/token"
openssl rand -hex 16 >"$state/webhook-secret"
background git dev git --root "$state/git" --repo demo --token-file "$state/token"
until_ok "the Git server" 60 'grep -q /demo.git "$state/git.log"'
repo_url="$(grep -o 'http://[^ ]*/demo.git' "$state/git.log")"
echo "repository: $repo_url"
auth="Authorization: Basic $(printf 'git:%s' "$(cat "$state/token")" | base64 -w0)"
git -c http.extraHeader="$auth" clone -q "$repo_url" "$state/work"
cp -r examples/guestbook "$state/work/guestbook"
rm "$state/work/guestbook/application.yaml"
# Every commit is signed with an SSH key; the Application trusts only that key.
ssh-keygen -q -t ed25519 -N '' -C demo@example.com -f "$state/signing-key"
echo "demo@example.com $(cut -d' ' -f1,2 "$state/signing-key.pub")" >"$state/demo.pub"
gitw() {
  git -C "$state/work" -c user.name=demo -c user.email=demo@example.com \
    -c gpg.format=ssh -c user.signingkey="$state/signing-key" -c commit.gpgsign=true \
    -c gpg.ssh.allowedSignersFile="$state/demo.pub" -c http.extraHeader="$auth" "$@"
}
gitw add . && gitw commit -qm "guestbook" && gitw push -q origin HEAD:main
gitw log --oneline

step "Install the CRD and RBAC, and run the controller locally (kwok nodes cannot run images)"
ballast install --replicas 0
kubectl -n ballast-system create secret generic demo-repo --from-file=token="$state/token"
kubectl -n ballast-system create secret generic guestbook-trusted-keys --from-file=demo.pub="$state/demo.pub"
background controller controller --kubeconfig "$KUBECONFIG" --port 18080 \
  --webhook-secret-file "$state/webhook-secret" --ledger "sqlite:$state/audit.db"
until_ok "the controller's /readyz" 60 'curl -sf http://127.0.0.1:18080/readyz'

step "Create the Application; the controller syncs it and reports it Synced and Healthy"
sed "s|REPO_URL|$repo_url|" examples/guestbook/application.yaml | kubectl apply -f -
kubectl -n ballast-system wait applications.ballast.dev/guestbook --timeout=120s \
  --for=jsonpath='{.status.health.status}'=Healthy
kubectl -n ballast-system get applications.ballast.dev
ballast app tree guestbook -n ballast-system

step "Scale the Deployment by hand: self-heal reverts it and records who changed what"
kubectl -n guestbook scale deployment/guestbook-ui --replicas=5
until_ok "replicas back to 2" 20 \
  'test "$(kubectl -n guestbook get deploy guestbook-ui -o jsonpath={.spec.replicas})" = 2'
kubectl -n guestbook get deploy guestbook-ui -o jsonpath='replicas now: {.spec.replicas}{"\n"}'
kubectl -n ballast-system get events --field-selector reason=DriftReverted -o custom-columns=REASON:.reason,MESSAGE:.message

step "Push a commit and announce it with a signed webhook: the controller applies it"
sed -i 's/Hello from Ballast/Hello again/' "$state/work/guestbook/guestbook.yaml"
gitw commit -qam "new greeting" && gitw push -q origin HEAD:main
body="{\"repoURL\":\"$repo_url\"}"
sig="$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$(cat "$state/webhook-secret")" | sed 's/^.* //')"
curl -sf -X POST -H 'content-type: application/json' -H "x-ballast-signature: sha256=$sig" \
  --data "$body" http://127.0.0.1:18080/hooks/generic && echo
until_ok "the new greeting" 60 \
  'test "$(kubectl -n guestbook get configmap guestbook-ui -o jsonpath={.data.greeting})" = "Hello again"'
kubectl -n guestbook get configmap guestbook-ui -o jsonpath='greeting: {.data.greeting}{"\n"}'

step "Revert that commit in Git: the controller applies the revert like any other signed commit"
gitw revert --no-edit HEAD >/dev/null && gitw push -q origin HEAD:main
curl -sf -X POST -H 'content-type: application/json' -H "x-ballast-signature: sha256=$sig" \
  --data "$body" http://127.0.0.1:18080/hooks/generic && echo
until_ok "the first greeting again" 60 \
  'test "$(kubectl -n guestbook get configmap guestbook-ui -o jsonpath={.data.greeting})" = "Hello from Ballast"'
kubectl -n guestbook get configmap guestbook-ui -o jsonpath='greeting: {.data.greeting}{"\n"}'
gitw log --oneline --format='%h %G? %s'
# Three syncs, each naming the key's principal that signed its commit.
ballast app history guestbook -n ballast-system

step "The audit ledger: one hash-chained record per outcome, checked end to end"
ballast audit export --ledger "sqlite:$state/audit.db" --format csv | cut -d, -f1,3,5,6,7 | head -8
ballast audit verify --ledger "sqlite:$state/audit.db"

step "The web UI, with your own kubeconfig: applications, resource tree, diffs naming field managers, history"
background ui ui --kubeconfig "$KUBECONFIG" --port 18081 --ledger "sqlite:$state/audit.db"
until_ok "the UI" 60 'grep -q "Ballast UI: http" "$state/ui.log"'
ui_url="$(grep -o 'http://[^ ]*' "$state/ui.log" | head -1)"
curl -sf "${ui_url}api/apps" -o "$state/apps.json"
node -e 'for (const a of JSON.parse(require("fs").readFileSync(process.argv[1])).items)
  console.log(`the UI lists ${a.namespace}/${a.name}: ${a.sync}, ${a.health}, ${a.revision.slice(0, 7)} signed by ${a.signer}`)' "$state/apps.json"

echo
echo "Done. The control plane, the Git server, the controller and the UI keep running:"
echo "  UI: ${ui_url}apps/ballast-system/guestbook"
echo "  eval \"\$(npx ballast dev env --state $state/dev)\"   # kubectl for it"
echo "  logs: $state/controller.log, $state/ui.log"
echo "  stop: kill -- -\$(cat $state/ui.pid) -\$(cat $state/controller.pid) -\$(cat $state/git.pid); npx ballast dev down --state $state/dev"
