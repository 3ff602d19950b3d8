#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Interop oracle: scapy plays the remote ESP gateway (RFC 4303, RFC 3948).

One bulwark in namespace A (outer 192.0.2.1, TUN 10.1.0.1); scapy's
SecurityAssociation in namespace B (192.0.2.2) with the mirrored keys.
scapy encrypts ICMP echo requests (tunnel mode: 10.2.0.1 -> 10.1.0.1;
transport mode: 192.0.2.2 -> 192.0.2.1) and sends them as IP protocol 50
or in UDP 4500; bulwark must decrypt them onto its TUN, the kernel answers,
bulwark encrypts the reply and scapy must decrypt it to exactly the
matching echo reply. Both directions, every transform, ESN on and off,
tunnel and transport mode, raw and UDP-encapsulated. Transport mode routes
the host's traffic to 192.0.2.2 into the TUN with policy routing that
skips bulwark's own ESP (ipsec.fwmark).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bwtest as bt  # noqa: E402

MARK = 0x51
N_ECHO = 3


def run_case(ns_a, work, t, n, EspPeer):
    label = t.label()
    d = os.path.join(work, "case%d" % n)
    os.makedirs(d)
    transport = t.mode == "transport"
    gw = bt.Bulwark(ns_a, [t], d, "a", tun_addrs=[] if transport else ["10.1.0.1/32"],
                    fwmark=MARK)
    peer = None
    try:
        gw.start()
        if transport:
            bt.run(["timeout", "10", "ip", "-n", ns_a, "route", "replace", "192.0.2.2/32",
                    "dev", "bw0", "table", "51", "src", "192.0.2.1"])
        peer = EspPeer(t)
        ident = 0x5100 + n
        for seq in range(1, N_ECHO + 1):
            pl = b"scapy-%d-" % seq + os.urandom(20 + 37 * seq)
            peer.send(peer.encrypt(peer.echo(ident, seq, pl)))
            got = peer.recv(1)
            if not got:
                st = gw.status()
                return bt.result(label, False, "no ESP reply to echo %d; bulwark status: %s" % (
                    seq, " | ".join(st["text"].splitlines()[1:])))
            esp_seq, spi, inner = got[0]
            if spi != t.out.spi or esp_seq != seq:
                return bt.result(label, False, "reply ESP spi 0x%x seq %d, expected 0x%x seq %d"
                                 % (spi, esp_seq, t.out.spi, seq))
            why = peer.check_reply(inner, ident, seq, pl)
            if why:
                return bt.result(label, False, "echo %d: %s" % (seq, why))
        st = gw.status()
        sa_in, sa_out = st["sa"].get(t.inb.spi, {}), st["sa"].get(t.out.spi, {})
        drops = {k: v for k, v in sa_in.items()
                 if k not in ("spi", "packets", "bytes", "dir", "seq") and v}
        if sa_in.get("packets") != N_ECHO or sa_out.get("packets") != N_ECHO or drops:
            return bt.result(label, False, "bulwark counted in=%s out=%s drops=%s" % (
                sa_in.get("packets"), sa_out.get("packets"), drops))
        return bt.result(label, True, "%d echoes scapy->bulwark->kernel->bulwark->scapy exact"
                         % N_ECHO)
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
    bt.watchdog(400)
    work = bt.tmpdir()
    ns_a = bt.make_ns("sca")
    ns_b = bt.make_ns("scb")
    bt.veth(ns_a, "192.0.2.1/24", ns_b, "192.0.2.2/24")
    bt.run(["timeout", "10", "ip", "-n", ns_a, "rule", "add", "not", "fwmark", hex(MARK),
            "table", "51", "pref", "100"])
    # This process becomes the peer gateway: its sockets live in namespace B.
    bt.enter_ns(ns_b)
    from esppeer import EspPeer

    cases = []
    for enc, integ in bt.TRANSFORMS:
        for mode in ("tunnel", "transport"):
            for encap in ("none", "udp"):
                for esn in (False, True):
                    cases.append(bt.Tunnel(enc, integ, mode=mode, encap=encap, esn=esn))
    only = os.environ.get("BW_CASES")
    for n, t in enumerate(cases):
        if only and only not in t.label():
            continue
        run_case(ns_a, work, t, n, EspPeer)
    bt.summary_exit()


if __name__ == "__main__":
    main()
