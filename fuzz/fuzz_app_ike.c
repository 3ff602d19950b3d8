/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IPS app layer: the IKE parser on UDP port 500.
 * The input format and the checks are in app_fuzz.h; the seed corpus
 * fuzz/corpus/fuzz_app_ike/ holds conversations taken from real captures.
 */
#define APP_FUZZ_SRV_PORT 500
#include "app_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return app_fuzz_run(data, size);
}
