#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Generates the end-to-end IPS captures of this folder with scapy (run with
/usr/bin/python3 from this folder; the pcaps are committed). One capture per
feature; e2e.rules holds the rules and expected.json the alert counts per sid
that `bulwark ips` must produce on each (tests/interop/test_ips_e2e.py)."""
from scapy.all import IP, TCP, UDP, DNS, DNSQR, Ether, wrpcap

CLI, SRV = "192.168.1.10", "93.184.216.34"
T0 = 1700000000.0


def tcp_session(payloads, sport=40000, dport=80, t=T0, cli=CLI, srv=SRV):
    """Handshake, then (direction, bytes) segments each ACKed, then FIN/ACK both ways."""
    pk = []
    cs, ss = 1000, 5000
    e = Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02")
    ec = Ether(src="00:00:00:00:00:02", dst="00:00:00:00:00:01")
    c = lambda **k: e / IP(src=cli, dst=srv) / TCP(sport=sport, dport=dport, **k)
    s = lambda **k: ec / IP(src=srv, dst=cli) / TCP(sport=dport, dport=sport, **k)
    pk.append(c(flags="S", seq=cs))
    pk.append(s(flags="SA", seq=ss, ack=cs + 1))
    cs += 1
    ss += 1
    pk.append(c(flags="A", seq=cs, ack=ss))
    for d, data in payloads:
        if d == "c":
            pk.append(c(flags="PA", seq=cs, ack=ss) / data)
            cs += len(data)
            pk.append(s(flags="A", seq=ss, ack=cs))
        else:
            pk.append(s(flags="PA", seq=ss, ack=cs) / data)
            ss += len(data)
            pk.append(c(flags="A", seq=cs, ack=ss))
    pk.append(c(flags="FA", seq=cs, ack=ss))
    pk.append(s(flags="FA", seq=ss, ack=cs + 1))
    pk.append(c(flags="A", seq=cs + 1, ack=ss + 1))
    for i, p in enumerate(pk):
        p.time = t + i * 0.01
    return pk


def udp_dns(name, t=T0):
    p = Ether() / IP(src=CLI, dst="8.8.8.8") / UDP(sport=53000, dport=53) / DNS(
        id=0x1234, rd=1, qd=DNSQR(qname=name))
    p.time = t
    return [p]


def tls_client_hello(sni):
    ext_sni = (b"\x00\x00" + (len(sni) + 5).to_bytes(2, "big") + (len(sni) + 3).to_bytes(2, "big")
               + b"\x00" + len(sni).to_bytes(2, "big") + sni)
    exts = ext_sni
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x04\x13\x01\xc0\x2f" + b"\x01\x00"
            + len(exts).to_bytes(2, "big") + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs


def tls_record(ctype, body):
    return bytes([ctype]) + b"\x03\x03" + len(body).to_bytes(2, "big") + body


def tls_server_hello():
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00"
    return tls_record(22, b"\x02" + len(body).to_bytes(3, "big") + body)


def ssh_newkeys():
    # RFC 4253 6: packet_length 12, padding_length 10, SSH_MSG_NEWKEYS (21), padding.
    return (12).to_bytes(4, "big") + b"\x0a\x15" + bytes(10)


HTTP_REQ = (b"GET /admin/%65vil.php?x=1 HTTP/1.1\r\nHost: www.example.com\r\n"
            b"User-Agent: e2e-test\r\n\r\n")
HTTP_RES = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"

wrpcap("content.pcap", tcp_session([("c", b"hello MALWARE-MARKER world")], dport=9999))
# The pattern split across two segments: found on the reassembled stream only.
wrpcap("stream_split.pcap", tcp_session([("c", b"xxxxSPLIT-"), ("c", b"PATTERNyyyy")], dport=9999))
wrpcap("http_uri.pcap", tcp_session([("c", HTTP_REQ), ("s", HTTP_RES)]))
wrpcap("dns_query.pcap", udp_dns("bad.example.org"))
wrpcap("tls_sni.pcap", tcp_session([("c", tls_client_hello(b"evil.example.net"))], dport=443))
wrpcap("flowbits.pcap", tcp_session([("c", b"LOGIN admin\r\n"), ("s", b"230 welcome\r\n")], dport=2121))
# Encrypted sessions: after TLS application data starts (and after both SSH
# NEWKEYS) the payload is no longer inspected, as Suricata's default
# encryption handling does; tls.sni and dsize still are. The same marker in
# a plain session alerts once.
TLS_APP_C = tls_record(23, b"ENC-MARKER client")
wrpcap("encrypted.pcap",
       tcp_session([("c", tls_client_hello(b"clear.example.net")), ("s", tls_server_hello()),
                    ("c", tls_record(20, b"\x01") + tls_record(22, bytes(40))),
                    ("s", tls_record(20, b"\x01") + tls_record(22, bytes(40))),
                    ("c", TLS_APP_C), ("s", tls_record(23, b"ENC-MARKER server")),
                    ("c", tls_record(23, b"more ENC-MARKER"))], dport=443)
       + tcp_session([("c", b"SSH-2.0-OpenSSH_9.2\r\n"), ("s", b"SSH-2.0-OpenSSH_9.2\r\n"),
                      ("c", ssh_newkeys()), ("s", ssh_newkeys()),
                      ("c", b"\x00\x00\x00\x1c ENC-MARKER ssh client data"),
                      ("s", b"\x00\x00\x00\x1c ENC-MARKER ssh server data")],
                     sport=40001, dport=22, t=T0 + 1)
       + tcp_session([("c", b"plain ENC-MARKER")], sport=40002, dport=9998, t=T0 + 2))
# A short response body is inspected once, complete (Suricata's
# response-body-minimal-inspect-size): the file.data alert comes with the
# last segment (packet 9), not with the first, which holds the marker.
BODY = b"BODY-MARK " + b"x" * 2990
wrpcap("http_body.pcap",
       tcp_session([("c", HTTP_REQ),
                    ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + BODY[:1000]),
                    ("s", BODY[1000:2000]), ("s", BODY[2000:])], sport=40003, t=T0 + 3))
# A 60,000-byte response body in 1,400-byte segments: after its first
# inspection (at Suricata's 40 KiB response-body-minimal-inspect-size) the
# body is inspected in windows of 16 KiB ending at the new data, as
# Suricata's file.data: BW-FIRST (offset 1,000) and BW-LAST (offset 59,000)
# each alert, but never together in one window.
WBODY = bytearray(b"y" * 60000)
WBODY[1000:1008] = b"BW-FIRST"
WBODY[59000:59007] = b"BW-LAST"
WBODY = bytes(WBODY)
wrpcap("http_body_window.pcap",
       tcp_session([("c", HTTP_REQ), ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n")]
                   + [("s", WBODY[i:i + 1400]) for i in range(0, len(WBODY), 1400)],
                   sport=40004, t=T0 + 4))
# Five sessions each carrying the marker: threshold type limit 2 gives 2 alerts.
thr = []
for i in range(5):
    thr += tcp_session([("c", b"THRESH-MARK")], sport=41000 + i, dport=9999, t=T0 + i)
wrpcap("threshold.pcap", thr)
# IP-only rules (addresses, ports, metadata only) run on the first packet of
# each flow direction, as Suricata's IP-only engine; a rule with a negated
# address, or with a header keyword, runs on every packet. A TCP session (6
# packets to the server, 4 back) and two UDP datagrams one way.
ipo = tcp_session([("c", b"hello"), ("s", b"world")], sport=40010, dport=7777, t=T0,
                  cli="10.77.0.1", srv="10.77.0.2")
for i in range(2):
    u = Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02") / IP(
        src="10.77.0.1", dst="10.77.0.2") / UDP(sport=5353, dport=9) / b"datagram"
    u.time = T0 + 1 + i * 0.01
    ipo.append(u)
wrpcap("ip_only.pcap", ipo)
