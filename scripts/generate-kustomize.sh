#!/bin/sh
# Regenerates deploy/kustomize/, the Kustomize base, from the same code as `weft install` (default values):
# `weft install --output-dir` writes the base and certs/ with fresh certificates, which are removed again so no
# key is committed. test/integration/kustomize.test.ts fails when the committed base is out of date.
set -eu
cd "$(dirname "$0")/.."
rm -rf deploy/kustomize
node bin/weft.js install --output-dir deploy/kustomize
rm -rf deploy/kustomize/certs
