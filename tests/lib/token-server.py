#!/usr/bin/env python3
"""token-server.py PORT KEY CERT USER:PASSWORD ISSUER SERVICE [RECORD]

A registry token issuer as the distribution token-auth spec describes one,
for docker-registry's `auth: token:` to trust (CERT is in its
rootcertbundle).  GET /token?service=S&scope=repository:NAME:ACTIONS...
with Basic USER:PASSWORD gets a JWT (RS256, signed by KEY through the
openssl command, CERT in the x5c header) granting the scopes asked for;
without credentials the token grants nothing; wrong credentials are 401.
Every request is logged to stdout as "METHOD PATH user=USER"; with
RECORD, also appended to that file as one JSON object a line: method,
path, user_agent, scope (the scope parameters, space-joined), auth ("none",
"ok" or "bad": whether Basic credentials came and were right).  Never a
password or token.  Loopback only; a test helper, not a product.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    port, key, cert, creds, issuer, service = sys.argv[1:7]
    record_path = sys.argv[7] if len(sys.argv) > 7 else None
    record_lock = threading.Lock()
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def record(self, url, query, auth):
            if record_path:
                line = json.dumps({"method": self.command, "path": url.path, "auth": auth,
                                   "user_agent": self.headers.get("User-Agent", ""),
                                   "scope": " ".join(query.get("scope", []))})
                with record_lock, open(record_path, "a") as f:
                    f.write(line + "\n")

        def do_POST(self):
            # The spec's OAuth2 POST form is optional; 404 sends a client
            # to the GET form, as it does with registries that lack it.
            url = urllib.parse.urlparse(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            self.record(url, {}, "none")
            print(f"POST {url.path}", flush=True)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            user = ""
            given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None
            self.record(url, query, "none" if given is None else "ok" if given == creds else "bad")
            if given is not None:
                if given != creds:
                    print(f"GET {url.path} user=BAD", flush=True)
                    self.send_response(401)
                    self.end_headers()
                    return
                user = given.split(":", 1)[0]
            print(f"GET {url.path} user={user}", flush=True)
            if url.path != "/token" or query.get("service", [""])[0] != service:
                self.send_response(404)
                self.end_headers()
                return
            access = []
            for scope in query.get("scope", []):
                for one in scope.split(" "):
                    kind, _, rest = one.partition(":")
                    name, _, actions = rest.rpartition(":")
                    if user and kind == "repository":
                        access.append({"type": kind, "name": name,
                                       "actions": actions.split(",")})
            now = int(time.time())
            token = sign({"iss": issuer, "sub": user, "aud": service, "exp": now + 300,
                          "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                          "access": access})
            body = json.dumps({"token": token, "access_token": token,
                               "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
