#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Generates the decoder test captures and their manifest with scapy.

Writes decode_<link>.pcap (one capture per link type), decode_eth.pcapng (the
Ethernet packets again, as pcapng) and decode_manifest.tsv
beside this script. Each manifest line describes one packet as scapy built
it, independently of bulwark's decoder:

  name  file  index  layers  n_ip  src  dst  l4proto  sport  dport  flags  events

layers: the layer kinds in order (eth, vlan, sll, sll2, null, ipv4, ipv6, ah,
gre, ppp, l2tp, esp, tcp, udp, icmp4, icmp6); src/dst: innermost IP layer;
flags: packet flags expected set (frag, esp, ppp_ctrl, l2tp_ctrl, tunnel,
csum_ip, csum_l4); events: decoder event names expected ("-" for none).
tests/unit/test_decode.c reads both. Run: /usr/bin/python3 gen_decode.py
With --corpus DIR it writes the seeds of fuzz/fuzz_decode.c instead:
  /usr/bin/python3 gen_decode.py --corpus ../../../fuzz/corpus/fuzz_decode
"""
import os
import struct

from scapy.all import (ESP, GRE, GRE_PPTP, HDLC, ICMP, IP, PPP, TCP, UDP, CookedLinux,
                       CookedLinuxV2, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, IPOption_RR,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Loopback, PcapNgWriter, PcapWriter, Raw)
from scapy.layers.l2 import ARP

HERE = os.path.dirname(os.path.abspath(__file__))
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A4, B4, C4, D4 = "192.0.2.1", "198.51.100.2", "10.1.0.5", "10.2.0.9"
A6, B6, C6, D6 = "2001:db8::1", "2001:db8::2", "fd00::5", "fd00::9"
PAY = Raw(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")

packets = {}  # link name -> list of (name, bytes, expect dict)


def add(link, name, pkt, layers, src="-", dst="-", l4="-", sp=0, dp=0, flags="-", events="-",
        n_ip=None):
    raw = bytes(pkt)
    if n_ip is None:
        n_ip = sum(1 for k in layers.split(",") if k in ("ipv4", "ipv6"))
    packets.setdefault(link, []).append(
        (name, raw, [layers, str(n_ip), src, dst, l4, str(sp), str(dp), flags, events]))


def ppp_bytes(inner, acfc=False, pfc=False, proto=0x21):
    hdr = b"" if acfc else b"\xff\x03"
    hdr += bytes([proto]) if pfc else struct.pack("!H", proto)
    return hdr + bytes(inner)


def l2tp(flags, payload, tid=7, sid=9, ns=None, nr=None, offset=None):
    body = struct.pack("!HH", tid, sid)
    if flags & 0x0800:
        body += struct.pack("!HH", ns or 0, nr or 0)
    if flags & 0x0200:
        body += struct.pack("!H", len(offset)) + offset
    if flags & 0x4000:
        return struct.pack("!HH", flags, 4 + len(body) + len(payload)) + body + payload
    return struct.pack("!H", flags) + body + payload


syn_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None),
            ("WScale", 7)]
# --- Ethernet ---------------------------------------------------------------------------
add("eth", "ipv4_tcp_syn", E / IP(src=A4, dst=B4) / TCP(sport=40000, dport=80, flags="S",
    seq=1000, options=syn_opts), "eth,ipv4,tcp", A4, B4, "tcp", 40000, 80)
add("eth", "ipv4_tcp_sack", E / IP(src=A4, dst=B4) / TCP(sport=40000, dport=80, flags="A",
    options=[("NOP", None), ("NOP", None), ("SAck", (5000, 6000, 7000, 8000))]) / PAY,
    "eth,ipv4,tcp", A4, B4, "tcp", 40000, 80)
add("eth", "ipv4_udp", E / IP(src=A4, dst=B4) / UDP(sport=5353, dport=53) / Raw(b"\x12\x34" * 6),
    "eth,ipv4,udp", A4, B4, "udp", 5353, 53)
add("eth", "ipv4_icmp_echo", E / IP(src=A4, dst=B4) / ICMP(type=8, id=0x4242, seq=3) / Raw(b"x" * 9),
    "eth,ipv4,icmp4", A4, B4, "icmp", 0, 0)
add("eth", "ipv4_options_udp", E / IP(src=A4, dst=B4, options=[IPOption_RR()]) / UDP(sport=1, dport=2),
    "eth,ipv4,udp", A4, B4, "udp", 1, 2)
add("eth", "vlan_ipv4_udp", E / Dot1Q(vlan=100) / IP(src=A4, dst=B4) / UDP(sport=1000, dport=2000),
    "eth,vlan,ipv4,udp", A4, B4, "udp", 1000, 2000)
add("eth", "qinq_ipv6_tcp", E / Dot1AD(vlan=200) / Dot1Q(vlan=300) / IPv6(src=A6, dst=B6) /
    TCP(sport=443, dport=50000, flags="SA"), "eth,vlan,vlan,ipv6,tcp", A6, B6, "tcp", 443, 50000)
add("eth", "ipv6_tcp", E / IPv6(src=A6, dst=B6) / TCP(sport=50001, dport=22, flags="PA") / PAY,
    "eth,ipv6,tcp", A6, B6, "tcp", 50001, 22)
add("eth", "ipv6_ext_udp", E / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() /
    IPv6ExtHdrRouting(addresses=[C6]) / IPv6ExtHdrDestOpt() / UDP(sport=7, dport=9) / Raw(b"hi"),
    "eth,ipv6,udp", A6, B6, "udp", 7, 9,
    events="decoder.ipv6.hopopts_only_padding,decoder.ipv6.rh_type_0,"
    "decoder.ipv6.dstopts_only_padding")
add("eth", "ipv6_icmpv6_echo", E / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(id=77, seq=5, data=b"ping"),
    "eth,ipv6,icmp6", A6, B6, "icmpv6", 0, 0)
ah_tcp = bytes(IPv6(src=A6, dst=B6) / TCP(sport=1234, dport=80))[40:]
ah = struct.pack("!BBHII", 6, 4, 0, 0x100, 1) + b"\0" * 12
add("eth", "ipv6_ah_tcp", E / IPv6(src=A6, dst=B6, nh=51) / Raw(ah + ah_tcp), "eth,ipv6,ah,tcp",
    A6, B6, "tcp", 1234, 80)
add("eth", "ipv6_atomic_frag_udp", E / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(offset=0, m=0, id=5) /
    UDP(sport=53, dport=53), "eth,ipv6,udp", A6, B6, "udp", 53, 53,
    events="decoder.ipv6.exthdr_useless_fh")
add("eth", "gre_ipv4_udp", E / IP(src=A4, dst=B4) / GRE() / IP(src=C4, dst=D4) / UDP(sport=11, dport=12),
    "eth,ipv4,gre,ipv4,udp", C4, D4, "udp", 11, 12, flags="tunnel")
add("eth", "gre_key_seq_csum_ipv6_icmpv6", E / IP(src=A4, dst=B4) /
    GRE(chksum_present=1, key_present=1, key=0xabcd, seqnum_present=1, sequence_number=9) /
    IPv6(src=C6, dst=D6) / ICMPv6EchoRequest(id=1, seq=2), "eth,ipv4,gre,ipv6,icmp6", C6, D6,
    "icmpv6", 0, 0, flags="tunnel")
add("eth", "gre_teb_eth_ipv4_tcp", E / IP(src=A4, dst=B4) / GRE(proto=0x6558) / Ether() /
    IP(src=C4, dst=D4) / TCP(sport=3000, dport=25), "eth,ipv4,gre,eth,ipv4,tcp", C4, D4, "tcp",
    3000, 25, flags="tunnel")
pptp_in = IP(src=C4, dst=D4) / TCP(sport=3333, dport=80, flags="PA") / PAY
add("eth", "pptp_gre_ppp_ipv4_tcp", E / IP(src=A4, dst=B4) /
    GRE_PPTP(seqnum_present=1, call_id=5, sequence_number=1) / PPP(proto=0x21) / pptp_in,
    "eth,ipv4,gre,ppp,ipv4,tcp", C4, D4, "tcp", 3333, 80, flags="tunnel")
add("eth", "pptp_ack_seq_acfc_pfc", E / IP(src=A4, dst=B4) /
    GRE_PPTP(seqnum_present=1, acknum_present=1, call_id=6, sequence_number=2, ack_number=1) /
    Raw(ppp_bytes(pptp_in, acfc=False, pfc=True)), "eth,ipv4,gre,ppp,ipv4,tcp", C4, D4, "tcp",
    3333, 80, flags="tunnel")
add("eth", "pptp_ack_only", E / IP(src=A4, dst=B4) /
    GRE_PPTP(acknum_present=1, call_id=6, ack_number=4, payload_len=0), "eth,ipv4,gre", A4, B4, "gre")
add("eth", "pptp_mppe", E / IP(src=A4, dst=B4) / GRE_PPTP(seqnum_present=1, call_id=6,
    sequence_number=3) / Raw(b"\x00\xfd\x90\x01" + b"\x55" * 20), "eth,ipv4,gre,ppp", A4, B4, "gre",
    flags="ppp_ctrl")
add("eth", "l2tp_ls_ppp_ipv4_udp", E / IP(src=A4, dst=B4) / UDP(sport=1701, dport=1701) /
    Raw(l2tp(0x4802, ppp_bytes(IP(src=C4, dst=D4) / UDP(sport=68, dport=67) / Raw(b"d" * 4)), ns=1,
             nr=2)), "eth,ipv4,udp,l2tp,ppp,ipv4,udp", C4, D4, "udp", 68, 67, flags="tunnel")
add("eth", "l2tp_offset_pfc_ipv6", E / IP(src=A4, dst=B4) / UDP(sport=1701, dport=1701) /
    Raw(l2tp(0x0202, ppp_bytes(IPv6(src=C6, dst=D6) / TCP(sport=1, dport=2), acfc=True, pfc=True,
                               proto=0x57), offset=b"\0\0\0")),
    "eth,ipv4,udp,l2tp,ppp,ipv6,tcp", C6, D6, "tcp", 1, 2, flags="tunnel")
add("eth", "l2tp_ctrl", E / IP(src=A4, dst=B4) / UDP(sport=1701, dport=1701) /
    Raw(l2tp(0xc802, b"\x80\x08\x00\x00\x00\x00\x00\x01", tid=0, sid=0)),
    "eth,ipv4,udp,l2tp", A4, B4, "udp", 1701, 1701, flags="l2tp_ctrl")
add("eth", "esp", E / IP(src=A4, dst=B4) / ESP(spi=0x1001, seq=7, data=b"\xaa" * 40),
    "eth,ipv4,esp", A4, B4, "esp", flags="esp")
add("eth", "esp_udp4500", E / IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500) /
    ESP(spi=0x2002, seq=8, data=b"\xbb" * 40), "eth,ipv4,udp,esp", A4, B4, "udp", 4500, 4500,
    flags="esp")
add("eth", "ike_udp4500", E / IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500) /
    Raw(b"\0\0\0\0" + b"\x11" * 28), "eth,ipv4,udp", A4, B4, "udp", 4500, 4500)
add("eth", "ipip_tcp", E / IP(src=A4, dst=B4) / IP(src=C4, dst=D4) / TCP(sport=5, dport=6),
    "eth,ipv4,ipv4,tcp", C4, D4, "tcp", 5, 6, flags="tunnel")
add("eth", "ipv6_in_ipv4_udp", E / IP(src=A4, dst=B4) / IPv6(src=C6, dst=D6) / UDP(sport=5, dport=6),
    "eth,ipv4,ipv6,udp", C6, D6, "udp", 5, 6, flags="tunnel")
add("eth", "ipv4_bad_ipcsum", E / IP(src=A4, dst=B4, chksum=0x1234) / UDP(sport=1, dport=2),
    "eth,ipv4,udp", A4, B4, "udp", 1, 2, flags="csum_ip", events="decoder.ipv4.bad_checksum")
add("eth", "ipv4_bad_tcpcsum", E / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, chksum=1),
    "eth,ipv4,tcp", A4, B4, "tcp", 1, 2, flags="csum_l4", events="decoder.tcp.bad_checksum")
add("eth", "ipv6_bad_udpcsum", E / IPv6(src=A6, dst=B6) / UDP(sport=1, dport=2, chksum=1),
    "eth,ipv6,udp", A6, B6, "udp", 1, 2, flags="csum_l4", events="decoder.udp.bad_checksum")
add("eth", "ipv4_bad_icmpcsum", E / IP(src=A4, dst=B4) / ICMP(chksum=1),
    "eth,ipv4,icmp4", A4, B4, "icmp", flags="csum_l4", events="decoder.icmpv4.bad_checksum")
add("eth", "ipv4_frag_first", E / IP(src=A4, dst=B4, id=99, flags="MF", proto=17) /
    Raw(bytes(UDP(sport=1, dport=2, len=40, chksum=0)) + b"f" * 16), "eth,ipv4", A4, B4, "udp",
    flags="frag")
add("eth", "ipv4_frag_last", E / IP(src=A4, dst=B4, id=99, frag=3, proto=17) / Raw(b"g" * 16),
    "eth,ipv4", A4, B4, "udp", flags="frag")
add("eth", "ipv6_frag_first", E / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(offset=0, m=1, id=0x55, nh=17) /
    Raw(bytes(UDP(sport=1, dport=2, len=24, chksum=0)) + b"h" * 8), "eth,ipv6", A6, B6, "udp",
    flags="frag")
deep = IP(src=C4, dst=D4) / UDP(sport=9, dport=9)
for i in range(4):
    deep = IP(src="10.9.9.%d" % i, dst="10.8.8.%d" % i) / deep
add("eth", "too_deep", E / deep, "eth,ipv4,ipv4,ipv4,ipv4", "10.9.9.0", "10.8.8.0", "ipip",
    flags="tunnel", events="decoder.too_many_layers")
add("eth", "gre_version2", E / IP(src=A4, dst=B4) / GRE(version=2) / Raw(b"\0" * 8),
    "eth,ipv4", A4, B4, "gre", events="decoder.gre.wrong_version")
ext = IPv6ExtHdrDestOpt()
for i in range(9):
    ext = ext / IPv6ExtHdrDestOpt()
add("eth", "ipv6_ext_too_many", E / IPv6(src=A6, dst=B6) / ext / UDP(), "eth,ipv6", A6, B6, "-",
    events="decoder.ipv6.exthdr_too_many")
add("eth", "arp", E / ARP(), "eth")
trunc = bytes(E / IP(src=A4, dst=B4) / TCP(sport=1, dport=2) / PAY)[:14 + 20 + 20 + 5]
add("eth", "ipv4_snapped", Raw(trunc), "eth,ipv4,tcp", A4, B4, "tcp", 1, 2,
    events="decoder.ipv4.trunc_pkt")
# --- other link types ---------------------------------------------------------------------
add("sll", "sll_ipv4_tcp", CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02" * 6) /
    IP(src=A4, dst=B4) / TCP(sport=8, dport=9), "sll,ipv4,tcp", A4, B4, "tcp", 8, 9)
add("sll", "sll_vlan_ipv6_udp", CookedLinux(proto=0x8100) / Dot1Q(vlan=5) /
    IPv6(src=A6, dst=B6) / UDP(sport=8, dport=9), "sll,vlan,ipv6,udp", A6, B6, "udp", 8, 9)
add("sll2", "sll2_ipv4_udp", CookedLinuxV2(proto=0x0800, ifindex=2) / IP(src=A4, dst=B4) /
    UDP(sport=8, dport=9), "sll2,ipv4,udp", A4, B4, "udp", 8, 9)
add("sll2", "sll2_ipv6_tcp", CookedLinuxV2(proto=0x86dd, ifindex=2) / IPv6(src=A6, dst=B6) /
    TCP(sport=8, dport=9), "sll2,ipv6,tcp", A6, B6, "tcp", 8, 9)
add("raw", "raw_ipv4_udp", IP(src=A4, dst=B4) / UDP(sport=8, dport=9), "ipv4,udp", A4, B4, "udp", 8, 9)
add("raw", "raw_ipv6_icmpv6", IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(), "ipv6,icmp6", A6, B6,
    "icmpv6")
add("null", "null_ipv4_tcp", Loopback(type=2) / IP(src=A4, dst=B4) / TCP(sport=8, dport=9),
    "null,ipv4,tcp", A4, B4, "tcp", 8, 9)
add("null", "null_ipv6_udp", Loopback(type=30) / IPv6(src=A6, dst=B6) / UDP(sport=8, dport=9),
    "null,ipv6,udp", A6, B6, "udp", 8, 9)
add("loop", "loop_ipv4_udp", Raw(struct.pack("!I", 2) + bytes(IP(src=A4, dst=B4) / UDP(sport=8, dport=9))),
    "null,ipv4,udp", A4, B4, "udp", 8, 9)
add("ppp", "ppp_ipv4_tcp", HDLC() / PPP(proto=0x21) / IP(src=A4, dst=B4) / TCP(sport=8, dport=9),
    "ppp,ipv4,tcp", A4, B4, "tcp", 8, 9)

LINKTYPES = {"eth": 1, "sll": 113, "sll2": 276, "raw": 101, "null": 0, "loop": 108, "ppp": 9}


def main():
    lines = []
    for link, pkts in packets.items():
        fname = "decode_%s.pcap" % link
        w = PcapWriter(os.path.join(HERE, fname), linktype=LINKTYPES[link], sync=True)
        for i, (name, raw, exp) in enumerate(pkts):
            w.write(Raw(raw))
            lines.append("\t".join([name, fname, str(i)] + exp))
        w.close()
    # The same Ethernet packets as pcapng, to read through libpcap's pcapng path.
    w = PcapNgWriter(os.path.join(HERE, "decode_eth.pcapng"))
    for name, raw, exp in packets["eth"]:
        w.write(Ether(raw))
    w.close()
    with open(os.path.join(HERE, "decode_manifest.tsv"), "w") as f:
        f.write("# generated by gen_decode.py: name file index layers n_ip src dst l4proto "
                "sport dport flags events\n")
        f.write("\n".join(lines) + "\n")


SELECTOR = {"eth": 0, "sll": 1, "sll2": 2, "raw": 3, "null": 4, "loop": 5, "ppp": 6}


def frames(sel, *pkts):
    """A fuzz_decode input: link selector, then length-prefixed frames."""
    out = bytes([sel])
    for p in pkts:
        b = bytes(p)
        out += struct.pack("!H", len(b)) + b
    return out


def corpus(outdir):
    """Seeds for fuzz/fuzz_decode.c: every test packet, plus fragment trains."""
    from scapy.all import fragment, fragment6
    os.makedirs(outdir, exist_ok=True)
    seeds = {}
    for link, pkts in packets.items():
        for name, raw, _ in pkts:
            seeds["%s_%s" % (link, name)] = bytes([SELECTOR[link]]) + raw
    big4 = IP(src=A4, dst=B4, id=321) / UDP(sport=1, dport=2) / Raw(b"F" * 300)
    f4 = fragment(big4, fragsize=104)
    seeds["frag4_in_order"] = frames(3, *f4)
    seeds["frag4_reverse"] = frames(3, *reversed(f4))
    ov = [IP(src=A4, dst=B4, id=9, proto=17, flags="MF", frag=0) / Raw(b"A" * 24),
          IP(src=A4, dst=B4, id=9, proto=17, flags="MF", frag=2) / Raw(b"B" * 24),
          IP(src=A4, dst=B4, id=9, proto=17, frag=1) / Raw(b"C" * 32)]
    seeds["frag4_overlap"] = frames(3, *ov)
    big6 = IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x1234) / UDP(sport=3, dport=4) / \
        Raw(b"S" * 1500)
    f6 = fragment6(big6, 600)
    seeds["frag6_in_order"] = frames(3, *f6)
    seeds["frag6_shuffled"] = frames(3, f6[1], f6[2], f6[0])
    gre_frag = [E / IP(src=A4, dst=B4) / GRE() / f for f in f4]
    seeds["frag4_in_gre"] = frames(0, *gre_frag)
    seeds["esp_hook_tunnel"] = frames(0, E / IP(src=A4, dst=B4) / Raw(
        struct.pack("!IIB", 0x1001, 1, 1) + bytes(IP(src=C4, dst=D4) / UDP(sport=5, dport=6))))
    seeds["esp_hook_transport"] = frames(3, IP(src=A4, dst=B4, proto=50) / Raw(
        struct.pack("!IIB", 0x1001, 1, 0) + bytes(TCP(sport=5, dport=6))))
    for name, data in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        corpus(sys.argv[2])
    else:
        main()
