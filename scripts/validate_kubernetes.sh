#!/usr/bin/env bash
# Validates deploy/kubernetes offline: every manifest, as committed and as
# render.sh fills it in, against the Kubernetes API schemas of the versions
# below (PyPI's kubernetes-validate, --strict: unknown fields are errors),
# in a venv of its own. Also checks the ConfigMap is profiles/smoke.toml
# verbatim, and first proves the check can fail: a broken manifest must be
# refused, or this script fails. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE=1.37.0
# The oldest version with every field used (podFailurePolicy GA 1.31,
# backoffLimitPerIndex on by default since 1.29) and a current one.
KUBE_VERSIONS=(1.31.0 1.34.0)

venv=target/venv-k8s
if [[ ! -x $venv/bin/kubernetes-validate ]] ||
    [[ $("$venv/bin/kubernetes-validate" --version 2>/dev/null) != *"$KUBERNETES_VALIDATE"* ]]; then
    echo "+ venv $venv: pip install kubernetes-validate==$KUBERNETES_VALIDATE"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE"
fi
validate() {
    "$venv/bin/kubernetes-validate" --strict --quiet -k "$@"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The check must be able to fail: a wrong type, an unknown field and a missing
# required one, each in a manifest of its own, must all be refused.
sed 's|^  completions: 3$|  completions: "three"|' deploy/kubernetes/shards-job.yaml >"$tmp/bad-type.yaml"
sed 's|^  completionMode: Indexed$|  completionsMode: Indexed|' deploy/kubernetes/shards-job.yaml >"$tmp/bad-field.yaml"
sed 's|^        - name: agentload$|        - nam: agentload|' deploy/kubernetes/shards-job.yaml >"$tmp/bad-missing.yaml"
for bad in "$tmp"/bad-*.yaml; do
    if cmp -s "$bad" deploy/kubernetes/shards-job.yaml; then
        echo "validate_kubernetes: self-check could not break $(basename "$bad") (manifest changed?)" >&2
        exit 1
    fi
    # Refused for the right reason: a schema error, not a crash.
    if validate "${KUBE_VERSIONS[0]}" "$bad" >"$tmp/out" 2>&1 || ! grep -q 'did not validate' "$tmp/out"; then
        cat "$tmp/out"
        echo "validate_kubernetes: self-check failed: $(basename "$bad") was not refused by the schema" >&2
        exit 1
    fi
done
echo "validate_kubernetes: self-check ok (3 broken manifests refused)"

bash deploy/kubernetes/render.sh --shards 4 --target http://gws.example.com:8080 \
    --image registry.example.com/agentload:0.1.0 --out "$tmp/rendered" >/dev/null
grep -q 'completions: 4' "$tmp/rendered/shards-job.yaml"
if grep -q '__[A-Z_]*__' "$tmp/rendered"/*.yaml; then
    echo "validate_kubernetes: render.sh left a placeholder:" >&2
    grep -n '__[A-Z_]*__' "$tmp/rendered"/*.yaml >&2
    exit 1
fi

python3 deploy/kubernetes/make-configmap.py --check
"$venv/bin/python" - <<'EOF'
import sys, yaml
cm = yaml.safe_load(open("deploy/kubernetes/configmap-profile.yaml", encoding="utf-8"))
if cm["data"]["profile.toml"] != open("profiles/smoke.toml", encoding="utf-8").read():
    sys.exit("configmap-profile.yaml: data profile.toml is not profiles/smoke.toml verbatim")
EOF

manifests=(deploy/kubernetes/*.yaml "$tmp"/rendered/*.yaml)
for version in "${KUBE_VERSIONS[@]}"; do
    echo "+ kubernetes-validate --strict -k $version (${#manifests[@]} manifests)"
    validate "$version" "${manifests[@]}"
done
echo "validate_kubernetes: ${#manifests[@]} manifests valid for Kubernetes ${KUBE_VERSIONS[*]}"
