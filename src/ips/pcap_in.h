/* SPDX-License-Identifier: ISC */
/*
 * Offline capture input for the IPS: pcap and pcapng files through libpcap
 * (pcap_open_offline with nanosecond timestamps). Records come back one at a
 * time as borrowed views valid until the next call. Only this file and
 * pcap_in.c include libpcap.
 */
#ifndef BW_IPS_PCAP_IN_H
#define BW_IPS_PCAP_IN_H

#include <stddef.h>
#include <stdint.h>

struct ips_pcap;

struct ips_pcap_rec {
	const uint8_t *data; /* borrowed until the next ips_pcap_next() */
	size_t caplen;       /* bytes captured */
	size_t origlen;      /* bytes on the wire */
	uint64_t ts_ns;      /* capture time, nanoseconds since the epoch */
	int linktype;        /* enum ips_linktype / DLT value */
};

/* Opens a pcap or pcapng file ("-" is stdin). Errors: BW_ERR_IO (message logged). */
int ips_pcap_open(struct ips_pcap **out, const char *path);
/* Returns 1 with *rec filled, 0 at end of file, BW_ERR_IO on a read error. */
int ips_pcap_next(struct ips_pcap *pc, struct ips_pcap_rec *rec);
/* The file's link type (the first interface's for pcapng). */
int ips_pcap_linktype(const struct ips_pcap *pc);
/* Whether the decoder knows the link type. */
int ips_pcap_linktype_supported(int linktype);
/* NULL is a no-op. */
void ips_pcap_close(struct ips_pcap *pc);

#endif
