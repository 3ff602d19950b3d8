/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IPS app layer: the Kerberos 5 parser over UDP or TCP port 88 (record
 * marks). The input format and the checks are in app_fuzz.h; the seed corpus
 * fuzz/corpus/fuzz_app_krb5/ holds conversations taken from real captures.
 */
#define APP_FUZZ_SRV_PORT 88
#include "app_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return app_fuzz_run(data, size);
}
