#!/usr/bin/env bash
# The production front (deploy/haproxy) the e2e tests start themselves: Debian's HAProxy.
# Installs it only when missing (apt-get needs root, as on CI).
set -euo pipefail
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  apt-get update -q && apt-get install -y -q haproxy
fi
