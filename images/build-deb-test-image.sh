#!/usr/bin/env bash
# Builds localhost/mino-test-deb:latest for the network tests: a Debian 12
# minbase root file system with a working libc resolver (bash's /dev/tcp,
# getent), perl-base for the test servers, and iptables + nftables so the
# tests can show that container root cannot change the egress rules.
# Run as the test user (rootless): mmdebstrap --mode=unshare, podman import.
set -euo pipefail
image=${1:-localhost/mino-test-deb:latest}
podman image exists "$image" && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mmdebstrap --quiet --mode=unshare --variant=minbase --include=iptables,nftables bookworm "$tmp/rootfs.tar"
podman import "$tmp/rootfs.tar" "$image" >/dev/null
echo "built $image"
