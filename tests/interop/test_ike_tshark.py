#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Interop oracle: tshark decrypts bulwark's IKEv2 exchanges (RFC 7296).

The issue's key-derivation cross-check. Two bulwark gateways in two network
namespaces joined by a veth pair (192.0.2.1 <-> 192.0.2.2) run an IKEv2 PSK
site-to-site connection with a fresh pre-shared key. The responder (B) has
`ike: { log_keys: true }` and logs one tshark ikev2_decryption_table line per
IKE SA it derives keys for (SKEYSEED and prf+, RFC 7296 2.14 and 2.18).
dumpcap records UDP 500/4500 on veth-a while A initiates, a ping crosses the
tunnel, the CHILD_SA is rekeyed, the IKE SA is rekeyed (new SPIs, new keys
from SK_d), liveness checks run, and A finally deletes the IKE SA. tshark, an
independent implementation, then decrypts the capture with only the keys B
logged and must find, for every IKE message in the capture: an SK payload
(RFC 7296 3.14) that it decrypts with a good integrity check or tag, inner
payloads parsed, nothing malformed; and the contents bulwark was configured to
send: FQDN identities and shared-key MIC authentication in IKE_AUTH both ways,
traffic selectors 10.1.0.0/24 and 10.2.0.0/24, nonces in every
CREATE_CHILD_SA, a REKEY_SA notify for the CHILD_SA rekey, a new IKE SA
proposal with a KE payload for the IKE SA rekey, and DELETE payloads in
INFORMATIONAL exchanges.

The same runs with strongSwan's charon (kernel-libipsec, UDP encapsulation, so
IKE moves to port 4500 with the non-ESP marker) as the initiator in B and
bulwark as the responder in A, which then logs the keys: the issue's "charon
<-> bulwark exchange" (skipped when charon or swanctl is missing).

Proposals: AES-256-GCM-16 (RFC 5282) with ECP-256, AES-256-CBC +
HMAC-SHA2-256-128 (RFC 3602, RFC 4868) with MODP-2048; ChaCha20-Poly1305
(RFC 7634) only when tshark's ikev2_decryption_table knows it (tshark 4.0 does
not: the test says so and skips that case). Names that bulwark logs and
tshark does not accept are mapped here (TSHARK_NAMES) and reported.
Exit 77 when tshark, dumpcap or root is missing. About 45 s; BW_CASES=<substring>
selects cases (e.g. charon/aes256gcm16), BW_KEEP_TMP=<dir> keeps each case's
configs, logs, capture and tables there.
"""
import os
import re
import secrets
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bwtest as bt  # noqa: E402

# Names as tshark 4.0's ikev2_decryption_table accepts them (the strings in
# packet-isakmp.c's ikev2_encr_algs / ikev2_auth_algs); identity unless bulwark's
# log line differs.
TSHARK_NAMES = {}
# (label, IKE proposal, ESP proposal, encryption name tshark must accept)
CASES = [
    ("aes256gcm16", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
     "AES-GCM-256 with 16 octet ICV [RFC5282]"),
    ("aes256-sha256", "aes256-sha256-modp2048", "aes256-sha256",
     "AES-CBC-256 [RFC3602]"),
    ("chacha20poly1305", "chacha20poly1305-prfsha256-x25519", "chacha20poly1305",
     "CHACHA20-POLY1305 [RFC7634]"),
]
FIELDS = ["frame.number", "udp.srcport", "udp.dstport", "isakmp.ispi", "isakmp.rspi",
          "isakmp.exchangetype", "isakmp.flag_r", "isakmp.messageid", "isakmp.nextpayload",
          "isakmp.typepayload", "isakmp.enc.decrypted", "isakmp.enc.icd", "isakmp.id.type",
          "isakmp.id.data.fqdn", "isakmp.auth.method", "isakmp.nonce",
          "isakmp.notify.msgtype", "isakmp.delete.spi", "isakmp.delete.protoid",
          "isakmp.ts.start_ipv4", "isakmp.ts.end_ipv4", "isakmp.key_exchange.dh_group",
          "isakmp.tf.id.encr", "isakmp.ikev2.integrity_checksum", "_ws.malformed",
          "_ws.expert.message"]
KEYLINE = re.compile(r"ikev2_decryption_table: ([0-9a-f]{16}),([0-9a-f]{16}),([0-9a-f]*),"
                     r"([0-9a-f]*),\"([^\"]*)\",([0-9a-f]*),([0-9a-f]*),\"([^\"]*)\"")
EX_SA_INIT, EX_AUTH, EX_CHILD, EX_INFO = 34, 35, 36, 37
PL_SA, PL_KE, PL_IDI, PL_AUTH, PL_NONCE, PL_N, PL_D, PL_TSI, PL_SK = 33, 34, 35, 39, 40, 41, \
    42, 44, 46
ID_FQDN, AUTH_PSK, N_REKEY_SA = 2, 2, 16393
IKE_REKEY, CHILD_REKEY, DPD = 6, 3, 2


def tshark_names():
    """The encryption and integrity names compiled into tshark's IKEv2 table."""
    lib = None
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
              "/usr/lib"):
        try:
            for f in sorted(os.listdir(d)):
                if f.startswith("libwireshark.so."):
                    lib = os.path.join(d, f)
        except OSError:
            pass
        if lib:
            break
    if not lib:
        return None
    with open(lib, "rb") as f:
        data = f.read()
    return {m.decode() for m in re.findall(rb"[A-Za-z0-9_/ -]+ \[RFC\d+\]", data)}


def to_tshark(name, known):
    n = TSHARK_NAMES.get(name, name)
    if known is not None and n not in known:
        raise ValueError("tshark has no ikev2_decryption_table name '%s'" % n)
    return n


class IkeBulwark(bt.Bulwark):
    """A bulwark daemon with one IKEv2 PSK connection "peer", child "net"."""

    def __init__(self, ns, workdir, tag, local, remote, lnet, rnet, tun_addr, ike_prop,
                 esp_prop, psk, log_keys=False, initiator=False, peer_id=None):
        self.ns, self.tag = ns, tag
        self.sock = os.path.join(workdir, tag + ".sock")
        self.conf = os.path.join(workdir, tag + ".yaml")
        self.logpath = os.path.join(workdir, tag + ".log")
        # The initiator rekeys the CHILD_SA and then the IKE SA; the responder
        # runs liveness checks. The responder's own timers are far away.
        child_rekey = CHILD_REKEY if initiator else 600
        ike_rekey = IKE_REKEY if initiator else 900
        with open(self.conf, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("log: { level: info }\n"
                    "daemon: { control_socket: %s }\n"
                    "tun: { name: bw0, mtu: 1400, addresses: [%s] }\n"
                    "ipsec: { raw_esp: true, udp_port: 4500 }\n"
                    "ike:\n"
                    "  port: 500\n"
                    "  log_keys: %s\n"
                    "  connections:\n"
                    "    - name: peer\n"
                    "      local_addrs: [%s]\n"
                    "      remote_addrs: [%s]\n"
                    "      proposals: [%s]\n"
                    "      local: { id: %s.interop.example, auth: psk }\n"
                    "      remote: { id: %s.interop.example, auth: psk }\n"
                    "      psk: 0x%s\n"
                    "      rekey_time: %d\n"
                    "      dpd_delay: %d\n"
                    "      keyingtries: 1\n"
                    "      children:\n"
                    "        - name: net\n"
                    "          local_ts: [%s]\n"
                    "          remote_ts: [%s]\n"
                    "          esp_proposals: [%s]\n"
                    "          rekey_time: %d\n"
                    # the default hard lifetime (1.1 x rekey_time) would leave 0.3 s for a
                    # CHILD_SA rekey that waits behind the IKE SA's
                    "          life_time: %d\n"
                    "          start_action: none\n" % (
                        self.sock, tun_addr, "true" if log_keys else "false", local, remote,
                        ike_prop, tag, peer_id or ("b" if tag == "a" else "a"), psk.hex(),
                        ike_rekey,
                        600 if initiator else DPD, lnet, rnet, esp_prop, child_rekey,
                        child_rekey + 60))
        self.proc = None

    def full_log(self):
        with open(self.logpath) as f:
            return f.read()

    def ctl(self, cmd):
        return bt.run(["timeout", "10", bt.BULWARK, "ctl", "-s", self.sock, cmd], timeout=15)


CHARON = "/usr/lib/ipsec/charon"
CHARON_PLUGINS = ("random nonce openssl aes sha1 sha2 md5 hmac gcm chapoly curve25519 gmp pem "
                  "pkcs1 pubkey x509 kdf kernel-libipsec kernel-netlink socket-default vici")


class Charon:
    """strongSwan's charon in namespace ns (kernel-libipsec, own /run and VICI socket;
    ../shared/INTEROP.md) as the initiator of connection "bw", child "net", with the
    same rekey and liveness timers as bulwark's initiator above. UDP encapsulation is
    forced (libipsec only does RFC 3948), so IKE moves to port 4500."""

    def __init__(self, ns, d, local, remote, lnet, rnet, ike_prop, esp_prop, psk):
        self.ns, self.d = ns, d
        for sub in ("run", "swanctl/x509", "swanctl/x509ca", "swanctl/private",
                    "swanctl/rsa", "swanctl/ecdsa", "swanctl/pkcs8", "swanctl/pubkey"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        self.uri = "unix://%s/charon.vici" % d
        self.logpath = os.path.join(d, "charon.log")
        with open(os.path.join(d, "strongswan.conf"), "w") as f:
            f.write("charon {\n  load_modular = no\n  load = %s\n  install_routes = yes\n"
                    "  install_virtual_ip = no\n  retransmit_tries = 2\n"
                    "  retransmit_timeout = 1\n  filelog {\n    t {\n      path = %s\n"
                    "      flush_line = yes\n      default = 1\n    }\n  }\n"
                    "  syslog {\n    daemon {\n      default = -1\n    }\n  }\n"
                    "  plugins {\n    vici {\n      socket = %s\n    }\n  }\n}\n" % (
                        CHARON_PLUGINS, self.logpath, self.uri))
        with open(os.path.join(d, "swanctl", "swanctl.conf"), "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("connections {\n bw {\n  version = 2\n  local_addrs = %s\n"
                    "  remote_addrs = %s\n  encap = yes\n  proposals = %s\n"
                    "  rekey_time = %ds\n  rand_time = 0s\n  over_time = 60s\n"
                    "  dpd_delay = %ds\n"
                    "  local {\n   auth = psk\n   id = b.interop.example\n  }\n"
                    "  remote {\n   auth = psk\n   id = a.interop.example\n  }\n"
                    "  children {\n   net {\n    mode = tunnel\n    local_ts = %s\n"
                    "    remote_ts = %s\n    esp_proposals = %s\n    rekey_time = %ds\n"
                    "    rand_time = 0s\n    life_time = 60s\n    start_action = none\n   }\n  }\n"
                    " }\n}\n"
                    "secrets {\n ike-bw {\n  id-a = a.interop.example\n"
                    "  id-b = b.interop.example\n  secret = 0x%s\n }\n}\n" % (
                        local, remote, ike_prop, IKE_REKEY, DPD, lnet, rnet, esp_prop,
                        CHILD_REKEY, psk.hex()))
        self.proc = None

    def swanctl(self, *args, timeout=10):
        return bt.run(["timeout", "-k", "2", str(timeout), "swanctl", args[0], "--uri",
                       self.uri] + list(args[1:]), timeout=timeout + 5)

    def start(self):
        out = open(os.path.join(self.d, "charon.out"), "w")
        self.proc = bt.spawn(["ip", "netns", "exec", self.ns, "unshare", "--mount",
                              "--propagation", "private", "sh", "-c",
                              'mount --bind "$1" /run && exec env STRONGSWAN_CONF="$2" "$3"',
                              "sh", os.path.join(self.d, "run"),
                              os.path.join(self.d, "strongswan.conf"), CHARON],
                             stdout=out, stderr=out)
        out.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("charon exited %d" % self.proc.returncode)
            return bt.run(["timeout", "5", "swanctl", "--stats", "--uri", self.uri],
                          timeout=10, check=False).returncode == 0
        if not bt.wait_for(ready, 15, 0.1):
            raise RuntimeError("charon did not come up")
        self.swanctl("--load-all", "--clear", "--file",
                     os.path.join(self.d, "swanctl", "swanctl.conf"))
        return self

    def stop(self):
        if self.proc is not None:
            bt.stop(self.proc)
            self.proc = None


def is_ike(frame):
    """Ethernet + IPv4 + UDP 500, or UDP 4500 with the non-ESP marker (RFC 3948 2.2)."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return False
    u = frame[14 + (frame[14] & 15) * 4:]
    ports = (int.from_bytes(u[0:2], "big"), int.from_bytes(u[2:4], "big"))
    if 500 in ports:
        return len(u) >= 8 + 28
    return 4500 in ports and len(u) >= 12 + 28 and u[8:12] == b"\0\0\0\0"


def start_capture(ns, pcap, errpath):
    """dumpcap on veth-a; returns once a probe packet proves the filter is live."""
    err = open(errpath, "w")
    cap = bt.spawn(["ip", "netns", "exec", ns, "dumpcap", "-q", "-P", "-i", "veth-a", "-f",
                    "udp port 500 or udp port 4500 or udp port 9", "-w", pcap], stderr=err)
    err.close()

    def started():
        with open(errpath) as f:
            return "Capturing on" in f.read()
    if not bt.wait_for(started, 15):
        raise RuntimeError("dumpcap did not start: " + open(errpath).read())
    import socket
    with bt.in_ns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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


def key_lines(logtext, known):
    """ikev2_decryption_table rows from the daemon's log, names mapped for tshark."""
    rows = []
    for m in KEYLINE.finditer(logtext):
        spii, spir, ei, er, enc, ai, ar, integ = m.groups()
        rows.append('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
            spii, spir, ei, er, to_tshark(enc, known), ai, ar, to_tshark(integ, known)))
    return rows


def tshark_rows(pcap, confdir):
    r = bt.run(["timeout", "60", "tshark", "-n", "-r", pcap, "-Y", "isakmp", "-T", "fields",
                "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
               + sum((["-e", f] for f in FIELDS), []), timeout=70,
               env=dict(os.environ, WIRESHARK_CONFIG_DIR=confdir))
    bad = [ln for ln in r.stderr.splitlines() if ln.strip() and "Running as user" not in ln]
    if bad:
        raise RuntimeError("tshark: " + " / ".join(bad[:3]))
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append({f: (c.split("|") if c else []) for f, c in zip(FIELDS, cols)})
    return rows


def ints(row, f):
    return [int(v, 0) for v in row[f]]


def check(rows, n_cap, known_spis, init_id="a.interop.example", resp_id="b.interop.example"):
    """'' when every IKE message decrypted and carried what bulwark sends, else why not.
    Returns (why, stats)."""
    st = {"msgs": len(rows), "sk": 0, "auth": 0, "child": 0, "child_rekey": 0,
          "ike_rekey": 0, "info": 0, "delete": 0, "ike_sas": set()}
    if len(rows) != n_cap:
        return "tshark saw %d IKE messages, the capture has %d" % (len(rows), n_cap), st
    auth_ids = {}
    for r in rows:
        fn = r["frame.number"][0]
        ex = ints(r, "isakmp.exchangetype")
        if len(ex) != 1:
            return "frame %s: %d IKE headers" % (fn, len(ex)), st
        ex = ex[0]
        if r["_ws.malformed"]:
            return "frame %s: tshark marks it malformed" % fn, st
        if r["isakmp.ikev2.integrity_checksum"]:
            return "frame %s: tshark finds the integrity checksum incorrect" % fn, st
        for msg in r["_ws.expert.message"]:
            low = msg.lower()
            if any(w in low for w in ("decrypt", "incorrect", "malformed", "invalid",
                                      "not enough", "too big", "multiple of")):
                return "frame %s: tshark says '%s'" % (fn, msg), st
        spis = (r["isakmp.ispi"][0].replace(":", ""), r["isakmp.rspi"][0].replace(":", ""))
        st["ike_sas"].add(spis)
        types = ints(r, "isakmp.typepayload")
        resp = r["isakmp.flag_r"] in (["1"], ["True"])
        if ex == EX_SA_INIT:
            if r["isakmp.enc.decrypted"] or PL_SK in types:
                return "frame %s: IKE_SA_INIT with an SK payload" % fn, st
            continue
        if spis not in known_spis:
            return "frame %s: IKE SA %s/%s has no logged keys" % (fn, *spis), st
        outer = ints(r, "isakmp.nextpayload")
        if not outer or outer[0] != PL_SK:
            return "frame %s: exchange %d without an SK payload first (%s)" % (
                fn, ex, outer), st
        if len(r["isakmp.enc.decrypted"]) != 1:
            return "frame %s (exchange %d): tshark did not decrypt the SK payload" % (
                fn, ex), st
        st["sk"] += 1
        inner = types[types.index(PL_SK) + 1:]
        if ex == EX_AUTH:
            if not r["isakmp.id.type"] or not r["isakmp.auth.method"]:
                return "frame %s: IKE_AUTH without ID/AUTH after decryption (payloads %s)" % (
                    fn, inner), st
            # IDi (and the initiator's optional IDr) or IDr, then AUTH (RFC 7296 1.2).
            want_ids = [[resp_id]] if resp else [[init_id], [init_id, resp_id]]
            if set(ints(r, "isakmp.id.type")) != {ID_FQDN} or \
                    r["isakmp.id.data.fqdn"] not in want_ids or \
                    ints(r, "isakmp.auth.method") != [AUTH_PSK]:
                return "frame %s: IKE_AUTH ID types %s %s, auth method %s (want FQDN %s, " \
                    "PSK)" % (fn, r["isakmp.id.type"], r["isakmp.id.data.fqdn"],
                              r["isakmp.auth.method"], want_ids[0]), st
            ts = set(r["isakmp.ts.start_ipv4"]) | set(r["isakmp.ts.end_ipv4"])
            if ts != {"10.1.0.0", "10.1.0.255", "10.2.0.0", "10.2.0.255"}:
                return "frame %s: IKE_AUTH traffic selectors %s" % (fn, sorted(ts)), st
            auth_ids[resp] = True
            st["auth"] += 1
        elif ex == EX_CHILD:
            if len(r["isakmp.nonce"]) != 1 or PL_SA not in inner:
                return "frame %s: CREATE_CHILD_SA without SA and nonce (payloads %s)" % (
                    fn, inner), st
            st["child"] += 1
            if PL_TSI in inner:
                if N_REKEY_SA in ints(r, "isakmp.notify.msgtype") or resp:
                    st["child_rekey"] += 1
                else:
                    return "frame %s: CREATE_CHILD_SA request with TS but no REKEY_SA" % fn, st
            elif PL_KE in inner:
                st["ike_rekey"] += 1
            else:
                return "frame %s: CREATE_CHILD_SA neither CHILD nor IKE rekey (%s)" % (
                    fn, inner), st
        elif ex == EX_INFO:
            st["info"] += 1
            if PL_D in inner:
                st["delete"] += 1
        else:
            return "frame %s: unexpected exchange type %d" % (fn, ex), st
    if set(auth_ids) != {False, True}:
        return "IKE_AUTH request and response not both decrypted", st
    if st["child_rekey"] < 2:
        return "no CHILD_SA rekey (request + response) decrypted", st
    if st["ike_rekey"] < 2:
        return "no IKE SA rekey (request + response) decrypted", st
    if st["delete"] < 2:
        return "fewer than 2 INFORMATIONAL messages with DELETE payloads decrypted", st
    return "", st


def run_case(ns_a, ns_b, work, n, label, ike_prop, esp_prop, known, peer="bulwark"):
    """peer bulwark: A (bulwark) initiates, B (bulwark) logs the keys. peer charon: B
    (charon) initiates, A (bulwark) responds and logs the keys."""
    d = os.path.join(work, "case%d" % n)
    os.makedirs(d)
    psk = secrets.token_bytes(32)
    with_charon = peer == "charon"
    a = IkeBulwark(ns_a, d, "a", "192.0.2.1", "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24",
                   "10.1.0.1/24", ike_prop, esp_prop, psk, initiator=not with_charon,
                   log_keys=with_charon)
    if with_charon:
        b = Charon(ns_b, os.path.join(d, "sw-b"), "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
                   "10.1.0.0/24", ike_prop, esp_prop, psk)
        keys = a
    else:
        b = IkeBulwark(ns_b, d, "b", "192.0.2.2", "192.0.2.1", "10.2.0.0/24", "10.1.0.0/24",
                       "10.2.0.1/24", ike_prop, esp_prop, psk, log_keys=True)
        keys = b
    pcap = os.path.join(d, "ike.pcap")
    cap = None
    try:
        if with_charon:
            # 10.2.0.1 behind charon (its routes in table 220 take it as the source).
            bt.run(["timeout", "10", "ip", "-n", ns_b, "addr", "add", "10.2.0.1/32", "dev",
                    "lo"])
        b.start()
        a.start()
        cap = start_capture(ns_a, pcap, os.path.join(d, "dumpcap.err"))
        if with_charon:
            b.swanctl("--initiate", "--child", "net", "--ike", "bw", timeout=15)
        else:
            a.ctl("initiate peer")
        ident = 0x4100 + n
        got = {}
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            try:  # the route into bw0 comes with the CHILD_SA
                got = bt.ping(ns_a, "10.2.0.1", ident, [b"bulwark-ike-%d" % n], timeout=0.5)
            except OSError:
                time.sleep(0.1)
        if not got:
            return bt.result(label, False, "no echo reply through the tunnel: %s" %
                             a.log_text()[-600:])
        # CHILD_SA rekey at ~CHILD_REKEY s, IKE SA rekey at ~IKE_REKEY s, B's
        # liveness checks every DPD s of silence; wait for the IKE SA rekey.
        t0 = time.monotonic()

        def rekeyed():
            return len(KEYLINE.findall(keys.full_log())) >= 2
        if not bt.wait_for(rekeyed, IKE_REKEY + 10, 0.2):
            return bt.result(label, False, "no IKE SA rekey logged by %s: %s" % (
                keys.tag, keys.log_text()[-600:]))
        time.sleep(max(0.0, DPD * 1.5 - (time.monotonic() - t0)) + 0.5)
        got = {}
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            try:  # retried: a CHILD_SA rekey may be switching SAs at this moment
                got = bt.ping(ns_a, "10.2.0.1", ident, [b"after-rekey-%d" % n], timeout=1)
            except OSError:
                time.sleep(0.1)
        if not got:
            return bt.result(label, False, "no echo reply after the rekeys")
        if with_charon:
            b.swanctl("--terminate", "--ike", "bw", timeout=15)
        else:
            a.ctl("terminate peer")
        # The responder has removed the rekeyed IKE SA too: both deletes are on the wire.
        if not bt.wait_for(lambda: keys.full_log().count("removed (deleted by peer)") >= 2,
                           5, 0.1):
            return bt.result(label, False, "%s did not remove the deleted IKE SA: %s" % (
                keys.tag, keys.log_text()[-600:]))
        bt.stop(cap, signal.SIGINT)
        cap = None
        n_cap = bt.pcap_count(pcap, is_ike)
        lines = key_lines(keys.full_log(), known)
        conf = os.path.join(d, "wireshark")
        os.makedirs(conf)
        with open(os.path.join(conf, "ikev2_decryption_table"), "w") as f:
            f.write("\n".join(lines) + "\n")
        rows = tshark_rows(pcap, conf)
        ids = ("b.interop.example", "a.interop.example") if with_charon else \
            ("a.interop.example", "b.interop.example")
        spis = {(ln.split(",")[0], ln.split(",")[1]) for ln in lines}
        why, st = check(rows, n_cap, spis, *ids)
        if why:
            return bt.result(label, False, why)
        # Controls: with one bit of SK_er (or, with an integrity algorithm, SK_ar) flipped
        # in the first IKE SA's line the same check must fail: tshark really verifies
        # what it decrypts.
        why_bad = []
        for col, what in ((3, "SK_er"), (6, "SK_ar")):
            f = lines[0].split(",")
            if not f[col]:
                continue
            f[col] = "%02x" % (int(f[col][:2], 16) ^ 1) + f[col][2:]
            bad = os.path.join(d, "wireshark-bad-" + what)
            os.makedirs(bad)
            with open(os.path.join(bad, "ikev2_decryption_table"), "w") as fh:
                fh.write("\n".join([",".join(f)] + lines[1:]) + "\n")
            why, _ = check(tshark_rows(pcap, bad), n_cap, spis, *ids)
            if not why or (what == "SK_ar" and "integrity" not in why):
                return bt.result(label, False, "control: a wrong %s gives '%s'" % (what, why))
            why_bad.append("%s: %s" % (what, why))
        return bt.result(label, True, "%d IKE messages, %d SK payloads decrypted by tshark "
                         "with %d logged key sets (IKE_AUTH %d, CREATE_CHILD_SA %d: CHILD "
                         "rekey %d, IKE rekey %d; INFORMATIONAL %d, with DELETE %d); "
                         "a flipped key bit fails (%s)" % (
                             st["msgs"], st["sk"], len(lines), st["auth"], st["child"],
                             st["child_rekey"], st["ike_rekey"], st["info"], st["delete"],
                             "; ".join(why_bad)))
    except Exception as e:  # one case failing must not hide the others
        return bt.result(label, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if cap is not None:
            bt.stop(cap, signal.SIGINT)
        a.stop()
        b.stop()
        if with_charon:
            bt.run(["timeout", "10", "ip", "-n", ns_b, "addr", "del", "10.2.0.1/32", "dev",
                    "lo"], check=False)
        keep = os.environ.get("BW_KEEP_TMP")
        if keep:
            import shutil
            shutil.copytree(d, os.path.join(keep, os.path.basename(d)), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.vici", "*.sock"))


def main():
    for tool in ("tshark", "dumpcap"):
        if not any(os.access(os.path.join(p, tool), os.X_OK)
                   for p in os.environ.get("PATH", "/usr/bin").split(":")):
            bt.log("SKIP: %s is not installed" % tool)
            sys.exit(77)
    bt.require_root()
    bt.watchdog(300)
    known = tshark_names()
    work = bt.tmpdir()
    ns_a = bt.make_ns("ika")
    ns_b = bt.make_ns("ikb")
    bt.veth(ns_a, "192.0.2.1/24", ns_b, "192.0.2.2/24")
    peers = ["bulwark"]
    if os.access(CHARON, os.X_OK) and any(os.access(os.path.join(p, "swanctl"), os.X_OK)
                                          for p in os.environ.get("PATH", "").split(":")):
        peers.append("charon")
    else:
        bt.log("NOTE charon/swanctl not installed: bulwark <-> bulwark cases only")
    only = os.environ.get("BW_CASES")
    n = 0
    for label, ike_prop, esp_prop, tname in CASES:
        if known is not None and tname not in known:
            bt.log("NOTE %s: tshark %s cannot decrypt it ('%s' is not in its "
                   "ikev2_decryption_table); skipped" % (label, tshark_version(), tname))
            continue
        for peer in peers:
            full = "%s/%s" % (peer, label)
            if only and only not in full:
                continue
            run_case(ns_a, ns_b, work, n, full, ike_prop, esp_prop, known, peer)
            n += 1
    bt.summary_exit()


def tshark_version():
    r = bt.run(["timeout", "20", "tshark", "--version"], check=False)
    return r.stdout.split("\n")[0].split(" ")[2] if r.stdout else "?"


if __name__ == "__main__":
    main()
