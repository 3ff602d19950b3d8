#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""One bounded TCP transfer with an integrity check, for the shell interop tests.

  tcpxfer.py serve ADDR PORT READYFILE   accept one connection, read to EOF, print "LEN SHA256"
  tcpxfer.py send ADDR PORT BIND NBYTES  send NBYTES random bytes from BIND, print "LEN SHA256"

The server writes READYFILE once it listens (the caller polls for it instead of sleeping); both
ends give up after 20 seconds. The caller compares the two lines: equal means every byte went
through the tunnel intact and in order.
"""
import hashlib
import os
import socket
import sys

TIMEOUT = 20.0


def serve(addr, port, ready):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    with open(ready, "w") as f:
        f.write("ready\n")
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    ls.close()
    print(n, h.hexdigest())


def send(addr, port, bind, nbytes):
    data = os.urandom(nbytes)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.bind((bind, 0))
    s.connect((addr, port))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    # wait for the server's close, so a reset after the last byte is not missed
    while s.recv(65536):
        pass
    s.close()
    print(len(data), hashlib.sha256(data).hexdigest())


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "serve":
        serve(a[1], int(a[2]), a[3])
    elif len(a) == 5 and a[0] == "send":
        send(a[1], int(a[2]), a[3], int(a[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        sys.stderr.write("tcpxfer: %s\n" % e)
        sys.exit(1)
