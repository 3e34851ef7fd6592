#!/usr/bin/env python3
"""engine-proxy.py: expose the real engine's unix socket on loopback TCP,
optionally behind TLS with client certificates, the way `dockerd -H
tcp://... --tlsverify` would, without restarting the machine's dockerd.
Bytes are relayed unchanged in both directions; nothing is interpreted.

usage: engine-proxy.py SOCKET PORTFILE [CERTDIR]
  Listens on 127.0.0.1 at a free port and writes the port to PORTFILE.
  With CERTDIR (ca.pem, server-cert.pem, server-key.pem) it speaks TLS and
  requires a client certificate signed by ca.pem.
"""
import os
import socket
import ssl
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay import relay  # noqa: E402


def serve(client, sockpath, ctx):
    try:
        if ctx:
            client = ctx.wrap_socket(client, server_side=True)
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(sockpath)
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("engine-proxy: %s\n" % e)
        client.close()
        return
    relay(client, up)


def main():
    sockpath, portfile = sys.argv[1], sys.argv[2]
    ctx = None
    if len(sys.argv) > 3:
        d = sys.argv[3]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "server-cert.pem"), os.path.join(d, "server-key.pem"))
        ctx.load_verify_locations(os.path.join(d, "ca.pem"))
        ctx.verify_mode = ssl.CERT_REQUIRED
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, portfile)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, sockpath, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
