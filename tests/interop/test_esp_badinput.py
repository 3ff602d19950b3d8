#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Replay and bad input through the running daemon, with scapy as the peer.

One bulwark in namespace A; scapy's SecurityAssociation in namespace B
crafts ESP (RFC 4303) for it: a replayed packet, packets out of order inside
the anti-replay window (RFC 4303 3.4.3), packets left of the window, an
unknown SPI, a bad ICV (and the genuine packet with that number afterwards:
a forgery must not consume it), truncated packets, inner addresses outside
the SA's selectors (RFC 4301 5.2), and on UDP 4500 a NAT-keepalive and a
non-ESP marker (RFC 3948 2.2, 2.3). After each step the per-SA and global
counters of `bulwark ctl status` must equal a model exactly, accepted
echoes must come back (decrypted by scapy) and dropped ones must not; at
the end a valid packet still gets through. Once over IP protocol 50 with
AES-CBC + HMAC-SHA-256-128, once over UDP with AES-GCM-256.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bwtest as bt  # noqa: E402

WINDOW = 64
SA_KEYS = ("packets", "replay", "too-old", "auth", "short", "no-sa", "bad-len", "bad-pad",
           "next-header", "policy", "tfc", "nospace", "crypto")
CTR_KEYS = ("no_sa", "nat_keepalive", "non_esp", "bad_outer", "inbound_policy", "tun_tx",
            "tun_write_fail")


class Run:
    def __init__(self, gw, peer, t, label):
        self.gw, self.peer, self.t, self.label = gw, peer, t, label
        st = gw.status()
        self.sa = {k: bt.sa_get(st, t.inb.spi, k) for k in SA_KEYS}
        self.ctr = {k: st["ctr"].get(k, 0) for k in CTR_KEYS}
        self.out_seq = 0
        self.ident = 0x7700
        self.icmp_seq = 0

    def echo(self, esp_seq, src="10.2.0.1"):
        """(outer bytes, icmp seq, payload) of a fresh echo request under esp_seq."""
        from scapy.layers.inet import ICMP, IP
        from scapy.packet import Raw
        self.icmp_seq += 1
        pl = b"bad-%d-" % self.icmp_seq + os.urandom(24)
        inner = IP(src=src, dst="10.1.0.1") / ICMP(id=self.ident, seq=self.icmp_seq) / Raw(pl)
        return self.peer.encrypt(inner, seq=esp_seq), self.icmp_seq, pl

    def state(self):
        st = self.gw.status()
        sa = {k: bt.sa_get(st, self.t.inb.spi, k) for k in SA_KEYS}
        ctr = {k: st["ctr"].get(k, 0) for k in CTR_KEYS}
        return sa, ctr

    def step(self, name, outers, sa=None, ctr=None, replies=()):
        """Sends outers; expects counter deltas sa/ctr and echo replies for the
        (icmp seq, payload) pairs in replies, in order, and nothing else."""
        for k, v in (sa or {}).items():
            self.sa[k] += v
        for k, v in (ctr or {}).items():
            self.ctr[k] += v
        for o in outers:
            self.peer.send(o)
        want = (self.sa, self.ctr)
        last = bt.wait_for(lambda: self.state() == want, 5.0, 0.02)
        if not last:
            sa, ctr = self.state()
            diff = ["%s=%d (want %d)" % (k, sa[k], self.sa[k]) for k in SA_KEYS
                    if sa[k] != self.sa[k]]
            diff += ["%s=%d (want %d)" % (k, ctr[k], self.ctr[k]) for k in CTR_KEYS
                     if ctr[k] != self.ctr[k]]
            # Resynchronise the model so later steps are judged on their own.
            self.sa, self.ctr = sa, ctr
            self.peer.recv(len(replies) + 1, timeout=0.3)
            return bt.result("%s %s" % (self.label, name), False, "counters: " + ", ".join(diff))
        got = self.peer.recv(len(replies), timeout=5.0) if replies else []
        extra = self.peer.recv(1, timeout=0.2)
        if len(got) != len(replies):
            return bt.result("%s %s" % (self.label, name), False, "%d echo replies of %d" % (
                len(got), len(replies)))
        for (esp_seq, spi, inner), (icmp_seq, pl) in zip(got, replies):
            self.out_seq += 1
            why = self.peer.check_reply(inner, self.ident, icmp_seq, pl)
            if not why and (spi, esp_seq) != (self.t.out.spi, self.out_seq):
                why = "reply under spi 0x%x seq %d, expected 0x%x seq %d" % (
                    spi, esp_seq, self.t.out.spi, self.out_seq)
            if why:
                return bt.result("%s %s" % (self.label, name), False, why)
        if extra:
            return bt.result("%s %s" % (self.label, name), False,
                             "an unexpected ESP packet came back (seq %d)" % extra[0][0])
        return bt.result("%s %s" % (self.label, name), True, ", ".join(
            ["%s+%d" % kv for kv in list((sa or {}).items()) + list((ctr or {}).items())]
            + ["%d echo repl%s verified" % (len(replies), "y" if len(replies) == 1 else "ies")]))


def run_config(ns_a, work, t, EspPeer):
    d = os.path.join(work, t.encap)
    os.makedirs(d)
    gw = bt.Bulwark(ns_a, [t], d, "a", tun_addrs=["10.1.0.1/32"])
    peer = None
    label = t.label()
    try:
        gw.start()
        peer = EspPeer(t)
        r = Run(gw, peer, t, label)
        o1, s1, p1 = r.echo(1)
        r.step("valid packet", [o1], sa={"packets": 1}, ctr={"tun_tx": 1}, replies=[(s1, p1)])
        r.step("replayed packet", [o1], sa={"replay": 1})
        # Out of order inside the window: 5, 3, 4, 2 are all new.
        es = [r.echo(n) for n in (5, 3, 4, 2)]
        r.step("out of order within window", [e[0] for e in es], sa={"packets": 4},
               ctr={"tun_tx": 4}, replies=[(e[1], e[2]) for e in es])
        r.step("replay of an out-of-order packet", [es[1][0]], sa={"replay": 1})
        top = 1000
        o, s, p = r.echo(top)
        r.step("jump ahead to %d" % top, [o], sa={"packets": 1}, ctr={"tun_tx": 1},
               replies=[(s, p)])
        o, s, p = r.echo(top - WINDOW + 1)
        r.step("oldest number inside the window (top-%d)" % (WINDOW - 1), [o],
               sa={"packets": 1}, ctr={"tun_tx": 1}, replies=[(s, p)])
        r.step("just left of the window (top-%d)" % WINDOW, [r.echo(top - WINDOW)[0]],
               sa={"too-old": 1})
        r.step("far left of the window (seq 6)", [r.echo(6)[0]], sa={"too-old": 1})
        # scapy treats seq_num=0 as "next": patch the number (checked before the ICV).
        hl = 20 + (8 if t.encap == "udp" else 0)
        o = bytearray(r.echo(top + 100)[0])
        o[hl + 4:hl + 8] = b"\0\0\0\0"
        r.step("sequence number 0", [bytes(o)], sa={"too-old": 1})
        # Unknown SPI: a well-formed packet under an SPI bulwark does not have.
        o = bytearray(r.echo(top + 1)[0])
        o[hl:hl + 4] = (0xdeadbeef).to_bytes(4, "big")
        # (scapy's NAT-T packets carry UDP checksum 0, so the SPI can change.)
        r.step("unknown SPI", [bytes(o)], ctr={"no_sa": 1})
        # Bad ICV, then the genuine packet with the same number still passes.
        good, s, p = r.echo(top + 2)
        bad = bytearray(good)
        bad[-1] ^= 0x01
        r.step("bad ICV", [bytes(bad)], sa={"auth": 1})
        bad = bytearray(good)
        bad[hl + 8 + 8] ^= 0x80  # a ciphertext bit (after SPI, seq and at least 8 IV bytes)
        r.step("flipped ciphertext bit", [bytes(bad)], sa={"auth": 1})
        r.step("genuine packet after the forgeries", [good], sa={"packets": 1},
               ctr={"tun_tx": 1}, replies=[(s, p)])
        # Truncated: ESP header and 4 bytes (no room for IV and ICV); the SPI is ours.
        o = r.echo(top + 3)[0]
        esp = o[hl:hl + 12]
        out = peer.outer_udp(esp) if t.encap == "udp" else raw_esp(peer, esp)
        r.step("truncated packet (12 bytes of ESP)", [out], sa={"short": 1})
        short = peer.outer_udp(b"\x00\x00\x10") if t.encap == "udp" else raw_esp(peer, b"\x01")
        r.step("runt (shorter than an SPI)", [short], ctr={"bad_outer": 1})
        r.step("inner source outside the selectors", [r.echo(top + 4, src="10.9.0.1")[0]],
               sa={"packets": 1}, ctr={"inbound_policy": 1})
        if t.encap == "udp":
            r.step("NAT-keepalive 0xff", [peer.outer_udp(b"\xff")], ctr={"nat_keepalive": 1})
            r.step("non-ESP marker (IKE on 4500)",
                   [peer.outer_udp(b"\0\0\0\0" + os.urandom(28))], ctr={"non_esp": 1})
        o, s, p = r.echo(top + 5)
        r.step("valid packet after all of the above", [o], sa={"packets": 1},
               ctr={"tun_tx": 1}, replies=[(s, p)])
    except Exception as e:
        bt.result(label, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if peer is not None:
            peer.close()
        rc = gw.stop()
        if rc not in (0, None):
            bt.result(label + " shutdown", False, "bulwark exited %s: %s" % (rc, gw.log_text()))
        elif gw.log_text().count("AddressSanitizer"):
            bt.result(label + " sanitizer", False, gw.log_text())


def raw_esp(peer, esp):
    from scapy.layers.inet import IP
    from scapy.packet import Raw, raw
    return raw(IP(src=peer.me, dst=peer.gw, proto=50) / Raw(esp))


def main():
    bt.require_root()
    bt.watchdog(240)
    work = bt.tmpdir()
    ns_a = bt.make_ns("bia")
    ns_b = bt.make_ns("bib")
    bt.veth(ns_a, "192.0.2.1/24", ns_b, "192.0.2.2/24")
    bt.enter_ns(ns_b)
    from esppeer import EspPeer
    for t in (bt.Tunnel("aes-cbc-128", "hmac-sha256-128", encap="none", replay_window=WINDOW),
              bt.Tunnel("aes-gcm-256", "none", encap="udp", replay_window=WINDOW)):
        run_config(ns_a, work, t, EspPeer)
    bt.summary_exit()


if __name__ == "__main__":
    main()
