#!/usr/bin/env bash
# Builds localhost/mino-base rootlessly from Debian packages, with no
# network inside any build container:
#   images/base/build.sh [--tag NAME] [--no-claude]
# 1. mmdebstrap --mode=unshare (as the user, no root) makes a Debian 12
#    minbase root with the tools below and the user `developer` (uid 1000);
# 2. on the host, `npm pack` fetches the Claude Code CLI's native binary
#    (the platform package @anthropic-ai/claude-code-linux-x64: the
#    @anthropic-ai/claude-code package itself fetches it in a postinstall
#    step and needs Node >= 22, Debian 12 has Node 18);
# 3. `podman import` turns the root into an image and `podman build` with
#    COPY only adds the binary.
# Progress: "STEP N/M: ..." lines, then the tools' own output.
set -euo pipefail

tag=localhost/mino-base
claude=1
while [ $# -gt 0 ]; do
	case $1 in
	--tag) tag=$2; shift ;;
	--no-claude) claude=0 ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "build-base: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "build-base: \`$1\` is missing: $2" >&2
	exit 1
}
need mmdebstrap "install it (Debian/Ubuntu: apt-get install mmdebstrap; it is not packaged for Fedora: build the base image on a Debian or Ubuntu host, or use --image with an image of your own)"
need podman "install podman"
[ "$claude" = 0 ] || need npm "install npm (or pass --no-claude)"
[ "$(id -u)" != 0 ] || { echo "build-base: run it as the user whose rootless podman should have the image, not as root" >&2; exit 1; }

steps=4
step() { printf 'STEP %s/%s: %s\n' "$1" "$steps" "$2"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mino-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

# git, gh, ripgrep, fd, bat, fzf, neovim, zsh, zoxide, Node (Debian 12: 18,
# not the spec's 22), Python 3 (3.11) for the layers; delta is not in
# Debian 12.
packages=ca-certificates,curl,git,gh,ripgrep,fd-find,bat,fzf,neovim,zsh,zoxide,nodejs,npm,less,procps,openssh-client,python3,xz-utils,unzip,passwd,sudo

step 1 "mmdebstrap --mode=unshare bookworm ($packages)"
# The hooks get the root as $1 from mmdebstrap: single quotes on purpose.
# shellcheck disable=SC2016
mmdebstrap --mode=unshare --variant=minbase --include="$packages" \
	--customize-hook='chroot "$1" useradd -m -u 1000 -U -s /bin/zsh developer' \
	--customize-hook='mkdir -p "$1/workspace" && chroot "$1" chown developer:developer /workspace' \
	--customize-hook='ln -sf /usr/bin/fdfind "$1/usr/local/bin/fd"; ln -sf /usr/bin/batcat "$1/usr/local/bin/bat"' \
	--customize-hook='touch "$1/home/developer/.zshrc" && chroot "$1" chown developer:developer /home/developer/.zshrc' \
	--customize-hook='rm -rf "$1/var/cache/apt/archives/"*.deb "$1/var/lib/apt/lists/"*' \
	bookworm "$work/root.tar" http://deb.debian.org/debian

step 2 "podman import"
podman import \
	--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
	--change 'ENV HOME=/home/developer' \
	--change 'ENV SHELL=/bin/zsh' \
	--change 'WORKDIR /workspace' \
	--change 'CMD ["/bin/zsh"]' \
	"$work/root.tar" "$tag-rootfs" >/dev/null

mkdir "$work/ctx"
if [ "$claude" = 1 ]; then
	step 3 "npm pack @anthropic-ai/claude-code-linux-x64 (on the host)"
	(cd "$work" && npm pack --silent @anthropic-ai/claude-code-linux-x64 >/dev/null)
	tar -xzf "$work"/anthropic-ai-claude-code-linux-x64-*.tgz -C "$work" package/claude
	install -m 0755 "$work/package/claude" "$work/ctx/claude"
	copy='COPY claude /usr/local/bin/claude'
else
	step 3 "without the Claude Code CLI (--no-claude)"
	copy=
fi

step 4 "podman build (COPY only) -> $tag"
cat >"$work/ctx/Containerfile" <<CF
FROM $tag-rootfs
$copy
USER developer
LABEL mino.home="/home/developer" mino.uid="1000" mino.base="1"
CF
podman build --pull=never --network=none --layers=false -t "$tag" "$work/ctx"
podman rmi "$tag-rootfs" >/dev/null
echo "build-base: built $tag"
