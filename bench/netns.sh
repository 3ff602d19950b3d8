# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# Two-namespace test topology for benchmarks and interop tests, to be sourced by bash scripts.
# bw_ns_setup creates namespaces A and B (unique names bwb-a-<pid>, bwb-b-<pid>), joins them with
# a veth pair carrying the "outer" addresses (192.0.2.1/24 and 192.0.2.2/24, RFC 5737
# documentation range) and gives each side an "inner" LAN address on its loopback
# (10.1.0.1/32 in A, 10.2.0.1/32 in B; the kernel here has no dummy driver). Nothing routes the
# inner prefixes between the namespaces: a tunnel (strongSwan, bulwark) must install routes into
# its own device. bw_ns_bg starts a background process inside a namespace and remembers it;
# bw_ns_cleanup kills every process in both namespaces (remembered or not), deletes them and the
# temporary directory, and is safe to call any number of times. bw_ns_trap installs it on EXIT,
# INT and TERM. Every foreground command is bounded by timeout(1).
#
# Settings (environment, read by bw_ns_setup): BW_OUT_A, BW_OUT_B, BW_OUT_PLEN, BW_IN_A, BW_IN_B,
# BW_IN_NET_A, BW_IN_NET_B, BW_NS_TAG (name suffix, default the shell's pid).

: "${BW_OUT_A:=192.0.2.1}"
: "${BW_OUT_B:=192.0.2.2}"
: "${BW_OUT_PLEN:=24}"
: "${BW_IN_A:=10.1.0.1}"
: "${BW_IN_B:=10.2.0.1}"
: "${BW_IN_NET_A:=10.1.0.0/24}"
: "${BW_IN_NET_B:=10.2.0.0/24}"
: "${BW_NS_TAG:=$$}"
: "${BW_CMD_TIMEOUT:=10}"

BW_NS_A="bwb-a-${BW_NS_TAG}"
BW_NS_B="bwb-b-${BW_NS_TAG}"
BW_VETH=bwv0
BW_TMP=""
BW_NS_PIDS=()
BW_NS_CLEANUP_HOOKS=()
BW_NS_UP=0

bw_log()
{
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

bw_die()
{
	bw_log "error: $*"
	exit 1
}

# bw_ns_name A|B -> namespace name
bw_ns_name()
{
	case "$1" in
	A | a) printf '%s\n' "$BW_NS_A" ;;
	B | b) printf '%s\n' "$BW_NS_B" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# bw_ns_exec A|B cmd... : run a command in a namespace, bounded by BW_CMD_TIMEOUT seconds.
bw_ns_exec()
{
	local ns
	ns=$(bw_ns_name "$1")
	shift
	timeout -k 2 "$BW_CMD_TIMEOUT" ip netns exec "$ns" "$@"
}

# bw_ns_bg A|B logfile cmd... : start a background process in a namespace; its pid goes to
# BW_NS_LAST_PID. It is killed by bw_ns_cleanup (or bw_ns_kill).
bw_ns_bg()
{
	local ns log
	ns=$(bw_ns_name "$1")
	log=$2
	shift 2
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	BW_NS_LAST_PID=$!
	BW_NS_PIDS+=("$BW_NS_LAST_PID")
}

# bw_ns_kill pid... : TERM, wait up to 3 s, then KILL.
bw_ns_kill()
{
	local p n alive
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for ((n = 0; n < 30; n++)); do
		alive=0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

# bw_wait_until SECONDS cmd... : poll cmd every 0.2 s until it succeeds; 1 on timeout. A cmd
# status of exactly 99 gives up at once (the awaited thing cannot happen any more).
bw_wait_until()
{
	local deadline rc
	deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while :; do
		"$@" >/dev/null 2>&1
		rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 99 ] && return 1
		[ $(($(date +%s%N) / 1000000)) -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# bw_ping A|B SRC DST : one ICMP echo from SRC to DST (1 s wait, 3 tries). Uses ping(8) when it
# is installed, else a raw ICMP socket from python3 (this machine has no ping).
bw_ping()
{
	local side=$1 src=$2 dst=$3
	if command -v ping >/dev/null 2>&1; then
		bw_ns_exec "$side" ping -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1 && return 0
		bw_ns_exec "$side" ping -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1 && return 0
		bw_ns_exec "$side" ping -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1
		return
	fi
	bw_ns_exec "$side" /usr/bin/python3 -c '
import os, select, socket, struct, sys, time
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.bind((src, 0))
ident = os.getpid() & 0xFFFF
for seq in range(1, 4):
    body = struct.pack("!HH", ident, seq) + b"bulwark-bench-ping"
    hdr = struct.pack("!BBH", 8, 0, 0)
    pkt = struct.pack("!BBH", 8, 0, csum(hdr + body)) + body
    s.sendto(pkt, (dst, 0))
    end = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        data, addr = s.recvfrom(2048)
        ihl = (data[0] & 15) * 4
        icmp = data[ihl:]
        if addr[0] == dst and len(icmp) >= 8 and icmp[0] == 0 and \
                struct.unpack("!HH", icmp[4:8]) == (ident, seq):
            sys.exit(0)
sys.exit(1)
' "$src" "$dst" >/dev/null 2>&1
}

bw_ns_setup()
{
	local n
	[ "$(id -u)" = 0 ] || bw_die "needs root (network namespaces)"
	BW_TMP=$(mktemp -d /tmp/bwbench.XXXXXX) || bw_die "mktemp"
	BW_NS_UP=1
	for n in "$BW_NS_A" "$BW_NS_B"; do
		ip netns list | grep -qw "^$n" && bw_die "namespace $n already exists"
		timeout 5 ip netns add "$n" || bw_die "ip netns add $n"
		bw_ns_exec "$n" ip link set lo up || bw_die "lo up in $n"
	done
	timeout 5 ip -n "$BW_NS_A" link add "$BW_VETH" type veth peer name "$BW_VETH" \
		netns "$BW_NS_B" || bw_die "veth pair"
	bw_ns_exec A ip addr add "$BW_OUT_A/$BW_OUT_PLEN" dev "$BW_VETH" || bw_die "outer addr A"
	bw_ns_exec B ip addr add "$BW_OUT_B/$BW_OUT_PLEN" dev "$BW_VETH" || bw_die "outer addr B"
	bw_ns_exec A ip addr add "$BW_IN_A/32" dev lo || bw_die "inner addr A"
	bw_ns_exec B ip addr add "$BW_IN_B/32" dev lo || bw_die "inner addr B"
	bw_ns_exec A ip link set "$BW_VETH" up || bw_die "veth up A"
	bw_ns_exec B ip link set "$BW_VETH" up || bw_die "veth up B"
	bw_wait_until 5 bw_ping A "$BW_OUT_A" "$BW_OUT_B" ||
		bw_die "no ping $BW_OUT_A -> $BW_OUT_B over veth"
	bw_log "namespaces $BW_NS_A ($BW_OUT_A, $BW_IN_A) and $BW_NS_B ($BW_OUT_B, $BW_IN_B) up"
}

# bw_ns_cleanup: run registered hooks, kill everything in both namespaces, delete them.
bw_ns_cleanup()
{
	local n pids h
	[ "$BW_NS_UP" = 1 ] || return 0
	BW_NS_UP=0
	for h in "${BW_NS_CLEANUP_HOOKS[@]}"; do
		"$h" || true
	done
	pids=("${BW_NS_PIDS[@]}")
	for n in "$BW_NS_A" "$BW_NS_B"; do
		if ip netns list | grep -qw "^$n"; then
			# shellcheck disable=SC2207
			pids+=($(timeout 5 ip netns pids "$n" 2>/dev/null))
		fi
	done
	bw_ns_kill "${pids[@]}"
	for n in "$BW_NS_A" "$BW_NS_B"; do
		if ip netns list | grep -qw "^$n"; then
			# anything that survived KILL (should not happen) still must not leak
			# shellcheck disable=SC2046
			kill -KILL $(timeout 5 ip netns pids "$n" 2>/dev/null) 2>/dev/null
			timeout 5 ip netns del "$n" || bw_log "warning: could not delete $n"
		fi
	done
	BW_NS_PIDS=()
	if [ -n "$BW_TMP" ] && [ -d "$BW_TMP" ]; then
		if [ -n "${BW_KEEP_TMP:-}" ]; then
			bw_log "kept $BW_TMP"
		else
			rm -rf -- "$BW_TMP"
		fi
	fi
	return 0
}

bw_ns_trap()
{
	trap 'bw_ns_cleanup' EXIT
	trap 'bw_ns_cleanup; trap - INT; kill -INT $$' INT
	trap 'bw_ns_cleanup; trap - TERM; kill -TERM $$' TERM
}
