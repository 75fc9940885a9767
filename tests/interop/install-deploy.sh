#!/usr/bin/env bash
# What the deployment tests need from Debian: systemd-analyze (the unit's verify), promtool
# (the alert rules' tests) and pg_dump/pg_restore matching the PostgreSQL server (the restore
# drill). Installs only what is missing (apt-get needs root, as on CI).
set -euo pipefail
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v promtool >/dev/null || missing+=(prometheus)
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
