"""relay.py: the byte relay the engine proxies share (engine-proxy.py,
engine-log-proxy.py): copy one connection's bytes to the other until
either side ends, then shut both down.  Bytes pass unchanged."""
import socket
import threading


def pump(src, dst, watch=None):
    """Copy src to dst until EOF or an error; watch(data), when given,
    sees each chunk before it is sent on."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if watch is not None:
                watch(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client, up, watch=None):
    """Both directions between client and up until both end (watch: the
    client-to-up chunks), then close both."""
    t = threading.Thread(target=pump, args=(up, client), daemon=True)
    t.start()
    pump(client, up, watch)
    t.join()
    client.close()
    up.close()
