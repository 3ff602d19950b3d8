#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The realistic captures of ../shared/ips/pcaps/realistic through `bulwark ips`
with the whole ET open ruleset, compared per capture and per sid with the
alerts Suricata 7.0.0 raised (reference-alerts-suricata-7.0.0-et-open.json).
Prints every match and difference; fails only when fewer captures match
exactly than the ratchet below (raise it as the engine improves).
Skips (77) when the shared data is absent."""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

# Captures whose per-sid alert counts equal Suricata's (ratchet: only raise it).
MIN_EXACT = 41

src = os.environ.get("BW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
shared = os.path.join(src, "..", "shared", "ips")
bulwark = os.environ.get("BULWARK")
rules_gz = os.path.join(shared, "rules", "et-open-suricata-5.0-20240421-all.rules.gz")
ref_path = os.path.join(shared, "pcaps", "reference-alerts-suricata-7.0.0-et-open.json")
pdir = os.path.join(shared, "pcaps", "realistic")
if not bulwark or not os.path.exists(rules_gz) or not os.path.exists(ref_path):
    print("shared IPS data or BULWARK missing: skipped")
    sys.exit(77)

ref = json.load(open(ref_path))["per_pcap_alert_counts"]
pcaps = sorted(p for p in os.listdir(pdir) if p.endswith(".pcap") or p.endswith(".pcapng"))
tmp = tempfile.mkdtemp(prefix="bw-ips-real-")


def run(pcap):
    out = os.path.join(tmp, pcap)
    t0 = time.monotonic()
    res = subprocess.run([bulwark, "ips", "-q", "-r", os.path.join(pdir, pcap), "-S", rules_gz,
                          "--classification", os.path.join(shared, "rules", "classification.config"),
                          "-l", out], capture_output=True, text=True, timeout=300)
    dt = time.monotonic() - t0
    if res.returncode != 0:
        return pcap, None, dt, res.stderr[-2000:]
    counts = {}
    with open(os.path.join(out, "eve.json"), "rb") as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") == "alert":
                sid = str(ev["alert"]["signature_id"])
                counts[sid] = counts.get(sid, 0) + 1
    return pcap, counts, dt, ""


try:
    with ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(run, pcaps))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

exact = 0
failed = 0
for pcap, got, dt, err in results:
    want = {k: v for k, v in ref.get(pcap, {}).items()}
    if got is None:
        failed += 1
        print(f"ERROR {pcap}: bulwark failed: {err}")
        continue
    if got == want:
        exact += 1
        tag = "match"
    else:
        tag = "DIFF "
    print(f"{tag} {pcap} ({dt:.2f} s): bulwark {got} suricata {want}")
print(f"{exact}/{len(results)} captures match Suricata exactly (ratchet {MIN_EXACT})")
if failed or exact < MIN_EXACT:
    sys.exit(1)
