/* SPDX-License-Identifier: ISC */
/*
 * Offline capture input for the IPS: pcap and pcapng files through libpcap
 * (pcap_open_offline with nanosecond timestamps). Records come back one at a
 * time as borrowed views valid until the next call. Only this file and
 * pcap_in.c include libpcap.
 */
#ifndef BW_IPS_PCAP_IN_H
#define BW_IPS_PCAP_IN_H

#include <stdbool.h>
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

/*
 * A classic pcap file (version 2.4, either byte order, microsecond or
 * nanosecond magic) held in memory, read record by record without libpcap
 * and with libpcap's checks: ips_pcap_open() reads such files this way,
 * through its own buffer (no copy through stdio and libpcap's buffer).
 */
struct ips_pcap_mem {
	const uint8_t *p;
	size_t len, off;
	bool swap, nano;
	uint32_t snaplen;
	int linktype;
};
/*
 * Reads the file header: 0, then records follow; BW_ERR_UNSUPP for any
 * other format or a link type the decoder does not know (libpcap reads
 * those); BW_ERR_IO when the header is cut short.
 */
int ips_pcap_mem_init(struct ips_pcap_mem *m, const uint8_t *p, size_t len);
/* As ips_pcap_next(): 1 with *rec, 0 at the end, BW_ERR_IO (logged) on a bad record. */
int ips_pcap_mem_next(struct ips_pcap_mem *m, struct ips_pcap_rec *rec);
/* Whether pc reads a classic pcap file directly (else through libpcap). */
bool ips_pcap_direct(const struct ips_pcap *pc);
/* Whether pc maps its file (else it reads it with read()). */
bool ips_pcap_mapped(const struct ips_pcap *pc);
/*
 * Whether ips_pcap_open() may map classic pcap files (the default) or
 * reads them with read(): the tests run both ways.
 */
void ips_pcap_set_map(bool on);

#endif
