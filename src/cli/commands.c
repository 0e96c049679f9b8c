/*
 * commands.c - the command table: names, handlers, argument counts,
 * options and help (DESIGN.md §10). --help and the man page's COMMANDS
 * section are generated from it.
 */
#include "cli/cli.h"

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
	{ "--limit", OPT_VALUE, "N", "at most N events" },
	{ 0 },
};

static const struct opt_spec connector_opts[] = {
	{ "--type", OPT_VALUE, "receive|send", "the connector's direction (add)" },
	{ "--fqdn", OPT_VALUE, "FQDN", "the name it answers EHLO with; default: the host's FQDN (add)" },
	{ "--tls", OPT_VALUE, "on|off", "whether it offers STARTTLS (add; default on)" },
	{ "--service-account", OPT_VALUE, "USER", "the account that must read the key (add)" },
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

static const struct opt_spec trust_opts[] = {
	{ "--server", OPT_VALUE, "NAME", "the peer server's FQDN (verify)" },
	{ "--cert", OPT_VALUE, "FILE", "the peer's certificate, PEM or DER (verify)" },
	{ "--trace", OPT_FLAG, NULL, "print each step of the selection, per component (check)" },
	{ "--service-account", OPT_VALUE, "USER", "the account that must read the key (check)" },
	{ "--hostname", OPT_VALUE, "NAME", "set DnsHostName (names)" },
	{ "--fqdn", OPT_VALUE, "FQDN", "set DnsFullyQualifiedDomainName (names)" },
	{ "--cluster-fqdn", OPT_VALUE, "FQDN", "the load-balanced name, '' for none (names)" },
	{ 0 },
};

static const struct opt_spec probe_opts[] = {
	{ "--fqdn", OPT_VALUE, "NAME", "the name the endpoint must serve (smtp://)" },
	{ "--sni", OPT_VALUE, "NAME", "the server name to ask for (https://)" },
	{ "--timeout", OPT_VALUE, "SECS", "per step (default 10)" },
	{ 0 },
};

static const struct opt_spec bind_opts[] = {
	{ "--endpoint", OPT_VALUE, "HOST:PORT", "where the site listens (add)" },
	{ "--service", OPT_VALUE, "S", "the service: IIS (HTTPS), SMTP, IMAP, POP, UM (add)" },
	{ "--thumbprint", OPT_VALUE, "T", "the certificate (add)" },
	{ "--cert-file", OPT_VALUE, "PATH", "certificate (and chain, without --chain-file) (add)" },
	{ "--chain-file", OPT_VALUE, "PATH", "intermediate certificates (add)" },
	{ "--key-file", OPT_VALUE, "PATH", "private key (add)" },
	{ "--combined-file", OPT_VALUE, "PATH", "certificate, chain and key in one file (add)" },
	{ "--owner", OPT_VALUE, "USER", "owner of the files (add)" },
	{ "--group", OPT_VALUE, "GROUP", "group of the files (add)" },
	{ "--mode", OPT_VALUE, "MODE", "mode of key and combined files, octal (default 0600) (add)" },
	{ "--check", OPT_VALUE, "CMD", "run after writing, before reloading; on failure the previous files are put back (add)" },
	{ "--reload", OPT_VALUE, "CMD", "run through /bin/sh -c after deploying (add)" },
	{ 0 },
};

static const struct opt_spec rebind_opts[] = {
	{ "--old", OPT_VALUE, "T1", "the certificate the bindings are on" },
	{ "--new", OPT_VALUE, "T2", "the certificate to move them to" },
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

static const struct opt_spec task_opts[] = {
	{ "--on", OPT_VALUE, "EVENT_ID", "the event that runs it (add)" },
	{ "--run", OPT_VALUE, "CMD", "the command, run with /bin/sh -c (add)" },
	{ "--timeout", OPT_VALUE, "SECS", "time limit of a run (add; default 300)" },
	{ 0 },
};

static const struct opt_spec ca_opts[] = {
	{ "--name", OPT_VALUE, "CN", "the CA's name, its certificate's CN (init)" },
	{ "--days", OPT_VALUE, "N", "validity: of the CA (init; default 3650) or of certificates (submit; default 365, capped by policy)" },
	{ "--key", OPT_VALUE, "TYPE", "the CA key: ec:P-256 (default), ec:P-384, ec:P-521, rsa:BITS (init)" },
	{ "--request-out", OPT_VALUE, "FILE", "make a request for a parent CA instead of a self-signed CA (init)" },
	{ "--requester", OPT_VALUE, "NAME", "RequesterName of the request (submit; default: the user; one line of UTF-8 text)" },
	{ "--email", OPT_VALUE, "ADDR", "RequesterEmail: where the exit module mails the result (submit)" },
	{ "--out", OPT_VALUE, "FILE", "write the certificates (submit, get) or the CRL (crl) to FILE (atomically; a device or FIFO in place)" },
	{ "--issued", OPT_FLAG, NULL, "only issued certificates (list)" },
	{ "--revoked", OPT_FLAG, NULL, "only revoked certificates (list)" },
	{ "--pending", OPT_FLAG, NULL, "only pending requests (list)" },
	{ "--denied", OPT_FLAG, NULL, "only denied requests (list)" },
	{ "--limit", OPT_VALUE, "N", "at most N rows (list, pending)" },
	{ "--reason", OPT_VALUE, "R", "revoke: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise; deny: a text" },
	{ "--next-update", OPT_VALUE, "HOURS", "the CRL's nextUpdate from now (crl; default ca.crl_hours, 168)" },
	{ "--allow-suffix", OPT_VALUE, "LIST", "allowed domain suffixes, comma-separated, or 'any' (policy)" },
	{ "--key-types", OPT_VALUE, "LIST", "allowed keys: ec:P-256, ec:P-384, rsa, rsa:BITS (policy)" },
	{ "--max-days", OPT_VALUE, "N", "longest validity issued; longer requests are capped (policy; default 825)" },
	{ "--default", OPT_VALUE, "issue|pending", "the disposition of an acceptable request (policy; default issue)" },
	{ "--crl-url", OPT_VALUE, "URL", "CRL distribution point put into issued certificates, '' for none (policy)" },
	{ "--crl-path", OPT_VALUE, "FILE", "where 'ca crl' publishes without --out, '' for none (policy)" },
	{ "--crl-hours", OPT_VALUE, "N", "default CRL validity in hours (policy)" },
	{ "--password-stdin", OPT_FLAG, NULL, "read the SMTP password from stdin's first line (setsmtpinfo)" },
	{ 0 },
};

static const struct opt_spec mail_opts[] = {
	{ "--failed", OPT_FLAG, NULL, "only mails that reached the retry limit or could not be made (list)" },
	{ "--all", OPT_FLAG, NULL, "every failed mail (retry)" },
	{ 0 },
};

static const struct opt_spec no_opts[] = { { 0 } };

const struct cmd_spec cli_commands[] = {
	{ "init", cmd_init, 0, 0, CMD_CREATE, "",
	  "make the host's self-signed certificate",
	  "Creates the store if needed and makes the host's self-signed certificate: CN is the "
	  "short host name, the subject alternative names are the short name and the FQDN, "
	  "enabled for IMAP, POP, IIS and SMTP, valid five years. Event 1006.",
	  init_opts },
	{ "list", cmd_list, 0, 0, CMD_STORE, "",
	  "list certificates, newest first",
	  "Lists certificates, newest NotBefore first, then pending requests (when no --domain or "
	  "--service filter is given). --domain NAME matches a CertificateDomain equal to NAME or "
	  "a wildcard covering it.",
	  list_opts },
	{ "show", cmd_show, 1, 1, CMD_STORE, "THUMBPRINT",
	  "show every property of one certificate",
	  "Shows every property of a certificate or pending request. THUMBPRINT is the SHA-1 "
	  "thumbprint in any case, or a unique prefix of at least 8 hex digits.",
	  no_opts },
	{ "new", cmd_new, 0, 0, CMD_CREATE, "",
	  "make a self-signed certificate, or a request",
	  "Makes a self-signed certificate for the given domains, or with --request-out a "
	  "PKCS#10 request whose private key stays in the store; 'import' of the issued "
	  "certificate joins it to that key. Event 1006 (1021 for a request).",
	  new_opts },
	{ "import", cmd_import, 0, 0, CMD_CREATE, "",
	  "import a certificate (PEM, DER or PKCS#12)",
	  "Imports a certificate with its key (--cert and --key, or --pkcs12). A certificate "
	  "issued for a pending request is joined to the request's key. --chain lists the "
	  "leaf's issuer, then that certificate's issuer, and so on (a root last, or none): each "
	  "must have issued the one before it (names, key identifiers, keyUsage, a CA "
	  "certificate, the signature; dates are not checked), and the message names the first "
	  "that does not. Nothing is changed unless every input is valid and the key matches. "
	  "Event 1006.",
	  import_opts },
	{ "export", cmd_export, 1, 1, CMD_STORE, "THUMBPRINT",
	  "export a certificate (PEM, or PKCS#12 with its key)",
	  "Writes the certificate (and chain) as PEM to stdout or --out. A private key is only "
	  "ever written to a file (mode 0600), never printed. Event 1007.",
	  export_opts },
	{ "enable", cmd_enable, 1, 1, CMD_STORE, "THUMBPRINT",
	  "enable services on a certificate (never removes any)",
	  "Adds services; those already enabled stay. Event 1020 when something changed.",
	  services_opts },
	{ "disable", cmd_disable, 1, 1, CMD_STORE, "THUMBPRINT",
	  "disable services on a certificate",
	  "Removes the given services. Event 1020 when something changed.",
	  services_opts },
	{ "clone", cmd_clone, 1, 1, CMD_STORE, "THUMBPRINT",
	  "renew a self-signed certificate (or one the built-in CA issued)",
	  "Makes a new self-signed certificate with the same subject, subject alternative names, "
	  "services and key type (an RSA key under 2048 bits becomes rsa:2048), a new key and a "
	  "new validity. The old one is kept, marked as "
	  "replaced. Events 1006 and 1001 (old and new thumbprints). A certificate issued by "
	  "this store's CA ('ca') is renewed through the CA instead: a new key, the same names "
	  "and services, the old validity length capped by the CA's policy (event 1101 too).",
	  clone_opts },
	{ "remove", cmd_remove, 1, 1, CMD_STORE, "THUMBPRINT",
	  "remove a certificate or pending request",
	  "Removes the certificate and its private key (unless another certificate uses the same "
	  "key). Event 1004.",
	  no_opts },
	{ "events", cmd_events, 0, 0, CMD_STORE, "",
	  "list events",
	  "Lists the event log, oldest first: sequence number, time, id, level and message; "
	  "--json adds every field.",
	  events_opts },
	{ "connector", cmd_connector, 1, 2, CMD_STORE, "add NAME | list | remove NAME",
	  "manage the TLS endpoints (connectors) to check",
	  "Adds, lists or removes a connector: a TLS endpoint of the mail server. Its FQDN (the "
	  "host's when none is given) is the name a certificate must hold; SMTP is the service "
	  "it must be enabled for; its service account must be able to read the key. Events "
	  "1030, 1031.",
	  connector_opts },
	{ "select", cmd_select, 0, 0, CMD_STORE, "",
	  "which certificate an endpoint uses, and why",
	  "Prints the certificate a TLS endpoint for NAME and service S uses: candidates hold "
	  "the name (exact, or a wildcard as the whole left-most label covering one label); "
	  "eligible ones have a private key, the service enabled, a key readable by the account "
	  "and are already valid; the newest (NotBefore) Valid CA-issued one wins, else the "
	  "newest self-signed one, else the newest CA-issued one; an expired choice is still "
	  "used. --explain shows why each other one lost. Exit status 3 when there is none.",
	  select_opts },
	{ "diagnose", cmd_diagnose, 0, 0, CMD_STORE, "",
	  "check every TLS connector; events 12014, 12016",
	  "Runs the selection for SMTP on every connector with TLS on and records event 12014 "
	  "when no certificate holds its FQDN (or none is enabled for SMTP), naming the FQDN, "
	  "the connector and both fixes, and 12016 when the certificate used has expired. Exit "
	  "status 3 when it found problems, 0 when clean.",
	  diagnose_opts },
	{ "trust", cmd_trust, 1, 2, CMD_STORE, "names | publish [THUMBPRINT] | verify | check",
	  "direct trust of the internal transport certificate",
	  "names shows (or sets) the host's names: DnsHostName and DnsFullyQualifiedDomainName "
	  "from init, the physical ones from the system, and an optional cluster FQDN. publish "
	  "records this host's transport certificate in the directory (the designated one when "
	  "a THUMBPRINT is given, else the newest valid self-signed one enabled for SMTP that "
	  "holds the FQDN); event 1040. verify accepts a peer's certificate exactly when it is "
	  "the one published for that server, self-signed or not (exit 3 otherwise). check "
	  "records event 1037 (and 2019 with a send connector) for each cause: SMTP not "
	  "enabled, key not readable by the account, a host name missing, the cluster FQDN in "
	  "the certificate, several self-signed certificates, a published certificate that is "
	  "not the one in use; exit 3 when it found any.",
	  trust_opts },
	{ "probe", cmd_probe, 1, 1, CMD_STORE, "smtp://HOST[:PORT] | https://HOST[:PORT]",
	  "the certificate a live server serves",
	  "Connects to a live server (SMTP: EHLO with the host's FQDN, then STARTTLS; HTTPS: TLS "
	  "with SNI), without verifying it, and reports the certificate it serves: its "
	  "properties and Status, whether it holds NAME, whether it is in the store, and whether "
	  "it is the one 'select' chooses for NAME (SMTP or IIS). Exit status 3 when it is not, "
	  "4 when the server cannot be reached or says to try later.",
	  probe_opts },
	{ "bind", cmd_bind, 1, 2, CMD_STORE, "add SITE | list | remove SITE",
	  "bind a site to a certificate and deploy its files",
	  "add ties a site's endpoint to a certificate and to the files its server reads, "
	  "deploys them at once and runs the reload command; event 1050. The key is checked "
	  "against the certificate first. The files are written, with their owner, group and "
	  "mode from the start, into a new directory .certkeep+SITE+<id> beside the certificate "
	  "file; each path given becomes a symbolic link through .certkeep+SITE, and one rename "
	  "of that link switches all of them at once, so a server never reads a certificate "
	  "with the other key. The check command (e.g. 'nginx -t') runs after the switch; if "
	  "it fails, the previous files are put back and nothing is reloaded. A reload that "
	  "fails stays owed and is retried by the next monitor pass. The directory of each path, "
	  "and every directory above it, must be owned by root or the --owner and writable by no "
	  "other account (a sticky parent such as /tmp is fine; the directory itself must not be "
	  "group- or world-writable), or deploying there (add, rebind, autorebind) is refused with "
	  "the fix; certkeep never follows a link there that it did not make. A path must be plain "
	  "and absolute, not under /dev, /proc or /sys, and, if it exists, a regular file or a "
	  "link certkeep made. list shows each binding "
	  "and whether the files on disk still hold its certificate. remove forgets a binding "
	  "(event 1051); its files stay.",
	  bind_opts },
	{ "rebind", cmd_rebind, 0, 0, CMD_STORE, "",
	  "move every binding from one certificate to another",
	  "Moves every binding on T1, and on any certificate T1 replaced (A->B->C moves A's and "
	  "B's), to T2: deploys, records event 1052 per binding, then runs each distinct reload "
	  "command once. A failed deployment or reload is event 1053 and exit status 1; a "
	  "retry that fails the same way (same binding, certificate and error) is exit status "
	  "1 again but no new 1053.",
	  rebind_opts },
	{ "autorebind", cmd_autorebind, 1, 1, CMD_STORE, "on|off",
	  "rebind automatically on renewal (event 1001)",
	  "With autorebind on, every certificate replacement (event 1001: clone, renewal) moves "
	  "the bindings of the old certificate to the new one, as IIS's automatic rebind of "
	  "renewed certificates does. The reaction reads the event log from its own cursor, so "
	  "a crash delays it but never loses it; it runs after each certkeep command.",
	  no_opts },
	{ "monitor", cmd_monitor, 0, 0, CMD_STORE, "",
	  "renew what is due, raise expiry notices (events 1003, 1002, 12015)",
	  "One lifecycle pass. With autorenew on, each certificate inside its renewal window "
	  "is renewed (event 1001; see autorenew). Then the certificates that expire within the "
	  "largest threshold (config key monitor.thresholds, default 30,7,1 days; an index range, "
	  "the rest of the store is not read) get event 1003 when one is crossed (once per "
	  "certificate and threshold; only the smallest of several crossed at once), 1002 when a "
	  "certificate has expired, 12015 when it is the internal transport certificate. A "
	  "certificate that a newer one replaced gets none. Then reload commands still owed "
	  "after a failure run again. Each line (or --json array item) is printed once what it "
	  "says is durable: renewals, notices, bindings moved, reloads, in that order. Due "
	  "certificates are read and their notices committed 256 at a time, so memory stays "
	  "flat however many are due. --at TIME reports what would be done then and records "
	  "nothing; with --apply it does it now.",
	  monitor_opts },
	{ "autorenew", cmd_autorenew, 1, 1, CMD_STORE, "on|off",
	  "renew certificates automatically in their renewal window",
	  "With autorenew on, each monitor pass renews every certificate with a private key that "
	  "no newer one replaced, once it is inside its renewal window: the last third of its "
	  "life, or the last N days with --renew-days N (but never in the first half of its life, so "
	  "a short-lived renewal is not renewed again at once). Self-signed certificates are renewed by "
	  "clone (new key, same names, services and validity length; event 1001, which "
	  "autorebind follows). A certificate issued by an outside authority is reported as "
	  "'manual'. A failed renewal is event 1070 and waits 1 h, 2 h, 4 h, ... up to a day "
	  "before the next attempt; at most renew.max_per_pass (default 50) renewals per pass.",
	  autorenew_opts },
	{ "daemon", cmd_daemon, 0, 0, CMD_STORE, "",
	  "run the monitor pass and the reactions every interval",
	  "Runs the monitor pass, then the reactions (autorebind, tasks), the CA's CRL when it "
	  "is due (before its nextUpdate), then the mail sender (mail flush), every --interval "
	  "seconds. With a CA, it runs the CA service: it records Startup (1106) when it starts "
	  "and Shutdown (1107) when it stops, and in between answers 'ca submit' on the store's "
	  "socket ca/service.sock, four clients at a time (a fifth is told it is busy and "
	  "submits in-process; each has 10 s to send its submission), so a submission waits "
	  "neither for a pass nor for its own process to open the store and start OpenSSL. A "
	  "second daemon on "
	  "the same store is refused (exit 1). It delivers the mail once more before exiting. Runs "
	  "until SIGTERM or SIGINT (which end it after the current pass; exit status "
	  "0). SIGHUP starts a pass at once. What each pass did is logged on stderr, one JSON "
	  "line per renewal, notice or reload; events also go to syslog. A failed pass is logged "
	  "and the next one retries. For systemd: certkeep.service.",
	  daemon_opts },
	{ "task", cmd_task, 1, 2, CMD_STORE, "add | list | remove ID | runs",
	  "run commands on events",
	  "add runs CMD through /bin/sh -c on each future event with that id, with the event in "
	  "its environment only (CERTKEEP_EVENT_ID, CERTKEEP_EVENT_SEQ, and one variable per "
	  "field: CERTKEEP_THUMBPRINT, CERTKEEP_OLD_THUMBPRINT, CERTKEEP_NEW_THUMBPRINT, "
	  "CERTKEEP_FQDN, ...), never in its text; with a time limit. Each run is recorded "
	  "(start, end, exit status, last output) and shown by runs. Tasks run after each "
	  "certkeep command, from a cursor: an event missed by a crash runs later, once. Events "
	  "1060, 1061.",
	  task_opts },
	{ "ca", cmd_ca, 1, 1 + 100000, CMD_CREATE | CMD_DASH_ARGS,
	  "init | install CERT | show | policy | submit CSR... | pending | approve ID | deny ID | "
	  "list | get ID|SERIAL | revoke SERIAL | unrevoke SERIAL | crl | setreg KEY VALUE | "
	  "getreg [KEY] | setsmtpinfo USER",
	  "the built-in certificate authority and its exit module",
	  "init makes the CA key (ca/ca.key, 0600) and a self-signed CA certificate (CA:TRUE, "
	  "keyCertSign and cRLSign), or with --request-out a request for a parent CA, completed "
	  "by install CERT; event 1110 (1108 for install). policy shows or sets what is issued: "
	  "allowed domain suffixes, key types (RSA of 2048 bits or more with exponent 65537, "
	  "EC P-256 or P-384 always), the longest validity and the default disposition; config keys "
	  "ca.policy.allowed_suffixes, ca.policy.key_types, ca.policy.max_days, "
	  "ca.policy.default_disposition, ca.crl_url, ca.crl_path, ca.crl_hours. submit checks "
	  "each request (PEM or DER): its signature (RSA PKCS#1 v1.5 or ECDSA over SHA-256, "
	  "SHA-384 or SHA-512), its names (DNS names only, valid, A-labels valid IDNA2008, "
	  "under an allowed suffix), its key; a request refused by the policy is reported (exit 1) and "
	  "not recorded, and one refused request refuses the whole call. Otherwise it is issued "
	  "(event 1101; the certificate to stdout as PEM or to --out) or left pending (1102). "
	  "Many files in one call are issued in transactions of 2500. While a daemon runs on the "
	  "store, submit reads its files and hands them to the daemon's CA service, which does "
	  "the same checks and writes and answers with the same results; without a daemon (or "
	  "with the socket of one that was killed, or busy, or for more than 16 MiB) submit "
	  "does it all in its own process. If the daemon ends during a submission it was "
	  "handed, submit exits 4 and never submits again: 'ca list' shows what was issued. "
	  "pending and list show "
	  "requests (list --issued, --revoked, --pending, --denied; streamed). approve issues a "
	  "pending request (1101), deny refuses it (1103). get prints a certificate by request "
	  "id or serial. revoke records a revocation with its reason (1104; a certificateHold "
	  "can later be made permanent), unrevoke takes a certificateHold back (1109). crl "
	  "signs the next CRL (its number one higher; 1105) and writes it atomically to --out or "
	  "ca.crl_path (DER when the name ends in .crl or .der, else PEM), or prints it. "
	  "setreg sets a key of the exit module as certutil -setreg does, names case-insensitive "
	  "with '\\' or '/' between parts (exit\\smtp\\SMTPServer, exit/smtp/Issued/To); an "
	  "unknown name is refused with the nearest known one. Lists take +VALUE to add, -VALUE "
	  "to remove and a plain value to replace; an empty value restores the default. getreg "
	  "shows one key, one event group (exit\\smtp\\Issued) or every SMTP-level key and "
	  "every key set. setsmtpinfo stores the SMTP login: the password is read from the "
	  "terminal without echo, or from stdin's first line with --password-stdin, kept in a "
	  "file only the owner can read and never shown. Mail is off until SMTPServer is set and "
	  "EventFilter names an event; see EXIT MODULE in certkeep(1).",
	  ca_opts },
	{ "mail", cmd_mail, 1, 2, CMD_STORE, "list | flush | retry ID|--all",
	  "the exit module's outbox of mails",
	  "list shows each mail with its status (queued, sent, failed), attempts, last error, "
	  "recipients and subject, newest first. flush delivers every mail that is due through "
	  "one connection to SMTPServer (STARTTLS and AUTH as configured), each marked sent once "
	  "the server accepted it; a failed attempt is retried later with back-off, and after "
	  "SMTPRetryLimit attempts the mail is failed, event 46. Exit status 4 when mails remain "
	  "to retry, 1 when some failed. retry queues a failed mail (or --all) again.",
	  mail_opts },
	{ "config", cmd_config, 1, 3, CMD_STORE | CMD_DASH_ARGS, "get [KEY] | set KEY VALUE",
	  "show or set configuration keys",
	  "get shows every configuration key (or KEY, or an exit module group such as "
	  "exit.smtp.issued) with the value in effect, one 'KEY = value' a line; --json adds "
	  "each key's Default, whether it is Set, its Type, its bounds (Min, Max) and whether "
	  "it is Secret (a secret shows only set or unset). set checks VALUE against the key's "
	  "type and bounds and stores it; an empty VALUE restores the default. A value out of "
	  "bounds, an unknown key (refused with the nearest known name) or a key another "
	  "command sets (SetBy) is exit status 2, and nothing is changed. Names are "
	  "case-insensitive; the exit module's keys are exit.smtp.KEY and exit.smtp.GROUP.KEY, "
	  "the same as ca setreg's exit\\smtp\\KEY with the same checks. A change takes effect "
	  "with the next command or monitor pass. See CONFIGURATION in certkeep(1).",
	  no_opts },
	{ "help", cmd_help, 0, 1, 0, "[COMMAND]",
	  "show help",
	  "Shows the commands, or one command's options.",
	  no_opts },
};

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);
