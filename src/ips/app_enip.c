/* SPDX-License-Identifier: ISC */
/*
 * EtherNet/IP encapsulation parser (ODVA CIP Vol. 2 2-3) over TCP and UDP
 * port 44818 (and UDP 2222), after Suricata 7's: every encapsulation PDU in
 * what a direction delivers becomes one transaction of that direction,
 *
 *   command u16 | length u16 | session u32 | status u32 | context u64 | options u32
 *   (little endian), then `length` bytes of command data;
 *
 * a PDU cut short by the end of the data ends the run (nothing is carried
 * to the next delivery, as Suricata). For SendRRData and SendUnitData the
 * common packet format items are walked and the CIP message of the data
 * item (0xB2 unconnected, 0xB1 connected) gives its service code, the
 * segments of its request path (CIP Vol. 1 C-1.4.2) and the attributes of
 * Get/Set_Attribute_List, which cip_service matches as Suricata does:
 * service alone on requests; with a class (and attribute, or "!attribute"
 * for any) only for the Get/Set_Attribute_Single/List services.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	ENIP_HDR = 24,
	ENIP_MAX_SERVICES = 8,
};

enum enip_cmd {
	ENIP_NOP = 0x0000,
	ENIP_LIST_SERVICES = 0x0004,
	ENIP_LIST_IDENTITY = 0x0063,
	ENIP_LIST_INTERFACES = 0x0064,
	ENIP_REGISTER_SESSION = 0x0065,
	ENIP_UNREGISTER_SESSION = 0x0066,
	ENIP_SEND_RR_DATA = 0x006f,
	ENIP_SEND_UNIT_DATA = 0x0070,
	ENIP_INDICATE_STATUS = 0x0072,
	ENIP_CANCEL = 0x0073,
};

enum {
	CIP_MAX_SEGS = 8,
	CIP_MAX_ATTRS = 8,
	CIP_GET_ATTR_LIST = 0x03,
	CIP_SET_ATTR_LIST = 0x04,
	CIP_GET_ATTR_SINGLE = 0x0e,
	CIP_SET_ATTR_SINGLE = 0x10,
};

/* Request path segments as Suricata keeps them (CIP Vol. 1 C-1.4.2 logical segments). */
enum cip_seg {
	SEG_CLASS_8 = 0x20,
	SEG_CLASS_16 = 0x21,
	SEG_INSTANCE_8 = 0x24,
	SEG_INSTANCE_16 = 0x25,
	SEG_ATTR_8 = 0x30,
};

struct cip_service {
	uint8_t service; /* without the response bit */
	bool response;
	uint8_t nseg, nattr;
	uint8_t seg[CIP_MAX_SEGS]; /* enum cip_seg, or anything else that ended the path */
	uint16_t segval[CIP_MAX_SEGS];
	uint16_t attrs[CIP_MAX_ATTRS]; /* Get/Set_Attribute_List request attributes */
};

struct enip_tx {
	uint16_t command;
	uint16_t length;
	uint32_t status;
	uint8_t nservices;
	struct cip_service svc[ENIP_MAX_SERVICES];
};

/* CIP request path: its segments, in order; an unknown one ends it. */
static void cip_path(struct bw_rd *r, struct cip_service *s)
{
	uint8_t seg, v8;
	uint16_t v16;

	while (bw_rd_left(r) > 0 && s->nseg < CIP_MAX_SEGS && bw_rd_u8(r, &seg) == 0) {
		uint16_t v = 0;

		switch (seg) {
		case SEG_CLASS_8:
		case SEG_INSTANCE_8:
		case SEG_ATTR_8:
			if (bw_rd_u8(r, &v8) != 0)
				return;
			v = v8;
			break;
		case SEG_CLASS_16:
		case SEG_INSTANCE_16:
			if (bw_rd_skip(r, 1) != 0 || bw_rd_le16(r, &v16) != 0)
				return;
			v = v16;
			break;
		default:
			break;
		}
		s->seg[s->nseg] = seg;
		s->segval[s->nseg++] = v;
		if (seg != SEG_CLASS_8 && seg != SEG_INSTANCE_8 && seg != SEG_ATTR_8 &&
		    seg != SEG_CLASS_16 && seg != SEG_INSTANCE_16)
			return;
	}
}

static void cip_msg(struct bw_rd *r, struct enip_tx *x)
{
	struct cip_service s = {0};
	uint8_t b, words;
	struct bw_rd path;
	uint16_t n, a;

	if (bw_rd_u8(r, &b) != 0)
		return;
	s.service = b & 0x7f;
	s.response = (b & 0x80) != 0;
	if (!s.response && bw_rd_u8(r, &words) == 0 &&
	    bw_rd_sub(r, &path, (size_t)words * 2) == 0) {
		cip_path(&path, &s);
		if ((s.service == CIP_GET_ATTR_LIST || s.service == CIP_SET_ATTR_LIST) &&
		    bw_rd_le16(r, &n) == 0)
			for (uint16_t i = 0;
			     i < n && s.nattr < CIP_MAX_ATTRS && bw_rd_le16(r, &a) == 0; i++)
				s.attrs[s.nattr++] = a;
	}
	if (x->nservices < ENIP_MAX_SERVICES)
		x->svc[x->nservices++] = s;
}

/* SendRRData / SendUnitData: interface handle, timeout, then the CPF items. */
static void cpf(struct bw_rd *r, struct enip_tx *x)
{
	uint16_t n, type, len;

	if (bw_rd_skip(r, 6) != 0 || bw_rd_le16(r, &n) != 0)
		return;
	for (uint16_t i = 0; i < n; i++) {
		struct bw_rd item;

		if (bw_rd_le16(r, &type) != 0 || bw_rd_le16(r, &len) != 0 ||
		    bw_rd_sub(r, &item, len) != 0)
			return;
		if (type == 0x00b1 && bw_rd_skip(&item, 2) == 0) /* sequence count */
			cip_msg(&item, x);
		else if (type == 0x00b2)
			cip_msg(&item, x);
	}
}

static int enip_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	while (len > 0) {
		struct app_tx *tx = app_tx_new(f, APP_PROTO_ENIP);
		struct enip_tx *x;

		if (tx == NULL)
			return 0;
		tx->flags |= APP_TX_COMPLETE |
		             (dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE);
		app_tx_mark(tx, dir);
		if (!app_mem_take(f, sizeof(*x)) || (x = calloc(1, sizeof(*x))) == NULL)
			return 0;
		tx->mem += sizeof(*x);
		tx->priv = x;
		if (len < ENIP_HDR)
			return 0; /* a header cut short: an empty transaction, as Suricata */
		x->command = bw_le16(p);
		x->length = bw_le16(p + 2);
		x->status = bw_le32(p + 8);
		size_t pdu = ENIP_HDR + (size_t)x->length;
		if (pdu > len)
			return 0;
		if (x->command == ENIP_SEND_RR_DATA || x->command == ENIP_SEND_UNIT_DATA) {
			struct bw_rd r;

			bw_rd_init(&r, p + ENIP_HDR, x->length);
			cpf(&r, x);
		}
		p += pdu;
		len -= pdu;
		if (len < ENIP_HDR)
			return 0;
	}
	return 0;
}

static int enip_init(struct app_flow *f)
{
	(void)f;
	return 0;
}

const struct app_parser app_parser_enip = {
        .proto = APP_PROTO_ENIP,
        .no_gaps = true,
        .init = enip_init,
        .feed = enip_feed,
        .eof = NULL,
        .fini = NULL,
};

/* Suricata's ENIPProbingParser: a known status, and sane fields for the known commands. */
int app_enip_probe(const uint8_t *p, size_t len)
{
	uint16_t cmd, elen;
	uint32_t status, option;

	if (len < ENIP_HDR)
		return BW_ERR_AGAIN;
	cmd = bw_le16(p);
	elen = bw_le16(p + 2);
	status = bw_le32(p + 8);
	option = bw_le32(p + 20);
	switch (status) {
	case 0x00: /* success */
	case 0x01: /* invalid command */
	case 0x02: /* no resources */
	case 0x03: /* incorrect data */
	case 0x64: /* invalid session */
	case 0x65: /* invalid length */
	case 0x69: /* unsupported protocol revision */
	case 0x6a: /* encapsulation header error */
		break;
	default:
		return BW_ERR_NOTFOUND;
	}
	switch (cmd) {
	case ENIP_NOP:
		return option == 0 ? 0 : BW_ERR_NOTFOUND;
	case ENIP_REGISTER_SESSION:
		return elen == 4 ? 0 : BW_ERR_NOTFOUND;
	case ENIP_UNREGISTER_SESSION:
		return elen == 4 || elen == 0 ? 0 : BW_ERR_NOTFOUND;
	case ENIP_LIST_SERVICES:
	case ENIP_LIST_IDENTITY:
	case ENIP_SEND_RR_DATA:
	case ENIP_SEND_UNIT_DATA:
	case ENIP_INDICATE_STATUS:
	case ENIP_CANCEL:
		return 0;
	case ENIP_LIST_INTERFACES:
		if (len < ENIP_HDR + 2)
			return BW_ERR_AGAIN;
		return elen >= ENIP_HDR + 2 * (size_t)bw_le16(p) ? 0 : BW_ERR_NOTFOUND;
	default:
		return BW_ERR_NOTFOUND;
	}
}

/*
 * Suricata's CIPPathMatch: arg[1] class + 1, arg[2] attribute + 1 (0: class
 * only), arg[3] set for a negated attribute ("!n": any attribute of the class).
 */
static bool cip_path_match(const struct cip_service *s, const struct ips_app_match *m)
{
	uint16_t cls = 0;
	bool found = false, class_only = m->arg[2] == 0;
	uint64_t want_class = m->arg[1] - 1, want_attr = m->arg[2] - 1;

	for (size_t i = 0; i < s->nseg; i++) {
		switch (s->seg[i]) {
		case SEG_CLASS_8:
		case SEG_CLASS_16:
			cls = s->segval[i];
			if (cls == want_class) {
				if (class_only)
					return true;
				found = true;
			}
			break;
		case SEG_INSTANCE_8:
		case SEG_INSTANCE_16:
			break;
		case SEG_ATTR_8:
			if (!class_only && cls == want_class &&
			    (m->arg[3] || s->segval[i] == want_attr))
				return true;
			break;
		default:
			return false;
		}
	}
	if (!found)
		return false;
	if (s->service == CIP_GET_ATTR_LIST || s->service == CIP_SET_ATTR_LIST)
		for (size_t i = 0; i < s->nattr; i++)
			if (s->attrs[i] == want_attr)
				return true;
	return false;
}

bool app_enip_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	const struct enip_tx *x = tx->priv;

	(void)dir;
	if (x == NULL)
		return false;
	switch (m->what) {
	case APP_M_ENIP_COMMAND:
		return ips_num_match(&m->num, x->command);
	case APP_M_CIP_SERVICE:
		for (size_t i = 0; i < x->nservices; i++) {
			const struct cip_service *s = &x->svc[i];

			if (s->service != m->arg[0])
				continue;
			/* Suricata: a matching response ends the search without a match. */
			if (m->arg[1] == 0)
				return !s->response;
			if ((s->service == CIP_GET_ATTR_SINGLE ||
			     s->service == CIP_SET_ATTR_SINGLE || s->service == CIP_GET_ATTR_LIST ||
			     s->service == CIP_SET_ATTR_LIST) &&
			    cip_path_match(s, m))
				return !s->response;
		}
		return false;
	default:
		return false;
	}
}
