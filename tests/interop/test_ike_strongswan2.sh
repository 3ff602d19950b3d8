#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# IKEv2 (RFC 7296) interop between bulwark and strongSwan's charon, second part (the first,
# test_ike_strongswan.sh, covers PSK tunnels with four transform sets, delete, wrong PSK and a
# refused proposal). Same namespace pair (bench/netns.sh, bench/strongswan.sh, lib/ike_sw.sh),
# fresh daemons for every case:
#  - certificates (RFC 7427 digital signatures; CA, RSA-2048 / ECDSA P-256 / P-384 leaf
#    certificates made by the openssl CLI), bulwark initiator and responder: SAs up, the peer
#    authenticated by its certificate's DN in charon's log, ping and a 1 MB TCP transfer both ways;
#  - rekeying while a ping runs every 0.2 s for 15 s (at most 2 lost): CHILD_SA rekey with PFS
#    (ESP aes256gcm16-x25519, RFC 7296 1.3.3) and IKE_SA rekey (1.3.2), initiated by bulwark
#    (child every 4 s, IKE every 8 s) and by charon (5 s / 8 s): bulwark logs new "(PFS)"
#    CHILD_SAs and "IKE SA rekeyed", charon lists IKE and ESP SPIs other than the first ones and
#    they match bulwark's, one CHILD_SA left on each side;
#  - road warrior (configuration payload, RFC 7296 2.19): charon with vips = 0.0.0.0 gets an
#    address from bulwark's pool, seen in charon's SA list and in bulwark's status, and pings
#    bulwark's inner address from it;
#  - NAT traversal (2.23): a third namespace masquerades A's private network towards B, neither
#    side forces UDP encapsulation; both detect the NAT and float to port 4500, charon sees the
#    router's address, ping and TCP both ways;
#  - dead peer detection (2.4) both ways: bulwark killed with SIGKILL, charon (dpd_delay 2s)
#    drops its SAs; charon killed, bulwark (dpd_delay 3) drops the IKE SA and its CHILD_SA once
#    its retransmissions run out: within 20 s where bulwark takes `ike: { retransmit_tries: 2,
#    retransmit_timeout: 500 }`, else with the built-in 5 tries 3 s + 63 s were measured (waits
#    of 1, 2, 4, 8, 16 and 32 s), bounded at 80 s.
# One PASS/FAIL line per case, exit 1 if any failed, 77 (ctest SKIP_RETURN_CODE) without root,
# charon or nft. BW_CASES=<substring> runs only the matching cases; BW_KEEP_TMP=1 keeps the logs.

# The IKE_SW_* knobs set in the cases are read by lib/ike_sw.sh.
# shellcheck disable=SC2034
set -u

if [ -z "${BW_IKE_SW_WRAPPED:-}" ]; then
	export BW_IKE_SW_WRAPPED=1
	exec timeout -k 10 "${BW_IKE_SW_LIMIT:-300}" "$0" "$@"
fi

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${BW_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
if [ -z "${BULWARK:-}" ]; then
	BULWARK=${BW_BUILD_DIR:-$SRC/build}/src/cli/bulwark
fi

skip()
{
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
[ -x "$BULWARK" ] || { echo "FAIL: no bulwark binary at $BULWARK"; exit 1; }
if [ ! -x "${BW_CHARON:-/usr/lib/ipsec/charon}" ] || ! command -v swanctl >/dev/null 2>&1; then
	skip "strongSwan not installed (strongswan-charon strongswan-swanctl libcharon-extra-plugins)"
fi
ls /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so >/dev/null 2>&1 ||
	skip "charon's kernel-libipsec plugin not installed (libcharon-extra-plugins)"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
command -v openssl >/dev/null 2>&1 || skip "no openssl CLI"
command -v nft >/dev/null 2>&1 || skip "no nft (nftables)"
command -v ping >/dev/null 2>&1 || skip "no ping (iputils-ping)"

# shellcheck disable=SC2034
BW_NS_TAG="ike2$$"
# shellcheck source=../../bench/strongswan.sh
. "$SRC/bench/strongswan.sh"
# shellcheck source=lib/ike_sw.sh
. "$HERE/lib/ike_sw.sh"

NPASS=0
NCASE=0
NFAIL=0
FAILED=()
CASE=""
CASE_DIR=""
TCP_PORT=5101
T0=$(date +%s)
IKE_P=aes256gcm16-prfsha256-x25519
GCM_IKE="AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519"

bw_ns_trap
bw_ns_setup

pass()
{
	NPASS=$((NPASS + 1))
	echo "PASS $CASE"
}

fail()
{
	NFAIL=$((NFAIL + 1))
	FAILED+=("$CASE")
	echo "FAIL $CASE - $*"
	if [ -n "$IKE_SW_BW_LOG" ] && [ -r "$IKE_SW_BW_LOG" ]; then
		echo "  --- bulwark log (tail) ---"
		grep -v ' debug esp' "$IKE_SW_BW_LOG" | tail -n 25 | sed 's/^/  | /'
	fi
	if [ -r "$BW_TMP/sw-B/charon.log" ]; then
		echo "  --- charon log (tail) ---"
		tail -n 25 "$BW_TMP/sw-B/charon.log" | sed 's/^/  | /'
	fi
	return 1
}

begin()
{
	CASE=$1
	case "$CASE" in
	*"${BW_CASES:-}"*) ;;
	*) return 1 ;;
	esac
	NCASE=$((NCASE + 1))
	CASE_DIR="$BW_TMP/case$NCASE"
	mkdir -p "$CASE_DIR"
	return 0
}

# end : stop both daemons, keep charon's log with the case, back to the default shape.
end()
{
	ike_sw_bw_stop
	ike_sw_charon_stop
	cp "$BW_TMP/sw-B/charon.log" "$CASE_DIR/" 2>/dev/null
	IKE_SW_BW_LOG=""
	unset IKE_SW_AUTH IKE_SW_SW_ENCAP IKE_SW_SW_LOCAL IKE_SW_SW_REMOTE IKE_SW_SW_LTS \
		IKE_SW_SW_CONN IKE_SW_SW_CHILD IKE_SW_SW_VIP IKE_SW_SW_TRIES IKE_SW_BW_LOCAL IKE_SW_BW_REMOTE \
		IKE_SW_BW_RTS IKE_SW_BW_CONN IKE_SW_BW_CHILD IKE_SW_BW_IKE
}

# up DIR IKE ESP ENCAP : start charon and bulwark; DIR bw (bulwark initiates at start) or sw.
up()
{
	local dir=$1 ike=$2 esp=$3 encap=$4 action=none
	[ "$dir" = bw ] && action=start
	ike_sw_charon_start "$ike" "$esp" || {
		fail "charon did not start"
		return 1
	}
	ike_sw_bw_start "$CASE_DIR" "$ike" "$esp" "$action" "$encap" || {
		fail "bulwark did not start"
		return 1
	}
	if [ "$dir" = sw ]; then
		bw_sw_swanctl B --initiate --child net --timeout 15 >"$CASE_DIR/initiate.out" 2>&1 || {
			fail "swanctl --initiate failed: $(tail -n 3 "$CASE_DIR/initiate.out" | tr '\n' ' ')"
			return 1
		}
	fi
	return 0
}

# sas_up : both IKE SAs ESTABLISHED and both CHILD_SAs installed.
sas_up()
{
	bw_wait_until 15 ike_sw_bw_established || {
		fail "bulwark: no ESTABLISHED IKE SA: $(ike_sw_bw_status | grep '^ike ' | head -n 1)"
		return 1
	}
	bw_wait_until 10 ike_sw_charon_established || {
		fail "charon: no ESTABLISHED IKE SA"
		return 1
	}
	bw_wait_until 10 ike_sw_bw_installed || {
		fail "bulwark: CHILD_SA net not installed"
		return 1
	}
	bw_wait_until 10 ike_sw_charon_installed || {
		fail "charon: CHILD_SA net not INSTALLED"
		return 1
	}
	ike_sw_charon_sas >"$CASE_DIR/charon-sas.txt"
	ike_sw_bw_status >"$CASE_DIR/bulwark-status.txt"
	return 0
}

# traffic NBYTES : ping both ways between the inner addresses, TCP both ways if NBYTES > 0.
traffic()
{
	local n=$1 r
	bw_ping A "$BW_IN_A" "$BW_IN_B" || {
		fail "no ping $BW_IN_A -> $BW_IN_B through the tunnel"
		return 1
	}
	bw_ping B "$BW_IN_B" "$BW_IN_A" || {
		fail "no ping $BW_IN_B -> $BW_IN_A through the tunnel"
		return 1
	}
	[ "$n" -gt 0 ] || return 0
	TCP_PORT=$((TCP_PORT + 1))
	r=$(ike_sw_tcp A B "$n" "$TCP_PORT") || {
		fail "TCP A -> B: $r"
		return 1
	}
	TCP_PORT=$((TCP_PORT + 1))
	r=$(ike_sw_tcp B A "$n" "$TCP_PORT") || {
		fail "TCP B -> A: $r"
		return 1
	}
	return 0
}

# cert_case KEYTYPE DIR : certificate authentication both ways.
cert_case()
{
	local kt=$1 dir=$2 who sas
	if [ "$dir" = bw ]; then who="bulwark initiator"; else who="charon initiator"; fi
	begin "certificates $kt: $who (IKE $IKE_P)" || return 0
	IKE_SW_AUTH=pubkey
	if ! ike_sw_pki "$kt"; then
		fail "openssl could not make the certificates: $(tail -n 3 "$BW_TMP/pki-$kt/openssl.log")"
	elif up "$dir" "$IKE_P" aes256gcm16 false && sas_up; then
		sas=$(cat "$CASE_DIR/charon-sas.txt")
		if ! grep -q "remote '$IKE_SW_DN_A' @ $BW_OUT_A\[4500\]" <<<"$sas"; then
			fail "charon's IKE SA is not with '$IKE_SW_DN_A': $(grep ' remote ' <<<"$sas")"
		elif ! grep -q "^  *$GCM_IKE\$" <<<"$sas"; then
			fail "charon's IKE SA is not $GCM_IKE"
		elif ! grep -q "authentication of '$IKE_SW_DN_A' with .* successful" \
			"$BW_TMP/sw-B/charon.log"; then
			fail "charon's log shows no signature check of '$IKE_SW_DN_A'"
		elif grep -q 'with pre-shared key' "$BW_TMP/sw-B/charon.log"; then
			fail "charon's log shows a pre-shared key authentication"
		elif traffic $((1024 * 1024)); then
			echo "  ($(grep -o "authentication of '$IKE_SW_DN_A' with [^ ]*" \
				"$BW_TMP/sw-B/charon.log" | head -n 1))"
			pass
		fi
	fi
	end
}

# spis : "IKE_I IKE_R CHILD_IN CHILD_OUT" of bulwark's status, one line per IKE SA
bw_spis()
{
	ike_sw_bw_status | awk '
		/^ike sw: / { for (i = 1; i <= NF; i++) if ($i == "spi") { si = $(i + 1); sr = $(i + 2) } }
		/^  child net: / { print si, sr, $5, $7 }'
}

# charon's SPIs in the same form (its in = bulwark's out) from its --list-sas on stdin:
# ESTABLISHED IKE SAs, INSTALLED CHILD_SAs only (charon keeps rekeyed ones as DELETED for a few
# seconds)
# shellcheck disable=SC2317
sw_spis()
{
	awk '
		/^bw: #/ { ok = / ESTABLISHED, /; si = $5; sr = $6
			sub(/_i\*?,?$/, "", si); sub(/_r\*?,?$/, "", sr) }
		/^  net: #/ { inst = / INSTALLED, / }
		/^ *in  [0-9a-f]+,/ { cin = $2; sub(/,$/, "", cin) }
		/^ *out [0-9a-f]+,/ { co = $2; sub(/,$/, "", co)
			if (ok && inst) print si "_i", sr "_r", "0x" co, "0x" cin }'
}

# true when each side has one CHILD_SA and both agree on all SPIs (called by bw_wait_until).
# The pair it read is kept in SETTLED_BW/SETTLED_SW (charon's listing in SETTLED_SW_RAW): the
# rekey timers keep running, so reading the SAs again afterwards can straddle the next rekey.
# shellcheck disable=SC2317
spis_settled()
{
	SETTLED_BW=$(bw_spis)
	SETTLED_SW_RAW=$(ike_sw_charon_sas)
	SETTLED_SW=$(sw_spis <<<"$SETTLED_SW_RAW")
	[ -n "$SETTLED_BW" ] && [ "$(wc -l <<<"$SETTLED_BW")" = 1 ] &&
		[ "$SETTLED_BW" = "$SETTLED_SW" ]
}

# who_rekeyed bw|sw : the rekeys were started by that side (bulwark's log says "rekeying ..."
# for the exchanges it starts, charon's says "activating ..._REKEY task").
who_rekeyed()
{
	local bwc bwi swc swi
	bwc=$(grep -c 'conn=sw: rekeying CHILD_SA net' "$IKE_SW_BW_LOG")
	bwi=$(grep -c 'conn=sw: rekeying the IKE SA' "$IKE_SW_BW_LOG")
	swc=$(grep -c 'activating CHILD_REKEY task' "$BW_TMP/sw-B/charon.log")
	swi=$(grep -c 'activating IKE_REKEY task' "$BW_TMP/sw-B/charon.log")
	if [ "$1" = bw ] && { [ "$bwc" -lt 2 ] || [ "$bwi" -lt 1 ] || [ $((swc + swi)) != 0 ]; }; then
		fail "rekeys started: bulwark $bwc CHILD/$bwi IKE, charon $swc CHILD/$swi IKE"
		return 1
	fi
	if [ "$1" = sw ] && { [ "$swc" -lt 2 ] || [ "$swi" -lt 1 ] || [ $((bwc + bwi)) != 0 ]; }; then
		fail "rekeys started: charon $swc CHILD/$swi IKE, bulwark $bwc CHILD/$bwi IKE"
		return 1
	fi
	return 0
}

# rekey_case WHO : WHO (bw or sw) rekeys the CHILD_SA every 4-5 s and the IKE SA every 8 s while
# 75 pings go out at 0.2 s intervals.
rekey_case()
{
	local who=$1 name spi0 spi1 sw1 out sent got lost npfs nike settled
	if [ "$who" = bw ]; then name="bulwark"; else name="charon"; fi
	begin "rekey by $name: CHILD_SA with PFS (ESP aes256gcm16-x25519) and IKE SA while pinging" ||
		return 0
	if [ "$who" = bw ]; then
		IKE_SW_BW_CONN="      rekey_time: 8"
		# life_time: bulwark's default hard lifetime, 1.1 x rekey_time, would leave the
		# CHILD_SA 0.4 s to rekey in, not enough when its rekey waits behind the IKE SA's
		IKE_SW_BW_CHILD="          rekey_time: 4
          life_time: 60"
	else
		IKE_SW_SW_CONN="rekey_time = 8s
		over_time = 300s
		rand_time = 0s"
		IKE_SW_SW_CHILD="rekey_time = 5s
				life_time = 600s
				rand_time = 0s"
	fi
	if up bw "$IKE_P" aes256gcm16-x25519 false && sas_up; then
		spi0=$(bw_spis)
		out=$(BW_CMD_TIMEOUT=25 bw_ns_exec A ping -n -c 75 -i 0.2 -W 1 -I "$BW_IN_A" \
			"$BW_IN_B" 2>&1)
		printf '%s\n' "$out" >"$CASE_DIR/ping.out"
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
		got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
		lost=$((${sent:-0} - ${got:-0}))
		# the SAs in force once the last exchange is surely over
		SETTLED_BW='' SETTLED_SW='' SETTLED_SW_RAW=''
		settled=yes
		bw_wait_until 8 spis_settled || settled=no
		spi1=$SETTLED_BW
		sw1=$SETTLED_SW
		npfs=$(grep -c 'CHILD_SA net up, .* (PFS)' "$IKE_SW_BW_LOG")
		nike=$(grep -c 'conn=sw: IKE SA rekeyed' "$IKE_SW_BW_LOG")
		# charon's listing from the settled pair, not a later read inside a rekey
		printf '%s\n' "$SETTLED_SW_RAW" >"$CASE_DIR/charon-sas-after.txt"
		if [ "${sent:-0}" -lt 70 ] || [ "$lost" -gt 2 ]; then
			fail "pings sent ${sent:-?}, received ${got:-?}: $(tail -n 2 <<<"$out" | head -n 1)"
		elif [ "$npfs" -lt 2 ]; then
			fail "bulwark logged $npfs CHILD_SA (PFS) rekeys, want at least 2"
		elif [ "$nike" -lt 1 ]; then
			fail "bulwark logged no IKE SA rekey"
		elif [ "$(wc -l <<<"$spi1")" != 1 ] || [ "$(wc -l <<<"$sw1")" != 1 ]; then
			fail "not one CHILD_SA on each side: bulwark '$spi1', charon '$sw1'"
		elif [ "$settled" = no ]; then
			fail "the SPIs did not settle in 8 s: bulwark '$spi1', charon '$sw1'"
		elif [ "${spi0%% *}" = "${spi1%% *}" ] || [ "$(cut -d' ' -f3 <<<"$spi0")" = \
			"$(cut -d' ' -f3 <<<"$spi1")" ]; then
			fail "SPIs did not change: before '$spi0', after '$spi1'"
		elif ! grep -q 'INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256/CURVE_25519$' \
			"$CASE_DIR/charon-sas-after.txt"; then
			fail "charon's CHILD_SA is not AES_GCM_16-256 with CURVE_25519 (PFS)"
		elif ! who_rekeyed "$who"; then
			:
		elif traffic 0; then
			echo "  (lost $lost of $sent pings; $npfs PFS CHILD_SA rekeys, $nike IKE SA" \
				"rekeys in bulwark's log; SPIs '$spi0' -> '$spi1')"
			pass
		fi
	fi
	end
}

# rw_case : charon road warrior asking for a virtual IP from bulwark's pool.
rw_case()
{
	local sas st vip bvip
	begin "road warrior: charon (vips = 0.0.0.0) gets an address from bulwark's pool" ||
		return 0
	IKE_SW_SW_VIP=yes
	IKE_SW_SW_CONN="vips = 0.0.0.0"
	IKE_SW_SW_LTS=-
	IKE_SW_BW_REMOTE=-
	IKE_SW_BW_RTS=-
	IKE_SW_BW_CONN="      pools: [10.99.0.0/24]"
	if up sw "$IKE_P" aes256gcm16 false && sas_up; then
		sas=$(cat "$CASE_DIR/charon-sas.txt")
		st=$(cat "$CASE_DIR/bulwark-status.txt")
		vip=$(sed -n "s/^ *local .* @ $BW_OUT_B\[4500\] \[\(10\.99\.0\.[0-9]*\)\]\$/\1/p" \
			<<<"$sas" | head -n 1)
		bvip=$(sed -n 's/^  virtual ip \(.*\)$/\1/p' <<<"$st")
		if [ -z "$vip" ]; then
			fail "charon lists no virtual IP from 10.99.0.0/24: $(grep ' local ' <<<"$sas")"
		elif [ "$vip" != "$bvip" ]; then
			fail "charon has virtual IP $vip, bulwark's status says '$bvip'"
		elif ! grep -q "^ *local  *$vip/32\$" <<<"$sas"; then
			fail "charon's CHILD_SA is not for $vip/32: $(grep -E '^ *(local|remote) ' <<<"$sas")"
		elif ! bw_wait_until 5 bw_ns_exec B sh -c "ip -o addr | grep -q ' $vip/'"; then
			fail "charon did not install $vip in namespace B"
		elif ! bw_ping B "$vip" "$BW_IN_A"; then
			fail "no ping $vip -> $BW_IN_A through the tunnel"
		else
			echo "  (virtual IP $vip)"
			pass
		fi
	fi
	end
}

# nat_case : bulwark (A, 192.168.1.2) behind a masquerading router, charon (B) on the public side.
nat_case()
{
	local sas st
	begin "NAT traversal: bulwark behind a masquerading router, no forced encapsulation" ||
		return 0
	if ! ike_sw_nat_setup; then
		fail "could not build the NAT namespace"
		end
		return
	fi
	IKE_SW_BW_LOCAL=$IKE_SW_NAT_A
	IKE_SW_BW_REMOTE=$IKE_SW_NAT_B
	IKE_SW_SW_LOCAL=$IKE_SW_NAT_B
	IKE_SW_SW_REMOTE=%any
	IKE_SW_SW_ENCAP=no
	if up bw "$IKE_P" aes256gcm16 false && sas_up; then
		sas=$(cat "$CASE_DIR/charon-sas.txt")
		st=$(cat "$CASE_DIR/bulwark-status.txt")
		if ! grep -q "^ike sw: ESTABLISHED .*$IKE_SW_NAT_A\[4500\] <-> $IKE_SW_NAT_B\[4500\] .* nat-t\$" \
			<<<"$st"; then
			fail "bulwark's IKE SA did not float to 4500 with nat-t: $(grep '^ike sw' <<<"$st")"
		elif ! grep -q "^tunnel .* udp-encap $IKE_SW_NAT_A -> $IKE_SW_NAT_B" <<<"$st"; then
			fail "bulwark's ESP SA is not UDP-encapsulated: $(grep '^tunnel' <<<"$st")"
		elif ! grep -q "remote 'bw.interop.example' @ $IKE_SW_NAT_RB\[[0-9]*\]" <<<"$sas"; then
			fail "charon does not see the NAT address $IKE_SW_NAT_RB: $(grep ' remote ' <<<"$sas")"
		elif ! grep -q 'remote host is behind NAT' "$BW_TMP/sw-B/charon.log"; then
			fail "charon did not detect the NAT"
		elif ! grep -q "INSTALLED, TUNNEL-in-UDP, " <<<"$sas"; then
			fail "charon's CHILD_SA is not UDP-encapsulated"
		elif traffic $((1024 * 1024)); then
			echo "  ($(grep "^ike sw" <<<"$st" | sed 's/ spi .*nat-t/ nat-t/'); charon:" \
				"$(grep -o "remote 'bw.interop.example' @ [^ ]*" <<<"$sas"))"
			pass
		fi
	fi
	end
}

# dpd_case : charon dies (SIGKILL); bulwark's liveness check removes the SAs.
dpd_case()
{
	local t0 t1 limit
	begin "dead peer detection: charon killed, bulwark (dpd_delay 3) removes its SAs" ||
		return 0
	IKE_SW_BW_CONN="      dpd_delay: 3"
	# faster give-up where the daemon lets the retransmissions be tuned
	limit=80
	IKE_SW_BW_IKE="  retransmit_tries: 2
  retransmit_timeout: 500"
	IKE_SW_BW_SOCK="$CASE_DIR/probe.sock"
	if ike_sw_bw_config "$CASE_DIR/probe.yaml" "$IKE_P" aes256gcm16 start false &&
		"$BULWARK" checkconf "$CASE_DIR/probe.yaml" >"$CASE_DIR/probe.out" 2>&1; then
		limit=20
	else
		unset IKE_SW_BW_IKE
	fi
	if up bw "$IKE_P" aes256gcm16 false && sas_up && traffic 0; then
		if [ "$(cat "/proc/$IKE_SW_CHARON_PID/comm" 2>/dev/null)" != charon ]; then
			fail "pid $IKE_SW_CHARON_PID is not charon"
		else
			t0=$(date +%s)
			{
				kill -KILL "$IKE_SW_CHARON_PID"
				wait "$IKE_SW_CHARON_PID"
			} 2>/dev/null
			if ! bw_wait_until "$limit" ike_sw_bw_no_sa; then
				fail "bulwark still has SAs $limit s after charon died:" \
					"$(ike_sw_bw_status | grep -E '^(ike|tunnel) ' | tr '\n' ' ')"
			else
				t1=$(date +%s)
				if ike_sw_bw_status | grep -q '^  child '; then
					fail "bulwark still lists a CHILD_SA"
				elif ! grep -q 'removed (peer not responding)' "$IKE_SW_BW_LOG"; then
					fail "bulwark's log does not say the peer stopped responding"
				elif ! ike_sw_bw_alive; then
					fail "bulwark exited"
				else
					echo "  (SAs gone $((t1 - t0)) s after SIGKILL;" \
						"$([ "$limit" = 20 ] && echo "2 retransmits from 0.5 s" ||
							echo "built-in retransmits"))"
					pass
				fi
			fi
		fi
	fi
	end
}

# sw_dpd_case : bulwark dies (SIGKILL); charon's liveness check (dpd_delay 2 s, 2 retransmits
# 1 s apart growing by 1.4) removes its SAs.
sw_dpd_case()
{
	local t0 t1
	begin "dead peer detection: bulwark killed, charon (dpd_delay 2s) removes its SAs" ||
		return 0
	IKE_SW_SW_CONN="dpd_delay = 2s"
	IKE_SW_SW_TRIES=2
	if up bw "$IKE_P" aes256gcm16 false && sas_up && traffic 0; then
		t0=$(date +%s)
		{
			kill -KILL "$IKE_SW_BW_PID"
			wait "$IKE_SW_BW_PID"
		} 2>/dev/null
		IKE_SW_BW_PID=""
		if ! bw_wait_until 25 ike_sw_charon_no_sa; then
			fail "charon still has an IKE SA 25 s after bulwark died:" \
				"$(ike_sw_charon_sas | head -n 1)"
		elif ! grep -q 'giving up after [0-9]* retransmits' "$BW_TMP/sw-B/charon.log"; then
			fail "charon's log shows no DPD giving up"
		elif bw_sw_swanctl B --list-sas 2>/dev/null | grep -q 'INSTALLED'; then
			fail "charon still lists a CHILD_SA"
		else
			t1=$(date +%s)
			echo "  (charon's SAs gone $((t1 - t0)) s after SIGKILL)"
			pass
		fi
	fi
	end
}

cert_case rsa bw
cert_case rsa sw
cert_case ec256 bw
cert_case ec256 sw
cert_case ec384 bw
cert_case ec384 sw
rekey_case bw
rekey_case sw
rw_case
nat_case
sw_dpd_case
dpd_case

echo "summary: $NPASS passed, $NFAIL failed in $(($(date +%s) - T0)) s"
for c in "${FAILED[@]}"; do
	echo "  failed: $c"
done
[ "$NFAIL" = 0 ] || exit 1
[ "$NPASS" -gt 0 ] || { echo "FAIL: no case selected by BW_CASES='${BW_CASES:-}'"; exit 1; }
exit 0
