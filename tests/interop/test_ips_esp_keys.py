#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Offline ESP decryption in the IPS (`bulwark ips --esp-keys`, docs/ips.md).

scapy's SecurityAssociation builds, at test time, captures of a TCP HTTP
exchange (handshake, then a GET carrying a distinctive string) tunnelled in
ESP between 192.0.2.2 and 192.0.2.1 (RFC 4303 tunnel mode; inner
10.2.0.1:40000 -> 10.1.0.1:80), raw (IP protocol 50) and UDP-encapsulated
(RFC 3948, port 4500), for AES-GCM-256, AES-CBC-256 with HMAC-SHA-256-128,
ChaCha20-Poly1305 and AES-GCM-128 with ESN, one SA per direction bound to its outer addresses. With
the key file bulwark must alert on the inner content with the inner
5-tuple and count every ESP packet as decrypted; without keys, and with a
wrong key, it must not alert and must count the packets as no-key and
auth-failed. A key file with a mistake must be refused with file:line:col.
Needs no root: nothing is sent.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

bulwark = os.environ.get("BULWARK")
if not bulwark:
    print("BULWARK not set: skipped")
    sys.exit(77)
try:
    from scapy.all import IP, TCP, UDP, Ether, Raw, conf, wrpcap
    from scapy.layers.ipsec import ESP, SecurityAssociation
except ImportError:
    print("scapy not installed: skipped")
    sys.exit(77)
conf.verb = 0

SECRET = b"BW-ESP-INNER-7f3a9c"
RULES = ('alert tcp any any -> any 80 (msg:"inner secret"; flow:to_server,established; '
         'content:"%s"; sid:4242001; rev:1;)\n' % SECRET.decode())
GW, PEER = "192.0.2.1", "192.0.2.2"
CLI, SRV = "10.2.0.1", "10.1.0.1"
SPI_C2S, SPI_S2C = 0x1001, 0x1002

CASES = [  # (label, bulwark enc, bulwark integ, scapy enc, scapy integ, enc/integ key len, ESN)
    ("aes-gcm-256", "aes-gcm-256", "none", "AES-GCM", None, 36, 0, False),
    ("aes-cbc-256+hmac-sha256-128", "aes-cbc-256", "hmac-sha256-128", "AES-CBC",
     "SHA2-256-128", 32, 32, False),
    ("chacha20-poly1305", "chacha20-poly1305", "none", "CHACHA20-POLY1305", None, 36, 0, False),
    ("aes-gcm-128 esn", "aes-gcm-128", "none", "AES-GCM", None, 20, 0, True),
]


def key(n, seed):
    return bytes((seed * 7 + i * 13) & 0xff for i in range(n))


def make_pcap(path, case, encap):
    _, _, _, senc, sinteg, klen, ilen, esn = case
    sas = {}
    for spi, src, dst, seed in ((SPI_C2S, PEER, GW, 1), (SPI_S2C, GW, PEER, 2)):
        sas[spi] = SecurityAssociation(
            ESP, spi=spi, crypt_algo=senc, crypt_key=key(klen, seed),
            auth_algo=sinteg, auth_key=key(ilen, seed + 10) if sinteg else None,
            tunnel_header=IP(src=src, dst=dst),
            nat_t_header=UDP(sport=4500, dport=4500) if encap else None,
            esn_en=esn, esn=0)
    req = b"GET /x HTTP/1.1\r\nHost: example.test\r\nX-Tag: " + SECRET + b"\r\n\r\n"
    inner = [  # (SA, inner packet): handshake, request, ACK
        (SPI_C2S, IP(src=CLI, dst=SRV) / TCP(sport=40000, dport=80, flags="S", seq=1000)),
        (SPI_S2C, IP(src=SRV, dst=CLI) / TCP(sport=80, dport=40000, flags="SA", seq=5000,
                                             ack=1001)),
        (SPI_C2S, IP(src=CLI, dst=SRV) / TCP(sport=40000, dport=80, flags="A", seq=1001,
                                             ack=5001)),
        (SPI_C2S, IP(src=CLI, dst=SRV) / TCP(sport=40000, dport=80, flags="PA", seq=1001,
                                             ack=5001) / Raw(req)),
        (SPI_S2C, IP(src=SRV, dst=CLI) / TCP(sport=80, dport=40000, flags="A", seq=5001,
                                             ack=1001 + len(req))),
    ]
    frames = []
    for i, (spi, pkt) in enumerate(inner):
        e = sas[spi].encrypt(IP(bytes(pkt)))
        if encap:
            # scapy 2.5 fixes the NAT-T UDP length at 8 before adding ESP: recompute.
            e[UDP].len = None
        e = IP(bytes(e))
        f = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / e
        f.time = 1700000000 + i * 0.01
        frames.append(f)
    wrpcap(path, frames)
    return len(frames)


def key_file(path, case, wrong=False):
    _, enc, integ, _, _, klen, ilen, esn = case
    lines = ["# bulwark ips --esp-keys", "sas:"]
    for spi, src, dst, seed in ((SPI_C2S, PEER, GW, 1), (SPI_S2C, GW, PEER, 2)):
        k, ik = bytearray(key(klen, seed)), bytearray(key(ilen, seed + 10))
        if wrong:
            # The key that is checked: the AEAD key, or the HMAC key with CBC
            # (a wrong CBC key alone passes the ICV and fails on the padding).
            (ik if ilen else k)[0] ^= 1
        lines += ["  - spi: 0x%x" % spi, "    src: %s" % src, "    dst: %s" % dst,
                  "    enc: %s" % enc, "    integ: %s" % integ, "    enc_key: 0x%s" % k.hex()]
        if ilen:
            lines.append("    integ_key: 0x%s" % ik.hex())
        lines.append("    esn: %s" % ("yes" if esn else "no"))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_ips(tmp, tag, pcap, rules, keys):
    out = os.path.join(tmp, tag)
    cmd = [bulwark, "ips", "-r", pcap, "-S", rules, "-l", out]
    if keys:
        cmd += ["--esp-keys", keys]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (tag, p.returncode, p.stderr))
    alerts, stats = [], None
    with open(os.path.join(out, "eve.json")) as f:
        for line in f:
            ev = json.loads(line)
            if ev["event_type"] == "alert":
                alerts.append(ev)
            elif ev["event_type"] == "stats":
                stats = ev["stats"]["decoder"]
    return alerts, stats, p.stdout


def check(label, cond, why):
    print("%s %s%s" % ("ok  " if cond else "FAIL", label, "" if cond else ": " + why))
    return 0 if cond else 1


def main():
    tmp = tempfile.mkdtemp(prefix="bw-ips-esp-")
    try:
        return run_all(tmp)
    finally:
        if os.environ.get("BW_KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run_all(tmp):
    rules = os.path.join(tmp, "esp.rules")
    with open(rules, "w") as f:
        f.write(RULES)
    fails = 0
    for case in CASES:
        for encap in (False, True):
            label = "%s %s" % (case[0], "udp-4500" if encap else "raw")
            tag = label.replace(" ", "_").replace("+", "_")
            pcap = os.path.join(tmp, tag + ".pcap")
            n = make_pcap(pcap, case, encap)
            keys, bad = os.path.join(tmp, tag + ".yaml"), os.path.join(tmp, tag + "-bad.yaml")
            key_file(keys, case)
            key_file(bad, case, wrong=True)
            try:
                al, st, text = run_ips(tmp, tag + "-keys", pcap, rules, keys)
                a = al[0] if len(al) == 1 else {}
                fails += check(label + " with keys",
                               len(al) == 1 and a["alert"]["signature_id"] == 4242001 and
                               a["src_ip"] == CLI and a["src_port"] == 40000 and
                               a["dest_ip"] == SRV and a["dest_port"] == 80 and
                               a["proto"] == "TCP" and st["esp_decrypted"] == n and
                               st["esp_no_key"] == 0 and st["esp_auth_failed"] == 0,
                               "alerts %s stats %s" % (al, st))
                fails += check(label + " summary", "decrypted %d," % n in text, text)
                al, st, _ = run_ips(tmp, tag + "-nokeys", pcap, rules, None)
                fails += check(label + " without keys",
                               not al and st["esp"] == n and st["esp_no_key"] == n and
                               st["esp_decrypted"] == 0, "alerts %s stats %s" % (al, st))
                al, st, _ = run_ips(tmp, tag + "-badkey", pcap, rules, bad)
                fails += check(label + " wrong key",
                               not al and st["esp_auth_failed"] == n and
                               st["esp_decrypted"] == 0, "alerts %s stats %s" % (al, st))
            except Exception as e:  # noqa: BLE001
                fails += check(label, False, "%s: %s" % (type(e).__name__, e))
    # A mistake in the key file stops the run and names file:line:col.
    bad = os.path.join(tmp, "mistake.yaml")
    with open(bad, "w") as f:
        f.write("sas:\n  - spi: 0x1001\n    enc: aes-gcm-256\n    enc_key: 0x0011\n")
    p = subprocess.run([bulwark, "ips", "-r", pcap, "-S", rules, "-l",
                        os.path.join(tmp, "mistake"), "--esp-keys", bad],
                       capture_output=True, text=True, timeout=60)
    fails += check("bad key file refused", p.returncode != 0 and
                   (bad + ":4:14:") in p.stderr and "36 bytes" in p.stderr,
                   "exit %d stderr %r" % (p.returncode, p.stderr))
    print("%d failure%s" % (fails, "" if fails == 1 else "s"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
