#!/usr/bin/env bash
# Prepares this machine for rootless podman tests (idempotent; run as root).
# These are properties of the test machines (tests/README.md), never product
# defaults.
#   tests/setup-podman-user.sh [USER]   (default: minotest)
set -euo pipefail
user=${1:-minotest}
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"

# Subordinate ids: useradd gives them on Debian 12; otherwise take 65536 ids
# after the highest range in use, so that they overlap nobody else's.
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
	start=$(awk -F: '$2 + $3 > m { m = $2 + $3 } END { print (m > 100000 ? m : 100000) }' \
		/etc/subuid /etc/subgid 2>/dev/null)
	range=$start-$((start + 65535))
	grep -q "^$user:" /etc/subuid || usermod --add-subuids "$range" "$user"
	grep -q "^$user:" /etc/subgid || usermod --add-subgids "$range" "$user"
	echo "setup-podman-user: gave $user subordinate ids $range"
fi
[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun
home=$(getent passwd "$user" | cut -d: -f6)
install -d -o "$user" -g "$user" -m 0755 "$home/.config" "$home/.config/containers"

write_conf() {    # FILE: writes stdin to the user's config FILE
	cat >"$home/.config/containers/$1"
	chown "$user:$user" "$home/.config/containers/$1"
}
# runc: crun refuses cgroup v1 hybrid mode; ulimits within the host's hard
# limits; netavark so that container names resolve on user networks.
write_conf containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
CONF
# Native rootless overlay: without this, podman falls back to vfs here
# (/dev/fuse is 0600) and every container start copies the whole image.
write_conf storage.conf <<'CONF'
[storage]
driver = "overlay"
CONF

# Storage first made with vfs (or with the CNI backend) keeps them until it
# is reset: reset this user's storage once when it does not match.
as_user() {
	(cd / && runuser -u "$user" -- env -i HOME="$home" USER="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="/tmp/xdg-$user" "$@")
}
# The runtime directory is this run's alone.  One left by an earlier run
# still names that run's rootless pause process, which is gone, and podman
# then refuses every command ("invalid internal status").  With none of the
# user's processes left, start from an empty one, as after a reboot.
if ! pgrep -u "$user" >/dev/null; then
	rm -rf "/tmp/xdg-$user"
fi
install -d -m 0700 -o "$user" -g "$user" "/tmp/xdg-$user"
if command -v podman >/dev/null; then
	have=$(as_user podman info --format '{{.Store.GraphDriverName}} {{.Host.NetworkBackend}}' 2>/dev/null || echo "unknown unknown")
	if [ "$have" != "overlay netavark" ]; then
		echo "setup-podman-user: $user's podman answers \"$have\": migrating its state"
		as_user podman system migrate >/dev/null 2>&1 || true
		have=$(as_user podman info --format '{{.Store.GraphDriverName}} {{.Host.NetworkBackend}}' 2>/dev/null || echo "unknown unknown")
	fi
	if [ "$have" != "overlay netavark" ]; then
		echo "setup-podman-user: $user's podman storage uses \"$have\": resetting it for overlay + netavark"
		as_user podman system reset -f >/dev/null 2>&1 || true
		have=$(as_user podman info --format '{{.Store.GraphDriverName}} {{.Host.NetworkBackend}}')
		[ "$have" = "overlay netavark" ] ||
			{ echo "setup-podman-user: $user's podman still uses \"$have\", not overlay netavark" >&2; exit 1; }
	fi
fi
echo "setup-podman-user: $user ready for rootless podman"
