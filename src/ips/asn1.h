/* SPDX-License-Identifier: ISC */
/*
 * The asn1 rule keyword's checks (Suricata's rust/src/asn1): a bounded BER
 * reader (ITU-T X.690 8.1) decodes the objects found from an offset of a
 * buffer and reports whether any of them trips a check of struct ips_asn1.
 */
#ifndef BW_IPS_ASN1_H
#define BW_IPS_ASN1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ips/rule.h"

/*
 * True when an object decoded from buf (from the keyword's absolute
 * offset, or cur + its relative offset, else 0) trips one of a's checks.
 */
bool ips_asn1_match(const struct ips_asn1 *a, const uint8_t *buf, size_t len, size_t cur);

#endif
