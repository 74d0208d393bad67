#!/usr/bin/env bash
# Create .venv and install the project with Label Studio, the test tools and Ray (its tests run in CI).
# Re-running is cheap: it does nothing while pyproject.toml and requirements-torch.txt are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
stamp=.venv/.installed
want=$(cat pyproject.toml requirements-torch.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-torch.txt
.venv/bin/python -m pip install --quiet -e ".[server,bench,dev,ray]"
echo "$want" > "$stamp"
