#!/usr/bin/env bash
# Node.js from Debian (18 on Debian 12; the spec's 22 is not packaged
# there), the tools from npm into /opt/mino-node.  Runs as root during the
# build; safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt-get update
	apt-get install -y --no-install-recommends nodejs npm ca-certificates
	rm -rf /var/lib/apt/lists/*
fi
# pnpm 9 is the last release line that runs on Node 18.
npm install --global --prefix /opt/mino-node pnpm@9 tsx typescript @biomejs/biome
chmod -R a+rX /opt/mino-node
node --version
/opt/mino-node/bin/pnpm --version
/opt/mino-node/bin/tsc --version
/opt/mino-node/bin/biome --version
