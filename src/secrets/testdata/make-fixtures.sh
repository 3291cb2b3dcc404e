#!/usr/bin/env bash
# Regenerates the sops-encrypted fixtures with the real sops binary (built by tools/build.sh)
# and the test-only keys in this directory. Run from anywhere; writes next to this script.
set -euo pipefail
cd "$(dirname "$0")"
sops="${SOPS:-$HOME/.cache/ballast/bin/sops-v3.13.3/sops}"
age_recipient=$(sed -n 's/^# public key: //p' test.agekey)
export GNUPGHOME=$(mktemp -d)
trap 'rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --import test-pgp.asc
fp=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/{print $10; exit}')
export SOPS_AGE_KEY_FILE="$PWD/test.agekey"

enc() { # enc OUT IN [sops flags...]
  local out=$1 in=$2; shift 2
  "$sops" encrypt "$@" "$in" > "$out"
  "$sops" decrypt "$out" > "${out%%.enc.*}.expected.${out##*.}"
}
enc age.enc.yaml plain-secret.yaml --age "$age_recipient"
enc pgp.enc.yaml plain-secret.yaml --pgp "$fp"
enc age.enc.json plain-config.json --age "$age_recipient"
enc pgp.enc.json plain-config.json --pgp "$fp"
enc age.enc.env plain-app.env --age "$age_recipient"
enc pgp.enc.env plain-app.env --pgp "$fp"
enc regex.enc.yaml plain-secret.yaml --age "$age_recipient" --encrypted-regex '^(data|stringData)$'
enc unregex.enc.yaml plain-secret.yaml --age "$age_recipient" --unencrypted-regex '^(apiVersion|kind|metadata|type|extra)$'
enc suffix.enc.yaml plain-secret.yaml --age "$age_recipient" --unencrypted-suffix '_unencrypted'
# mac_only_encrypted has no flag; it comes from a creation rule.
cfg="$GNUPGHOME/sops.yaml"
printf 'creation_rules:\n  - encrypted_regex: "^(data|stringData)$"\n    mac_only_encrypted: true\n    age: %s\n' "$age_recipient" > "$cfg"
"$sops" --config "$cfg" encrypt plain-secret.yaml > maconly.enc.yaml
"$sops" --config "$cfg" decrypt maconly.enc.yaml > maconly.expected.yaml
enc both.enc.yaml plain-secret.yaml --age "$age_recipient" --pgp "$fp"
enc multi.enc.yaml plain-multi.yaml --age "$age_recipient" --encrypted-regex '^(data|stringData)$'
