#!/bin/sh
# SPDX-License-Identifier: ISC
#
# ESP per-packet crypto path beside `openssl speed`, in the same run: runs
# bench_esp (esp_encap/esp_decap on one thread, every transform and size) and
# `openssl speed -evp` for the same ciphers and sizes, and prints them side by
# side with the ratio bulwark/openssl. For the AEADs the reference is
# `openssl speed -evp <cipher>` (a bare stream of EVP updates: no per-packet
# IV, AAD or tag) and, for information, `-aead` (a TLS-like per-record
# sequence). For AES-CBC + HMAC the reference is the cipher and the HMAC run
# back to back: 1 / (1/cbc + 1/hmac) bytes per second. Both tools divide by
# CPU time. Prints figures only; it never fails because of a timing.
#
# usage: bench/esp_speed.sh [path/to/bench_esp] [-t SECONDS] [-s SIZES]
#   default bench_esp: the first build*/bench/bench_esp or build/*/bench/bench_esp
#   under the source tree; -t and -s are passed to bench_esp, -s also sets
#   the openssl sizes (default 64,512,1400,8000).
set -u

src=$(cd "$(dirname "$0")/.." && pwd)
bench=""
if [ $# -gt 0 ] && [ -x "$1" ] && [ ! -d "$1" ]; then
	bench=$1
	shift
fi
if [ -z "$bench" ]; then
	for b in "$src"/build/*/bench/bench_esp "$src"/build*/bench/bench_esp \
		"$src"/../build*/bench/bench_esp; do
		if [ -x "$b" ]; then
			bench=$b
			break
		fi
	done
fi
if [ -z "$bench" ]; then
	echo "esp_speed.sh: no bench_esp found; build it (cmake --build B --target bench_esp)" \
		"and pass its path" >&2
	exit 2
fi

secs=0.5
sizes=64,512,1400,8000
while [ $# -gt 0 ]; do
	case $1 in
	-t) secs=$2; shift 2 ;;
	-s) sizes=$2; shift 2 ;;
	*) echo "usage: $0 [bench_esp] [-t SECONDS] [-s SIZES]" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "# ESP crypto path vs openssl speed, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# cpu: $cpu ($(nproc) cores online); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(openssl version)"
echo "# bench_esp: $bench -t $secs -s $sizes"

if ! "$bench" --csv -t "$secs" -s "$sizes" >"$tmp/esp.csv"; then
	echo "esp_speed.sh: bench_esp failed (a crypto or set-up error, not timing)" >&2
	exit 1
fi

tr "," " " <"$tmp/esp.csv" >"$tmp/esp.txt"

# openssl speed -mr prints "+F:<n>:<name>:<bytes per second>" per size.
ossl() { # key, then the speed arguments
	key=$1
	shift
	for s in $(echo "$sizes" | tr ',' ' '); do
		v=$(openssl speed -mr "$@" -bytes "$s" -seconds 1 2>/dev/null |
			awk -F: '/^\+F:/ { print $NF; exit }')
		echo "$key $s ${v:-0}"
	done >>"$tmp/ossl.txt"
}
: >"$tmp/ossl.txt"
for c in aes-128-gcm aes-256-gcm chacha20-poly1305 aes-128-cbc aes-256-cbc; do
	ossl "evp:$c" -evp "$c"
done
for c in aes-128-gcm aes-256-gcm chacha20-poly1305; do
	ossl "aead:$c" -aead -evp "$c"
done
for h in sha256 sha384 sha512; do
	ossl "hmac:$h" -hmac "$h"
done

awk -v secs="$secs" '
function ref(x, s,    c, h, a, b) {
	# The openssl figure (bytes/s) that bulwark transform x compares with.
	if (x == "aes-gcm-128") return o["evp:aes-128-gcm", s]
	if (x == "aes-gcm-256") return o["evp:aes-256-gcm", s]
	if (x == "chacha20-poly1305") return o["evp:chacha20-poly1305", s]
	split(x, p, "[+]")
	c = (p[1] == "aes-cbc-128") ? "aes-128-cbc" : "aes-256-cbc"
	h = p[2]; sub(/^hmac-/, "", h); sub(/-.*/, "", h)
	a = o["evp:" c, s]; b = o["hmac:" h, s]
	return (a > 0 && b > 0) ? 1 / (1 / a + 1 / b) : 0
}
function aead(x, s) {
	if (x == "aes-gcm-128") return o["aead:aes-128-gcm", s]
	if (x == "aes-gcm-256") return o["aead:aes-256-gcm", s]
	if (x == "chacha20-poly1305") return o["aead:chacha20-poly1305", s]
	return 0
}
function pct(a, b) { return b > 0 ? sprintf("%5.1f%%", 100 * a / b) : "   n/a" }
function mb(v) { return v > 0 ? sprintf("%8.1f", v / 1e6) : "     n/a" }
FNR == NR { o[$1, $2] = $3; next }
FNR == 1 { next }  # CSV header
{
	x = $1; s = $2; enc = $4 * 1e6; dec = $6 * 1e6; net = $8 * 1e6
	r = ref(x, s); ad = aead(x, s)
	if (!hdr++) {
		printf "\n%-28s %5s %8s %8s %8s | %8s %8s | %7s %7s %7s\n", "transform", "bytes",
		    "encap", "decap", "dec-copy", "openssl", "-aead", "enc/ssl", "dec/ssl",
		    "dcp/ssl"
		printf "%-28s %5s %8s %8s %8s | %8s %8s |\n", "", "", "MB/s", "MB/s", "MB/s",
		    "MB/s", "MB/s"
	}
	printf "%-28s %5s %8.1f %8.1f %8.1f | %s %s | %7s %7s %7s\n", x, s, enc / 1e6,
	    dec / 1e6, net / 1e6, mb(r), mb(ad), pct(enc, r), pct(dec, r), pct(net, r)
	if (x == "aes-gcm-256" && s == 1400) {
		summary = sprintf("SUMMARY aes-gcm-256 1400 bytes: esp_encap %.1f MB/s, " \
		    "openssl speed -evp aes-256-gcm %.1f MB/s, ratio %s (target >= 85%%: %s); " \
		    "esp_decap %s raw, %s minus copy", enc / 1e6, r / 1e6, pct(enc, r),
		    r > 0 ? (enc >= 0.85 * r ? "met" : "not met") : "n/a", pct(dec, r), pct(net, r))
	}
}
END {
	print ""
	print "MB = 10^6 payload bytes per CPU second (bench_esp: thread CPU time; openssl:"
	print "user CPU time). openssl = speed -evp (AEAD), or AES-CBC and HMAC back to back"
	print "(1/(1/cbc+1/hmac)); -aead = speed -aead -evp, TLS-like records with AAD and tag."
	print "decap copies each ciphertext into the work buffer first; dec-copy subtracts"
	print "the time of that copy, measured alone."
	if (summary != "")
		print summary
}' "$tmp/ossl.txt" "$tmp/esp.txt"
exit 0
