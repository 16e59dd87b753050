#!/usr/bin/env bash
# The cross-user cases of issue 13, which need two unprivileged users and
# so root to drive them (the meson suite runs as one user).  As root:
#
#   bash tests/hostile-cross-user.sh USER OTHER BUILDDIR
#
# USER is a prepared rootless-podman test user (tests/setup-podman-user.sh,
# image localhost/mino-busybox), OTHER a second unprivileged user (created
# if missing), BUILDDIR a build of mino that both can read and execute.
#   1. OTHER plants a .mino.toml symlink in a shared sticky directory above
#      USER's project: mino warns, naming it, and does not use it.
#   2. OTHER scans /proc/*/cmdline while USER runs `mino run -e TOKEN` and
#      `--env-file`: the value is in no mino or minod command line.
#   3. OTHER squats /tmp/mino-UID of USER: USER's mino says how to fix it.
# Prints TAP; exits non-zero if a case fails.
set -uo pipefail

[ $# -eq 3 ] || { sed -n '2,16p' "$0"; exit 2; }
user=$1 other=$2 build=$(cd "$3" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
id "$other" >/dev/null 2>&1 || useradd -m -s /bin/bash "$other"
mino=$build/client/mino minod=$build/daemon/minod
uid=$(id -u "$user") home=$(getent passwd "$user" | cut -d: -f6)
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

world=$(mktemp -d /tmp/mino-xu-XXXXXX)
chmod 0711 "$world"
install -d -m 0700 -o "$user" "$world/u"
as_user() {
	runuser -u "$user" -- env -i HOME="$home" USER="$user" PATH="$build/client:$build/daemon:/usr/bin:/bin" \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="$world/u/run" XDG_STATE_HOME="$world/u/state" \
		XDG_CONFIG_HOME="$world/u/config" MINO_MINOD="$minod" "$@"
}
as_user bash -c "mkdir -m 0700 -p $world/u/run $world/u/state $world/u/config/mino &&
	printf '[container]\nimage = \"localhost/mino-busybox:latest\"\nnetwork = \"none\"\n' > $world/u/config/mino/config.toml &&
	chmod 0600 $world/u/config/mino/config.toml &&
	ln -s $home/.config/containers $world/u/config/containers 2>/dev/null; true"
cleanup() {
	as_user "$mino" rpc daemon/shutdown >/dev/null 2>&1
	rm -rf "$world" "/tmp/mino-$uid.squat-test"
}
trap cleanup EXIT

# 1. a symlink planted by OTHER in a shared sticky directory
shared=$world/shared
install -d -m 1777 "$shared"
as_user bash -c "mkdir -m 0700 $shared/proj $world/u/trusted &&
	printf '[container]\nnetwork = \"host\"\n' > $world/u/trusted/.mino.toml"
as_user "$mino" config trust "$world/u/trusted" >/dev/null; ok $? "USER trusts ~/trusted/.mino.toml (network = host)"
runuser -u "$other" -- ln -s "$world/u/trusted/.mino.toml" "$shared/.mino.toml"
out=$(as_user "$mino" config show -p "$shared/proj" 2>&1)
echo "$out" | grep -q "ignoring \`$shared/.mino.toml\`: it is a symlink"; ok $? "OTHER's symlink in a sticky dir is named in a warning"
as_user "$mino" config show -f json -p "$shared/proj" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
e = {x["key"]: x["value"] for x in json.load(sys.stdin)["entries"]}
sys.exit(0 if e["container.network"] == "none" else 1)'; ok $? "and it is not used (network stays none)"

# 2. /proc/*/cmdline scanning by OTHER
secret="xu-s3cr3t-$RANDOM$RANDOM"
as_user bash -c "printf 'FROMFILE=%s\n' '$secret' > $world/u/secrets.env && chmod 0600 $world/u/secrets.env"
printf '%s' "$secret" > "$world/u/token" && chown "$user" "$world/u/token" && chmod 0600 "$world/u/token"
# the harness itself keeps the value off every command line too
as_user bash -c 'TOKEN=$(cat "$0"/token) exec "$1" run -e TOKEN --env-file "$0"/secrets.env -- sleep 6' \
	"$world/u" "$mino" >/dev/null 2>&1 &
runner=$!
sleep 4
hits=$(printf '%s\n' "$secret" | runuser -u "$other" -- bash -c 'read -r s; for p in /proc/[0-9]*; do
		c=$( { tr "\0" " " < $p/cmdline; } 2>/dev/null) || continue
		case $c in *"$s"*) cat $p/comm 2>/dev/null;; esac
	done')
wait "$runner"; ok $? "mino run -e TOKEN --env-file ran"
echo "$hits" | grep -qxE 'mino|minod'; [ $? -ne 0 ]; ok $? "OTHER sees the value in no mino or minod command line"
[ -n "$hits" ] && echo "# processes whose argv still shows it (minod's podman argv, the daemon side of item 3): $(echo $hits)"

# 3. OTHER squats /tmp/mino-UID
squat=/tmp/mino-$uid
# an unused fallback of USER's own (empty) is set aside for the test
restore=0
if [ -d "$squat" ] && [ ! -L "$squat" ] && [ "$(stat -c %u "$squat")" = "$uid" ] && rmdir "$squat" 2>/dev/null; then
	restore=1
fi
if [ -e "$squat" ]; then
	echo "ok $((n += 1)) - # SKIP $squat already exists"
else
	runuser -u "$other" -- mkdir -m 0755 "$squat"
	out=$(runuser -u "$user" -- env -i HOME="$home" PATH=/usr/bin:/bin "$mino" status 2>&1)
	echo "$out" | grep -q "set XDG_RUNTIME_DIR" && echo "$out" | grep -q "$squat"; ok $? "the squatted fallback error says how to fix it"
	rmdir "$squat"
fi
[ $restore -eq 1 ] && install -d -m 0700 -o "$user" -g "$user" "$squat"
echo "1..$n"
[ $failed -eq 0 ]
