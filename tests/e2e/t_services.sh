# shellcheck shell=bash
# enable / disable: services on a certificate (DESIGN.md §3, event 1020).

enable_adds() {
	local t
	must ck new --domain w.example.com --services IIS --json
	t=$(json_get .Thumbprint)
	must ck enable "$t" --services SMTP --json
	assert_json .Services "...WS"
	assert_json .OldServices "...W."
	assert_json .Changed true
	must ck show "$t" --json
	assert_json .Services "...WS"
	# Enabling what is there (and re-listing IIS) removes nothing.
	must ck enable "$t" --services IMAP,https --json
	assert_json .Services "I..WS"
	must ck list --service SMTP --json
	assert_json 'map(.Thumbprint) | tojson' "[\"$t\"]"
}
tcase "enable: adds services and never removes one (IIS kept when enabling SMTP)" enable_adds

enable_no_change() {
	local t n
	must ck new --domain w.example.com --services IIS,SMTP --json
	t=$(json_get .Thumbprint)
	n=$(event_count 1020)
	must ck enable "$t" --services SMTP --json
	assert_json .Changed false
	assert_json .Services "...WS"
	assert_eq "$n" "$(event_count 1020)" "1020 events after a no-op enable"
}
tcase "enable: already enabled is no change and no event" enable_no_change

disable_removes() {
	local t
	must ck new --domain w.example.com --services IIS,SMTP,POP --json
	t=$(json_get .Thumbprint)
	must ck disable "$t" --services IIS,POP --json
	assert_json .Services "....S"
	assert_json .OldServices ".P.WS"
	must ck show "$t" --json
	assert_json .Services "....S"
	must ck list --service IIS --json
	assert_json 'length' 0
}
tcase "disable: removes the given services only" disable_removes

services_event() {
	local t
	must ck new --domain w.example.com --services IIS --json
	t=$(json_get .Thumbprint)
	must ck enable "$t" --services SMTP
	must ck disable "$t" --services IIS
	must ck events --json --id 1020
	assert_json 'length' 2
	assert_json '.[0].Fields.Thumbprint' "$t"
	assert_json '.[0].Fields.OldServices' "...W."
	assert_json '.[0].Fields.NewServices' "...WS"
	assert_json '.[1].Fields.NewServices' "....S"
}
tcase "enable/disable: event 1020 with old and new services" services_event

enable_no_key() {
	local t
	use_store populated
	t=$(thumb_of p.example.org)
	snapshot before
	expect_exit 1 ck enable "$t" --services SMTP
	assert_err_one_line
	assert_err_contains "private key"
	assert_out_empty
	assert_unchanged before
}
tcase "enable: a certificate without a private key is refused, nothing changes" enable_no_key

enable_usage() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	expect_exit 2 ck enable "$t"
	assert_err_contains "--services"
	expect_exit 2 ck enable "$t" --services SMTP,FAX
	assert_err_one_line
	assert_err_contains "FAX"
	assert_unchanged before
}
tcase "enable: without --services exit 2; an unknown service exit 2; nothing changes" enable_usage
