#!/usr/bin/env bash
# System packages the tests need beyond Python: docker-compose (validates docker-compose.yml
# offline), PostgreSQL (Label Studio on PostgreSQL), and Chromium with its WebDriver (the
# browser tests; nothing downloads a browser). Installs only what is missing.
set -euo pipefail
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "please install: ${missing[*]}" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
