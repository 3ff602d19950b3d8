/* SPDX-License-Identifier: ISC */
/*
 * pcap/pcapng file input through libpcap. libpcap already validates the
 * file headers and record lengths (caplen no more than the snap length and
 * its own buffer); this file adds the nanosecond clock, maps the link type
 * and never trusts caplen to exceed origlen in its callers' arithmetic.
 * The file is read through a stdio stream with a 1 MiB buffer: libpcap
 * reads records with fread(), and the default 4 KiB buffer made one read()
 * system call per 4 KiB (129,000 for mix-x40.pcap).
 */
/* libpcap's headers use the BSD u_int/u_char types. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/decode.h"
#include "ips/pcap_in.h"
#include "lib/err.h"
#include "lib/log.h"

enum { PCAP_IN_BUF = 1 << 20 };

struct ips_pcap {
	pcap_t *p;
	int linktype;
	bool nano;
	char *buf; /* the stream's buffer; the stream is pcap's (closed by pcap_close) */
};

int ips_pcap_linktype_supported(int lt)
{
	switch (lt) {
	case IPS_LINK_NULL:
	case IPS_LINK_EN10MB:
	case IPS_LINK_PPP:
	case IPS_LINK_DLT_RAW:
	case IPS_LINK_DLT_RAW_BSD:
	case IPS_LINK_RAW:
	case IPS_LINK_LOOP:
	case IPS_LINK_LINUX_SLL:
	case IPS_LINK_IPV4:
	case IPS_LINK_IPV6:
	case IPS_LINK_LINUX_SLL2:
	case IPS_LINK_CHDLC:
		return 1;
	default:
		return 0;
	}
}

int ips_pcap_open(struct ips_pcap **out, const char *path)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct ips_pcap *pc;

	*out = NULL;
	if ((pc = calloc(1, sizeof(*pc))) == NULL || (pc->buf = malloc(PCAP_IN_BUF)) == NULL) {
		free(pc);
		return BW_ERR_NOMEM;
	}
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, sizeof(err), "%s", strerror(errno));
	} else {
		/* Not stdin's: it outlives this reader (libpcap does not close it). */
		if (f != stdin)
			setvbuf(f, pc->buf, _IOFBF, PCAP_IN_BUF);
		pc->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO,
		                                                 err);
		if (pc->p == NULL && f != stdin)
			fclose(f);
	}
	if (pc->p == NULL) {
		log_err("ips", "cannot read capture file=\"%s\": %s", path, err);
		free(pc->buf);
		free(pc);
		return BW_ERR_IO;
	}
	pc->nano = pcap_get_tstamp_precision(pc->p) == PCAP_TSTAMP_PRECISION_NANO;
	pc->linktype = pcap_datalink(pc->p);
	/* libpcap hands back DLT values; map the ones that differ from LINKTYPE values. */
	if (pc->linktype == DLT_RAW)
		pc->linktype = IPS_LINK_RAW;
	*out = pc;
	return 0;
}

int ips_pcap_next(struct ips_pcap *pc, struct ips_pcap_rec *rec)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r = pcap_next_ex(pc->p, &h, &data);

	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		log_err("ips", "capture read failed: %s", pcap_geterr(pc->p));
		return BW_ERR_IO;
	}
	rec->data = data;
	rec->caplen = h->caplen;
	rec->origlen = h->len < h->caplen ? h->caplen : h->len;
	rec->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
	             (uint64_t)h->ts.tv_usec * (pc->nano ? 1ULL : 1000ULL);
	rec->linktype = pc->linktype;
	return 1;
}

int ips_pcap_linktype(const struct ips_pcap *pc)
{
	return pc->linktype;
}

void ips_pcap_close(struct ips_pcap *pc)
{
	if (pc == NULL)
		return;
	pcap_close(pc->p);
	free(pc->buf);
	free(pc);
}
