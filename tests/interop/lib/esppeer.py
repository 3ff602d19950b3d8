# SPDX-License-Identifier: ISC
"""A remote ESP gateway played by scapy (scapy.layers.ipsec.SecurityAssociation).

EspPeer mirrors one bulwark tunnel (bwtest.Tunnel, seen from bulwark): it
encrypts inner packets with bulwark's inbound SA and decrypts what bulwark
sends with bulwark's outbound SA. The ESP crypto is scapy's; the outer
packets travel through kernel sockets of the namespace the peer was created
in (an IP_HDRINCL raw socket to send; a raw protocol-50 socket or a UDP
socket bound to 4500 to receive), which needs no ARP or sniffer start-up
handling.

scapy 2.5 quirks handled here:
- NAT-T packets leave the UDP length at 8: it is recomputed (INTEROP.md);
  over IPv6 the UDP checksum is computed too (0 is not allowed there).
- Transport-mode decryption of IPv6/UDP/ESP leaves the IPv6 next header at
  UDP: received datagrams are decrypted as IP/ESP (the UDP header is not
  covered by ESP anyway).
- With ESN, scapy leaves the high 32 bits of the sequence number out of the
  HMAC ICV for ESP (only its AH code appends them), which RFC 4303 2.2.1 and
  3.3.2.1 require: EsnIcv appends them, still with scapy's own HMAC.
"""
import os
import socket
import struct
import time

from scapy.config import conf
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.packet import Raw, raw

conf.verb = 0

SCAPY_ENC = {"aes-gcm-128": "AES-GCM", "aes-gcm-256": "AES-GCM",
             "chacha20-poly1305": "CHACHA20-POLY1305",
             "aes-cbc-128": "AES-CBC", "aes-cbc-256": "AES-CBC"}
SCAPY_INTEG = {"none": None, "hmac-sha256-128": "SHA2-256-128",
               "hmac-sha384-192": "SHA2-384-192", "hmac-sha512-256": "SHA2-512-256"}


class EsnIcv:
    """Wraps a scapy AuthAlgo so the ESP ICV covers seq_hi (RFC 4303 3.3.2.1)."""

    def __init__(self, algo, seq_hi):
        self.algo, self.seq_hi = algo, seq_hi

    def __getattr__(self, name):
        return getattr(self.algo, name)

    def sign(self, pkt, key, esn_en=False, esn=0):
        mac = self.algo.new_mac(key)
        mac.update(raw(pkt[ESP]) + struct.pack("!L", self.seq_hi))
        pkt[ESP].data += mac.finalize()[:self.algo.icv_size]
        return pkt

    def verify(self, pkt, key, esn_en=False, esn=0):
        from scapy.layers.ipsec import IPSecIntegrityError
        n = self.algo.icv_size
        icv = pkt.data[len(pkt.data) - n:]
        clone = pkt.copy()
        clone.data = clone.data[:len(clone.data) - n]
        mac = self.algo.new_mac(key)
        mac.update(raw(clone) + struct.pack("!L", self.seq_hi))
        if mac.finalize()[:n] != icv:
            raise IPSecIntegrityError("ICV mismatch (ESN)")


def _ip(src, dst, **kw):
    return IPv6(src=src, dst=dst, **kw) if ":" in src else IP(src=src, dst=dst, **kw)


def make_sa(t, sa, src, dst):
    integ = SCAPY_INTEG[t.integ]
    s = SecurityAssociation(
        ESP, spi=sa.spi, crypt_algo=SCAPY_ENC[t.enc], crypt_key=sa.enc_key,
        auth_algo=integ, auth_key=sa.integ_key if integ else None,
        tunnel_header=_ip(src, dst) if t.mode == "tunnel" else None,
        nat_t_header=UDP(sport=4500, dport=4500) if t.encap == "udp" else None,
        esn_en=t.esn, esn=0)
    if t.esn and integ:
        s.auth_algo = EsnIcv(s.auth_algo, 0)
    return s


class EspPeer:
    """me/gw: outer addresses (IPv4 or IPv6); inner_me/inner_gw: tunnel-mode inner
    addresses of the echo (the kernel behind bulwark answers inner_gw)."""

    def __init__(self, t, me="192.0.2.2", gw="192.0.2.1", inner_me="10.2.0.1",
                 inner_gw="10.1.0.1"):
        self.t, self.me, self.gw = t, me, gw
        self.inner_me, self.inner_gw = inner_me, inner_gw
        self.v6 = ":" in me
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.tx_sa = make_sa(t, t.inb, me, gw)   # peer -> bulwark: bulwark's "in"
        self.rx_sa = make_sa(t, t.out, gw, me)   # bulwark -> peer: bulwark's "out"
        # IPPROTO_RAW implies IP_HDRINCL (IPv4) / IPV6_HDRINCL (IPv6).
        self.tx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        if t.encap == "udp":
            self.rx = socket.socket(fam, socket.SOCK_DGRAM)
            self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.rx.bind((me, 4500))
        else:
            # IPv4 raw sockets deliver the IP header, IPv6 ones do not.
            self.rx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ESP)
        self.rx.settimeout(0.1)

    def close(self):
        self.tx.close()
        self.rx.close()

    def encrypt(self, inner, seq=None):
        """Inner packet (tunnel: full IP; transport: IP header + payload) -> outer bytes."""
        p = self.tx_sa.encrypt(inner, seq_num=seq)
        if self.t.encap == "udp":
            p[UDP].len = None
            # IPv4 may send 0 (no checksum); IPv6 must not (RFC 8200 8.1).
            p[UDP].chksum = None if self.v6 else 0
            if self.v6:
                p = IPv6(raw(p))
        return raw(p)

    def outer_udp(self, payload):
        """Raw bytes of an IPv4/UDP 4500 datagram from the peer to bulwark."""
        return raw(_ip(self.me, self.gw) / UDP(sport=4500, dport=4500,
                                               chksum=None if self.v6 else 0) / Raw(payload))

    def send(self, outer):
        self.tx.sendto(outer, (self.gw, 0))

    def recv(self, want, timeout=5.0):
        """Receives ESP from bulwark until want packets or timeout; returns a list of
        (esp_seq, spi, decrypted inner packet or the exception text)."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < want and time.monotonic() < deadline:
            try:
                data, addr = self.rx.recvfrom(65535)
            except socket.timeout:
                continue
            if self.t.encap == "udp":
                if addr[:2] != (self.gw, 4500) or len(data) < 8:
                    continue
                # Decrypted without the UDP header (it is not covered by ESP): scapy's
                # transport-mode decrypt sets the next header on the wrong layer when
                # a UDP header sits between IPv6 and ESP.
                pkt = _ip(addr[0], self.me, **({"nh": 50} if self.v6 else {"proto": 50})) \
                    / ESP(data)
            elif self.v6:
                if addr[0] != self.gw:
                    continue
                pkt = IPv6(src=addr[0], dst=self.me, nh=50) / ESP(data)
            else:
                pkt = IP(data)
                if pkt.src != self.gw or ESP not in pkt:
                    continue
            spi, seq = pkt[ESP].spi, pkt[ESP].seq
            try:
                out.append((seq, spi, self.rx_sa.decrypt(pkt)))
            except Exception as e:  # integrity or padding failure: report it
                out.append((seq, spi, "%s: %s" % (type(e).__name__, e)))
        return out

    def echo(self, ident, seq, payload):
        """An ICMP echo request from the peer's side to bulwark's side."""
        src, dst = (self.inner_me, self.inner_gw) if self.t.mode == "tunnel" \
            else (self.me, self.gw)
        if ":" in src:
            return IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=ident, seq=seq, data=payload)
        return IP(src=src, dst=dst) / ICMP(id=ident, seq=seq) / Raw(payload)

    def check_reply(self, inner, ident, seq, payload):
        """'' if inner is the echo reply to (ident, seq, payload), else why not."""
        if isinstance(inner, str):
            return "scapy could not decrypt bulwark's ESP: " + inner
        src, dst = (self.inner_gw, self.inner_me) if self.t.mode == "tunnel" \
            else (self.gw, self.me)
        if ":" in src:
            if IPv6 not in inner or (inner[IPv6].src, inner[IPv6].dst) != (src, dst):
                return "inner packet %s is not %s -> %s" % (inner.summary(), src, dst)
            if ICMPv6EchoReply not in inner:
                return "inner packet %s is not an echo reply" % inner.summary()
            ic = inner[ICMPv6EchoReply]
            if (ic.id, ic.seq, bytes(ic.data)) != (ident, seq, payload):
                return "echo reply id/seq/payload %d/%d/%s, expected %d/%d/%s" % (
                    ic.id, ic.seq, bytes(ic.data)[:16].hex(), ident, seq, payload[:16].hex())
            b = raw(inner)
            if IPv6(b).plen != len(b) - 40:
                return "inner IPv6 payload length %d for %d bytes" % (IPv6(b).plen, len(b) - 40)
            return ""
        if IP not in inner or inner[IP].src != src or inner[IP].dst != dst:
            return "inner packet %s is not %s -> %s" % (inner.summary(), src, dst)
        if ICMP not in inner or inner[ICMP].type != 0:
            return "inner packet %s is not an echo reply" % inner.summary()
        ic = inner[ICMP]
        if (ic.id, ic.seq) != (ident, seq) or bytes(ic.payload) != payload:
            return "echo reply id/seq/payload %d/%d/%s, expected %d/%d/%s" % (
                ic.id, ic.seq, bytes(ic.payload)[:16].hex(), ident, seq, payload[:16].hex())
        # The inner IP checksum must be right: re-dissect from bytes and recompute.
        b = raw(inner[IP])
        chk = IP(b).chksum
        ip2 = IP(b)
        del ip2.chksum
        if IP(raw(ip2)).chksum != chk:
            return "inner IP header checksum is wrong"
        return ""


def payload(n, tag):
    return tag.encode() + os.urandom(n)
