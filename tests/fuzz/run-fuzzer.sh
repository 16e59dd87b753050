#!/bin/sh
# run-fuzzer.sh FUZZER SEED_DIR ARTIFACT_PREFIX [libFuzzer args...]
# Runs a libFuzzer binary over a scratch copy of its seed corpus, so the
# source tree is never written to.  Crashes land at ARTIFACT_PREFIX*.
set -eu
fuzzer=$1 seeds=$2 prefix=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' 0 1 2 15
"$fuzzer" -artifact_prefix="$prefix" "$@" "$work" "$seeds"
