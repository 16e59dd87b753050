#!/usr/bin/env bash
# Builds a tiny local image from Debian's busybox-static, with no registry:
#   images/build-busybox-image.sh [NAME]   (default: localhost/mino-busybox:latest)
# Run it as the user whose rootless podman should have the image.
set -euo pipefail
name=${1:-localhost/mino-busybox:latest}
bb=/bin/busybox
[ -x "$bb" ] || { echo "build-busybox-image: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
# Bump rev when the image's contents change: an older image is rebuilt.
rev=2    # 2: the root directory is 0755 (mktemp -d made it 0700)
if podman image exists "$name"; then
	have=$(podman image inspect --format '{{index .Config.Labels "dev.mino.busybox.rev"}}' "$name" 2>/dev/null || true)
	if [ "$have" = "$rev" ]; then echo "build-busybox-image: $name exists"; exit 0; fi
	echo "build-busybox-image: $name is an older build (rev '${have:-1}'): rebuilding it"
fi
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"    # users' images have a 0755 root; non-root container users need it
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,workspace,home/developer}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for app in $("$bb" --list); do
	[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done
ln -sf ../bin/busybox "$root/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\ndeveloper:x:1000:1000::/home/developer:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ndeveloper:x:1000:\n' >"$root/etc/group"
tar -C "$root" -cf - . | podman import --change 'CMD ["/bin/sh"]' --change "LABEL dev.mino.busybox.rev=$rev" --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' - "$name" >/dev/null
echo "build-busybox-image: built $name"
