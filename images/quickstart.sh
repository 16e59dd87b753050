#!/usr/bin/env bash
# From a fresh Debian 12 machine to a command running in a mino sandbox:
#
#   bash images/quickstart.sh [USER]      (as root, or with sudo)
#
# 1. installs the build and container dependencies from Debian's archive;
# 2. builds mino and installs it (meson install, prefix /usr/local);
# 3. picks the unprivileged user the sandbox runs as (mino is rootless):
#    USER, else the user who ran sudo, else a new user `mino` it creates;
# 4. builds a small local image, localhost/mino-busybox, from Debian's
#    busybox-static (no registry needed);
# 5. checks the prerequisites (`mino status`), runs `mino run` as that user
#    and prints what the sandbox sees.
# It says what it does at each step.  Safe to run again.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart: run me as root (or: sudo bash $0): I install packages and mino itself" >&2
	exit 1
fi

say "Installing dependencies from Debian's archive"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# images/debian-packages.txt says why each one is needed.
. "$src/images/debian-packages.sh"
mapfile -t packages < <(debian_packages build run image)
[ ${#packages[@]} -gt 0 ] || { echo "quickstart: no packages read from images/debian-packages.txt" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "installed: podman $(podman --version | awk '{print $3}'), meson $(meson --version)"

say "Building and installing mino (prefix /usr/local)"
build=$src/build-quickstart
# -Dwerror=false: a newer compiler's new warning must not block an install.
opts=(--buildtype=release --prefix=/usr/local -Dwerror=false)
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "${opts[@]}" "$build" "$src" >/dev/null
else
	meson setup "${opts[@]}" "$build" "$src" >/dev/null
fi
ninja -C "$build" >/dev/null
meson install -C "$build" --quiet
echo "installed: $(command -v mino), $(command -v minod)"

user=${1:-${SUDO_USER:-}}
if [ -z "$user" ] || [ "$user" = root ]; then
	user=mino
fi
say "Preparing the unprivileged user \`$user\` (mino refuses to sandbox as root)"
if ! id "$user" >/dev/null 2>&1; then
	useradd -m -s /bin/bash "$user"
	echo "created user $user (useradd also gave it subordinate uids/gids)"
fi
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
	# rootless podman maps the container's users onto these ranges
	# after the highest range in use, so that it overlaps nobody's
	start=$(awk -F: '$2 + $3 > m { m = $2 + $3 } END { print (m > 100000 ? m : 100000) }' /etc/subuid /etc/subgid)
	usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$user"
	echo "gave $user subordinate ids $start-$((start + 65535))"
fi
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user")
# No login session here: give the user a private runtime directory.
rundir=/run/user/$uid
if [ ! -d "$rundir" ] || [ "$(stat -c %u "$rundir")" != "$uid" ]; then
	rundir=/tmp/xdg-$user
	install -d -m 0700 -o "$user" -g "$user" "$rundir"
	echo "using $rundir as $user's XDG_RUNTIME_DIR (no systemd-logind session)"
fi
as_user() {
	(cd "$home" && runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 TERM="${TERM:-xterm}" \
		XDG_RUNTIME_DIR="$rundir" "$@")
}

say "Building the local image localhost/mino-busybox (from busybox-static, no registry)"
as_user bash "$src/images/build-busybox-image.sh" localhost/mino-busybox:latest

say "Checking rootless podman as $user"
if ! as_user podman run --rm localhost/mino-busybox:latest true 2>/tmp/quickstart-podman.err; then
	echo "podman failed as $user:"; sed 's/^/  /' /tmp/quickstart-podman.err
	echo "applying this machine's known fixes (tests/setup-podman-user.sh: runc for cgroup v1"
	echo "hybrid mode, container ulimits within the host's limits, /dev/net/tun for slirp4netns,"
	echo "overlay storage and netavark: $user's podman storage is reset once if made otherwise)"
	bash "$src/tests/setup-podman-user.sh" "$user"
	# (the storage may have been reset: build the image again if it is gone)
	as_user bash "$src/images/build-busybox-image.sh" localhost/mino-busybox:latest
	as_user podman run --rm localhost/mino-busybox:latest true
fi
echo "rootless podman works for $user"

say "Checking what mino relies on (mino status: each prerequisite, OK or with its fix)"
as_user mino status

say "Running a command in the sandbox as $user"
demo=$home/mino-demo
as_user mkdir -p "$demo"
echo "\$ mino run -p $demo --image localhost/mino-busybox -- sh -c 'echo hello from the sandbox; id; pwd; ls /'"
as_user mino run -p "$demo" --image localhost/mino-busybox -- \
	sh -c 'echo hello from the sandbox; id; pwd; ls /'

cat <<EOF

Done.  To use mino as $user:
  su - $user
  export XDG_RUNTIME_DIR=$rundir      # only where no login session provides one
  mino run --image localhost/mino-busybox -- sh
Set it as the default image in ~/.config/mino/config.toml:
  [container]
  image = "localhost/mino-busybox:latest"
  [session]
  shell = "/bin/sh"
EOF
