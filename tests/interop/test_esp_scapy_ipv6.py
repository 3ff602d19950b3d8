#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Interop oracle, IPv6: scapy as the remote ESP gateway over IPv6 and for
IPv6 inner traffic (RFC 4303; RFC 3948 over IPv6 with a real UDP checksum,
RFC 8200 8.1).

Same exchange as test_esp_scapy.py (scapy encrypts echo requests, bulwark
decrypts them onto its TUN, the kernel answers, bulwark encrypts the reply,
scapy decrypts and compares), for the address-family combinations: IPv4
inside IPv6, IPv6 inside IPv4, IPv6 inside IPv6 (tunnel mode), and IPv6
transport mode with policy routing on bulwark's fwmark; raw ESP and UDP,
an AEAD and a CBC+HMAC transform, ESN off and on.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bwtest as bt  # noqa: E402

MARK = 0x51
N_ECHO = 3
V4 = {"out": ("192.0.2.1", "192.0.2.2"), "in": ("10.1.0.1", "10.2.0.1"),
      "ts": ("10.1.0.0/24", "10.2.0.0/24")}
V6 = {"out": ("2001:db8::1", "2001:db8::2"), "in": ("fd01::1", "fd02::1"),
      "ts": ("fd01::/64", "fd02::/64")}


def run_case(ns_a, work, t, n, outer, inner, EspPeer):
    label = "%s outer=%s inner=%s" % (t.label(), "v6" if outer is V6 else "v4",
                                      "v6" if inner is V6 else "v4")
    d = os.path.join(work, "case%d" % n)
    os.makedirs(d)
    transport = t.mode == "transport"
    gw = bt.Bulwark(ns_a, [t], d, "a", fwmark=MARK,
                    tun_addrs=[] if transport else ["10.1.0.1/32", "fd01::1/128"])
    peer = None
    try:
        gw.start()
        if transport:
            bt.run(["timeout", "10", "ip", "-6", "-n", ns_a, "route", "replace",
                    "2001:db8::2/128", "dev", "bw0", "table", "51", "src", "2001:db8::1"])
        peer = EspPeer(t, me=outer["out"][1], gw=outer["out"][0], inner_me=inner["in"][1],
                       inner_gw=inner["in"][0])
        ident = 0x6100 + n
        for seq in range(1, N_ECHO + 1):
            pl = b"scapy6-%d-" % seq + os.urandom(20 + 37 * seq)
            peer.send(peer.encrypt(peer.echo(ident, seq, pl)))
            got = peer.recv(1)
            if not got:
                st = gw.status()
                return bt.result(label, False, "no ESP reply to echo %d; bulwark status: %s" % (
                    seq, " | ".join(st["text"].splitlines()[1:])))
            esp_seq, spi, inner_pkt = got[0]
            if spi != t.out.spi or esp_seq != seq:
                return bt.result(label, False, "reply ESP spi 0x%x seq %d, expected 0x%x seq %d"
                                 % (spi, esp_seq, t.out.spi, seq))
            why = peer.check_reply(inner_pkt, ident, seq, pl)
            if why:
                return bt.result(label, False, "echo %d: %s" % (seq, why))
        st = gw.status()
        sa_in, sa_out = st["sa"].get(t.inb.spi, {}), st["sa"].get(t.out.spi, {})
        if sa_in.get("packets") != N_ECHO or sa_out.get("packets") != N_ECHO:
            return bt.result(label, False, "bulwark counted in=%s out=%s" % (
                sa_in.get("packets"), sa_out.get("packets")))
        return bt.result(label, True, "%d echoes both ways exact" % N_ECHO)
    except Exception as e:
        return bt.result(label, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if peer is not None:
            peer.close()
        rc = gw.stop()
        if rc not in (0, None):
            bt.result(label + " shutdown", False, "bulwark exited %s: %s" % (rc, gw.log_text()))


def main():
    bt.require_root()
    bt.watchdog(300)
    work = bt.tmpdir()
    ns_a = bt.make_ns("s6a")
    ns_b = bt.make_ns("s6b")
    bt.veth(ns_a, "192.0.2.1/24", ns_b, "192.0.2.2/24")
    for ns, dev, a in ((ns_a, "veth-a", "2001:db8::1/64"), (ns_b, "veth-b", "2001:db8::2/64")):
        bt.run(["timeout", "10", "ip", "-n", ns, "addr", "add", a, "dev", dev, "nodad"])
    bt.run(["timeout", "10", "ip", "-6", "-n", ns_a, "rule", "add", "not", "fwmark", hex(MARK),
            "table", "51", "pref", "100"])
    bt.enter_ns(ns_b)
    from esppeer import EspPeer

    cases = []
    for outer, inner, mode in ((V6, V4, "tunnel"), (V4, V6, "tunnel"), (V6, V6, "tunnel"),
                               (V6, V6, "transport")):
        for enc, integ in (("aes-gcm-256", "none"), ("aes-cbc-128", "hmac-sha256-128")):
            for encap in ("none", "udp"):
                for esn in (False, True):
                    t = bt.Tunnel(enc, integ, mode=mode, encap=encap, esn=esn,
                                  local=outer["out"][0], remote=outer["out"][1],
                                  local_ts=[inner["ts"][0]], remote_ts=[inner["ts"][1]])
                    cases.append((t, outer, inner))
    only = os.environ.get("BW_CASES")
    for n, (t, outer, inner) in enumerate(cases):
        if only and only not in t.label():
            continue
        run_case(ns_a, work, t, n, outer, inner, EspPeer)
    bt.summary_exit()


if __name__ == "__main__":
    main()
