#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Interop oracle: tshark decrypts bulwark's ESP (RFC 4303, RFC 3948).

Two bulwark gateways in two network namespaces joined by a veth pair
(192.0.2.1 <-> 192.0.2.2) carry ICMP echoes and a TCP transfer with known
payloads. dumpcap records the ESP on veth-a; tshark, an independent
implementation, then decrypts the capture with the same keys (esp_sa UAT)
and must find: every ESP packet decrypted with a good ICV (AES-GCM,
RFC 4106, and AES-CBC + HMAC-SHA2, RFC 3602/4868), and exactly the inner
packets that were sent (echo ids, sequence numbers and payloads both ways,
the TCP byte stream). Every transform tshark 4.0 can decrypt, both outer
transports (IP protocol 50 and UDP 4500), tunnel mode, and transport mode
(RFC 4303 3.1.1) with policy routing on bulwark's fwmark.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bwtest as bt  # noqa: E402

MARK = 0x51
TSHARK_ENC = {
    "aes-gcm-128": "AES-GCM with 16 octet ICV [RFC4106]",
    "aes-gcm-256": "AES-GCM with 16 octet ICV [RFC4106]",
    "chacha20-poly1305": "ChaCha20-Poly1305 [RFC7634]",
    "aes-cbc-128": "AES-CBC [RFC3602]",
    "aes-cbc-256": "AES-CBC [RFC3602]",
}
TSHARK_INTEG = {
    "none": "NULL",
    "hmac-sha256-128": "HMAC-SHA-256-128 [RFC4868]",
    "hmac-sha384-192": "HMAC-SHA-384-192 [RFC4868]",
    "hmac-sha512-256": "HMAC-SHA-512-256 [RFC4868]",
}
FIELDS = ["frame.number", "esp.spi", "esp.sequence", "esp.icv_good", "esp.icv_bad",
          "esp.protocol", "ip.src", "ip.dst", "icmp.type", "icmp.ident", "icmp.seq",
          "data.data", "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.payload", "udp.dstport"]
TCP_PORT = 5001


def write_wireshark_conf(d, tunnel, src, dst):
    """esp_sa UAT + preferences for both SAs of tunnel (seen from src)."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "esp_sa"), "w") as f:
        for sa, s, t in ((tunnel.out, src, dst), (tunnel.inb, dst, src)):
            f.write('"IPv4","%s","%s","0x%08x","%s","0x%s","%s","%s"\n' % (
                s, t, sa.spi, TSHARK_ENC[tunnel.enc], sa.enc_key.hex(),
                TSHARK_INTEG[tunnel.integ],
                ("0x" + sa.integ_key.hex()) if sa.integ_key else ""))
    with open(os.path.join(d, "preferences"), "w") as f:
        f.write("esp.enable_encryption_decode: TRUE\n"
                "esp.enable_authentication_check: TRUE\n")


def tshark_supports(enc, workdir, pcap):
    """Whether tshark's ESP SA table accepts enc (4.0 lacks ChaCha20-Poly1305)."""
    d = os.path.join(workdir, "probe-" + enc)
    t = bt.Tunnel(enc, "none")
    write_wireshark_conf(d, t, "192.0.2.1", "192.0.2.2")
    r = bt.run(["timeout", "30", "tshark", "-n", "-r", pcap, "-c", "1"], timeout=40,
               check=False, env=dict(os.environ, WIRESHARK_CONFIG_DIR=d))
    return "invalid value" not in r.stderr and "Error loading table" not in r.stderr


def is_outer_esp(frame):
    """Ethernet + IPv4 carrying ESP or UDP to/from 4500 without the non-ESP marker."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return False
    ihl = (frame[14] & 15) * 4
    if frame[23] == 50:
        return True
    if frame[23] == 17:
        u = frame[14 + ihl:]
        ports = (int.from_bytes(u[0:2], "big"), int.from_bytes(u[2:4], "big"))
        return 4500 in ports and len(u) >= 12 and u[8:12] != b"\0\0\0\0"
    return False


def start_capture(ns, pcap, errpath):
    """dumpcap on veth-a; returns once a probe packet proves the filter is live."""
    err = open(errpath, "w")
    cap = bt.spawn(["ip", "netns", "exec", ns, "dumpcap", "-q", "-P", "-i", "veth-a", "-f",
                    "esp or udp port 4500 or udp port 9", "-w", pcap], stderr=err)
    err.close()

    def started():
        with open(errpath) as f:
            return "Capturing on" in f.read()
    if not bt.wait_for(started, 15):
        raise RuntimeError("dumpcap did not start: " + open(errpath).read())
    # libpcap flushes its ring while the filter is installed: probe until seen.
    import socket
    with bt.in_ns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Marked like bulwark's own packets so transport mode does not tunnel the probe,
    # and broadcast so that no ICMP error comes back (it would be tunneled).
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    try:
        def probed():
            s.sendto(b"probe", ("192.0.2.255", 9))
            return bt.pcap_count(pcap) > 0
        if not bt.wait_for(probed, 15, step=0.1):
            raise RuntimeError("dumpcap captured no probe")
    finally:
        s.close()
    return cap


def tshark_fields(pcap, confdir):
    r = bt.run(["timeout", "60", "tshark", "-n", "-r", pcap, "-Y", "esp", "-T", "fields",
                "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
               + sum((["-e", f] for f in FIELDS), []), timeout=70,
               env=dict(os.environ, WIRESHARK_CONFIG_DIR=confdir))
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append({f: (c.split("|") if c else []) for f, c in zip(FIELDS, cols)})
    return rows


def check_capture(rows, t, n_outer, pings, tcp_data, inner_a, inner_b):
    """Returns '' when the decrypted capture is exactly what was sent, else why not."""
    if len(rows) != n_outer:
        return "tshark saw %d ESP packets, capture has %d" % (len(rows), n_outer)
    spis = {t.out.spi, t.inb.spi}
    want_req = {(seq, pl.hex()) for seq, pl in pings[1].items()}
    got_req, got_rep = [], []
    streams = {"a2b": {}, "b2a": {}}
    for r in rows:
        fn = r["frame.number"][0]
        spi = int(r["esp.spi"][0], 16) if r["esp.spi"] else None
        if spi not in spis:
            return "frame %s: unexpected SPI %s" % (fn, r["esp.spi"])
        if t.encap == "udp" and r["udp.dstport"] != ["4500"]:
            return "frame %s: not UDP 4500: %s" % (fn, r["udp.dstport"])
        if not r["esp.protocol"]:
            return "frame %s (spi 0x%x seq %s): tshark did not decrypt it" % (
                fn, spi, r["esp.sequence"])
        if r["esp.icv_good"] != ["1"] or r["esp.icv_bad"] == ["1"]:
            return "frame %s (spi 0x%x seq %s): ICV not good (good=%s bad=%s)" % (
                fn, spi, r["esp.sequence"], r["esp.icv_good"], r["esp.icv_bad"])
        src, dst = r["ip.src"][-1], r["ip.dst"][-1]
        a2b = (src, dst) == (inner_a, inner_b)
        if not a2b and (src, dst) != (inner_b, inner_a):
            return "frame %s: inner %s -> %s is not ours" % (fn, src, dst)
        if (spi == t.out.spi) != a2b:
            return "frame %s: inner %s -> %s under the wrong SA 0x%x" % (fn, src, dst, spi)
        if r["icmp.type"]:
            ident = int(r["icmp.ident"][0], 0)
            if ident != pings[0]:
                return "frame %s: ICMP id %d, sent %d" % (fn, ident, pings[0])
            item = (int(r["icmp.seq"][0], 0), r["data.data"][0] if r["data.data"] else "")
            if r["icmp.type"] == ["8"] and a2b:
                got_req.append(item)
            elif r["icmp.type"] == ["0"] and not a2b:
                got_rep.append(item)
            else:
                return "frame %s: unexpected ICMP type %s" % (fn, r["icmp.type"])
        elif r["tcp.srcport"]:
            ports = (int(r["tcp.srcport"][0]), int(r["tcp.dstport"][0]))
            if TCP_PORT not in ports:
                return "frame %s: TCP ports %s are not the transfer's" % (fn, ports)
            if r["tcp.payload"]:
                seg = bytes.fromhex(r["tcp.payload"][0].replace(":", ""))
                streams["a2b" if a2b else "b2a"][int(r["tcp.seq"][0])] = seg
        else:
            return "frame %s: inner packet is neither our ICMP nor our TCP" % fn
    if sorted(got_req) != sorted(want_req):
        return "echo requests decrypted %s, sent %s" % (sorted(got_req), sorted(want_req))
    if sorted(got_rep) != sorted(want_req):
        return "echo replies decrypted %s, expected %s" % (sorted(got_rep), sorted(want_req))
    buf = bytearray()
    for off in sorted(streams["a2b"]):
        seg = streams["a2b"][off]
        if off - 1 > len(buf):
            return "TCP stream has a hole at %d" % len(buf)
        buf[off - 1:off - 1 + len(seg)] = seg
    if bytes(buf) != tcp_data:
        return "decrypted TCP stream (%d bytes) differs from the %d bytes sent" % (
            len(buf), len(tcp_data))
    if streams["b2a"]:
        return "unexpected TCP payload from the server"
    return ""


def run_case(ns_a, ns_b, work, t, n):
    label = t.label()
    d = os.path.join(work, "case%d" % n)
    os.makedirs(d)
    transport = t.mode == "transport"
    gw_a = bt.Bulwark(ns_a, [t], d, "a", tun_addrs=[] if transport else ["10.1.0.1/32"],
                      fwmark=MARK)
    gw_b = bt.Bulwark(ns_b, [t.mirror()], d, "b",
                      tun_addrs=[] if transport else ["10.2.0.1/32"], fwmark=MARK)
    pcap = os.path.join(d, "esp.pcap")
    cap = None
    try:
        gw_a.start()
        gw_b.start()
        if transport:
            inner_a, inner_b = "192.0.2.1", "192.0.2.2"
            bt.run(["timeout", "10", "ip", "-n", ns_a, "route", "replace", "192.0.2.2/32",
                    "dev", "bw0", "table", "51", "src", "192.0.2.1"])
            bt.run(["timeout", "10", "ip", "-n", ns_b, "route", "replace", "192.0.2.1/32",
                    "dev", "bw0", "table", "51", "src", "192.0.2.2"])
        else:
            inner_a, inner_b = "10.1.0.1", "10.2.0.1"
        cap = start_capture(ns_a, pcap, os.path.join(d, "dumpcap.err"))
        ident = 0x4000 + n
        payloads = [b"bulwark-echo-%d-" % i + os.urandom(16 + 40 * i) for i in range(3)]
        got = bt.ping(ns_a, inner_b, ident, payloads)
        want = {i + 1: p for i, p in enumerate(payloads)}
        if got != want:
            return bt.result(label, False, "echo replies through the tunnel: got seqs %s of %s"
                             % (sorted(got), sorted(want)))
        tcp_data = bytes((i * 7 + (i >> 8)) & 0xff for i in range(24000))
        recv = bt.tcp_transfer(ns_b, inner_b, ns_a, inner_a, tcp_data, port=TCP_PORT)
        if recv != tcp_data:
            return bt.result(label, False, "TCP transfer: %d of %d bytes intact" % (
                len(recv), len(tcp_data)))
        st = gw_a.status()
        n_outer = st["ctr"].get("esp_tx", 0) + st["ctr"].get("esp_rx", 0)
        if not bt.wait_for(lambda: bt.pcap_count(pcap, is_outer_esp) >= n_outer, 10, 0.05):
            return bt.result(label, False, "capture has %d ESP packets, bulwark counted %d" % (
                bt.pcap_count(pcap, is_outer_esp), n_outer))
        bt.stop(cap, signal.SIGINT)
        cap = None
        n_cap = bt.pcap_count(pcap, is_outer_esp)
        conf = os.path.join(d, "wireshark")
        write_wireshark_conf(conf, t, "192.0.2.1", "192.0.2.2")
        rows = tshark_fields(pcap, conf)
        why = check_capture(rows, t, n_cap, (ident, want), tcp_data, inner_a, inner_b)
        if why:
            return bt.result(label, False, why)
        return bt.result(label, True, "%d ESP packets decrypted by tshark, ICV good, "
                         "3 echoes + %d TCP bytes exact" % (n_cap, len(tcp_data)))
    except Exception as e:  # one case failing must not hide the others
        return bt.result(label, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if cap is not None:
            bt.stop(cap, signal.SIGINT)
        for gw in (gw_a, gw_b):
            rc = gw.stop()
            if rc not in (0, None):
                bt.result(label + " shutdown", False, "bulwark %s exited %s: %s" % (
                    gw.tag, rc, gw.log_text()))


def main():
    bt.require_root()
    bt.watchdog(540)
    work = bt.tmpdir()
    ns_a = bt.make_ns("tsa")
    ns_b = bt.make_ns("tsb")
    bt.veth(ns_a, "192.0.2.1/24", ns_b, "192.0.2.2/24", no_gso=True)
    for ns in (ns_a, ns_b):
        # Transport mode: unmarked traffic to the peer goes into bw0 (table 51, route
        # added per case while bw0 exists); bulwark's own ESP carries the mark.
        bt.run(["timeout", "10", "ip", "-n", ns, "rule", "add", "not", "fwmark", hex(MARK),
                "table", "51", "pref", "100"])

    # A tiny capture to probe tshark's SA table with.
    probe = os.path.join(work, "probe.pcap")
    with open(probe, "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    cases = []
    for enc, integ in bt.TRANSFORMS:
        if not tshark_supports(enc, work, probe):
            bt.log("NOTE %s: tshark %s cannot decrypt it (not in its ESP SA table); the scapy "
                   "oracle (test_esp_scapy.py) covers it" % (enc, tshark_version()))
            continue
        for encap in ("none", "udp"):
            cases.append(bt.Tunnel(enc, integ, encap=encap))
    for enc, integ, encap in (("aes-gcm-256", "none", "none"), ("aes-gcm-128", "none", "udp"),
                              ("aes-cbc-128", "hmac-sha256-128", "none"),
                              ("aes-cbc-256", "hmac-sha512-256", "udp")):
        cases.append(bt.Tunnel(enc, integ, mode="transport", encap=encap))
    only = os.environ.get("BW_CASES")
    for n, t in enumerate(cases):
        if only and only not in t.label():
            continue
        run_case(ns_a, ns_b, work, t, n)
    bt.summary_exit()


def tshark_version():
    r = bt.run(["timeout", "20", "tshark", "--version"], check=False)
    return r.stdout.split("\n")[0].split(" ")[2] if r.stdout else "?"


if __name__ == "__main__":
    main()
