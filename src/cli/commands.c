/*
 * commands.c - the command table: every command and sub-command with its
 * handler, argument counts, flags, options and help (DESIGN.md §10);
 * --help and the man page's COMMANDS section are printed from it
 * (cli/help.c). Also the help command, which shows it.
 *
 * A group ("ca") is a row without a handler; its sub-commands are rows of
 * their own ("ca submit"), each with only the options it reads, so the
 * dispatcher refuses an option of a sibling instead of ignoring it.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"

static const struct opt_spec no_opts[] = { { 0 } };

static const struct opt_spec remove_opts[] = {
	{ "--force", OPT_FLAG, NULL, "remove it even if a binding or a connector uses it" },
	{ 0 },
};

/* ---- certificates ---- */

static const struct opt_spec init_opts[] = {
	{ "--hostname", OPT_VALUE, "NAME", "short host name (CN); default: this host's, or the first label of --fqdn" },
	{ "--fqdn", OPT_VALUE, "FQDN", "fully qualified name (SAN); default: NAME in this host's domain" },
	{ "--days", OPT_VALUE, "N", "validity in days (default 1826, five years)" },
	{ "--key", OPT_VALUE, "TYPE", "ec:P-256 (default), ec:P-384, ec:P-521, rsa:BITS (2048 to 16384)" },
	{ "--services", OPT_VALUE, "LIST", "services (default IMAP,POP,IIS,SMTP)" },
	{ "--force", OPT_FLAG, NULL, "make another host certificate even if one exists" },
	{ 0 },
};

static const struct opt_spec list_opts[] = {
	{ "--domain", OPT_VALUE, "NAME", "only certificates whose CertificateDomains cover NAME" },
	{ "--thumbprint", OPT_VALUE, "T", "only thumbprints starting with T" },
	{ "--service", OPT_VALUE, "S", "only certificates enabled for S (a LIST: all of them)" },
	{ 0 },
};

static const struct opt_spec new_opts[] = {
	{ "--domain", OPT_MULTI, "NAME", "a domain name; repeat or comma-separate; first is the CN" },
	{ "--services", OPT_VALUE, "LIST", "services (default IMAP,POP,SMTP)" },
	{ "--days", OPT_VALUE, "N", "validity in days (default 1826)" },
	{ "--key", OPT_VALUE, "TYPE", "ec:P-256 (default), ec:P-384, ec:P-521, rsa:BITS (2048 to 16384)" },
	{ "--friendly-name", OPT_VALUE, "TEXT", "a label shown by show (one line of UTF-8 text)" },
	{ "--request-out", OPT_VALUE, "FILE", "write a PKCS#10 request instead; the key stays in the store" },
	{ 0 },
};

static const struct opt_spec import_opts[] = {
	{ "--cert", OPT_VALUE, "FILE", "certificate, PEM or DER ('-' for stdin)" },
	{ "--key", OPT_VALUE, "FILE", "its private key, PEM or DER (unencrypted)" },
	{ "--chain", OPT_VALUE, "FILE", "intermediate certificates, PEM: the leaf's issuer first, each then issued by the next" },
	{ "--pkcs12", OPT_VALUE, "FILE", "a PKCS#12 (.pfx/.p12) file instead of --cert/--key" },
	{ "--password-stdin", OPT_FLAG, NULL, "read the PKCS#12 password from stdin's first line" },
	{ "--services", OPT_VALUE, "LIST", "enable these services" },
	{ "--friendly-name", OPT_VALUE, "TEXT", "a label shown by show (one line of UTF-8 text)" },
	{ 0 },
};

static const struct opt_spec export_opts[] = {
	{ "--out", OPT_VALUE, "FILE", "write to FILE (atomically; a device or FIFO in place) instead of stdout" },
	{ "--with-key", OPT_FLAG, NULL, "include the private key (needs --out; file mode 0600)" },
	{ "--pkcs12", OPT_FLAG, NULL, "write PKCS#12 with the key (needs --out and a password)" },
	{ "--password-stdin", OPT_FLAG, NULL, "read the PKCS#12 password from stdin's first line" },
	{ 0 },
};

static const struct opt_spec services_opts[] = {
	{ "--services", OPT_VALUE, "LIST", "IMAP, POP, UM, IIS (or HTTPS), SMTP, comma-separated" },
	{ 0 },
};

static const struct opt_spec clone_opts[] = {
	{ "--days", OPT_VALUE, "N", "validity of the new certificate (default: as the old one)" },
	{ 0 },
};

static const struct opt_spec events_opts[] = {
	{ "--id", OPT_VALUE, "N", "only events with this id" },
	{ "--since", OPT_VALUE, "TIME", "only events at or after TIME (RFC 3339 or YYYY-MM-DD)" },
	{ "--limit", OPT_VALUE, "N", "only the newest N events (still printed oldest first)" },
	{ 0 },
};

/* ---- endpoints and trust ---- */

static const struct opt_spec connector_add_opts[] = {
	{ "--type", OPT_VALUE, "receive|send", "the connector's direction" },
	{ "--fqdn", OPT_VALUE, "FQDN", "the name it answers EHLO with; default: the host's FQDN" },
	{ "--tls", OPT_VALUE, "on|off", "whether it offers STARTTLS (default on)" },
	{ "--service-account", OPT_VALUE, "USER", "the account that must read the key" },
	{ 0 },
};

static const struct opt_spec select_opts[] = {
	{ "--fqdn", OPT_VALUE, "NAME", "the name to serve (a connector's FQDN, a site's host)" },
	{ "--service", OPT_VALUE, "S", "one service: SMTP, IIS (HTTPS), IMAP, POP, UM" },
	{ "--explain", OPT_FLAG, NULL, "every candidate with the rule that made it win or lose" },
	{ "--at", OPT_VALUE, "TIME", "as if it were TIME (RFC 3339): what-if for expiry" },
	{ "--service-account", OPT_VALUE, "USER", "also require the key to be readable by USER" },
	{ 0 },
};

static const struct opt_spec diagnose_opts[] = {
	{ "--at", OPT_VALUE, "TIME", "as if it were TIME (RFC 3339)" },
	{ 0 },
};

static const struct opt_spec trust_names_opts[] = {
	{ "--hostname", OPT_VALUE, "NAME", "set DnsHostName" },
	{ "--fqdn", OPT_VALUE, "FQDN", "set DnsFullyQualifiedDomainName" },
	{ "--cluster-fqdn", OPT_VALUE, "FQDN", "the load-balanced name, '' for none" },
	{ 0 },
};

static const struct opt_spec trust_verify_opts[] = {
	{ "--server", OPT_VALUE, "NAME", "the peer server's FQDN" },
	{ "--cert", OPT_VALUE, "FILE", "the peer's certificate, PEM or DER" },
	{ 0 },
};

static const struct opt_spec trust_check_opts[] = {
	{ "--trace", OPT_FLAG, NULL, "print each step of the selection, per component" },
	{ "--service-account", OPT_VALUE, "USER", "the account that must read the key" },
	{ 0 },
};

static const struct opt_spec probe_opts[] = {
	{ "--fqdn", OPT_VALUE, "NAME", "the name the endpoint must serve (smtp://)" },
	{ "--sni", OPT_VALUE, "NAME", "the server name to ask for (https://)" },
	{ "--timeout", OPT_VALUE, "SECS", "per step (default 10)" },
	{ 0 },
};

/* ---- bindings, lifecycle, tasks ---- */

static const struct opt_spec bind_add_opts[] = {
	{ "--endpoint", OPT_VALUE, "HOST:PORT", "where the site listens" },
	{ "--service", OPT_VALUE, "S", "the service: IIS (HTTPS), SMTP, IMAP, POP, UM" },
	{ "--thumbprint", OPT_VALUE, "T", "the certificate" },
	{ "--force", OPT_FLAG, NULL, "bind it even if T is not enabled for the service" },
	{ "--cert-file", OPT_VALUE, "PATH", "certificate (and chain, without --chain-file)" },
	{ "--chain-file", OPT_VALUE, "PATH", "intermediate certificates" },
	{ "--key-file", OPT_VALUE, "PATH", "private key" },
	{ "--combined-file", OPT_VALUE, "PATH", "certificate, chain and key in one file" },
	{ "--owner", OPT_VALUE, "USER", "owner of the files" },
	{ "--group", OPT_VALUE, "GROUP", "group of the files" },
	{ "--mode", OPT_VALUE, "MODE", "mode of key and combined files, octal (default 0600)" },
	{ "--check", OPT_VALUE, "CMD", "run after writing, before reloading; on failure the previous files are put back" },
	{ "--reload", OPT_VALUE, "CMD", "run through /bin/sh -c after deploying" },
	{ 0 },
};

static const struct opt_spec rebind_opts[] = {
	{ "--old", OPT_VALUE, "T1", "the certificate the bindings are on" },
	{ "--new", OPT_VALUE, "T2", "the certificate to move them to" },
	{ "--force", OPT_FLAG, NULL, "move them even if T2 is not enabled for a binding's service" },
	{ 0 },
};

static const struct opt_spec monitor_opts[] = {
	{ "--once", OPT_FLAG, NULL, "one pass (for a systemd timer or cron); the default for now" },
	{ "--at", OPT_VALUE, "TIME", "what would be done at TIME (RFC 3339); records nothing" },
	{ "--apply", OPT_FLAG, NULL, "with --at: do what is due at TIME now (a drill, or catching up)" },
	{ 0 },
};

static const struct opt_spec autorenew_opts[] = {
	{ "--renew-days", OPT_VALUE, "N", "renew N days before expiry; 0: in the last third of life (default)" },
	{ 0 },
};

static const struct opt_spec daemon_opts[] = {
	{ "--interval", OPT_VALUE, "SECS", "seconds between passes (default 3600)" },
	{ 0 },
};

static const struct opt_spec task_add_opts[] = {
	{ "--on", OPT_VALUE, "EVENT_ID", "the event that runs it" },
	{ "--run", OPT_VALUE, "CMD", "the command, run with /bin/sh -c" },
	{ "--timeout", OPT_VALUE, "SECS", "time limit of a run (default 300)" },
	{ 0 },
};

/* ---- the certificate authority and its exit module ---- */

static const struct opt_spec ca_init_opts[] = {
	{ "--name", OPT_VALUE, "CN", "the CA's name, its certificate's CN (one line of UTF-8 text)" },
	{ "--days", OPT_VALUE, "N", "validity of the CA (default 3650)" },
	{ "--key", OPT_VALUE, "TYPE", "the CA key: ec:P-256 (default), ec:P-384, ec:P-521, rsa:BITS" },
	{ "--request-out", OPT_VALUE, "FILE", "make a request for a parent CA instead of a self-signed CA" },
	{ 0 },
};

static const struct opt_spec ca_policy_opts[] = {
	{ "--allow-suffix", OPT_VALUE, "LIST", "allowed domain suffixes, comma-separated, or 'any'" },
	{ "--key-types", OPT_VALUE, "LIST", "allowed keys: ec:P-256, ec:P-384, rsa, rsa:BITS" },
	{ "--max-days", OPT_VALUE, "N", "longest validity issued; longer requests are capped (default 825)" },
	{ "--default", OPT_VALUE, "issue|pending", "the disposition of an acceptable request (default issue)" },
	{ "--crl-url", OPT_VALUE, "URL", "CRL distribution point put into issued certificates, '' for none" },
	{ "--crl-path", OPT_VALUE, "FILE", "where 'ca crl' publishes without --out, '' for none" },
	{ "--crl-hours", OPT_VALUE, "N", "default CRL validity in hours" },
	{ 0 },
};

static const struct opt_spec ca_submit_opts[] = {
	{ "--requester", OPT_VALUE, "NAME", "RequesterName of the request (default: the user; one line of UTF-8 text)" },
	{ "--email", OPT_VALUE, "ADDR", "RequesterEmail: where the exit module mails the result" },
	{ "--days", OPT_VALUE, "N", "validity of the certificates (default 365, capped by the policy)" },
	{ "--out", OPT_VALUE, "FILE", "write the certificates to FILE (atomically; a device or FIFO in place) instead of stdout" },
	{ 0 },
};

static const struct opt_spec ca_pending_opts[] = {
	{ "--limit", OPT_VALUE, "N", "at most N rows" },
	{ 0 },
};

static const struct opt_spec ca_deny_opts[] = {
	{ "--reason", OPT_VALUE, "TEXT", "why (one line of UTF-8 text)" },
	{ 0 },
};

static const struct opt_spec ca_list_opts[] = {
	{ "--issued", OPT_FLAG, NULL, "only issued certificates" },
	{ "--revoked", OPT_FLAG, NULL, "only revoked certificates" },
	{ "--pending", OPT_FLAG, NULL, "only pending requests" },
	{ "--denied", OPT_FLAG, NULL, "only denied requests" },
	{ "--limit", OPT_VALUE, "N", "at most N rows" },
	{ 0 },
};

static const struct opt_spec ca_get_opts[] = {
	{ "--out", OPT_VALUE, "FILE", "write the certificate to FILE (atomically; a device or FIFO in place) instead of stdout" },
	{ 0 },
};

static const struct opt_spec ca_cert_opts[] = {
	{ "--out", OPT_VALUE, "FILE", "write the certificate to FILE (atomically; a device or FIFO in place) instead of stdout" },
	{ "--der", OPT_FLAG, NULL, "DER instead of PEM" },
	{ "--chain", OPT_FLAG, NULL, "add the CA's parent chain (none is recorded by ca install yet)" },
	{ 0 },
};

static const struct opt_spec ca_revoke_opts[] = {
	{ "--reason", OPT_VALUE, "R", "unspecified (default), keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise" },
	{ 0 },
};

static const struct opt_spec ca_crl_opts[] = {
	{ "--out", OPT_VALUE, "FILE", "write the CRL to FILE (atomically; a device or FIFO in place) instead of ca.crl_path or stdout" },
	{ "--next-update", OPT_VALUE, "HOURS", "the CRL's nextUpdate from now (default ca.crl_hours, 168)" },
	{ 0 },
};

static const struct opt_spec ca_setsmtpinfo_opts[] = {
	{ "--password-stdin", OPT_FLAG, NULL, "read the SMTP password from stdin's first line" },
	{ 0 },
};

static const struct opt_spec mail_list_opts[] = {
	{ "--failed", OPT_FLAG, NULL, "only mails that reached the retry limit or could not be made" },
	{ 0 },
};

static const struct opt_spec mail_retry_opts[] = {
	{ "--all", OPT_FLAG, NULL, "every failed mail" },
	{ 0 },
};

static const struct cmd_spec cli_commands[] = {
	{ .name = "init", .run = cmd_init, .flags = CMD_CREATE, .opts = init_opts,
	  .summary = "make the host's self-signed certificate",
	  .details = "Creates the store if needed and makes the host's self-signed certificate: CN "
		     "is the short host name, the subject alternative names are the short name and "
		     "the FQDN, enabled for IMAP, POP, IIS and SMTP, valid five years. Event 1006." },
	{ .name = "list", .run = cmd_list, .flags = CMD_STORE, .opts = list_opts,
	  .summary = "list certificates, newest first",
	  .details = "Lists certificates, newest NotBefore first, then pending requests (when no "
		     "--domain or --service filter is given). --domain NAME matches a "
		     "CertificateDomain equal to NAME or a wildcard covering it." },
	{ .name = "show", .run = cmd_show, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = no_opts,
	  .summary = "show every property of one certificate",
	  .details = "Shows every property of a certificate or pending request. THUMBPRINT is the "
		     "SHA-1 thumbprint in any case, or a unique prefix of at least 8 hex digits." },
	{ .name = "new", .run = cmd_new, .flags = CMD_CREATE, .opts = new_opts,
	  .summary = "make a self-signed certificate, or a request",
	  .details = "Makes a self-signed certificate for the given domains, or with --request-out "
		     "a PKCS#10 request whose private key stays in the store; 'import' of the issued "
		     "certificate joins it to that key. Event 1006 (1021 for a request)." },
	{ .name = "import", .run = cmd_import, .flags = CMD_CREATE, .opts = import_opts,
	  .summary = "import a certificate (PEM, DER or PKCS#12)",
	  .details = "Imports a certificate with its key (--cert and --key, or --pkcs12). A "
		     "certificate issued for a pending request is joined to the request's key. "
		     "--chain lists the leaf's issuer, then that certificate's issuer, and so on (a "
		     "root last, or none): each must have issued the one before it (names, key "
		     "identifiers, keyUsage, a CA certificate, the signature; dates are not "
		     "checked), and the message names the first that does not. Nothing is changed "
		     "unless every input is valid and the key matches. Event 1006." },
	{ .name = "export", .run = cmd_export, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = export_opts,
	  .summary = "export a certificate (PEM, or PKCS#12 with its key)",
	  .details = "Writes the certificate (and chain) as PEM to stdout or --out. A private key "
		     "is only ever written to a file (mode 0600), never printed. Event 1007." },
	{ .name = "enable", .run = cmd_enable, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = services_opts,
	  .summary = "enable services on a certificate (never removes any)",
	  .details = "Adds services; those already enabled stay. Event 1020 when something "
		     "changed." },
	{ .name = "disable", .run = cmd_disable, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = services_opts,
	  .summary = "disable services on a certificate",
	  .details = "Removes the given services. Event 1020 when something changed." },
	{ .name = "clone", .run = cmd_clone, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = clone_opts,
	  .summary = "renew a self-signed certificate (or one the built-in CA issued)",
	  .details = "Makes a new self-signed certificate with the same subject, subject "
		     "alternative names, services and key type (an RSA key under 2048 bits becomes "
		     "rsa:2048), a new key and a new validity. The old one is kept, marked as "
		     "replaced. Events 1006 and 1001 (old and new thumbprints). A certificate issued "
		     "by this store's CA ('ca') is renewed through the CA instead: a new key, the "
		     "same names and services, the old validity length capped by the CA's policy "
		     "(event 1101 too)." },
	{ .name = "remove", .run = cmd_remove, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "THUMBPRINT", .opts = remove_opts,
	  .summary = "remove a certificate or pending request",
	  .details = "Removes the certificate and its private key (unless another certificate "
		     "uses the same key). Event 1004. A certificate in use is refused (exit 1, "
		     "naming what uses it, nothing changed): one a binding is on (bind list), or the "
		     "one a connector with TLS on selects now (select --service SMTP for its FQDN). "
		     "With --force it is removed anyway, and standard error names the bindings and "
		     "connectors it left without it." },
	{ .name = "events", .run = cmd_events, .flags = CMD_STORE, .opts = events_opts,
	  .summary = "list events",
	  .details = "Lists the event log, oldest first: sequence number, time, id, level and "
		     "message; --json adds every field. --limit N keeps the newest N of the events "
		     "the other options let through (as journalctl -n does), still printed oldest "
		     "first." },

	{ .name = "connector", .summary = "manage the TLS endpoints (connectors) to check",
	  .details = "A connector is a TLS endpoint of the mail server. Its FQDN (the host's when "
		     "none is given) is the name a certificate must hold; SMTP is the service it "
		     "must be enabled for; its service account must be able to read the key." },
	{ .name = "connector add", .run = cmd_connector_add, .min_args = 1, .max_args = 1,
	  .flags = CMD_STORE, .args = "NAME", .opts = connector_add_opts,
	  .summary = "add a connector",
	  .details = "Adds the connector NAME: its direction, the FQDN it answers EHLO with, "
		     "whether it offers STARTTLS and the account that must read the key. Event "
		     "1030." },
	{ .name = "connector list", .run = cmd_connector_list, .flags = CMD_STORE, .opts = no_opts,
	  .summary = "list the connectors",
	  .details = "Lists each connector: its name, direction, TLS, service account and FQDN "
		     "(marked (host) when it is the host's)." },
	{ .name = "connector remove", .run = cmd_connector_remove, .min_args = 1, .max_args = 1,
	  .flags = CMD_STORE, .args = "NAME", .opts = no_opts,
	  .summary = "remove a connector",
	  .details = "Removes the connector NAME. Event 1031." },
	{ .name = "select", .run = cmd_select, .flags = CMD_STORE, .opts = select_opts,
	  .summary = "which certificate an endpoint uses, and why",
	  .details = "Prints the certificate a TLS endpoint for NAME and service S uses: "
		     "candidates hold the name (exact, or a wildcard as the whole left-most label "
		     "covering one label); eligible ones have a private key, the service enabled, a "
		     "key readable by the account and are already valid; the newest (NotBefore) "
		     "Valid CA-issued one wins, else the newest self-signed one, else the newest "
		     "CA-issued one; an expired choice is still used. --explain shows why each other "
		     "one lost. Exit status 3 when there is none." },
	{ .name = "diagnose", .run = cmd_diagnose, .flags = CMD_STORE, .opts = diagnose_opts,
	  .summary = "check every TLS connector; events 12014, 12016",
	  .details = "Runs the selection for SMTP on every connector with TLS on and records event "
		     "12014 when no certificate holds its FQDN (or none is enabled for SMTP), naming "
		     "the FQDN, the connector and both fixes, and 12016 when the certificate used has "
		     "expired. Exit status 3 when it found problems, 0 when clean." },

	{ .name = "trust", .summary = "direct trust of the internal transport certificate",
	  .details = "Direct trust between the host and its peers: each server publishes its "
		     "transport certificate in the directory, and a peer's certificate is accepted "
		     "exactly when it is the one published for that server." },
	{ .name = "trust names", .run = cmd_trust_names, .flags = CMD_STORE,
	  .opts = trust_names_opts,
	  .summary = "show or set the host's names",
	  .details = "Shows (or sets) the host's names: DnsHostName and "
		     "DnsFullyQualifiedDomainName from init, the physical ones from the system, and "
		     "an optional cluster FQDN. Event 1041 when they change." },
	{ .name = "trust publish", .run = cmd_trust_publish, .max_args = 1, .flags = CMD_STORE,
	  .args = "[THUMBPRINT]", .opts = no_opts,
	  .summary = "publish this host's transport certificate",
	  .details = "Records this host's transport certificate in the directory: the designated "
		     "one when a THUMBPRINT is given, else the newest valid self-signed one enabled "
		     "for SMTP that holds the FQDN. Event 1040." },
	{ .name = "trust verify", .run = cmd_trust_verify, .flags = CMD_STORE,
	  .opts = trust_verify_opts,
	  .summary = "whether a peer's certificate is trusted",
	  .details = "Accepts a peer's certificate exactly when it is the one published for that "
		     "server, self-signed or not (exit status 3 otherwise)." },
	{ .name = "trust anchor", .summary = "CA certificates trusted besides the system's",
	  .details = "Trust anchors of the store: the system's trust store, the store's own CA "
		     "certificate and the CA certificates added here. Status, HasChain and "
		     "selection verify against all of them." },
	{ .name = "trust anchor add", .run = cmd_trust_anchor_add, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "FILE", .opts = no_opts,
	  .summary = "trust one or more CA certificates",
	  .details = "Adds the CA certificates of FILE (PEM, one or more; or DER) as trust "
		     "anchors. Each must be a CA certificate (basicConstraints CA:TRUE): one that "
		     "is not refuses the whole file and nothing is added." },
	{ .name = "trust anchor remove", .run = cmd_trust_anchor_remove, .min_args = 1,
	  .max_args = 1, .flags = CMD_STORE, .args = "THUMBPRINT", .opts = no_opts,
	  .summary = "stop trusting an added anchor",
	  .details = "Removes the added anchor with that thumbprint (40 hex digits)." },
	{ .name = "trust anchor list", .run = cmd_trust_anchor_list, .flags = CMD_STORE,
	  .opts = no_opts,
	  .summary = "list the added anchors",
	  .details = "Shows each added anchor: thumbprint, NotAfter and subject." },
	{ .name = "trust check", .run = cmd_trust_check, .flags = CMD_STORE,
	  .opts = trust_check_opts,
	  .summary = "find what breaks direct trust; events 1037, 2019",
	  .details = "Records event 1037 (and 2019 with a send connector) for each cause: SMTP "
		     "not enabled, key not readable by the account, a host name missing, the "
		     "cluster FQDN in the certificate, several self-signed certificates, a published "
		     "certificate that is not the one in use; exit status 3 when it found any." },
	{ .name = "probe", .run = cmd_probe, .min_args = 1, .max_args = 1, .flags = CMD_STORE,
	  .args = "smtp://HOST[:PORT] | https://HOST[:PORT]", .opts = probe_opts,
	  .summary = "the certificate a live server serves",
	  .details = "Connects to a live server (SMTP: EHLO with the host's FQDN, then STARTTLS; "
		     "HTTPS: TLS with SNI), without verifying it, and reports the certificate it "
		     "serves: its properties and Status, whether it holds NAME, whether it is in the "
		     "store, and whether it is the one 'select' chooses for NAME (SMTP or IIS). Exit "
		     "status 3 when it is not, 4 when the server cannot be reached or says to try "
		     "later." },

	{ .name = "bind", .summary = "bind a site to a certificate and deploy its files",
	  .details = "A binding ties a site's endpoint to a certificate and to the files its "
		     "server reads; certkeep deploys them and runs the site's reload command." },
	{ .name = "bind add", .run = cmd_bind_add, .min_args = 1, .max_args = 1,
	  .flags = CMD_STORE, .args = "SITE", .opts = bind_add_opts,
	  .summary = "bind a site and deploy its files",
	  .details = "Ties a site's endpoint to a certificate and to the files its server reads, "
		     "deploys them at once and runs the reload command; event 1050. The certificate "
		     "must be enabled for --service (IIS and HTTPS are one), or bind add is refused "
		     "(exit 1, with the certkeep enable command that fixes it) unless --force. The key is "
		     "checked against the certificate first. The files are written, with their "
		     "owner, group and mode from the start, into a new directory "
		     ".certkeep+SITE+<id> beside the certificate file; each path given becomes a "
		     "symbolic link through .certkeep+SITE, and one rename of that link switches all "
		     "of them at once, so a server never reads a certificate with the other key. The "
		     "check command (e.g. 'nginx -t') runs after the switch; if it fails, the "
		     "previous files are put back and nothing is reloaded. A reload that fails stays "
		     "owed and is retried by the next monitor pass. The directory of each path, and "
		     "every directory above it, must be owned by root or the --owner and writable by "
		     "no other account (a sticky parent such as /tmp is fine; the directory itself "
		     "must not be group- or world-writable), or deploying there (add, rebind, "
		     "autorebind) is refused with the fix; certkeep never follows a link there that "
		     "it did not make. A path must be plain and absolute, not under /dev, /proc or "
		     "/sys, and, if it exists, a regular file or a link certkeep made." },
	{ .name = "bind list", .run = cmd_bind_list, .flags = CMD_STORE, .opts = no_opts,
	  .summary = "list the bindings",
	  .details = "Shows each binding and whether the files on disk still hold its "
		     "certificate." },
	{ .name = "bind remove", .run = cmd_bind_remove, .min_args = 1, .max_args = 1,
	  .flags = CMD_STORE, .args = "SITE", .opts = no_opts,
	  .summary = "forget a binding",
	  .details = "Forgets the binding of SITE (event 1051); its files stay." },
	{ .name = "rebind", .run = cmd_rebind, .flags = CMD_STORE, .opts = rebind_opts,
	  .summary = "move every binding from one certificate to another",
	  .details = "Moves every binding on T1, and on any certificate T1 replaced (A->B->C moves "
		     "A's and B's), to T2: deploys, records event 1052 per binding, then runs each "
		     "distinct reload command once. A failed deployment or reload is event 1053 and "
		     "exit status 1; a retry that fails the same way (same binding, certificate and "
		     "error) is exit status 1 again but no new 1053. If T2 is not enabled for the "
		     "service of a binding to move, nothing moves (exit 1, with the certkeep enable "
		     "command that fixes it) unless --force." },
	{ .name = "autorebind", .run = cmd_autorebind, .min_args = 0, .max_args = 1,
	  .flags = CMD_STORE, .args = "[on|off]", .opts = no_opts,
	  .summary = "rebind automatically on renewal (event 1001)",
	  .details = "With autorebind on, every certificate replacement (event 1001: clone, "
		     "renewal) moves the bindings of the old certificate to the new one, as IIS's "
		     "automatic rebind of renewed certificates does. The reaction reads the event "
		     "log from its own cursor, so a crash delays it but never loses it; it runs "
		     "after each certkeep command. With no argument, shows whether it is on "
		     "(\"autorebind: on\"; --json: {\"Autorebind\": true})." },
	{ .name = "monitor", .run = cmd_monitor, .flags = CMD_STORE, .opts = monitor_opts,
	  .summary = "renew what is due, raise expiry notices (events 1003, 1002, 12015)",
	  .details = "One lifecycle pass. With autorenew on, each certificate inside its renewal "
		     "window is renewed (event 1001; see autorenew). Then the certificates that "
		     "expire within the largest threshold (config key monitor.thresholds, default "
		     "30,7,1 days; an index range, the rest of the store is not read) get event 1003 "
		     "when one is crossed (once per certificate and threshold; only the smallest of "
		     "several crossed at once), 1002 when a certificate has expired, 12015 when it is "
		     "the internal transport certificate. A certificate that a newer one replaced "
		     "gets none. Then reload commands still owed after a failure run again. Each "
		     "line (or --json array item) is printed once what it says is durable: renewals, "
		     "notices, bindings moved, reloads, in that order. Due certificates are read and "
		     "their notices committed 256 at a time, so memory stays flat however many are "
		     "due. --at TIME reports what would be done then and records nothing; with "
		     "--apply it does it now." },
	{ .name = "autorenew", .run = cmd_autorenew, .min_args = 0, .max_args = 1,
	  .flags = CMD_STORE, .args = "[on|off]", .opts = autorenew_opts,
	  .summary = "renew certificates automatically in their renewal window",
	  .details = "With autorenew on, each monitor pass renews every certificate with a private "
		     "key that no newer one replaced, once it is inside its renewal window: the last "
		     "third of its life, or the last N days with --renew-days N (but never in the "
		     "first half of its life, so a short-lived renewal is not renewed again at "
		     "once). Self-signed certificates are renewed by clone (new key, same names, "
		     "services and validity length; event 1001, which autorebind follows). A "
		     "certificate issued by an outside authority is reported as 'manual'. A failed "
		     "renewal is event 1070 and waits 1 h, 2 h, 4 h, ... up to a day before the next "
		     "attempt; at most renew.max_per_pass (default 50) renewals per pass. With no "
		     "argument, shows the setting (\"autorenew: on (renew-days 30)\"; --json: "
		     "Autorenew and RenewDays)." },
	{ .name = "daemon", .run = cmd_daemon, .flags = CMD_STORE, .opts = daemon_opts,
	  .summary = "run the monitor pass and the reactions every interval",
	  .details = "Runs the monitor pass, then the reactions (autorebind, tasks), the CA's CRL "
		     "when it is due (before its nextUpdate), then the mail sender (mail flush), "
		     "every --interval seconds. With a CA, it runs the CA service: it records "
		     "Startup (1106) when it starts and Shutdown (1107) when it stops, and in "
		     "between answers 'ca submit' on the store's socket ca/service.sock, four clients "
		     "at a time (a fifth is told it is busy and submits in-process; each has 10 s to "
		     "send its submission), so a submission waits neither for a pass nor for its own "
		     "process to open the store and start OpenSSL. A second daemon on the same store "
		     "is refused (exit 1). It delivers the mail once more before exiting. Runs until "
		     "SIGTERM or SIGINT (which end it after the current pass; exit status 0). SIGHUP "
		     "starts a pass at once. What each pass did is logged on stderr, one JSON line "
		     "per renewal, notice or reload; events also go to syslog. A failed pass is "
		     "logged and the next one retries. For systemd: certkeep.service." },

	{ .name = "task", .summary = "run commands on events",
	  .details = "A task runs a command on each future event with a given id. Tasks run after "
		     "each certkeep command, from a cursor: an event missed by a crash runs later, "
		     "once." },
	{ .name = "task add", .run = cmd_task_add, .flags = CMD_STORE, .opts = task_add_opts,
	  .summary = "run a command on each future event with an id",
	  .details = "Runs CMD through /bin/sh -c on each future event with that id, with the "
		     "event in its environment only (CERTKEEP_EVENT_ID, CERTKEEP_EVENT_SEQ, and one "
		     "variable per field: CERTKEEP_THUMBPRINT, CERTKEEP_OLD_THUMBPRINT, "
		     "CERTKEEP_NEW_THUMBPRINT, CERTKEEP_FQDN, ...), never in its text; with a time "
		     "limit. Each run is recorded (start, end, exit status, last output). Event "
		     "1060." },
	{ .name = "task list", .run = cmd_task_list, .flags = CMD_STORE, .opts = no_opts,
	  .summary = "list the tasks",
	  .details = "Lists each task: its number, the event id it runs on and its command." },
	{ .name = "task remove", .run = cmd_task_remove, .min_args = 1, .max_args = 1,
	  .flags = CMD_STORE, .args = "ID", .opts = no_opts,
	  .summary = "remove a task",
	  .details = "Removes task ID. Event 1061." },
	{ .name = "task runs", .run = cmd_task_runs, .flags = CMD_STORE, .opts = no_opts,
	  .summary = "the last runs of the tasks",
	  .details = "Shows the last 100 runs: the task, the event that ran it, when it started and "
		     "its exit status (or that it has not finished); --json adds its last output." },

	{ .name = "ca", .summary = "the built-in certificate authority and its exit module",
	  .details = "The built-in certificate authority: it issues certificates for requests "
		     "under its policy, keeps them with their requests, revokes them and signs "
		     "CRLs; its exit module mails what happened. Mail is off until SMTPServer is set "
		     "and EventFilter names an event; see EXIT MODULE in certkeep(1)." },
	{ .name = "ca init", .run = cmd_ca_init, .flags = CMD_CREATE, .opts = ca_init_opts,
	  .summary = "make the CA (or its request for a parent CA)",
	  .details = "Makes the CA key (ca/ca.key, 0600) and a self-signed CA certificate "
		     "(CA:TRUE, keyCertSign and cRLSign), or with --request-out a request for a "
		     "parent CA, completed by 'ca install CERT'. Event 1110." },
	{ .name = "ca install", .run = cmd_ca_install, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "CERT", .opts = no_opts,
	  .summary = "install the CA certificate a parent CA issued",
	  .details = "Installs CERT, the certificate a parent CA issued for the request of 'ca "
		     "init --request-out'. Event 1108." },
	{ .name = "ca show", .run = cmd_ca_show, .flags = CMD_CREATE, .opts = no_opts,
	  .summary = "show the CA",
	  .details = "Shows the CA: its name, subject, serial, validity, SHA-1 thumbprint, key "
		     "type and the number of the last CRL." },
	{ .name = "ca policy", .run = cmd_ca_policy, .flags = CMD_CREATE, .opts = ca_policy_opts,
	  .summary = "show or set what the CA issues",
	  .details = "Shows or sets what is issued: allowed domain suffixes, key types (RSA of "
		     "2048 bits or more with exponent 65537, EC P-256 or P-384 always), the longest "
		     "validity and the default disposition; config keys ca.policy.allowed_suffixes, "
		     "ca.policy.key_types, ca.policy.max_days, ca.policy.default_disposition, "
		     "ca.crl_url, ca.crl_path, ca.crl_hours." },
	{ .name = "ca submit", .run = cmd_ca_submit, .min_args = 1, .max_args = CMD_ANY_ARGS,
	  .flags = CMD_CREATE, .args = "CSR...", .opts = ca_submit_opts,
	  .before_store = cmd_ca_submit_to_service,
	  .summary = "submit requests: issued, or left pending",
	  .details = "Checks each request (PEM or DER): its signature (RSA PKCS#1 v1.5 or ECDSA "
		     "over SHA-256, SHA-384 or SHA-512), its names (DNS names only, valid, A-labels "
		     "valid IDNA2008, under an allowed suffix), its key. Input that is not a request (not a CSR, a bad signature) is refused with "
		     "nothing recorded, and refuses the whole call. A request the policy refuses (a "
		     "name outside the allowed suffixes, a key type not allowed, a weak key ...) is "
		     "recorded as denied with the reason as its DispositionMessage (event 1103, "
		     "mailed to its requester like the other request events), reported as 'Request "
		     "N: Denied (reason)', and the call exits 1; the other requests of the call are "
		     "still issued or left pending, as AD CS does. Otherwise a request is issued (event 1101; the certificate to stdout "
		     "as PEM or to --out) or left pending (1102). Many files in one call are issued "
		     "in transactions of 2500. While a daemon runs on the store, submit reads its "
		     "files and hands them to the daemon's CA service, which does the same checks "
		     "and writes and answers with the same results; without a daemon (or with the "
		     "socket of one that was killed, or busy, or for more than 16 MiB) submit does it "
		     "all in its own process. If the daemon ends during a submission it was handed, "
		     "submit exits 4 and never submits again: 'ca list' shows what was issued." },
	{ .name = "ca pending", .run = cmd_ca_pending, .flags = CMD_CREATE,
	  .opts = ca_pending_opts,
	  .summary = "list the pending requests",
	  .details = "Shows the requests waiting for approve or deny (streamed): request id, "
		     "status, subject." },
	{ .name = "ca approve", .run = cmd_ca_approve, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "ID", .opts = no_opts,
	  .summary = "issue a pending request",
	  .details = "Issues the pending request ID. Event 1101." },
	{ .name = "ca deny", .run = cmd_ca_deny, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "ID", .opts = ca_deny_opts,
	  .summary = "refuse a pending request",
	  .details = "Refuses the pending request ID, with a reason. Event 1103." },
	{ .name = "ca list", .run = cmd_ca_list, .flags = CMD_CREATE, .opts = ca_list_opts,
	  .summary = "list requests and certificates",
	  .details = "Shows every request (streamed): request id, status, serial, NotAfter and "
		     "subject; or only the issued, revoked, pending or denied ones." },
	{ .name = "ca get", .run = cmd_ca_get, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "ID|SERIAL", .opts = ca_get_opts,
	  .summary = "print an issued certificate",
	  .details = "Prints a certificate by request id or serial, as PEM (or writes it to "
		     "--out)." },
	{ .name = "ca cert", .run = cmd_ca_cert, .flags = CMD_STORE, .opts = ca_cert_opts,
	  .summary = "print the CA's certificate",
	  .details = "Prints the CA's own certificate as PEM, or DER with --der, or writes it "
		     "atomically to --out: the file to give clients and servers that must trust "
		     "what the CA issues." },
	{ .name = "ca revoke", .run = cmd_ca_revoke, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "SERIAL", .opts = ca_revoke_opts,
	  .summary = "revoke a certificate",
	  .details = "Records a revocation with its reason (event 1104); a certificateHold can "
		     "later be made permanent, or taken back with unrevoke." },
	{ .name = "ca unrevoke", .run = cmd_ca_unrevoke, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE, .args = "SERIAL", .opts = no_opts,
	  .summary = "take a certificateHold back",
	  .details = "Takes a certificateHold back (event 1109); any other revocation is final." },
	{ .name = "ca crl", .run = cmd_ca_crl, .flags = CMD_CREATE, .opts = ca_crl_opts,
	  .summary = "sign the next CRL",
	  .details = "Signs the next CRL (its number one higher; event 1105) and writes it "
		     "atomically to --out or ca.crl_path (DER when the name ends in .crl or .der, "
		     "else PEM), or prints it." },
	{ .name = "ca setreg", .run = cmd_ca_setreg, .min_args = 2, .max_args = 2,
	  .flags = CMD_CREATE | CMD_DASH_ARGS | CMD_TEXT_ARGS, .args = "KEY VALUE",
	  .opts = no_opts,
	  .summary = "set a key of the exit module",
	  .details = "Sets a key of the exit module as certutil -setreg does, names "
		     "case-insensitive with '\\' or '/' between parts (exit\\smtp\\SMTPServer, "
		     "exit/smtp/Issued/To); an unknown name is refused with the nearest known one. "
		     "Lists take +VALUE to add, -VALUE to remove and a plain value to replace; an "
		     "empty value restores the default. Then shows the key as it is now." },
	{ .name = "ca getreg", .run = cmd_ca_getreg, .max_args = 1,
	  .flags = CMD_CREATE | CMD_TEXT_ARGS, .args = "[KEY]", .opts = no_opts,
	  .summary = "show the exit module's keys",
	  .details = "Shows one key, one event group (exit\\smtp\\Issued) or every SMTP-level key "
		     "and every key set." },
	{ .name = "ca setsmtpinfo", .run = cmd_ca_setsmtpinfo, .min_args = 1, .max_args = 1,
	  .flags = CMD_CREATE | CMD_TEXT_ARGS, .args = "USER", .opts = ca_setsmtpinfo_opts,
	  .summary = "store the exit module's SMTP login",
	  .details = "Stores the SMTP login: the password is read from the terminal without echo, "
		     "or from stdin's first line with --password-stdin, kept in a file only the "
		     "owner can read and never shown." },

	{ .name = "mail", .summary = "the exit module's outbox of mails",
	  .details = "The exit module's outbox: the mails it made, each queued, sent or failed." },
	{ .name = "mail list", .run = cmd_mail_list, .flags = CMD_STORE, .opts = mail_list_opts,
	  .summary = "list the mails",
	  .details = "Shows each mail with its status (queued, sent, failed), attempts, last "
		     "error, recipients and subject, newest first." },
	{ .name = "mail flush", .run = cmd_mail_flush, .flags = CMD_STORE, .opts = no_opts,
	  .summary = "deliver every queued mail now",
	  .details = "Tries every queued mail now, as postqueue -f does, whatever its back-off "
		     "(back-off only spaces the daemon's automatic attempts; a mail another sender "
		     "is delivering right now is left to it), through one connection to SMTPServer "
		     "(STARTTLS and AUTH as configured), each marked sent once the server accepted "
		     "it; a failed attempt is retried later with back-off, and after SMTPRetryLimit "
		     "attempts the mail is failed, event 46. The summary counts what was sent, "
		     "deferred and failed, and the mails still queued. Exit status 4 when mails "
		     "remain to retry, 1 when some failed." },
	{ .name = "mail retry", .run = cmd_mail_retry, .max_args = 1, .flags = CMD_STORE,
	  .args = "[ID]", .opts = mail_retry_opts,
	  .summary = "queue a failed mail again",
	  .details = "Queues the failed mail ID, or with --all every failed mail, again." },

	{ .name = "config", .summary = "show or set configuration keys",
	  .details = "Every configuration key, from one table: its value in effect, default, "
		     "type and bounds. See CONFIGURATION in certkeep(1)." },
	{ .name = "config get", .run = cmd_config_get, .max_args = 1,
	  .flags = CMD_STORE | CMD_TEXT_ARGS, .args = "[KEY]", .opts = no_opts,
	  .summary = "show configuration keys",
	  .details = "Shows every configuration key (or KEY, or an exit module group such as "
		     "exit.smtp.issued) with the value in effect, one 'KEY = value' a line; --json "
		     "adds each key's Default, whether it is Set, its Type, its bounds (Min, Max) and "
		     "whether it is Secret (a secret shows only set or unset). Names are "
		     "case-insensitive; the exit module's keys are exit.smtp.KEY and "
		     "exit.smtp.GROUP.KEY, the same as ca setreg's exit\\smtp\\KEY. An unknown key "
		     "is refused (exit status 2) with the nearest known name." },
	{ .name = "config set", .run = cmd_config_set, .min_args = 2, .max_args = 2,
	  .flags = CMD_STORE | CMD_DASH_ARGS | CMD_TEXT_ARGS, .args = "KEY VALUE", .opts = no_opts,
	  .summary = "set a configuration key",
	  .details = "Checks VALUE against the key's type and bounds and stores it, then shows the "
		     "key as it is now; an empty VALUE restores the default. A value out of bounds, "
		     "an unknown key (refused with the nearest known name) or a key another command "
		     "sets (SetBy) is exit status 2, and nothing is changed. The exit module's keys "
		     "take ca setreg's checks. A change takes effect with the next command or "
		     "monitor pass." },

	{ .name = "help", .run = cmd_help, .max_args = 2, .args = "[COMMAND [SUBCOMMAND]]",
	  .opts = no_opts,
	  .summary = "show help",
	  .details = "Shows the commands, or one command's options, or a group's sub-commands." },
};

const struct cmd_table cli_table = { cli_commands, sizeof(cli_commands) / sizeof(cli_commands[0]) };

/* help [COMMAND [SUBCOMMAND]]: also the man page's generated parts, for
 * docs/mkman.sh ("help roff", "help roff-exitreg", "roff-events",
 * "roff-config"). */
enum ck_err cmd_help(struct cli *c)
{
	const struct cmd_spec *cmd = NULL, *near;
	int i;

	if (c->nargs == 0) {
		cli_usage(stdout, &cli_table);
		return CK_OK;
	}
	if (c->nargs == 1 && strcmp(c->args[0], "roff") == 0) {
		cli_man_commands(stdout, &cli_table);
		return CK_OK;
	}
	if (c->nargs == 1 && strcmp(c->args[0], "roff-exitreg") == 0) {
		cli_man_exitreg(stdout);
		return CK_OK;
	}
	if (c->nargs == 1 && strcmp(c->args[0], "roff-events") == 0) {
		cli_man_events(stdout);
		return CK_OK;
	}
	if (c->nargs == 1 && strcmp(c->args[0], "roff-config") == 0) {
		cli_man_config(stdout);
		return CK_OK;
	}
	for (i = 0; i < c->nargs; i++) {
		const struct cmd_spec *group = cmd;

		if (group && !cli_cmd_is_group(group))
			return ck_fail(CK_EUSAGE, "'%s' has no sub-commands", group->name);
		cmd = cli_cmd_find(&cli_table, group, c->args[i]);
		if (cmd != NULL)
			continue;
		near = cli_cmd_nearest(&cli_table, group, c->args[i]);
		return ck_fail(CK_EUSAGE, "no command '%s%s%.40s'%s%s%s", group ? group->name : "",
			       group ? " " : "", ck_text_safe(c->args[i]),
			       near ? ": did you mean '" : "", near ? near->name : "",
			       near ? "'?" : "");
	}
	cli_command_help(stdout, &cli_table, cmd);
	return CK_OK;
}
