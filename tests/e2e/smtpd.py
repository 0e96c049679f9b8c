#!/usr/bin/python3
"""A mail sink for the end-to-end tests: aiosmtpd on 127.0.0.1 with
STARTTLS required and AUTH required (REFERENCE.md Part B §2.1).

    smtpd.py PORT DIR --cert C --key K [--user U --password P] [--no-starttls]

Each accepted message is written to DIR/NNNNNN.eml, preceded by lines
X-Envelope-From, X-Envelope-To (one per recipient), X-TLS and X-Login.
Runs until SIGTERM. Must run under /usr/bin/python3 (Debian's aiosmtpd).
"""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
        head = ["X-Envelope-From: " + envelope.mail_from]
        head += ["X-Envelope-To: " + r for r in envelope.rcpt_tos]
        head += ["X-TLS: " + str(session.ssl is not None), "X-Login: " + login]
        tmp = os.path.join(self.dir, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(("\r\n".join(head) + "\r\n").encode() + envelope.original_content)
        os.rename(tmp, os.path.join(self.dir, "%06d.eml" % n))
        return "250 OK queued"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("dir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user", default="certkeep")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--no-starttls", action="store_true")
    a = ap.parse_args()

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login.decode() == a.user
              and data.password.decode() == a.password)
        # handled=False: with the default (True) aiosmtpd 1.4.3 answers
        # nothing to a bad password and the client hangs.
        return AuthResult(success=ok, handled=False, auth_data=data)

    kw = dict(authenticator=authenticator, auth_required=True)
    if a.no_starttls:
        kw.update(auth_require_tls=False)
    else:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=a.port, **kw)
    c.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with open(os.path.join(a.dir, ".ready"), "w") as f:
        f.write(str(os.getpid()))
    done.wait()
    c.stop()


if __name__ == "__main__":
    main()
