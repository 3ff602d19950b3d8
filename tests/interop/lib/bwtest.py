# SPDX-License-Identifier: ISC
"""Shared helpers for bulwark's interop tests (tests/interop/test_*.py).

Network namespaces named with the test's PID, a veth pair between them,
bulwark daemons started inside them with generated manual-keying configs
(fresh random keys), `bulwark ctl status` parsing, and cleanup of every
namespace and process on any exit (normal, exception, SIGTERM/SIGINT/SIGHUP).
Every external command runs under a timeout. Nothing outside the namespaces
created here is touched.

The calling thread can be moved into a namespace with `enter_ns()` (setns(2)
through ctypes); sockets keep the namespace they were created in.
"""
import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BULWARK = os.environ.get("BULWARK", "bulwark")
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
_namespaces = []
_procs = []
_tmpdirs = []
_host_ns_fd = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)

# Transform table: enc -> (enc_key length, integ allowed); integ -> key length.
ENC_KEYLEN = {"aes-gcm-128": 20, "aes-gcm-256": 36, "chacha20-poly1305": 36,
              "aes-cbc-128": 16, "aes-cbc-256": 32}
INTEG_KEYLEN = {"none": 0, "hmac-sha256-128": 32, "hmac-sha384-192": 48,
                "hmac-sha512-256": 64}
AEADS = ("aes-gcm-128", "aes-gcm-256", "chacha20-poly1305")
# Every transform bulwark supports, as (enc, integ).
TRANSFORMS = [(e, "none") for e in AEADS] + [
    (e, i) for e in ("aes-cbc-128", "aes-cbc-256")
    for i in ("hmac-sha256-128", "hmac-sha384-192", "hmac-sha512-256")]

_fails = 0
_passes = 0


def log(msg):
    print(msg, flush=True)


def result(name, ok, reason=""):
    """One line per case: PASS/FAIL name - reason."""
    global _fails, _passes
    if ok:
        _passes += 1
    else:
        _fails += 1
    log("%s %s%s" % ("PASS" if ok else "FAIL", name, (" - " + reason) if reason else ""))
    return ok


def summary_exit():
    log("summary: %d passed, %d failed" % (_passes, _fails))
    sys.exit(1 if _fails or not _passes else 0)


def run(cmd, timeout=20, check=True, **kw):
    """Runs cmd (list) with a timeout; returns CompletedProcess (text)."""
    r = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                (r.stderr or r.stdout).strip()))
    return r


def ns_run(ns, cmd, **kw):
    return run(["timeout", "30", "ip", "netns", "exec", ns] + cmd, **kw)


def require_root():
    if not os.path.isfile(BULWARK) or not os.access(BULWARK, os.X_OK):
        log("FAIL setup - BULWARK=%s is not an executable (run through ctest)" % BULWARK)
        sys.exit(1)
    if os.geteuid() != 0:
        log("SKIP: needs root (network namespaces, TUN)")
        sys.exit(77)


def tmpdir():
    d = tempfile.mkdtemp(prefix="bw-interop-%d-" % os.getpid())
    _tmpdirs.append(d)
    return d


def make_ns(tag):
    """Creates namespace bwt-<tag>-<pid> with lo up; returns its name."""
    name = "bwt-%s-%d" % (tag, os.getpid())
    run(["timeout", "10", "ip", "netns", "add", name])
    _namespaces.append(name)
    run(["timeout", "10", "ip", "-n", name, "link", "set", "lo", "up"])
    return name


def veth(ns_a, addr_a, ns_b, addr_b, name_a="veth-a", name_b="veth-b", no_gso=False):
    """Joins ns_a and ns_b with a veth pair; addr_x are prefixes like 192.0.2.1/24.
    no_gso: segment GSO super-packets (UDP_SEGMENT sends) in software before the
    device, so that a capture on the veth sees the datagrams of the wire."""
    run(["timeout", "10", "ip", "link", "add", name_a, "netns", ns_a, "type", "veth",
         "peer", "name", name_b, "netns", ns_b])
    for ns, dev, addr in ((ns_a, name_a, addr_a), (ns_b, name_b, addr_b)):
        if no_gso:
            run(["timeout", "10", "ip", "-n", ns, "link", "set", dev, "gso_max_segs", "1"])
        run(["timeout", "10", "ip", "-n", ns, "addr", "add", addr, "dev", dev])
        run(["timeout", "10", "ip", "-n", ns, "link", "set", dev, "up"])


def enter_ns(ns):
    """Moves the calling thread into namespace ns (None: back to the original)."""
    if ns is None:
        fd = _host_ns_fd
    else:
        fd = os.open("/run/netns/" + ns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns(%s): %s" % (ns, os.strerror(e)))
    finally:
        if ns is not None:
            os.close(fd)


class in_ns:
    """with in_ns(ns): ... creates sockets in ns, then returns to the original."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        enter_ns(self.ns)

    def __exit__(self, *exc):
        enter_ns(None)


def _pdeathsig():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    os.setpgrp()


def spawn(cmd, stdout=None, stderr=None):
    """Starts a long-running process that dies with us; killed at cleanup."""
    p = subprocess.Popen(cmd, stdout=stdout or subprocess.DEVNULL,
                         stderr=stderr or subprocess.DEVNULL, preexec_fn=_pdeathsig)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=10):
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    if p in _procs:
        _procs.remove(p)
    return p.returncode


def cleanup():
    for p in list(_procs):
        try:
            stop(p, timeout=5)
        except Exception:
            pass
    try:
        enter_ns(None)
    except OSError:
        pass
    for ns in list(_namespaces):
        try:
            r = subprocess.run(["timeout", "10", "ip", "netns", "pids", ns],
                               capture_output=True, text=True, timeout=15)
            for pid in r.stdout.split():
                if pid == str(os.getpid()):
                    continue
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["timeout", "10", "ip", "netns", "del", ns], timeout=15,
                           capture_output=True)
        except Exception:
            pass
        _namespaces.remove(ns)
    for d in list(_tmpdirs):
        shutil.rmtree(d, ignore_errors=True)
        _tmpdirs.remove(d)


def _on_signal(sig, frame):
    log("interrupted by signal %d: cleaning up" % sig)
    cleanup()
    os._exit(1)


atexit.register(cleanup)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def watchdog(seconds):
    """Whole-test deadline: SIGALRM cleans up and fails."""
    def fire(sig, frame):
        log("FAIL watchdog - test exceeded %d s" % seconds)
        cleanup()
        os._exit(1)
    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


# ---- keys and configs -------------------------------------------------------

class SA:
    """One direction: SPI and keys (bytes)."""

    def __init__(self, spi, enc, integ):
        self.spi = spi
        self.enc_key = os.urandom(ENC_KEYLEN[enc])
        self.integ_key = os.urandom(INTEG_KEYLEN[integ]) if integ != "none" else b""

    def yaml(self):
        s = "{ spi: 0x%08x, enc_key: 0x%s" % (self.spi, self.enc_key.hex())
        if self.integ_key:
            s += ", integ_key: 0x%s" % self.integ_key.hex()
        return s + " }"


class Tunnel:
    """A manual tunnel seen from one side; mirror() gives the peer's view."""

    def __init__(self, enc, integ="none", mode="tunnel", encap="none", esn=False,
                 local="192.0.2.1", remote="192.0.2.2", local_ts=("10.1.0.0/24",),
                 remote_ts=("10.2.0.0/24",), out_spi=0x1001, in_spi=0x2001,
                 replay_window=None, name="t"):
        self.enc, self.integ, self.mode, self.encap, self.esn = enc, integ, mode, encap, esn
        self.local, self.remote = local, remote
        self.local_ts, self.remote_ts = list(local_ts), list(remote_ts)
        self.out = SA(out_spi, enc, integ)
        self.inb = SA(in_spi, enc, integ)
        self.replay_window = replay_window
        self.name = name

    def mirror(self):
        m = Tunnel.__new__(Tunnel)
        m.__dict__.update(self.__dict__)
        m.local, m.remote = self.remote, self.local
        m.local_ts, m.remote_ts = self.remote_ts, self.local_ts
        m.out, m.inb = self.inb, self.out
        return m

    def label(self):
        alg = self.enc + ("+" + self.integ if self.integ != "none" else "")
        return "%s/%s/%s%s" % (alg, "udp" if self.encap == "udp" else "esp", self.mode,
                               "/esn" if self.esn else "")

    def yaml(self):
        y = ["    - name: %s" % self.name,
             "      mode: %s" % self.mode,
             "      local: %s" % self.local,
             "      remote: %s" % self.remote,
             "      encap: %s" % self.encap,
             "      esn: %s" % ("true" if self.esn else "false")]
        if self.replay_window is not None:
            y.append("      replay_window: %d" % self.replay_window)
        if self.mode == "tunnel":
            # IPv6 prefixes are quoted in flow lists (docs/configuration.md).
            q = lambda ps: ", ".join("'%s'" % x if ":" in x else x for x in ps)  # noqa: E731
            y.append("      local_ts: [%s]" % q(self.local_ts))
            y.append("      remote_ts: [%s]" % q(self.remote_ts))
        y += ["      enc: %s" % self.enc,
              "      integ: %s" % self.integ,
              "      out: " + self.out.yaml(),
              "      in: " + self.inb.yaml()]
        return "\n".join(y) + "\n"


class Bulwark:
    """A bulwark daemon in namespace ns with one or more tunnels."""

    def __init__(self, ns, tunnels, workdir, tag, tun_addrs=("10.1.0.1/32",),
                 raw_esp=True, udp_port=4500, fwmark=0):
        self.ns, self.tag = ns, tag
        self.sock = os.path.join(workdir, tag + ".sock")
        self.conf = os.path.join(workdir, tag + ".yaml")
        self.logpath = os.path.join(workdir, tag + ".log")
        with open(self.conf, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("log: { level: info }\n")
            f.write("daemon: { control_socket: %s }\n" % self.sock)
            f.write("tun: { name: bw0, mtu: 1400%s }\n" % (
                ", addresses: [%s]" % ", ".join(tun_addrs) if tun_addrs else ""))
            f.write("ipsec:\n  raw_esp: %s\n  udp_port: %d\n  fwmark: %d\n  manual:\n" % (
                "true" if raw_esp else "false", udp_port, fwmark))
            for t in tunnels:
                f.write(t.yaml())
        self.proc = None

    def start(self, timeout=20):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self._log = open(self.logpath, "w")
        self.proc = spawn(["ip", "netns", "exec", self.ns, BULWARK, "run", "-c", self.conf],
                          stderr=self._log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.stop()
                raise RuntimeError("bulwark %s exited %d: %s" % (self.tag, rc, self.log_text()))
            if os.path.exists(self.sock):
                try:
                    self.status()
                    # The TUN device must be up before traffic is sent.
                    r = run(["timeout", "5", "ip", "-n", self.ns, "-o", "link", "show",
                             "bw0"], check=False)
                    if r.returncode == 0 and ",UP" in r.stdout:
                        return self
                except Exception:
                    pass
            time.sleep(0.05)
        raise RuntimeError("bulwark %s did not come up: %s" % (self.tag, self.log_text()))

    def log_text(self):
        try:
            with open(self.logpath) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            rc = stop(self.proc)
            self.proc = None
            self._log.close()
            return rc
        return 0

    def status(self):
        """Parsed `bulwark ctl status`: {'sa': {spi: {...}}, 'ctr': {...}, 'text': str}."""
        r = run(["timeout", "10", BULWARK, "ctl", "-s", self.sock, "status"], timeout=15)
        return parse_status(r.stdout)


_kv = re.compile(r"([a-z_-]+)=(0x[0-9a-f]+|\d+)")


def parse_status(text):
    st = {"sa": {}, "ctr": {}, "text": text}
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("out ") or s.startswith("in "):
            d = {k: int(v, 0) for k, v in _kv.findall(s)}
            d["dir"] = s.split()[0]
            st["sa"][d["spi"]] = d
        elif s.startswith("counters:"):
            st["ctr"] = {k: int(v, 0) for k, v in _kv.findall(s)}
    return st


def sa_get(st, spi, key):
    return st["sa"].get(spi, {}).get(key, 0)


def wait_for(pred, timeout=10.0, step=0.02):
    """Polls pred() until true or timeout; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


# ---- traffic ----------------------------------------------------------------

def icmp_csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def echo_request(ident, seq, payload):
    h = bytes([8, 0, 0, 0]) + ident.to_bytes(2, "big") + seq.to_bytes(2, "big")
    c = icmp_csum(h + payload)
    return h[:2] + c.to_bytes(2, "big") + h[4:] + payload


def ping(ns, dst, ident, payloads, timeout=3.0):
    """Sends one ICMP echo per payload (seq 1..n) from ns over a raw socket and
    returns {seq: reply payload} for the echo replies that came back."""
    with in_ns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.2)
    got = {}
    try:
        for seq, pl in enumerate(payloads, 1):
            s.sendto(echo_request(ident, seq, pl), (dst, 0))
            deadline = time.monotonic() + timeout
            while seq not in got and time.monotonic() < deadline:
                try:
                    data, addr = s.recvfrom(65535)
                except socket.timeout:
                    continue
                ihl = (data[0] & 15) * 4
                icmp = data[ihl:]
                if (addr[0] == dst and len(icmp) >= 8 and icmp[0] == 0
                        and int.from_bytes(icmp[4:6], "big") == ident):
                    got[int.from_bytes(icmp[6:8], "big")] = icmp[8:]
    finally:
        s.close()
    return got


def tcp_transfer(ns_srv, srv_addr, ns_cli, cli_bind, data, port=5001, timeout=20.0):
    """Sends data over TCP from ns_cli to a sink in ns_srv; returns bytes received."""
    import threading
    with in_ns(ns_srv):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((srv_addr, port))
    ls.listen(1)
    ls.settimeout(timeout)
    recv = bytearray()

    def sink():
        try:
            c, _ = ls.accept()
            c.settimeout(timeout)
            while True:
                b = c.recv(65536)
                if not b:
                    break
                recv.extend(b)
            c.close()
        except OSError:
            pass

    th = threading.Thread(target=sink, daemon=True)
    th.start()
    with in_ns(ns_cli):
        cs = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cs.settimeout(timeout)
    try:
        if cli_bind:
            cs.bind((cli_bind, 0))
        cs.connect((srv_addr, port))
        cs.sendall(data)
        cs.shutdown(socket.SHUT_WR)
        th.join(timeout)
    except OSError as e:
        log("tcp_transfer: %s" % e)
    finally:
        cs.close()
        ls.close()
    return bytes(recv)


def setup_transport_routing(ns, peer, mark=0x51, table=51, src=None):
    """Transport mode: route unmarked packets to peer into bw0; bulwark's own
    ESP (SO_MARK = mark) keeps the main table."""
    run(["timeout", "10", "ip", "-n", ns, "rule", "add", "not", "fwmark", hex(mark),
         "table", str(table), "pref", "100"])
    cmd = ["timeout", "10", "ip", "-n", ns, "route", "add", peer + "/32", "dev", "bw0",
           "table", str(table)]
    if src:
        cmd += ["src", src]
    run(cmd)


def pcap_count(path, pred=None):
    """Number of records in a classic pcap file (optionally those whose
    captured bytes satisfy pred); a partly written last record is not counted."""
    import struct
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    if len(data) < 24:
        return 0
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        if pred is None or pred(data[off + 16:off + 16 + incl]):
            n += 1
        off += 16 + incl
    return n
