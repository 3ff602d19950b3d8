/* SPDX-License-Identifier: ISC */
/*
 * pcap/pcapng file input through libpcap. libpcap already validates the
 * file headers and record lengths (caplen no more than the snap length and
 * its own buffer); this file adds the nanosecond clock, maps the link type
 * and never trusts caplen to exceed origlen in its callers' arithmetic.
 * The file is read through a stdio stream with a 1 MiB buffer: libpcap
 * reads records with fread(), and the default 4 KiB buffer made one read()
 * system call per 4 KiB (129,000 for mix-x40.pcap).
 *
 * A regular file in the classic pcap format (the common case, and the one
 * capture tools write by default) is instead mapped and its records parsed
 * in place (ips_pcap_mem_next), with libpcap's checks: caplen above 256 KiB
 * is an error, caplen above the file's snap length is cut to it, a record
 * cut short is an error. libpcap copied every record twice (kernel to
 * stdio, stdio to its buffer) and made two fread() calls per record; read()
 * into a buffer of our own copied once, which still took 3-4 % of a run
 * with ET open (the kernel's copy); the mapping copies nothing: mix-x40.pcap
 * without rules, six interleaved pairs, 2-3 % more packets/s in the calm
 * ones (962 k against 953 k at best), with ET open five pairs of six
 * faster. The pages behind the record being read are let go every
 * PCAP_IN_DROP bytes (MADV_DONTNEED), so the mapping does not grow the
 * resident memory with the file (peak RSS without rules 17 MiB, 12 MiB
 * with read()).
 *
 * A file truncated while mapped faults (SIGBUS) where its pages are gone.
 * While a mapping is open, a SIGBUS handler maps zero pages over the
 * mapping from the faulting page on and marks it truncated; the reader
 * then fails with an error at its next record (the record being processed
 * reads zeros where the file was cut). Faults elsewhere go to the handler
 * that was there before, or kill the process as they would have.
 *
 * When the file cannot be mapped (no slot left, address space), it is read
 * with read() into a 512 KiB buffer, small enough to stay in the core's L2
 * cache between the copy and the parsing (0.81 s against 0.86 s with
 * 4 MiB), holding the largest record libpcap accepts (256 KiB and its
 * header). pcapng, stdin and anything unusual go through libpcap.
 */
/* libpcap's headers use the BSD u_int/u_char types. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ips/decode.h"
#include "ips/pcap_in.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

enum {
	PCAP_IN_BUF = 1 << 20,
	PCAP_IN_DIRECT = 512 << 10, /* the direct reader's buffer: many records, at least one */
	PCAP_HDR_LEN = 24,
	PCAP_REC_LEN = 16,
	PCAP_MAX_SNAPLEN = 262144, /* libpcap's MAXIMUM_SNAPLEN */
	PCAP_IN_DROP = 2 << 20,    /* mapped bytes read before their pages are let go */
	PCAP_MAP_SLOTS = 8,        /* files mapped at once; more are read with read() */
};
_Static_assert(PCAP_IN_DIRECT >= PCAP_REC_LEN + PCAP_MAX_SNAPLEN, "a record must fit");

struct ips_pcap {
	pcap_t *p; /* NULL when read directly */
	int linktype;
	bool nano;
	char *buf; /* the stream's buffer; the stream is pcap's (closed by pcap_close) */
	/* Classic pcap read directly: the file, its buffer (mem.p), whether read to its end. */
	int fd;
	uint8_t *rbuf;
	bool eof;
	struct ips_pcap_mem mem;
	/* Classic pcap mapped: the mapping, its slot (map_slot), the bytes let go. */
	uint8_t *map;
	size_t map_len, dropped;
	int slot;
};

/* ---- mapped files and SIGBUS ---- */

/*
 * The mappings open, for the SIGBUS handler: base and length are set
 * before the mapping is used and cleared before it is unmapped; the
 * handler only reads them. truncated is set by the handler.
 */
static struct map_slot {
	_Atomic(uintptr_t) base;
	_Atomic(size_t) len;
	volatile sig_atomic_t truncated;
} map_slots[PCAP_MAP_SLOTS];
static pthread_mutex_t map_mu = PTHREAD_MUTEX_INITIALIZER;
static bool map_handler;
static struct sigaction map_old; /* the SIGBUS action before ours */
static size_t map_page;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	for (int i = 0; i < PCAP_MAP_SLOTS; i++) {
		uintptr_t b = atomic_load(&map_slots[i].base);
		size_t len = atomic_load(&map_slots[i].len);
		if (b == 0 || a < b || a - b >= len)
			continue;
		/* Zero pages from the faulting one to the end; the access is retried. */
		uintptr_t pg = a & ~(uintptr_t)(map_page - 1);
		if (mmap((void *)pg, b + len - pg, PROT_READ,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		map_slots[i].truncated = 1;
		return;
	}
	/* Not a mapped capture's fault: as if this handler were not there. */
	if (map_old.sa_flags & SA_SIGINFO) {
		map_old.sa_sigaction(sig, si, uc);
	} else if (map_old.sa_handler != SIG_DFL && map_old.sa_handler != SIG_IGN) {
		map_old.sa_handler(sig);
	} else {
		signal(SIGBUS, SIG_DFL); /* the access faults again and ends the process */
	}
}

/* Takes a slot for [p, p + len), with the handler in place; -1 when none is free. */
static int map_slot_take(const uint8_t *p, size_t len)
{
	int slot = -1;
	pthread_mutex_lock(&map_mu);
	/* Installed again if another handler replaced it (which then gets the others' faults). */
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) != 0)
		map_handler = false;
	else if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_sigbus) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		long pg = sysconf(_SC_PAGESIZE);
		map_page = pg > 0 ? (size_t)pg : 4096;
		map_old = cur;
		map_handler = sigaction(SIGBUS, &sa, NULL) == 0;
	}
	for (int i = 0; map_handler && i < PCAP_MAP_SLOTS && slot < 0; i++) {
		if (atomic_load(&map_slots[i].base) != 0)
			continue;
		map_slots[i].truncated = 0;
		atomic_store(&map_slots[i].len, len);
		atomic_store(&map_slots[i].base, (uintptr_t)p);
		slot = i;
	}
	pthread_mutex_unlock(&map_mu);
	return slot;
}

static void map_slot_release(int slot)
{
	pthread_mutex_lock(&map_mu);
	atomic_store(&map_slots[slot].base, 0);
	atomic_store(&map_slots[slot].len, 0);
	pthread_mutex_unlock(&map_mu);
}

/* Maps fd (size bytes) into pc: 0, or -1 (then read() serves). */
static int map_file(struct ips_pcap *pc, off_t size)
{
	if (size <= 0 || (uintmax_t)size > SIZE_MAX)
		return -1;
	size_t len = (size_t)size;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, pc->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	pc->slot = map_slot_take(m, len);
	if (pc->slot < 0) {
		munmap(m, len);
		return -1;
	}
	(void)madvise(m, len, MADV_SEQUENTIAL);
	pc->map = m;
	pc->map_len = len;
	return 0;
}

static void unmap_file(struct ips_pcap *pc)
{
	if (!pc->map)
		return;
	map_slot_release(pc->slot);
	munmap(pc->map, pc->map_len);
	pc->map = NULL;
	pc->map_len = 0;
}

/* Lets go of the mapped pages before the next record, every PCAP_IN_DROP bytes. */
static void map_drop(struct ips_pcap *pc)
{
	size_t upto = pc->mem.off & ~(map_page - 1);
	if (upto > pc->map_len)
		upto = pc->map_len & ~(map_page - 1);
	if (upto - pc->dropped < PCAP_IN_DROP)
		return;
	(void)madvise(pc->map + pc->dropped, upto - pc->dropped, MADV_DONTNEED);
	pc->dropped = upto;
}

static int rd32(struct bw_rd *rd, bool swap, uint32_t *v)
{
	return swap ? bw_rd_u32(rd, v) : bw_rd_le32(rd, v);
}

int ips_pcap_mem_init(struct ips_pcap_mem *m, const uint8_t *p, size_t len)
{
	struct bw_rd rd;
	uint32_t magic, zone, sigfigs, snaplen, network;
	uint16_t major, minor;

	memset(m, 0, sizeof(*m));
	bw_rd_init(&rd, p, len);
	if (bw_rd_le32(&rd, &magic) != 0)
		return BW_ERR_IO;
	switch (magic) {
	case 0xa1b2c3d4:
		break;
	case 0xa1b23c4d:
		m->nano = true;
		break;
	case 0xd4c3b2a1:
		m->swap = true;
		break;
	case 0x4d3cb2a1:
		m->swap = m->nano = true;
		break;
	default:
		return BW_ERR_UNSUPP; /* pcapng, modified pcap, not a capture */
	}
	if ((m->swap ? bw_rd_u16(&rd, &major) : bw_rd_le16(&rd, &major)) != 0 ||
	    (m->swap ? bw_rd_u16(&rd, &minor) : bw_rd_le16(&rd, &minor)) != 0 ||
	    rd32(&rd, m->swap, &zone) != 0 || rd32(&rd, m->swap, &sigfigs) != 0 ||
	    rd32(&rd, m->swap, &snaplen) != 0 || rd32(&rd, m->swap, &network) != 0)
		return BW_ERR_IO;
	/* Older versions and FCS-annotated link types: libpcap's own handling. */
	if (major != 2 || minor != 4 || (network & 0xfc000000u) ||
	    !ips_pcap_linktype_supported((int)network))
		return BW_ERR_UNSUPP;
	m->p = p;
	m->len = len;
	m->off = PCAP_HDR_LEN;
	/* libpcap's pcap_adjust_snapshot(): 0 or too large means the maximum. */
	m->snaplen = snaplen == 0 || snaplen > PCAP_MAX_SNAPLEN ? PCAP_MAX_SNAPLEN : snaplen;
	m->linktype = (int)network;
	return 0;
}

enum { MEM_MORE = 2 }; /* mem_rec: the record continues past the bytes held */

/* The next record of m; when more, a record cut short asks for more bytes. */
static int mem_rec(struct ips_pcap_mem *m, struct ips_pcap_rec *rec, bool more)
{
	struct bw_rd rd;
	uint32_t sec, frac, caplen, origlen;
	const uint8_t *data;

	if (m->off >= m->len)
		return more ? MEM_MORE : 0;
	bw_rd_init(&rd, m->p + m->off, m->len - m->off);
	if (rd32(&rd, m->swap, &sec) != 0 || rd32(&rd, m->swap, &frac) != 0 ||
	    rd32(&rd, m->swap, &caplen) != 0 || rd32(&rd, m->swap, &origlen) != 0) {
		if (more)
			return MEM_MORE;
		log_err("ips", "capture read failed: truncated record header");
		return BW_ERR_IO;
	}
	if (caplen > PCAP_MAX_SNAPLEN) {
		log_err("ips", "capture read failed: invalid packet capture length %" PRIu32,
		        caplen);
		return BW_ERR_IO;
	}
	if (bw_rd_ptr(&rd, &data, caplen) != 0) {
		if (more)
			return MEM_MORE;
		log_err("ips", "capture read failed: truncated record");
		return BW_ERR_IO;
	}
	m->off += PCAP_REC_LEN + caplen;
	/* As libpcap: bytes past the snap length are read and dropped. */
	if (caplen > m->snaplen)
		caplen = m->snaplen;
	rec->data = data;
	rec->caplen = caplen;
	rec->origlen = origlen < caplen ? caplen : origlen;
	rec->ts_ns = (uint64_t)sec * 1000000000ULL + (uint64_t)frac * (m->nano ? 1ULL : 1000ULL);
	rec->linktype = m->linktype;
	return 1;
}

int ips_pcap_mem_next(struct ips_pcap_mem *m, struct ips_pcap_rec *rec)
{
	return mem_rec(m, rec, false);
}

bool ips_pcap_direct(const struct ips_pcap *pc)
{
	return pc->rbuf != NULL || pc->map != NULL;
}

static atomic_bool map_off;

bool ips_pcap_mapped(const struct ips_pcap *pc)
{
	return pc->map != NULL;
}

void ips_pcap_set_map(bool on)
{
	atomic_store(&map_off, !on);
}

/*
 * Moves the unread bytes to the front of the buffer and reads after them
 * until the buffer is full or the file ends. 0, or BW_ERR_IO (logged).
 */
static int refill(struct ips_pcap *pc)
{
	size_t keep = pc->mem.len - pc->mem.off, got = keep;

	memmove(pc->rbuf, pc->rbuf + pc->mem.off, keep);
	while (got < PCAP_IN_DIRECT && !pc->eof) {
		ssize_t n = read(pc->fd, pc->rbuf + got, PCAP_IN_DIRECT - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("ips", "capture read failed: %s", strerror(errno));
			return BW_ERR_IO;
		}
		if (n == 0)
			pc->eof = true;
		got += (size_t)n;
	}
	pc->mem.off = 0;
	pc->mem.len = got;
	return 0;
}

/* Reads path directly when it is a regular file in the classic format: 1, else 0 (libpcap). */
static int try_direct(struct ips_pcap *pc, const char *path)
{
	struct stat st;

	pc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pc->fd < 0)
		return 0; /* libpcap reports the error */
	if (fstat(pc->fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto no;
	if (!atomic_load(&map_off) && map_file(pc, st.st_size) == 0) {
		pc->eof = true;
		if (ips_pcap_mem_init(&pc->mem, pc->map, pc->map_len) != 0 ||
		    map_slots[pc->slot].truncated)
			goto no;
	} else {
		if ((pc->rbuf = malloc(PCAP_IN_DIRECT)) == NULL)
			goto no;
		(void)posix_fadvise(pc->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (refill(pc) != 0 || ips_pcap_mem_init(&pc->mem, pc->rbuf, pc->mem.len) != 0)
			goto no;
	}
	pc->linktype = pc->mem.linktype;
	pc->nano = pc->mem.nano;
	return 1;
no:
	unmap_file(pc);
	close(pc->fd);
	pc->fd = -1;
	free(pc->rbuf);
	pc->rbuf = NULL;
	pc->eof = false;
	memset(&pc->mem, 0, sizeof(pc->mem));
	return 0;
}

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
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return BW_ERR_NOMEM;
	pc->fd = -1;
	if (strcmp(path, "-") != 0 && try_direct(pc, path)) {
		*out = pc;
		return 0;
	}
	if ((pc->buf = malloc(PCAP_IN_BUF)) == NULL) {
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

	if (pc->map != NULL) {
		/* The previous record is no longer borrowed: its pages may go. */
		map_drop(pc);
		int r = mem_rec(&pc->mem, rec, false);
		if (map_slots[pc->slot].truncated) {
			log_err("ips",
			        "capture read failed: the file was truncated while being read");
			return BW_ERR_IO;
		}
		return r;
	}
	if (pc->rbuf != NULL) {
		/* The previous record is no longer borrowed: its bytes may move. */
		for (;;) {
			int r = mem_rec(&pc->mem, rec, !pc->eof);
			if (r != MEM_MORE)
				return r;
			if ((r = refill(pc)) != 0)
				return r;
		}
	}
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
	unmap_file(pc);
	if (pc->fd >= 0)
		close(pc->fd);
	free(pc->rbuf);
	if (pc->p != NULL)
		pcap_close(pc->p);
	free(pc->buf);
	free(pc);
}
