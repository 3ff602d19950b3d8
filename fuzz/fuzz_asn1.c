/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the asn1 keyword's BER reader (src/ips/asn1.c). The
 * first two input bytes choose the checks, the offset mode and its value;
 * the rest is the buffer, with a cursor inside it. Any result is fine;
 * a crash, an out-of-bounds read or a hang is a bug.
 */
#include <stddef.h>
#include <stdint.h>

#include "ips/asn1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ips_asn1 a = {.max_frames = 30};

	if (size < 2)
		return 0;
	/* Byte 0: checks (bits 0-2) and offset mode (bits 3-4); byte 1: offset. */
	a.flags = data[0] &
	          (IPS_ASN1_BITSTRING_OVERFLOW | IPS_ASN1_DOUBLE_OVERFLOW | IPS_ASN1_OVERSIZE);
	if (data[0] & 0x08)
		a.flags |= IPS_ASN1_ABSOLUTE;
	else if (data[0] & 0x10)
		a.flags |= IPS_ASN1_RELATIVE;
	a.oversize = (uint32_t)data[1] * 8u;
	a.abs_offset = data[1] & 0x0f;
	a.rel_offset = (int32_t)(data[1] & 0x0f) - 8;
	(void)ips_asn1_match(&a, data + 2, size - 2, (size - 2) / 2);
	return 0;
}
