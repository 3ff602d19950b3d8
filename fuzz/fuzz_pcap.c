/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the direct classic-pcap reader (ips_pcap_mem_init /
 * ips_pcap_mem_next): the input is the file. Invariants: no crash, every
 * record lies inside the input, caplen never above libpcap's 256 KiB nor
 * above the file's snap length nor above origlen, and reading ends (each
 * record advances by at least its 16-byte header).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ips/pcap_in.h"
#include "lib/err.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ips_pcap_mem m;
	struct ips_pcap_rec rec;
	size_t n = 0, last = 0;
	int r;

	bw_log_set_sink(quiet, NULL);
	if (ips_pcap_mem_init(&m, data, size) != 0)
		return 0;
	while ((r = ips_pcap_mem_next(&m, &rec)) == 1) {
		if (rec.data < data || rec.caplen > size || rec.data + rec.caplen > data + size ||
		    rec.caplen > 262144 || rec.caplen > m.snaplen || rec.origlen < rec.caplen ||
		    m.off <= last || m.off > size)
			abort();
		last = m.off;
		n++;
	}
	/* The end, or a bad record; never more records than headers fit. */
	if ((r != 0 && r != BW_ERR_IO) || n > size / 16)
		abort();
	return 0;
}
