/* SPDX-License-Identifier: ISC */
/*
 * DNS parser (RFC 1035 4.1) over UDP (one message per datagram) and TCP
 * (each message behind a 2-byte length, RFC 1035 4.2.2, reassembled per
 * direction up to 65535 bytes). Every message becomes one transaction:
 * queries (QR=0) give the dns.query buffer, one instance per question,
 * dotted without the trailing dot as Suricata renders it; both give the EVE
 * dns fields (type, id, rrname, rrtype, rcode, answers with rdata for
 * A/AAAA/CNAME/PTR/MX/TXT/NS).
 *
 *   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *  |                      ID                       |
 *  |QR|  Opcode   |AA|TC|RD|RA|   Z    |   RCODE   |
 *  |                    QDCOUNT                    |
 *  |                    ANCOUNT                    |
 *  |                    NSCOUNT                    |
 *  |                    ARCOUNT                    |
 *
 * Names (RFC 1035 4.1.4 compression): a pointer must point strictly before
 * the label that holds it, and at most DNS_MAX_JUMPS pointers and
 * DNS_MAX_NAME rendered bytes are followed, so loops and bombs end.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum dns_limit {
	DNS_HDR_LEN = 12,
	DNS_MAX_NAME = 255,     /* rendered bytes (RFC 1035 2.3.4 limit, dots included) */
	DNS_MAX_JUMPS = 32,     /* compression pointers followed in one name */
	DNS_MAX_QUESTIONS = 32, /* parsed; the rest ignored */
	DNS_MAX_ANSWERS = 64,
	DNS_PROBE_MAX_QD = 16, /* detection: more questions than this is not DNS */
	DNS_MAX_TXT = 1024,
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

struct dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};
_Static_assert(DNS_HDR_LEN == 6 * sizeof(uint16_t), "DNS header is six 16-bit words");

/* Per direction TCP reassembly: the partial message, its length prefix. */
struct dns_state {
	uint8_t *buf[2];
	size_t have[2];
	size_t cap[2];
};

static int rd_hdr(struct bw_rd *rd, struct dns_hdr *h)
{
	if (bw_rd_left(rd) < DNS_HDR_LEN)
		return BW_ERR_SHORT;
	(void)bw_rd_u16(rd, &h->id);
	(void)bw_rd_u16(rd, &h->flags);
	(void)bw_rd_u16(rd, &h->qd);
	(void)bw_rd_u16(rd, &h->an);
	(void)bw_rd_u16(rd, &h->ns);
	(void)bw_rd_u16(rd, &h->ar);
	return 0;
}

/*
 * Reads the name at msg[off..) into out (NUL-terminated, at most
 * DNS_MAX_NAME bytes), *end = offset after the name in the original
 * position. Returns 0, BW_ERR_SHORT (truncated), BW_ERR_LIMIT (loop, too
 * long), BW_ERR_INVAL (reserved label type).
 */
static int rd_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t *outlen,
                   size_t *end)
{
	size_t n = 0, pos = off, label_start;
	unsigned jumps = 0;
	bool jumped = false;
	struct bw_rd rd;
	uint8_t l;

	for (;;) {
		if (pos >= len)
			return BW_ERR_SHORT;
		bw_rd_init(&rd, msg + pos, len - pos);
		label_start = pos;
		(void)bw_rd_u8(&rd, &l);
		if ((l & 0xc0) == 0xc0) {
			uint8_t lo;
			size_t target;

			if (bw_rd_u8(&rd, &lo) != 0)
				return BW_ERR_SHORT;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			target = (size_t)(l & 0x3f) << 8 | lo;
			/* Strictly backwards, and a bounded number of times: no loops. */
			if (target >= label_start || ++jumps > DNS_MAX_JUMPS)
				return BW_ERR_LIMIT;
			pos = target;
			continue;
		}
		if ((l & 0xc0) != 0)
			return BW_ERR_INVAL; /* RFC 6891 reserved / extended label types */
		if (l == 0) {
			if (!jumped)
				*end = pos + 1;
			break;
		}
		if (bw_rd_left(&rd) < l)
			return BW_ERR_SHORT;
		if (n + (n > 0) + l > DNS_MAX_NAME)
			return BW_ERR_LIMIT;
		if (n > 0)
			out[n++] = '.';
		memcpy(out + n, bw_rd_cur(&rd), l);
		n += l;
		pos += 1u + l;
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

bool app_dns_probe(const uint8_t *p, size_t len, bool response, bool header_only, bool port53)
{
	struct dns_hdr h;
	struct bw_rd rd;
	char name[DNS_MAX_NAME + 1];
	size_t nlen, end;
	unsigned opcode;

	bw_rd_init(&rd, p, len);
	if (rd_hdr(&rd, &h) != 0)
		return false;
	opcode = (h.flags >> 11) & 0xf;
	if (((h.flags & 0x8000) != 0) != response)
		return false;
	/*
	 * On DNS's own port Suricata takes any message whose records could fit
	 * (its probe_header_validity), unknown opcodes included, and flags those
	 * (dns.invalid_opcode); elsewhere only sane ones pass, so that other
	 * protocols are not taken for DNS.
	 */
	if (port53) {
		size_t recs = (size_t)h.qd + h.an + h.ns + h.ar;
		if (h.qd == 0 || DNS_HDR_LEN + 2 * recs > len)
			return false;
		goto question;
	}
	if (opcode > 6 || opcode == 3)
		return false;
	if (h.qd == 0 || h.qd > DNS_PROBE_MAX_QD)
		return false;
	/* Queries carry no records, except NOTIFY (RFC 1996 3.7: the new SOA)
	 * and UPDATE (RFC 2136 2.3: prerequisites and updates). */
	if (!response && opcode != 4 && opcode != 5 && (h.an > 0 || h.ns > 0 || h.ar > 2))
		return false;
question:
	if (header_only)
		return true;
	if (rd_name(p, len, DNS_HDR_LEN, name, &nlen, &end) != 0 || len - end < 4)
		return false;
	/* QCLASS: IN, CH, HS, NONE or ANY (with the mDNS unicast bit masked). */
	{
		uint16_t qclass = (uint16_t)(bw_be16(p + end + 2) & 0x7fff);

		return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255;
	}
}

static const char *type_name(uint16_t t, char *tmp, size_t cap)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
	        {1, "A"},       {2, "NS"},     {5, "CNAME"},  {6, "SOA"},    {12, "PTR"},
	        {13, "HINFO"},  {15, "MX"},    {16, "TXT"},   {17, "RP"},    {24, "SIG"},
	        {25, "KEY"},    {28, "AAAA"},  {29, "LOC"},   {33, "SRV"},   {35, "NAPTR"},
	        {39, "DNAME"},  {41, "OPT"},   {43, "DS"},    {46, "RRSIG"}, {47, "NSEC"},
	        {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"},  {64, "SVCB"},  {65, "HTTPS"},
	        {99, "SPF"},    {250, "TSIG"}, {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"},
	        {257, "CAA"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(tmp, cap, "%u", t);
	return tmp;
}

static const char *rcode_name(unsigned rc, char *tmp, size_t cap)
{
	static const char *const rcodes[] = {
	        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};

	if (rc < sizeof(rcodes) / sizeof(rcodes[0]))
		return rcodes[rc];
	snprintf(tmp, cap, "%u", rc);
	return tmp;
}

/* Renders rdata of the types Suricata logs; *out NULL for the others. */
static int render_rdata(struct app_flow *f, struct app_tx *tx, const uint8_t *msg, size_t len,
                        size_t off, uint16_t type, uint16_t rdlen, const char **out)
{
	char buf[DNS_MAX_TXT + 1];
	size_t n = 0, end;
	const uint8_t *rd = msg + off;

	*out = NULL;
	switch (type) {
	case DNS_T_A:
		if (rdlen != 4 || inet_ntop(AF_INET, rd, buf, sizeof(buf)) == NULL)
			return BW_ERR_INVAL;
		n = strlen(buf);
		break;
	case DNS_T_AAAA:
		if (rdlen != 16 || inet_ntop(AF_INET6, rd, buf, sizeof(buf)) == NULL)
			return BW_ERR_INVAL;
		n = strlen(buf);
		break;
	case DNS_T_MX:
		/* Preference, then the exchange; Suricata logs the name. */
		if (rdlen < 3)
			return BW_ERR_INVAL;
		off += 2;
		BW_FALLTHROUGH;
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		if (rd_name(msg, len, off, buf, &n, &end) != 0)
			return BW_ERR_INVAL;
		break;
	case DNS_T_TXT: {
		struct bw_rd r, s;
		uint8_t l;

		/* One or more <character-string>s, joined. */
		bw_rd_init(&r, rd, rdlen);
		while (bw_rd_u8(&r, &l) == 0) {
			if (bw_rd_sub(&r, &s, l) != 0)
				return BW_ERR_INVAL;
			if (l > DNS_MAX_TXT - n)
				l = (uint8_t)(DNS_MAX_TXT - n);
			memcpy(buf + n, bw_rd_cur(&s), l);
			n += l;
		}
		buf[n] = '\0';
		break;
	}
	default:
		return 0;
	}
	return (*out = app_tx_strdup(f, tx, buf, n)) != NULL ? 0 : BW_ERR_LIMIT;
}

static int parse_answers(struct app_flow *f, struct app_tx *tx, const uint8_t *msg, size_t len,
                         size_t off, unsigned count)
{
	char name[DNS_MAX_NAME + 1], tmp[8];
	size_t nlen, end;
	struct app_dns_answer *a;

	if (count > DNS_MAX_ANSWERS)
		count = DNS_MAX_ANSWERS;
	if (count == 0)
		return 0;
	if (!app_mem_take(f, count * sizeof(*a)))
		return BW_ERR_LIMIT;
	tx->mem += count * sizeof(*a);
	if ((tx->answers = calloc(count, sizeof(*a))) == NULL)
		return BW_ERR_NOMEM;
	for (unsigned i = 0; i < count; i++) {
		struct bw_rd rd;
		uint16_t type, cls, rdlen;
		uint32_t ttl;
		int r;

		if ((r = rd_name(msg, len, off, name, &nlen, &end)) != 0)
			return r;
		bw_rd_init(&rd, msg + end, len - end);
		if (bw_rd_u16(&rd, &type) != 0 || bw_rd_u16(&rd, &cls) != 0 ||
		    bw_rd_u32(&rd, &ttl) != 0 || bw_rd_u16(&rd, &rdlen) != 0 ||
		    bw_rd_left(&rd) < rdlen)
			return BW_ERR_SHORT;
		a = &tx->answers[tx->u.dns.nanswers];
		a->rrname = app_tx_strdup(f, tx, name, nlen);
		a->rrtype = app_tx_strdup(f, tx, type_name(type, tmp, sizeof(tmp)),
		                          strlen(type_name(type, tmp, sizeof(tmp))));
		a->ttl = ttl;
		if (a->rrname == NULL || a->rrtype == NULL)
			return BW_ERR_LIMIT;
		tx->u.dns.nanswers++;
		/* rdata that does not render is kept out of the log, not fatal. */
		(void)render_rdata(f, tx, msg, len, end + 10, type, rdlen, &a->rdata);
		off = end + 10 + rdlen;
	}
	return 0;
}

/* One complete DNS message, in direction dir. */
static void parse_msg(struct app_flow *f, enum app_dir dir, const uint8_t *msg, size_t len)
{
	struct dns_hdr h;
	struct bw_rd rd;
	struct app_tx *tx;
	char name[DNS_MAX_NAME + 1], tmp[8];
	size_t nlen, end, off = DNS_HDR_LEN;
	bool response;
	int r = 0;

	bw_rd_init(&rd, msg, len);
	if (rd_hdr(&rd, &h) != 0) {
		f->events |= APP_EV_DNS_MALFORMED;
		return;
	}
	if ((tx = app_tx_new(f, APP_PROTO_DNS)) == NULL)
		return;
	response = (h.flags & 0x8000) != 0;
	tx->u.dns.answer = response;
	tx->u.dns.id = h.id;
	tx->u.dns.flags = h.flags;
	tx->flags = APP_TX_COMPLETE | (response ? APP_TX_RES_HDRS | APP_TX_RES_DONE
	                                        : APP_TX_REQ_HDRS | APP_TX_REQ_DONE);
	app_tx_mark(tx, dir);
	/*
	 * The dns.pdu frame: the message (without TCP's length prefix), as
	 * Suricata 7. Past the flow's memory cap the transaction goes without.
	 */
	if (f->ctx->cfg.frames)
		(void)app_tx_buf_add(f, tx, dir, IPS_BUF_FRAME_PDU, msg, len);
	/* Suricata's events: the reserved Z bit (RFC 1035 4.1.1), opcodes past 6. */
	if (h.flags & 0x0040)
		app_tx_raise(tx, dir, APP_TXEV_DNS_Z_FLAG_SET);
	if (((h.flags >> 11) & 0xf) >= 7)
		app_tx_raise(tx, dir, APP_TXEV_DNS_INVALID_OPCODE);
	if (response) {
		const char *rc = rcode_name(h.flags & 0xf, tmp, sizeof(tmp));

		tx->u.dns.rcode = app_tx_strdup(f, tx, rc, strlen(rc));
	}
	for (unsigned i = 0; i < h.qd && r == 0; i++) {
		uint16_t qtype;

		if ((r = rd_name(msg, len, off, name, &nlen, &end)) != 0)
			break;
		if (len - end < 4) {
			r = BW_ERR_SHORT;
			break;
		}
		qtype = bw_be16(msg + end);
		off = end + 4;
		if (i >= DNS_MAX_QUESTIONS)
			continue;
		if (i == 0) {
			const char *t = type_name(qtype, tmp, sizeof(tmp));

			tx->u.dns.rrname = app_tx_strdup(f, tx, name, nlen);
			tx->u.dns.rrtype = app_tx_strdup(f, tx, t, strlen(t));
		}
		/* dns.query inspects requests only, as in Suricata 7. */
		if (!response)
			r = app_tx_buf_add(f, tx, dir, IPS_BUF_DNS_QUERY, name, nlen);
	}
	if (r == 0 && response)
		r = parse_answers(f, tx, msg, len, off, h.an);
	tx->u.dns.answers = tx->answers;
	if (r == BW_ERR_LIMIT && (f->events & APP_EV_MEMCAP) == 0)
		f->events |= APP_EV_DNS_PTR_LOOP;
	else if (r != 0)
		f->events |= APP_EV_DNS_MALFORMED;
}

static int dns_init(struct app_flow *f)
{
	struct dns_state *s;

	if (f->l4 == APP_L4_UDP)
		return 0;
	if (!app_mem_take(f, sizeof(*s)))
		return BW_ERR_LIMIT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BW_ERR_NOMEM;
	f->state = s;
	return 0;
}

static void dns_fini(struct app_flow *f)
{
	struct dns_state *s = f->state;

	if (s == NULL)
		return;
	for (int d = 0; d < 2; d++) {
		app_mem_give(f, s->cap[d]);
		free(s->buf[d]);
	}
	app_mem_give(f, sizeof(*s));
	free(s);
	f->state = NULL;
}

/* Appends to the direction's partial message. */
static int hold(struct app_flow *f, struct dns_state *s, enum app_dir d, const uint8_t *p, size_t n)
{
	if (s->have[d] + n > s->cap[d]) {
		size_t ncap = 2 + 65535;
		uint8_t *b;

		if (!app_mem_take(f, ncap - s->cap[d]))
			return BW_ERR_LIMIT;
		if ((b = realloc(s->buf[d], ncap)) == NULL) {
			app_mem_give(f, ncap - s->cap[d]);
			return BW_ERR_NOMEM;
		}
		s->buf[d] = b;
		s->cap[d] = ncap;
	}
	memcpy(s->buf[d] + s->have[d], p, n);
	s->have[d] += n;
	return 0;
}

static int dns_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct dns_state *s = f->state;
	int r;

	if (f->l4 == APP_L4_UDP) {
		parse_msg(f, dir, p, len);
		return 0;
	}
	/* TCP: 2-byte length, then the message; pieces may split anywhere. */
	while (len > 0) {
		size_t need, take;

		if (s->have[dir] < 2) {
			take = 2 - s->have[dir] < len ? 2 - s->have[dir] : len;
		} else {
			need = 2 + (size_t)bw_be16(s->buf[dir]);
			take = need - s->have[dir] < len ? need - s->have[dir] : len;
		}
		if (s->have[dir] == 0 && len >= 2 && len - 2 >= bw_be16(p)) {
			/* Whole message in hand: parse in place. */
			size_t mlen = bw_be16(p);

			parse_msg(f, dir, p + 2, mlen);
			p += 2 + mlen;
			len -= 2 + mlen;
			continue;
		}
		if ((r = hold(f, s, dir, p, take)) != 0) {
			f->dead[dir] = true;
			return r == BW_ERR_NOMEM ? r : 0;
		}
		p += take;
		len -= take;
		if (s->have[dir] >= 2 && s->have[dir] == 2 + (size_t)bw_be16(s->buf[dir])) {
			parse_msg(f, dir, s->buf[dir] + 2, s->have[dir] - 2);
			s->have[dir] = 0;
		}
	}
	return 0;
}

const struct app_parser app_parser_dns = {
        .proto = APP_PROTO_DNS,
        .init = dns_init,
        .feed = dns_feed,
        .eof = NULL,
        .fini = dns_fini,
};
