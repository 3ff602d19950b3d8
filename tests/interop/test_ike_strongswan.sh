#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# IKEv2 (RFC 7296) interop between bulwark and strongSwan's charon, the reference IKE daemon.
# bulwark runs in namespace A, charon (Debian's, with kernel-libipsec: userspace ESP, UDP
# encapsulation per RFC 3948 only) in namespace B; bench/netns.sh builds the pair and
# bench/strongswan.sh runs charon, tests/interop/lib/ike_sw.sh writes the mirrored configs.
# Cases, each with freshly started daemons in the same namespace pair:
#  - bulwark initiator -> charon responder and charon initiator -> bulwark responder for
#    AES-GCM-256/x25519, AES-CBC-256+HMAC-SHA-256/MODP-2048, ChaCha20-Poly1305/ECP-256 and
#    AES-CBC-128+HMAC-SHA-384/ECP-384 (ESP HMAC-SHA-512): the IKE SA is ESTABLISHED and the
#    CHILD_SA INSTALLED on both sides with the expected algorithms, both floated to UDP 4500;
#    ping and a 2 MB TCP transfer (SHA-256 checked) in both directions; bulwark's ESP
#    counters move both ways;
#  - delete (INFORMATIONAL, RFC 7296 1.4.1): `bulwark ctl terminate` removes charon's SAs, and
#    `swanctl --terminate` removes bulwark's IKE SA and its ESP SAs;
#  - a wrong pre-shared key, either side initiating: no SA anywhere, bulwark logs the
#    authentication failure and keeps running; with the key corrected the next `bulwark ctl
#    initiate` succeeds;
#  - charon proposing only what bulwark does not allow: NO_PROPOSAL_CHOSEN (RFC 7296 2.7) in
#    charon's log, no SA.
# One PASS/FAIL line per case, exit 1 if any failed, 77 (ctest SKIP_RETURN_CODE) without root
# or charon. BW_CASES=<substring> runs only the matching cases; BW_KEEP_TMP=1 keeps the logs.

set -u

# Bound the whole run: timeout(1) sends TERM, the trap tears everything down.
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

# namespace names bwb-a-ike<pid>, bwb-b-ike<pid> (read by bench/netns.sh)
# shellcheck disable=SC2034
BW_NS_TAG="ike$$"
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
TCP_PORT=5001
T0=$(date +%s)

bw_ns_trap
bw_ns_setup

pass()
{
	NPASS=$((NPASS + 1))
	echo "PASS $CASE"
}

# fail REASON : one FAIL line, then the tail of both daemons' logs for diagnosis.
fail()
{
	NFAIL=$((NFAIL + 1))
	FAILED+=("$CASE")
	echo "FAIL $CASE - $*"
	if [ -n "$IKE_SW_BW_LOG" ] && [ -r "$IKE_SW_BW_LOG" ]; then
		echo "  --- bulwark log (tail) ---"
		tail -n 25 "$IKE_SW_BW_LOG" | sed 's/^/  | /'
	fi
	if [ -r "$BW_TMP/sw-B/charon.log" ]; then
		echo "  --- charon log (tail) ---"
		tail -n 25 "$BW_TMP/sw-B/charon.log" | sed 's/^/  | /'
	fi
	return 1
}

# begin NAME : true when the case is selected; fresh log folder for it.
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

# end : stop both daemons (fresh ones for the next case), keep charon's log with the case.
end()
{
	ike_sw_bw_stop
	ike_sw_charon_stop
	cp "$BW_TMP/sw-B/charon.log" "$CASE_DIR/" 2>/dev/null
	IKE_SW_BW_LOG=""
}

# up DIR IKE ESP ENCAP : start charon and bulwark; DIR bw (bulwark initiates at start) or sw
# (charon initiates through swanctl).
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

# tunnel_checks WANT_IKE WANT_ESP : SAs on both sides, algorithms (WANT_IKE and WANT_ESP as
# charon's --list-sas prints them), NAT-T, traffic, counters.
tunnel_checks()
{
	local want_ike=$1 want_esp=$2 want_bw_esp sas st out0 in0 out1 in1 r
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
	case "$want_esp" in
	AES_GCM_16-256) want_bw_esp="AES_GCM_16/256" ;;
	AES_CBC-*/HMAC_*)
		want_bw_esp="AES_CBC/${want_esp#AES_CBC-}"
		want_bw_esp="${want_bw_esp%%/HMAC_*} HMAC_${want_esp#*/HMAC_}"
		;;
	CHACHA20_POLY1305) want_bw_esp="CHACHA20_POLY1305" ;;
	*) want_bw_esp="$want_esp" ;;
	esac
	sas=$(ike_sw_charon_sas)
	st=$(ike_sw_bw_status)
	printf '%s\n' "$sas" >"$CASE_DIR/charon-sas.txt"
	printf '%s\n' "$st" >"$CASE_DIR/bulwark-status.txt"
	grep -q "^  *$want_ike\$" <<<"$sas" || {
		fail "charon's IKE SA is not $want_ike: $(grep -A2 '^bw: ' <<<"$sas" | tr -s ' \n' ' ')"
		return 1
	}
	grep -q "INSTALLED, TUNNEL-in-UDP, .*ESP:$want_esp\$" <<<"$sas" || {
		fail "charon's CHILD_SA is not ESP:$want_esp in UDP: $(grep 'INSTALLED' <<<"$sas")"
		return 1
	}
	grep -q "^  child net: spi in 0x[0-9a-f]* out 0x[0-9a-f]* $want_bw_esp\(,.*\)\?\$" <<<"$st" || {
		fail "bulwark's CHILD_SA is not $want_bw_esp: $(grep '^  child net' <<<"$st")"
		return 1
	}
	grep -q "^ike sw: ESTABLISHED .*\[4500\] <-> $BW_OUT_B\[4500\] .* nat-t\$" <<<"$st" || {
		fail "bulwark's IKE SA did not float to 4500: $(grep '^ike sw' <<<"$st")"
		return 1
	}
	grep -q "^tunnel .* udp-encap $BW_OUT_A -> $BW_OUT_B" <<<"$st" || {
		fail "bulwark's ESP SA is not UDP-encapsulated: $(grep '^tunnel' <<<"$st")"
		return 1
	}
	bw_sw_route B >/dev/null 2>&1 || {
		fail "charon installed no ipsec0 route"
		return 1
	}
	out0=$(ike_sw_bw_esp_packets out)
	in0=$(ike_sw_bw_esp_packets in)
	bw_ping A "$BW_IN_A" "$BW_IN_B" || {
		fail "no ping $BW_IN_A -> $BW_IN_B through the tunnel"
		return 1
	}
	bw_ping B "$BW_IN_B" "$BW_IN_A" || {
		fail "no ping $BW_IN_B -> $BW_IN_A through the tunnel"
		return 1
	}
	TCP_PORT=$((TCP_PORT + 1))
	r=$(ike_sw_tcp A B $((2 * 1024 * 1024)) "$TCP_PORT") || {
		fail "TCP A -> B: $r"
		return 1
	}
	TCP_PORT=$((TCP_PORT + 1))
	r=$(ike_sw_tcp B A $((2 * 1024 * 1024)) "$TCP_PORT") || {
		fail "TCP B -> A: $r"
		return 1
	}
	out1=$(ike_sw_bw_esp_packets out)
	in1=$(ike_sw_bw_esp_packets in)
	# 2 MB each way is well over 1000 full-size ESP packets in each direction
	if [ -z "$out1" ] || [ -z "$in1" ] || [ $((out1 - ${out0:-0})) -lt 1000 ] ||
		[ $((in1 - ${in0:-0})) -lt 1000 ]; then
		fail "bulwark ESP counters out ${out0:-?} -> ${out1:-?}, in ${in0:-?} -> ${in1:-?}"
		return 1
	fi
	echo "  ($(grep -m1 '^  child net' <<<"$st" | sed 's/^ *//'); ESP packets out $out1 in $in1)"
	return 0
}

# ping_once : one echo A -> B, 1 s wait
ping_once()
{
	if command -v ping >/dev/null 2>&1; then
		bw_ns_exec A ping -c 1 -W 1 -I "$BW_IN_A" "$BW_IN_B" >/dev/null 2>&1
	else
		bw_ping A "$BW_IN_A" "$BW_IN_B"
	fi
}

# delete_by WHO : WHO (bw or sw) deletes the IKE SA; both sides must drop everything.
delete_by()
{
	if [ "$1" = bw ]; then
		ike_sw_bw_ctl "terminate sw" >"$CASE_DIR/terminate.out" 2>&1
		grep -q '^terminating sw' "$CASE_DIR/terminate.out" || {
			fail "bulwark ctl terminate: $(cat "$CASE_DIR/terminate.out")"
			return 1
		}
	else
		bw_sw_swanctl B --terminate --ike bw --timeout 10 >"$CASE_DIR/terminate.out" 2>&1 || {
			fail "swanctl --terminate: $(tail -n 2 "$CASE_DIR/terminate.out" | tr '\n' ' ')"
			return 1
		}
	fi
	bw_wait_until 5 ike_sw_charon_no_sa || {
		fail "charon still has an IKE SA: $(ike_sw_charon_sas | head -n 1)"
		return 1
	}
	bw_wait_until 5 ike_sw_bw_no_sa || {
		fail "bulwark still has SAs: $(ike_sw_bw_status | grep -E '^(ike|tunnel) ' | tr '\n' ' ')"
		return 1
	}
	# removed through an INFORMATIONAL Delete on the other side, not by some timeout
	if [ "$1" = bw ]; then
		grep -q 'received DELETE for IKE_SA bw' "$BW_TMP/sw-B/charon.log" || {
			fail "charon's log shows no DELETE for the IKE SA"
			return 1
		}
	else
		grep -q 'conn=sw: peer deleted the IKE SA' "$IKE_SW_BW_LOG" || {
			fail "bulwark's log shows no delete by the peer"
			return 1
		}
	fi
	ike_sw_bw_alive || {
		fail "bulwark exited"
		return 1
	}
	# the tunnel is really gone: no echo gets through (one try: bw_ping's three cost 3 s)
	if ping_once; then
		fail "ping still passes after the delete"
		return 1
	fi
	return 0
}

# tunnel_case LABEL DIR IKE ESP ENCAP WANT_IKE WANT_ESP DELETER
tunnel_case()
{
	local label=$1 dir=$2 ike=$3 esp=$4 encap=$5 want_ike=$6 want_esp=$7 deleter=$8 who
	if [ "$dir" = bw ]; then who="bulwark initiator -> charon responder"; else
		who="charon initiator -> bulwark responder"
	fi
	begin "$label: $who (IKE $ike, ESP $esp)" || return 0
	if up "$dir" "$ike" "$esp" "$encap" && tunnel_checks "$want_ike" "$want_esp"; then
		pass
		if [ "$deleter" = bw ]; then
			CASE="$label: delete by bulwark (ctl terminate) after $dir initiated"
		else
			CASE="$label: delete by charon (swanctl --terminate) after $dir initiated"
		fi
		delete_by "$deleter" && pass
	fi
	end
}

# wrong_psk DIR : charon's PSK differs; then the right one is loaded and bulwark initiates.
wrong_psk()
{
	local dir=$1 ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 action=none
	begin "wrong PSK, $([ "$dir" = bw ] && echo bulwark || echo charon) initiating" || return 0
	[ "$dir" = bw ] && action=start
	ike_sw_charon_start "$ike" "$esp" "not the $IKE_SW_PSK" || {
		fail "charon did not start"
		end
		return
	}
	ike_sw_bw_start "$CASE_DIR" "$ike" "$esp" "$action" false || {
		fail "bulwark did not start"
		end
		return
	}
	if [ "$dir" = sw ]; then
		# fails by design; bounded by --timeout
		bw_sw_swanctl B --initiate --child net --timeout 10 >"$CASE_DIR/initiate.out" 2>&1 &&
			{
				fail "swanctl --initiate succeeded with a wrong PSK"
				end
				return
			}
	fi
	if ! bw_wait_until 10 grep -Eq 'authentication failed|AUTHENTICATION_FAILED' \
		"$IKE_SW_BW_LOG"; then
		fail "bulwark logged no authentication failure"
	elif ! grep -Eq 'AUTH_FAILED|AUTHENTICATION_FAILED' "$BW_TMP/sw-B/charon.log"; then
		fail "charon's log shows no AUTHENTICATION_FAILED"
	elif ! bw_wait_until 5 ike_sw_bw_no_sa; then
		fail "bulwark has an SA: $(ike_sw_bw_status | grep -E '^(ike|tunnel) ' | tr '\n' ' ')"
	elif ! bw_wait_until 5 ike_sw_charon_no_sa; then
		fail "charon has an IKE SA: $(ike_sw_charon_sas | head -n 1)"
	elif ! ike_sw_bw_alive; then
		fail "bulwark exited"
	else
		# correct the key on charon's side, and bulwark, still running, connects
		ike_sw_charon_conns "$ike" "$esp" "$IKE_SW_PSK"
		if ! ike_sw_charon_load; then
			fail "swanctl --load-all with the right PSK failed"
		elif ! ike_sw_bw_ctl "initiate sw" | grep -q '^initiating sw'; then
			fail "bulwark ctl initiate sw refused"
		elif tunnel_checks "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519" "AES_GCM_16-256"; then
			pass
		fi
	fi
	end
}

# no_proposal : charon offers only AES-CBC-128/SHA-1/MODP-1024, which bulwark refuses.
no_proposal()
{
	begin "charon proposing what bulwark does not allow -> NO_PROPOSAL_CHOSEN" || return 0
	ike_sw_charon_start aes128-sha1-modp1024 aes128-sha1 || {
		fail "charon did not start"
		end
		return
	}
	ike_sw_bw_start "$CASE_DIR" aes256gcm16-prfsha256-x25519 aes256gcm16 none false || {
		fail "bulwark did not start"
		end
		return
	}
	bw_sw_swanctl B --initiate --child net --timeout 10 >"$CASE_DIR/initiate.out" 2>&1
	if ! bw_wait_until 5 grep -q 'received NO_PROPOSAL_CHOSEN' "$BW_TMP/sw-B/charon.log"; then
		fail "charon did not receive NO_PROPOSAL_CHOSEN"
	elif ! bw_wait_until 5 ike_sw_charon_no_sa; then
		fail "charon has an IKE SA: $(ike_sw_charon_sas | head -n 1)"
	elif ! ike_sw_bw_no_sa; then
		fail "bulwark has an SA: $(ike_sw_bw_status | grep -E '^(ike|tunnel) ' | tr '\n' ' ')"
	elif ! ike_sw_bw_alive; then
		fail "bulwark exited"
	else
		pass
	fi
	end
}

GCM_IKE="AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519"
CBC_IKE="AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
CHA_IKE="CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_256"
CB2_IKE="AES_CBC-128/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384"

tunnel_case "aes-gcm/x25519" bw aes256gcm16-prfsha256-x25519 aes256gcm16 false \
	"$GCM_IKE" "AES_GCM_16-256" bw
tunnel_case "aes-gcm/x25519" sw aes256gcm16-prfsha256-x25519 aes256gcm16 false \
	"$GCM_IKE" "AES_GCM_16-256" sw
tunnel_case "aes-cbc/modp2048" bw aes256-sha256-modp2048 aes256-sha256 false \
	"$CBC_IKE" "AES_CBC-256/HMAC_SHA2_256_128" sw
tunnel_case "aes-cbc/modp2048" sw aes256-sha256-modp2048 aes256-sha256 false \
	"$CBC_IKE" "AES_CBC-256/HMAC_SHA2_256_128" bw
tunnel_case "chacha20/ecp256" bw chacha20poly1305-prfsha256-ecp256 chacha20poly1305 true \
	"$CHA_IKE" "CHACHA20_POLY1305" bw
tunnel_case "chacha20/ecp256" sw chacha20poly1305-prfsha256-ecp256 chacha20poly1305 true \
	"$CHA_IKE" "CHACHA20_POLY1305" sw
tunnel_case "aes128-cbc/ecp384" bw aes128-sha384-ecp384 aes128-sha512 false \
	"$CB2_IKE" "AES_CBC-128/HMAC_SHA2_512_256" sw
tunnel_case "aes128-cbc/ecp384" sw aes128-sha384-ecp384 aes128-sha512 false \
	"$CB2_IKE" "AES_CBC-128/HMAC_SHA2_512_256" bw
wrong_psk bw
wrong_psk sw
no_proposal

echo "summary: $NPASS passed, $NFAIL failed in $(($(date +%s) - T0)) s"
for c in "${FAILED[@]}"; do
	echo "  failed: $c"
done
[ "$NFAIL" = 0 ] || exit 1
[ "$NPASS" -gt 0 ] || { echo "FAIL: no case selected by BW_CASES='${BW_CASES:-}'"; exit 1; }
exit 0
