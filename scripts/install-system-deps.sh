#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing: redis-server (engine and
# multi-instance suites), redis-tools (redis-cli --cluster create) and redis-sentinel (the
# Cluster and Sentinel topologies), prometheus (promtool and the end-to-end alert test),
# prometheus-alertmanager (amtool and the inhibition test), prometheus-redis-exporter (the
# standalone Redis sidecar run by infra/redis-live.spec.ts, and Redis series in the alert
# end-to-end tests), chromium (demo page browser test), unzip, nginx (the suite behind a real
# proxy). Runs as root or through sudo; a no-op when everything is present.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v prometheus-redis-exporter >/dev/null || need+=(prometheus-redis-exporter)
command -v chromium >/dev/null || need+=(chromium)
command -v unzip >/dev/null || need+=(unzip)
# Debian puts nginx in /usr/sbin, off a normal user's PATH.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
