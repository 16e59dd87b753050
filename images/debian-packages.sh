# shellcheck shell=bash
# Sourced by images/quickstart.sh and tests/run-all.
# debian_packages GROUP...: prints the package names of those groups of
# images/debian-packages.txt, one per line (see that file for the format).
debian_packages() {
	local list
	list="$(dirname "${BASH_SOURCE[0]}")/debian-packages.txt"
	awk -v want=" $* " '
		{ sub(/#.*/, ""); gsub(/[ \t]+$/, "") }
		/^\[[a-z]+\]$/ { group = substr($0, 2, length($0) - 2); next }
		NF == 1 && index(want, " " group " ") { print $1 }
		NF > 1 { printf "debian-packages.txt:%d: one package per line\n", NR > "/dev/stderr"; exit 1 }
	' "$list"
}
