#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Installs every Debian 12 package needed to build bulwark, run its test suite
# (unit, mutation, interop with scapy/tshark/strongSwan, sanitizer and libFuzzer
# builds) and its benchmarks. Idempotent: when everything is already installed
# it does nothing, not even `apt-get update`. Quiet, but apt's errors show.
# Needs root (uses sudo when run as another user and sudo exists).
set -eu

PKGS="build-essential cmake pkg-config libssl-dev libyaml-dev libcmocka-dev
libpcap-dev libvectorscan-dev libpcre2-dev libhtp-dev zlib1g-dev libmagic-dev libmimalloc-dev
clang libclang-rt-14-dev llvm clang-format ike-scan wireshark-common
iproute2 iputils-ping nftables tcpdump iperf3 tshark
python3 python3-scapy python3-cryptography
strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-deps: missing:$missing; run as root" >&2
		exit 1
	fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$SUDO debconf-set-selections
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 $missing >/dev/null
echo "install-deps: done"
