#!/usr/bin/env python3
"""engine-log-proxy.py: a unix socket in front of the real engine's that
relays bytes unchanged and logs the request line of every HTTP request a
client sends ("GET /v1.41/containers/json?... HTTP/1.1"), one a line, so a
test can count the API calls ccbuild makes (DOCKER_HOST=unix://SOCKET).

usage: engine-log-proxy.py ENGINE-SOCKET SOCKET LOGFILE
  Request lines are found at the start of each client-to-engine chunk
  that begins with an HTTP method; on a kept-alive connection the next
  request begins a new send, as HTTP/1.1 clients without pipelining do.
"""
import os
import re
import socket
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay import relay  # noqa: E402

REQUEST = re.compile(rb"^(GET|HEAD|POST|PUT|DELETE|PATCH) (\S+) HTTP/1\.[01]\r\n")


def serve(client, engine, log, lock):
    def watch(data):
        m = REQUEST.match(data)
        if m:
            with lock:
                log.write(m.group(1).decode() + " " + m.group(2).decode("latin-1") + "\n")
                log.flush()

    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(engine)
    except OSError:
        client.close()
        return
    relay(client, up, watch)


def main():
    engine, path, logfile = sys.argv[1:4]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    log = open(logfile, "a")
    lock = threading.Lock()
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client, engine, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
