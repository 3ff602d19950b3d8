/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IPS app layer: the SMB parser (NBSS framing, SMB1, SMB2) and the DCE/RPC
 * calls it hands over from named pipes.
 * The input format and the checks are in app_fuzz.h; the seed corpus
 * fuzz/corpus/fuzz_app_smb/ aims the protocol detection at this parser.
 */
#include "app_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return app_fuzz_run(data, size);
}
