#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Runs every case of Suricata's verification suite in ../shared/ips/verify
(its pcap and test.rules) through `bulwark ips` and compares bulwark's per-sid
alert counts with those Suricata 7.0.0 produced (expected-alerts.json,
suricata_7_0_0_alert_counts), with the case's `--set` arguments and the few
settings of its suricata.yaml that bulwark has (yaml_settings). Prints the
share of cases that match exactly and, for the others, a table of reasons: a rule skipped by keyword (from
OUTDIR/rules-skipped.log), a protocol bulwark does not parse, a case that
needs a suricata.yaml setting, or a real difference. Fails only if the
number of matching cases drops below the figure recorded in
tests/data/ips/verify_baseline.txt. Skips (77) when the data is absent.
Set BW_VERIFY_DETAIL=1 to list every differing case."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

src = os.environ.get("BW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
vdir = os.path.join(src, "..", "shared", "ips", "verify")
bulwark = os.environ.get("BULWARK")
baseline_path = os.path.join(src, "tests", "data", "ips", "verify_baseline.txt")
if not bulwark or not os.path.exists(os.path.join(vdir, "expected-alerts.json")):
    print("shared IPS verify data or BULWARK missing: skipped")
    sys.exit(77)

cases = json.load(open(os.path.join(vdir, "expected-alerts.json")))
tmp = tempfile.mkdtemp(prefix="bw-ips-verify-")
SKIP_RE = re.compile(r":(\d+): rule skipped: (.*)$")


def rule_sids(path):
    """sid of each rule line number (1-based) of a rules file."""
    out = {}
    try:
        with open(path, errors="replace") as f:
            for i, line in enumerate(f, 1):
                m = re.search(r"\bsid\s*:\s*(\d+)", line)
                if m:
                    out[i] = m.group(1)
    except OSError:
        pass
    return out


def case_args(case_dir):
    """The `--set KEY=VALUE` settings the case's test.yaml (args:) gives Suricata,
    passed on to bulwark, which applies those it has and ignores the others."""
    out = []
    try:
        with open(os.path.join(case_dir, "test.yaml"), errors="replace") as f:
            text = f.read()
    except OSError:
        return out
    m = re.search(r"^args:\s*\n((?:[ \t]*(?:-.*)?\n?)+)", text, re.M)
    if not m:
        return out
    for setting in re.findall(r"--set\s+(\S+)", m.group(1)):
        out += ["--set", setting]
    return out


def yaml_settings(case_dir):
    """The few settings of the case's suricata.yaml that bulwark has, as
    `--set KEY=VALUE` options: packet-alert-max, action-order (a list, given
    comma-separated) and app-layer.protocols.mqtt.max-msg-length."""
    out = []
    try:
        with open(os.path.join(case_dir, "suricata.yaml"), errors="replace") as f:
            text = f.read()
    except OSError:
        return out
    m = re.search(r"^packet-alert-max:\s*(\d+)\s*$", text, re.M)
    if m:
        out += ["--set", "packet-alert-max=" + m.group(1)]
    m = re.search(r"^action-order:\s*\n((?:[ \t]+-[ \t]*\w+[ \t]*\n?)+)", text, re.M)
    if m:
        order = re.findall(r"-[ \t]*(\w+)", m.group(1))
        out += ["--set", "action-order=" + ",".join(order)]
    m = re.search(r"^[ \t]+mqtt:\s*\n(?:[ \t]+.*\n)*?[ \t]+max-msg-length:\s*(\d+)", text, re.M)
    if m:
        out += ["--set", "app-layer.protocols.mqtt.max-msg-length=" + m.group(1)]
    return out


def run(item):
    name, c = item
    out = os.path.join(tmp, name.replace("/", "__"))
    pcap = os.path.join(vdir, c["pcap"])
    rules = os.path.join(vdir, c["rules"])
    want = {str(k): v for k, v in c["suricata_7_0_0_alert_counts"].items()}
    case_dir = os.path.dirname(rules)
    res = {"name": name, "want": want, "got": None, "skipped": [], "yaml": False, "err": ""}
    res["yaml"] = os.path.exists(os.path.join(case_dir, "suricata.yaml"))
    if not os.path.exists(pcap):
        res["err"] = "capture missing from the shared data set"
        return res
    args = [bulwark, "ips", "-q", "-r", pcap, "-l", out] + yaml_settings(case_dir) + case_args(case_dir)
    if os.path.exists(rules):
        args += ["-S", rules]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        res["err"] = "timeout"
        return res
    if p.returncode != 0:
        res["err"] = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return res
    got = {}
    with open(os.path.join(out, "eve.json"), "rb") as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") == "alert":
                s = str(ev["alert"]["signature_id"])
                got[s] = got.get(s, 0) + 1
    res["got"] = got
    sids = rule_sids(rules)
    try:
        with open(os.path.join(out, "rules-skipped.log"), errors="replace") as f:
            for line in f:
                m = SKIP_RE.search(line.strip())
                if m:
                    res["skipped"].append((sids.get(int(m.group(1)), "?"), m.group(2)))
    except OSError:
        pass
    shutil.rmtree(out, ignore_errors=True)
    return res


def reason(r):
    if r["err"]:
        return "bulwark error: " + r["err"][:60]
    relevant = [s for s in r["skipped"] if s[0] in r["want"] or s[0] in (r["got"] or {})]
    pool = relevant or r["skipped"]
    for sid, why in pool:
        m = re.match(r"unsupported protocol (\S+)", why)
        if m:
            return "missing protocol " + m.group(1)
    for sid, why in pool:
        m = re.match(r"(unsupported keyword \S+)", why)
        if m:
            return "skipped " + m.group(1)
    if pool:
        return "skipped: " + pool[0][1][:50]
    if r["yaml"]:
        return "needs suricata.yaml setting (real difference?)"
    return "real difference"


try:
    with ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(run, sorted(cases.items())))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

match = [r for r in results if r["got"] is not None and r["got"] == r["want"]]
reasons = collections.Counter()
detail = os.environ.get("BW_VERIFY_DETAIL")
for r in results:
    if r in match:
        continue
    why = reason(r)
    reasons[why] += 1
    if detail:
        print(f"DIFF {r['name']}: {why}: bulwark {r['got']} suricata {r['want']}")
n = len(results)
print(f"verify: {len(match)}/{n} cases match Suricata 7.0.0 exactly ({100.0 * len(match) / n:.1f} %)")
print("reasons for the others:")
for why, k in reasons.most_common():
    print(f"  {k:4d}  {why}")
try:
    baseline = int(open(baseline_path).read().split()[0])
except (OSError, ValueError, IndexError):
    baseline = 0
print(f"baseline: {baseline} matching cases")
if len(match) < baseline:
    print("FAIL: fewer cases match than the recorded baseline")
    sys.exit(1)
