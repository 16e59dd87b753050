#!/usr/bin/env bash
# Debian's cargo and rustc (1.63 on Debian 12), then rustup's stable
# toolchain: clippy, bacon and sccache need a newer Rust (bacon and
# sccache >= 1.70) than Debian 12 has.  Runs as root during the build;
# safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v cargo >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	apt-get update
	apt-get install -y --no-install-recommends cargo rustc gcc libc6-dev curl ca-certificates
	rm -rf /var/lib/apt/lists/*
fi
export RUSTUP_HOME=/opt/rustup CARGO_HOME=/opt/rustup-cargo
if [ ! -x /opt/rustup-cargo/bin/rustup ]; then
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
		sh -s -- -y --no-modify-path --profile minimal --default-toolchain stable
fi
/opt/rustup-cargo/bin/rustup component add clippy
for tool in bacon sccache; do
	[ -x "/opt/rustup-cargo/bin/$tool" ] || /opt/rustup-cargo/bin/cargo install --locked "$tool"
done
chmod -R a+rX /opt/rustup /opt/rustup-cargo
/opt/rustup-cargo/bin/cargo --version
/opt/rustup-cargo/bin/cargo clippy --version
