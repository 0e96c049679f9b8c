#!/bin/sh
# Builds certkeep(1): the hand-written page with its COMMANDS section
# generated from the binary's command table (certkeep help roff).
# usage: mkman.sh BINARY TEMPLATE > certkeep.1
set -eu
bin=$1
tmpl=$2
commands=$(mktemp)
trap 'rm -f "$commands"' EXIT
"$bin" help roff > "$commands"
awk -v f="$commands" '
	$0 == "@COMMANDS@" { while ((getline line < f) > 0) print line; next }
	{ print }
' "$tmpl"
