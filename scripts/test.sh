#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The whole test suite, from nothing: installs the Debian packages, then
#   1. format   clang-format --dry-run --Werror over src/ tests/unit/ fuzz/ bench/
#   2. build    gcc, -DBW_WERROR=ON, in build/ci; ctest: unit, mutate and interop labels
#   3. asan     clang, ASan + UBSan (-DBW_SANITIZE=ON), in build/asan; ctest of the
#               unit and mutate tests and a subset of interop (BW_ASAN_INTEROP=all: every
#               interop test; 0: none)
#   4. fuzz     clang libFuzzer (-DBW_FUZZ=ON), in build/fuzz; every fuzz/fuzz_*.c runs
#               for BW_FUZZ_SECONDS (default 20) from a copy of its seed corpus, with
#               its dictionary when there is one
#   5. summary  one line per step with its result and wall time
# Every step runs even if an earlier one failed; the exit status is non-zero if
# any failed. Nothing in the source tree is modified (build/ is ignored by git).
# Needs root (the interop tests create network namespaces and TUN devices).
# Environment: BW_FUZZ_SECONDS, BW_ASAN_INTEROP=0|some|all, BW_JOBS, BW_NO_DEPS=1 (skip apt).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
JOBS=${BW_JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${BW_FUZZ_SECONDS:-20}
ASAN_INTEROP=${BW_ASAN_INTEROP:-some}
LOGS="$ROOT/build/logs"

declare -a SUMMARY=()
FAILED=0
T0=$(date +%s)

# step NAME CMD...: runs CMD, records its result and wall time.
step() {
	local name=$1 t rc
	shift
	printf '\n==== %s ====\n' "$name"
	t=$(date +%s)
	"$@"
	rc=$?
	t=$(($(date +%s) - t))
	if [ "$rc" -eq 0 ]; then
		SUMMARY+=("$(printf '  %-8s PASS  %5ss' "$name" "$t")")
	else
		SUMMARY+=("$(printf '  %-8s FAIL  %5ss  (exit %s)' "$name" "$t" "$rc")")
		FAILED=1
	fi
	return 0
}

deps() {
	if [ "${BW_NO_DEPS:-0}" = 1 ]; then
		echo "skipped (BW_NO_DEPS=1)"
		return 0
	fi
	"$ROOT/scripts/install-deps.sh"
}

c_sources() {
	find src tests/unit fuzz bench -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort
}

format_check() {
	local bad=0 f

	while IFS= read -r f; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "not formatted: $f   (fix: clang-format -i $f)"
			clang-format --dry-run "$f" 2>&1 | head -n 12
			bad=1
		fi
	done < <(c_sources)
	[ "$bad" -eq 0 ] && echo "$(c_sources | wc -l) files formatted"
	return "$bad"
}

# configure_build DIR CMAKE-ARGS...: a fresh-enough cmake configure and full build.
configure_build() {
	local dir=$1
	shift
	cmake -S "$ROOT" -B "$dir" "$@" >"$LOGS/$(basename "$dir")-cmake.log" 2>&1 ||
		{ cat "$LOGS/$(basename "$dir")-cmake.log"; return 1; }
	# Progress lines are noise in a CI log; warnings and errors stay.
	cmake --build "$dir" -j "$JOBS" 2>&1 | grep -v '^\[ *[0-9]*%\]'
	return "${PIPESTATUS[0]}"
}

normal() {
	configure_build build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_WERROR=ON || return 1
	ctest --test-dir build/ci --no-tests=error -j "$JOBS" --output-on-failure -L 'unit|mutate|interop'
}

asan() {
	local select=(-L 'unit|mutate')

	# The daemons under the sanitizers: by default the interop tests that drive
	# bulwark hardest with the fewest minutes (hostile ESP, scapy both ways, IKE
	# against charon, the IPS end to end); BW_ASAN_INTEROP=all runs every one.
	case "$ASAN_INTEROP" in
	all) select=(-L 'unit|mutate|interop') ;;
	0) ;;
	*) select=(-R '^unit\.|^mutate\.|interop\.test_esp_badinput|interop\.test_esp_scapy$|interop\.test_ike_strongswan$|interop\.test_ips_e2e') ;;
	esac
	CC=clang configure_build build/asan -DCMAKE_BUILD_TYPE=Debug -DBW_WERROR=ON \
		-DBW_SANITIZE=ON || return 1
	# strict_string_checks makes ASan's strndup() check the source up to a NUL,
	# which libmagic legitimately passes without one (the copy stops at n):
	# intercept_strndup=0 keeps the strict checks for every other call.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:intercept_strndup=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build/asan --no-tests=error -j "$JOBS" --output-on-failure "${select[@]}"
}

fuzz() {
	local src name tmp log rc=0 dict
	local -a targets=()

	for src in fuzz/fuzz_*.c; do
		[ -e "$src" ] && targets+=("$(basename "$src" .c)")
	done
	if [ "${#targets[@]}" -eq 0 ]; then
		echo "no fuzz targets"
		return 1
	fi
	CC=clang cmake -S "$ROOT" -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_FUZZ=ON \
		-DBW_TESTS=OFF >"$LOGS/fuzz-cmake.log" 2>&1 || { cat "$LOGS/fuzz-cmake.log"; return 1; }
	cmake --build build/fuzz -j "$JOBS" --target "${targets[@]}" 2>&1 |
		grep -v '^\[ *[0-9]*%\]'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	mkdir -p build/fuzz/artifacts
	for name in "${targets[@]}"; do
		if [ ! -d "fuzz/corpus/$name" ]; then
			echo "$name: FAIL, no seed corpus fuzz/corpus/$name/"
			rc=1
			continue
		fi
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/bw-$name.XXXXXX")
		cp -R "fuzz/corpus/$name/." "$tmp/"
		dict=()
		[ -f "fuzz/$name.dict" ] && dict=("-dict=fuzz/$name.dict")
		log="$LOGS/$name.log"
		# -entropic=0: libFuzzer's entropic scheduler spent 78 % of fuzz_pipeline's time in
		# its feature-frequency bookkeeping (53 runs/s against 405, 7,805 against 8,113 edges
		# in 20 s); fuzz_app_http and fuzz_app_modbus ran twice as many inputs without it.
		if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"build/fuzz/fuzz/$name" "${dict[@]}" -max_total_time="$FUZZ_SECONDS" \
			-entropic=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$ROOT/build/fuzz/artifacts/$name-" "$tmp" >"$log" 2>&1; then
			printf '%s: ok, %s, corpus %s -> %s files\n' "$name" \
				"$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
					awk '{print $2 " runs"}')" \
				"$(find "fuzz/corpus/$name" -type f | wc -l)" "$(find "$tmp" -type f | wc -l)"
		else
			echo "$name: FAIL (full log $log); its end:"
			tail -n 60 "$log"
			rc=1
		fi
		rm -rf "$tmp"
	done
	return "$rc"
}

mkdir -p "$LOGS"
step deps deps
step format format_check
step build normal
step asan asan
step fuzz fuzz

printf '\n==== summary ====\n'
printf '%s\n' "${SUMMARY[@]}"
printf '  total           %5ss\n' "$(($(date +%s) - T0))"
if [ "$FAILED" -ne 0 ]; then
	echo "FAILED"
	exit 1
fi
echo "all passed"
