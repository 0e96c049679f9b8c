#!/bin/sh
# Builds certkeep(1): the hand-written page with its COMMANDS section
# generated from the binary's command table (certkeep help roff), its
# CONFIGURATION and EXIT MODULE keys from the key table (certkeep help
# roff-config, roff-exitreg) and its EVENTS from the event catalogue
# (certkeep help roff-events).
# usage: mkman.sh BINARY TEMPLATE > certkeep.1
set -eu
bin=$1
tmpl=$2
commands=$(mktemp)
exitreg=$(mktemp)
events=$(mktemp)
config=$(mktemp)
trap 'rm -f "$commands" "$exitreg" "$events" "$config"' EXIT
"$bin" help roff > "$commands"
"$bin" help roff-exitreg > "$exitreg"
"$bin" help roff-events > "$events"
"$bin" help roff-config > "$config"
awk -v f="$commands" -v x="$exitreg" -v e="$events" -v k="$config" '
	$0 == "@COMMANDS@" { while ((getline line < f) > 0) print line; next }
	$0 == "@EXITKEYS@" { while ((getline line < x) > 0) print line; next }
	$0 == "@EVENTS@" { while ((getline line < e) > 0) print line; next }
	$0 == "@CONFIGKEYS@" { while ((getline line < k) > 0) print line; next }
	{ print }
' "$tmpl"
