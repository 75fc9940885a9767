#!/usr/bin/env bash
# What the interop tests need besides Python: PHP's SoapClient, xmllint, the JAX-WS RI
# (wsimport 2.3 and its runtime jars; java/javac come with it when missing) and node-soap from
# the committed lock file. Installs only what is missing (apt-get needs root, as on CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v php >/dev/null || ! dpkg -s php-soap >/dev/null 2>&1 || ! command -v xmllint >/dev/null; then
  apt-get update -q && apt-get install -y -q php-cli php-soap libxml2-utils
fi
if ! command -v wsimport >/dev/null || ! command -v javac >/dev/null; then
  apt-get update -q && apt-get install -y -q jaxws default-jdk-headless
fi
tests/interop/install-front.sh
tests/interop/install-deploy.sh
npm ci --prefix tests/interop/node --no-audit --no-fund --loglevel=error
