#!/usr/bin/env bash
# Installs the Debian packages Lifeline's demo and tests use. Idempotent: does nothing when all are present.
# Run as root (apt-get). Non-root: prints what to install and exits 0 so the caller can report per-test.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have redis-server || need+=(redis-server)
have tcpdump      || need+=(tcpdump)
have tshark       || need+=(tshark)
have editcap      || need+=(wireshark-common)
have openssl      || need+=(openssl)
have chromium     || need+=(chromium)
have iptables     || need+=(iptables)
have conntrack    || need+=(conntrack)
have ip           || need+=(iproute2)
have hyperfine    || need+=(hyperfine)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "lifeline setup: missing system packages: ${need[*]} — install with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "lifeline setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
