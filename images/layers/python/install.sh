#!/usr/bin/env bash
# Python from Debian (3.11 on Debian 12; `uv python install 3.13` gets the
# spec's 3.13), uv, ruff and pytest from PyPI into a venv at
# /opt/mino-python.  Runs as root during the build; safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
	apt-get update
	apt-get install -y --no-install-recommends python3 python3-venv ca-certificates
	rm -rf /var/lib/apt/lists/*
fi
[ -x /opt/mino-python/bin/pip ] || python3 -m venv /opt/mino-python
/opt/mino-python/bin/pip install --upgrade uv ruff pytest
chmod -R a+rX /opt/mino-python
python3 --version
/opt/mino-python/bin/uv --version
/opt/mino-python/bin/ruff --version
/opt/mino-python/bin/pytest --version
