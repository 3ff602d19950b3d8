#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Tunnel throughput benchmark: single-stream TCP (iperf3) between two network namespaces, over
# (a) the plain veth between the outer addresses, (b) strongSwan's userspace ESP (charon +
# kernel-libipsec, IKEv2 PSK, UDP-encapsulated tunnel mode, RFC 4303 + RFC 3948) between the
# inner addresses, once per ESP cipher asked for, and (c) bulwark between the same inner
# addresses when BULWARK names an executable and bulwark_up (below) brings it up. Prints one
# table row per path: throughput at the sender and the receiver, TCP retransmissions, iperf3's
# CPU use on both ends and the CPU the tunnel processes used (user+system from /proc, in percent
# of one core over the run; both tunnel ends summed, so up to 200 % on two cores) and the UDP
# datagrams dropped on full socket receive buffers. Timing never makes it fail; the exit status
# is non-zero only when something could not be set up or a transfer did not complete.
#
# usage: bench/tunnel.sh [CIPHER...]     CIPHER: aes256gcm16 (default) aes128gcm16
#                                        chacha20poly1305 aes256-sha256, or "all"
# env:   BENCH_SECONDS (10), BENCH_PATHS ("veth strongswan bulwark"), BULWARK (path to the
#        bulwark binary), BENCH_CSV (append rows to this file), BW_KEEP_TMP=1 (keep logs).

BW_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/strongswan.sh
. "$BW_BENCH_DIR/strongswan.sh"

: "${BENCH_SECONDS:=10}"
: "${BENCH_PATHS:=veth strongswan bulwark}"
BW_BENCH_ALL="aes256gcm16 aes128gcm16 chacha20poly1305 aes256-sha256"
BW_BENCH_PORT=5201
BW_BENCH_STATUS=0
BW_TUNNEL_PIDS=()

# ---------------------------------------------------------------------------------------------
# bulwark: the same topology and cipher, UDP-encapsulated ESP like strongSwan's libipsec, with a
# manually keyed tunnel (fresh random keys per run). A file named by BULWARK_HOOK is sourced
# instead when it defines bulwark_up/bulwark_down.
# ---------------------------------------------------------------------------------------------
BW_BULWARK_PIDS=()

# bw_bulwark_conf SIDE ENC INTEG OUT_KEY IN_KEY [OUT_IKEY IN_IKEY]: config for one side.
bw_bulwark_conf()
{
	local side=$1 enc=$2 integ=$3 ko=$4 ki=$5 iko=${6:-} iki=${7:-}
	local local_out remote_out local_net remote_net spi_out spi_in ix_o="" ix_i=""
	if [ "$side" = A ]; then
		local_out=$BW_OUT_A remote_out=$BW_OUT_B local_net=$BW_IN_NET_A
		remote_net=$BW_IN_NET_B spi_out=0x2001 spi_in=0x2002
	else
		local_out=$BW_OUT_B remote_out=$BW_OUT_A local_net=$BW_IN_NET_B
		remote_net=$BW_IN_NET_A spi_out=0x2002 spi_in=0x2001
	fi
	[ "$integ" = none ] || { ix_o=", integ_key: 0x$iko"; ix_i=", integ_key: 0x$iki"; }
	cat <<EOC
log: { level: notice }
daemon: { control_socket: $BW_TMP/bulwark-$side.sock }
tun: { name: bw0, mtu: 1400 }
ipsec:
  raw_esp: false
  udp_port: 4500
  manual:
    - name: bench
      local: $local_out
      remote: $remote_out
      encap: udp
      esn: true
      local_ts: [$local_net]
      remote_ts: [$remote_net]
      enc: $enc
      integ: $integ
      out: { spi: $spi_out, enc_key: 0x$ko$ix_o }
      in: { spi: $spi_in, enc_key: 0x$ki$ix_i }
EOC
}

if ! declare -F bulwark_up >/dev/null; then
	bulwark_up()
	{
		local cipher=$1 enc integ=none klen ilen=0 k1 k2 i1="" i2="" side
		case $cipher in
		aes256gcm16) enc=aes-gcm-256 klen=36 ;;
		aes128gcm16) enc=aes-gcm-128 klen=20 ;;
		chacha20poly1305) enc=chacha20-poly1305 klen=36 ;;
		aes256-sha256) enc=aes-cbc-256 klen=32 integ=hmac-sha256-128 ilen=32 ;;
		*) return 2 ;;
		esac
		k1=$(openssl rand -hex "$klen") && k2=$(openssl rand -hex "$klen") || return 1
		if [ "$ilen" -gt 0 ]; then
			i1=$(openssl rand -hex "$ilen") && i2=$(openssl rand -hex "$ilen") || return 1
		fi
		bw_bulwark_conf A "$enc" "$integ" "$k1" "$k2" "$i1" "$i2" >"$BW_TMP/bulwark-A.yaml" &&
			bw_bulwark_conf B "$enc" "$integ" "$k2" "$k1" "$i2" "$i1" \
				>"$BW_TMP/bulwark-B.yaml" || return 1
		BW_BULWARK_PIDS=()
		for side in A B; do
			bw_ns_bg "$side" "$BW_TMP/bulwark-$side.log" "$BULWARK" run \
				-c "$BW_TMP/bulwark-$side.yaml"
			BW_BULWARK_PIDS+=("$BW_NS_LAST_PID")
			BW_TUNNEL_PIDS+=("$BW_NS_LAST_PID")
		done
		if ! bw_wait_until 10 bw_ping A "$BW_IN_A" "$BW_IN_B"; then
			bw_log "bulwark: no ping through the tunnel; logs:"
			cat "$BW_TMP"/bulwark-*.log >&2
			return 1
		fi
		return 0
	}
fi
if ! declare -F bulwark_down >/dev/null; then
	bulwark_down()
	{
		bw_ns_kill "${BW_BULWARK_PIDS[@]}"
		BW_BULWARK_PIDS=()
		return 0
	}
fi

# bw_proc_ticks pid... : summed utime+stime clock ticks of these processes (all their threads).
bw_proc_ticks()
{
	local p t=0 f
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# bw_udp_rcvbuf_errors : UDP datagrams dropped on full receive buffers, both namespaces summed
# (Udp RcvbufErrors in /proc/net/snmp, which is per network namespace).
bw_udp_rcvbuf_errors()
{
	local side n t=0
	for side in A B; do
		# shellcheck disable=SC2016
		n=$(bw_ns_exec "$side" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++)
			if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp)
		t=$((t + ${n:-0}))
	done
	echo "$t"
}

bw_bench_header()
{
	printf '%-11s %-17s %10s %10s %7s %8s %8s %8s %9s\n' path cipher "snd Mbit/s" \
		"rcv Mbit/s" retr "cpu snd%" "cpu rcv%" "tunnel%" "udp drop"
}

# bw_bench_row PATH CIPHER JSONFILE TUNNEL_CPU_PCT UDP_DROPS
bw_bench_row()
{
	local row
	row=$(/usr/bin/python3 - "$3" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    e = j["end"]
    snd = e["sum_sent"]["bits_per_second"] / 1e6
    rcv = e["sum_received"]["bits_per_second"] / 1e6
    retr = e["sum_sent"].get("retransmits", 0)
    cpu = e.get("cpu_utilization_percent", {})
    print("%.0f %.0f %d %.0f %.0f" % (snd, rcv, retr, cpu.get("host_total", 0),
                                      cpu.get("remote_total", 0)))
except Exception:
    print("n/a n/a n/a n/a n/a")
EOF
)
	# shellcheck disable=SC2086
	set -- "$1" "$2" $row "$4" "$5"
	printf '%-11s %-17s %10s %10s %7s %8s %8s %8s %9s\n' "$@"
	if [ -n "${BENCH_CSV:-}" ]; then
		printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(date -u +%FT%TZ)" "$@" >>"$BENCH_CSV"
	fi
	[ "$3" != n/a ]
}

# bw_iperf_complete JSONFILE : true when iperf3 ran to the end (no error, bytes received).
bw_iperf_complete()
{
	/usr/bin/python3 - "$1" <<'EOF2'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    ok = "error" not in j and j["end"]["sum_received"]["bytes"] > 0
except Exception:
    ok = False
sys.exit(0 if ok else 1)
EOF2
}

# bw_bench_once TAG SRC DST : one iperf3 transfer from A (SRC) to B (DST) into
# $BW_TMP/iperf-TAG.json; sets BW_RUN_PCT (tunnel CPU %) and BW_RUN_DROPS. 0 when complete.
bw_bench_once()
{
	local tag=$1 src=$2 dst=$3 json t0 t1 w0 w1 srv d0 d1
	json="$BW_TMP/iperf-$tag.json"
	bw_ns_bg B "$BW_TMP/iperf-server-$tag.log" iperf3 -s -B "$dst" -p "$BW_BENCH_PORT"
	srv=$BW_NS_LAST_PID
	if ! bw_wait_until 10 bw_ns_exec B sh -c \
		"ss -Hltn 'sport = :$BW_BENCH_PORT' | grep -q LISTEN"; then
		bw_log "iperf3 server did not start in B"
		bw_ns_kill "$srv"
		return 1
	fi
	d0=$(bw_udp_rcvbuf_errors)
	t0=$(bw_proc_ticks "${BW_TUNNEL_PIDS[@]}")
	w0=$(date +%s%N)
	# in the background so that a signal runs the cleanup trap at once, not after the transfer
	timeout -k 5 $((BENCH_SECONDS + 30)) ip netns exec "$BW_NS_A" \
		iperf3 -c "$dst" -B "$src" -p "$BW_BENCH_PORT" -t "$BENCH_SECONDS" -O 1 -J \
		>"$json" 2>"$BW_TMP/iperf-client-$tag.err" </dev/null &
	BW_NS_PIDS+=("$!")
	wait "$!"
	w1=$(date +%s%N)
	t1=$(bw_proc_ticks "${BW_TUNNEL_PIDS[@]}")
	d1=$(bw_udp_rcvbuf_errors)
	bw_ns_kill "$srv"
	BW_RUN_DROPS=$((d1 - d0))
	BW_RUN_PCT=-
	if [ "${#BW_TUNNEL_PIDS[@]}" -gt 0 ]; then
		BW_RUN_PCT=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v ns=$((w1 - w0)) \
			'BEGIN { printf "%.0f", 100 * t / hz / (ns / 1e9) }')
	fi
	bw_iperf_complete "$json"
}

# bw_bench_iperf PATH CIPHER SRC DST : one table row. A transfer cut short (iperf3 killed from
# outside, connection reset) is tried again, up to three times in all.
bw_bench_iperf()
{
	local path=$1 cipher=$2 src=$3 dst=$4 n tag
	for n in 1 2 3; do
		tag="$path-$cipher-$n"
		if bw_bench_once "$tag" "$src" "$dst"; then
			bw_bench_row "$path" "$cipher" "$BW_TMP/iperf-$tag.json" "$BW_RUN_PCT" \
				"$BW_RUN_DROPS"
			return
		fi
		bw_log "iperf3 over $path ($cipher) did not complete (try $n):" \
			"$(grep -h -m 1 -o '"error":.*' "$BW_TMP/iperf-$tag.json" \
				"$BW_TMP/iperf-client-$tag.err" 2>/dev/null | head -n 1)"
	done
	printf '%-11s %-17s %10s\n' "$path" "$cipher" "failed"
	return 1
}

bw_bench_fail()
{
	bw_log "$*"
	BW_BENCH_STATUS=1
}

bw_bench_main()
{
	local ciphers=() c p rc
	for c in "$@"; do
		case "$c" in
		-h | --help)
			sed -n '15,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
			return 0
			;;
		all) read -r -a ciphers <<<"$BW_BENCH_ALL" ;;
		*)
			bw_sw_esp_proposal "$c" >/dev/null || bw_die "unknown cipher '$c'"
			ciphers+=("$c")
			;;
		esac
	done
	[ "${#ciphers[@]}" -gt 0 ] || ciphers=(aes256gcm16)
	case "$BENCH_SECONDS" in
	'' | *[!0-9]*) bw_die "BENCH_SECONDS must be a whole number" ;;
	esac
	command -v iperf3 >/dev/null || bw_die "iperf3 not installed (apt-get install iperf3)"
	if [ -n "${BULWARK_HOOK:-}" ]; then
		# shellcheck disable=SC1090
		. "$BULWARK_HOOK" || bw_die "cannot source $BULWARK_HOOK"
	fi

	bw_ns_trap
	bw_ns_setup
	BW_NS_CLEANUP_HOOKS+=(bw_sw_down bulwark_down)
	bw_log "kernel $(uname -r), $(nproc) cpus, $BENCH_SECONDS s per run, single TCP stream A -> B"
	bw_bench_header
	for p in $BENCH_PATHS; do
		case "$p" in
		veth)
			BW_TUNNEL_PIDS=()
			bw_bench_iperf veth none "$BW_OUT_A" "$BW_OUT_B" ||
				bw_bench_fail "veth measurement failed"
			;;
		strongswan)
			for c in "${ciphers[@]}"; do
				if ! bw_sw_up "$c" >"$BW_TMP/sw-up-$c.log" 2>&1; then
					cat "$BW_TMP/sw-up-$c.log" >&2
					bw_bench_fail "strongSwan set-up failed for $c"
					bw_sw_down
					continue
				fi
				BW_TUNNEL_PIDS=("${BW_SW_PIDS[@]}")
				bw_bench_iperf strongswan "$c" "$BW_IN_A" "$BW_IN_B" ||
					bw_bench_fail "strongSwan measurement failed for $c"
				bw_sw_down
			done
			;;
		bulwark)
			if [ -z "${BULWARK:-}" ] || [ ! -x "$BULWARK" ]; then
				bw_log "bulwark: skipped (set BULWARK to the bulwark binary)"
				continue
			fi
			for c in "${ciphers[@]}"; do
				BW_TUNNEL_PIDS=()
				bulwark_up "$c"
				rc=$?
				if [ "$rc" = 2 ]; then
					break
				elif [ "$rc" != 0 ]; then
					bw_bench_fail "bulwark set-up failed for $c"
				else
					bw_bench_iperf bulwark "$c" "$BW_IN_A" "$BW_IN_B" ||
						bw_bench_fail "bulwark measurement failed for $c"
				fi
				bulwark_down
			done
			;;
		*) bw_bench_fail "unknown path '$p' in BENCH_PATHS" ;;
		esac
	done
	return "$BW_BENCH_STATUS"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	bw_bench_main "$@"
	exit $?
fi
