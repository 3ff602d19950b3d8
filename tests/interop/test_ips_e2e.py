#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""End-to-end: the scapy-made captures of tests/data/ips/e2e (gen_e2e.py) run
through `bulwark ips` with e2e.rules; every EVE line must parse as JSON, the
alert counts per sid must equal expected.json for each capture, fast.log must
hold one line per alert, and the final stats event must count the same
alerts. One capture per feature: payload content, a pattern split across
segments (stream), http.uri/method/host and stat_code via libhtp, dns.query,
tls.sni, flowbits across packets, threshold, no payload inspection once a
TLS or SSH session is encrypted (Suricata's default), a short HTTP body
inspected once, when complete (Suricata's minimal inspect size), and IP-only
rules evaluated once per flow direction (Suricata's IP-only engine)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

src = os.environ.get("BW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
bulwark = os.environ.get("BULWARK")
d = os.path.join(src, "tests", "data", "ips", "e2e")
if not bulwark:
    print("BULWARK not set: skipped")
    sys.exit(77)
expected = json.load(open(os.path.join(d, "expected.json")))
tmp = tempfile.mkdtemp(prefix="bw-ips-e2e-")
fails = 0
try:
    for pcap, want in sorted(expected.items()):
        out = os.path.join(tmp, pcap)
        p = subprocess.run([bulwark, "ips", "-r", os.path.join(d, pcap), "-S",
                            os.path.join(d, "e2e.rules"), "-l", out],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            print(f"FAIL {pcap}: exit {p.returncode}: {p.stderr}")
            fails += 1
            continue
        got, stats, flows = {}, None, 0
        with open(os.path.join(out, "eve.json"), "rb") as f:
            for line in f:
                ev = json.loads(line)
                t = ev["event_type"]
                if t == "alert":
                    s = str(ev["alert"]["signature_id"])
                    got[s] = got.get(s, 0) + 1
                    assert ev["timestamp"].endswith("+0000"), ev
                    assert ev["proto"] in ("TCP", "UDP"), ev
                elif t == "stats":
                    stats = ev
                elif t == "flow":
                    flows += 1
        fast = open(os.path.join(out, "fast.log")).read().splitlines()
        ok = (got == want and stats is not None and flows > 0 and
              len(fast) == sum(want.values()) and
              stats["stats"]["detect"]["alert"] == sum(want.values()))
        print(f"{'ok  ' if ok else 'FAIL'} {pcap}: bulwark {got} expected {want}, "
              f"{flows} flow events, {len(fast)} fast.log lines")
        fails += not ok
    # The category comes from classification.config beside the rules file.
    ev = [json.loads(l) for l in open(os.path.join(tmp, "content.pcap", "eve.json"))]
    al = [e for e in ev if e["event_type"] == "alert"]
    if not al or al[0]["alert"]["category"] != "A Network Trojan was detected" or \
            al[0]["alert"]["severity"] != 1:
        print("FAIL: classification not applied", al[:1])
        fails += 1
    http = [e for e in json.loads("[" + ",".join(open(os.path.join(tmp, "http_uri.pcap",
                                                                     "eve.json"))) + "]")
            if e["event_type"] == "alert" and e["alert"]["signature_id"] == 1000003]
    if not http or http[0].get("http", {}).get("hostname") != "www.example.com" or \
            http[0]["app_proto"] != "http":
        print("FAIL: http fields missing", http[:1])
        fails += 1
    # A short body is inspected once complete: the alert is the last segment's.
    body = [json.loads(l) for l in open(os.path.join(tmp, "http_body.pcap", "eve.json"))]
    body = [e for e in body if e["event_type"] == "alert" and
            e["alert"]["signature_id"] == 1000015]
    if len(body) != 1 or not body[0]["timestamp"].endswith("22:13:23.090000+0000"):
        print("FAIL: file.data not inspected at the body's end", body)
        fails += 1
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if fails else 0)
