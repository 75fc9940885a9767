#!/usr/bin/env bash
# What the interop tests need besides Python: PHP's SoapClient, xmllint, the JAX-WS RI
# (wsimport 2.3 and its runtime jars; java/javac come with it when missing), node-soap from
# the committed lock file, and Maven with the plugins and JUnit 5 that build the Java client
# library (client/java) offline from Debian's repository, /usr/share/maven-repo.
# Installs only what is missing (apt-get needs root, as on CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v php >/dev/null || ! dpkg -s php-soap >/dev/null 2>&1 || ! command -v xmllint >/dev/null; then
  apt-get update -q && apt-get install -y -q php-cli php-soap libxml2-utils
fi
if ! command -v wsimport >/dev/null || ! command -v javac >/dev/null; then
  apt-get update -q && apt-get install -y -q jaxws default-jdk-headless
fi
maven_packages=(maven maven-debian-helper junit5 libsurefire-java libmaven-compiler-plugin-java
  libmaven-jar-plugin-java libmaven-resources-plugin-java libmaven-source-plugin-java libmaven-javadoc-plugin-java)
missing=()
for package in "${maven_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  apt-get update -q && apt-get install -y -q "${missing[@]}"
fi
npm ci --prefix tests/interop/node --no-audit --no-fund --loglevel=error
