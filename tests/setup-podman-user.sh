#!/usr/bin/env bash
# Prepares this machine for rootless podman tests (idempotent; run as root).
# See ../shared/ENVIRONMENT.md: these are properties of the test machines,
# never product defaults.
#   tests/setup-podman-user.sh [USER]   (default: minotest)
set -euo pipefail
user=${1:-minotest}
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"
[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun
home=$(getent passwd "$user" | cut -d: -f6)
install -d -o "$user" -g "$user" -m 0755 "$home/.config" "$home/.config/containers"
conf="$home/.config/containers/containers.conf"
cat >"$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
chown "$user:$user" "$conf"
echo "setup-podman-user: $user ready for rootless podman"
