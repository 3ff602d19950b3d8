/* SPDX-License-Identifier: ISC */
/*
 * Modbus/TCP parser (Modbus Application Protocol V1.1b 4-6, Messaging on
 * TCP/IP V1.0b 3.1.3) with Suricata 7's transactions and `modbus` keyword:
 *
 *   MBAP: transaction id u16 | protocol id u16 | length u16 | unit id u8,
 *   then the PDU: function code u8 and its data (length - 2 bytes).
 *
 * Each direction is reassembled up to one ADU (length at most 254); the
 * PDU is read inside its declared length with bounds-checked reads and
 * classified as sawp-modbus (Suricata's parser) does: access type (read /
 * write, discretes / coils / input / holding, single / multiple) from the
 * function code, code category (public assigned / unassigned, user
 * defined, reserved), read and write addresses and quantities, written
 * values, diagnostic sub-function, MEI type, exception code; malformed
 * fields set error flags that become events (invalid_length,
 * invalid_value, invalid_exception_code, invalid_function_code,
 * invalid_protocol_id). A request and its response form one transaction
 * when transaction id, unit, function and access type agree; a response
 * without request is unsolicited_response; past 500 open transactions the
 * flow is flooded and no more are made.
 *
 * The keyword (inspected to the server, on the request when there is one):
 *   modbus: function <1-255 | [!]assigned|unassigned|public|user|reserved|all>
 *           [, subfunction <n>]
 *   modbus: access read|write [discretes|coils|input|holding]
 *           [, address <range> [, value <range>]]
 *   modbus: unit <range> [, <function or access form>]
 * where a range is "n", "<n", ">n" or "n<>m" (exclusive), as Suricata.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	MB_HDR = 6,     /* MBAP before the unit id */
	MB_MIN_LEN = 2, /* unit id + function code */
	MB_MAX_LEN = 254,
	MB_FLOOD = 500,
	MB_MAX_DATA = 252, /* written bytes kept for value matching */
	MB_MAX_BIT_QTY = 2000,
	MB_MAX_WORD_QTY = 125,
};

enum mb_access {
	MB_READ = 0x01,
	MB_WRITE = 0x02,
	MB_DISCRETES = 0x04,
	MB_COILS = 0x08,
	MB_INPUT = 0x10,
	MB_HOLDING = 0x20,
	MB_SINGLE = 0x40,
	MB_MULTIPLE = 0x80,
	MB_BIT_MASK = MB_DISCRETES | MB_COILS,
	MB_FUNC_MASK = MB_DISCRETES | MB_COILS | MB_INPUT | MB_HOLDING,
};

enum mb_cat {
	MB_CAT_ASSIGNED = 0x01,
	MB_CAT_UNASSIGNED = 0x02,
	MB_CAT_USER = 0x04,
	MB_CAT_RESERVED = 0x08,
};

enum mb_err {
	MB_E_VALUE = 0x01,
	MB_E_LENGTH = 0x02,
	MB_E_EXC = 0x04,
	MB_E_FUNC = 0x08,
	MB_E_PROTO = 0x10,
};

enum mb_fc {
	FC_RD_COILS = 1,
	FC_RD_DISCRETES = 2,
	FC_RD_HOLD = 3,
	FC_RD_INPUT = 4,
	FC_WR_COIL = 5,
	FC_WR_REG = 6,
	FC_RD_EXC_STATUS = 7,
	FC_DIAG = 8,
	FC_COMM_EVENT_CTR = 11,
	FC_COMM_EVENT_LOG = 12,
	FC_WR_COILS = 15,
	FC_WR_REGS = 16,
	FC_SERVER_ID = 17,
	FC_RD_FILE = 20,
	FC_WR_FILE = 21,
	FC_MASK_WR = 22,
	FC_RDWR_REGS = 23,
	FC_FIFO = 24,
	FC_MEI = 43,
	FC_UNKNOWN = 44, /* every code sawp-modbus does not name */
};

/* What a message's data turned out to be. */
enum mb_kind {
	MB_K_EMPTY,
	MB_K_BYTES,
	MB_K_EXCEPTION,
	MB_K_DIAG,
	MB_K_MEI,
	MB_K_READ_REQ,
	MB_K_READ_RESP,
	MB_K_WRITE_OTHER, /* single write, multiple-write response: address + data */
	MB_K_WRITE_MULT,  /* multiple-write request */
	MB_K_WRITE_MASK,
	MB_K_READ_WRITE, /* read/write multiple request */
};

struct mb_msg {
	bool present;
	uint16_t tid;
	uint8_t unit;
	uint8_t raw_func;
	uint8_t code; /* enum mb_fc */
	uint8_t access, category, errs;
	uint8_t kind; /* enum mb_kind */
	uint16_t address, quantity, data16;
	uint16_t waddr, wqty; /* read/write multiple: the write part */
	uint16_t diag;
	bool diag_known;
	uint8_t mei;
	size_t ndata;
	uint8_t data[MB_MAX_DATA]; /* multiple-write values */
};

struct mb_tx {
	struct mb_msg req, resp;
};

struct mb_state {
	struct app_rbuf buf[2];
	size_t open; /* transactions without a response */
	bool givenup;
};

static uint8_t fc_of(uint8_t raw)
{
	uint8_t v = raw >= 0x80 ? raw ^ 0x80 : raw;

	return (v >= 1 && v <= 24) || v == FC_MEI ? v : FC_UNKNOWN;
}

static uint8_t access_of(uint8_t code)
{
	switch (code) {
	case FC_RD_COILS:
		return MB_COILS | MB_READ;
	case FC_RD_DISCRETES:
		return MB_DISCRETES | MB_READ;
	case FC_RD_HOLD:
		return MB_HOLDING | MB_READ;
	case FC_RD_INPUT:
		return MB_INPUT | MB_READ;
	case FC_WR_COIL:
		return MB_COILS | MB_WRITE | MB_SINGLE;
	case FC_WR_REG:
		return MB_HOLDING | MB_WRITE | MB_SINGLE;
	case FC_WR_COILS:
		return MB_COILS | MB_WRITE | MB_MULTIPLE;
	case FC_WR_REGS:
		return MB_HOLDING | MB_WRITE | MB_MULTIPLE;
	case FC_MASK_WR:
		return MB_HOLDING | MB_WRITE;
	case FC_RDWR_REGS:
		return MB_HOLDING | MB_READ | MB_WRITE | MB_MULTIPLE;
	default:
		return 0;
	}
}

/* Category of a code sawp-modbus does not name (Modbus V1.1b 5). */
static uint8_t cat_raw(uint8_t x)
{
	if (x == 0 || x >= 128)
		return 0;
	if (x < 9)
		return MB_CAT_UNASSIGNED;
	if (x < 15)
		return MB_CAT_RESERVED;
	if (x < 41)
		return MB_CAT_UNASSIGNED;
	if (x < 43)
		return MB_CAT_RESERVED;
	if (x < 65)
		return MB_CAT_UNASSIGNED;
	if (x < 73)
		return MB_CAT_USER;
	if (x < 90)
		return MB_CAT_UNASSIGNED;
	if (x < 92)
		return MB_CAT_RESERVED;
	if (x < 100)
		return MB_CAT_UNASSIGNED;
	if (x < 111)
		return MB_CAT_USER;
	if (x < 125)
		return MB_CAT_UNASSIGNED;
	return MB_CAT_RESERVED;
}

static uint8_t category_of(const struct mb_msg *m)
{
	switch (m->code) {
	case FC_DIAG:
		if (m->kind != MB_K_DIAG)
			return 0;
		return m->diag_known ? MB_CAT_ASSIGNED : MB_CAT_RESERVED;
	case FC_MEI:
		if (m->kind != MB_K_MEI)
			return 0;
		return m->mei == 0x0d || m->mei == 0x0e ? MB_CAT_ASSIGNED : MB_CAT_RESERVED;
	case FC_UNKNOWN:
		return cat_raw(m->raw_func);
	default:
		return MB_CAT_ASSIGNED;
	}
}

/* The PDU data reader: short reads are "incomplete" (a length error). */
struct pdu {
	struct bw_rd r;
	uint16_t dl; /* data length: the MBAP length minus unit and function */
	uint16_t len;
	bool short_read;
};

static bool p_u8(struct pdu *p, uint8_t *v)
{
	if (bw_rd_u8(&p->r, v) != 0) {
		p->short_read = true;
		return false;
	}
	return true;
}

static bool p_u16(struct pdu *p, uint16_t *v)
{
	if (bw_rd_u16(&p->r, v) != 0) {
		p->short_read = true;
		return false;
	}
	return true;
}

static bool p_skip(struct pdu *p, size_t n)
{
	if (bw_rd_skip(&p->r, n) != 0) {
		p->short_read = true;
		return false;
	}
	return true;
}

static void parse_exception(struct pdu *p, struct mb_msg *m)
{
	uint8_t e, f = m->raw_func;

	if (!p_u8(p, &e))
		return;
	bool known = (e >= 1 && e <= 8) || e == 0x0a || e == 0x0b;
	bool ranges = (f > 6 && f < 15) || (f > 16 && f < 20);
	if ((e == 3 && m->code != FC_DIAG && ranges) || (e == 2 && ranges) ||
	    (e == 8 && m->code != FC_RD_FILE && m->code != FC_WR_FILE) || !known)
		m->errs |= MB_E_EXC;
	m->kind = MB_K_EXCEPTION;
}

static void parse_diag(struct pdu *p, struct mb_msg *m)
{
	if (p->dl < 2) {
		m->errs |= MB_E_LENGTH;
		return;
	}
	if (!p_u16(p, &m->diag) || !p_skip(p, (size_t)p->dl - 2))
		return;
	m->diag_known = m->diag <= 4 || (m->diag >= 0x0a && m->diag <= 0x15);
	m->kind = MB_K_DIAG;
}

static void parse_mei(struct pdu *p, struct mb_msg *m)
{
	if (p->dl < 1) {
		m->errs |= MB_E_LENGTH;
		return;
	}
	if (!p_u8(p, &m->mei) || !p_skip(p, (size_t)p->dl - 1))
		return;
	m->kind = MB_K_MEI;
}

static void parse_bytes(struct pdu *p, struct mb_msg *m)
{
	if (p_skip(p, p->dl))
		m->kind = MB_K_BYTES;
}

static void parse_read_req(struct pdu *p, struct mb_msg *m)
{
	if (!p_u16(p, &m->address) || !p_u16(p, &m->quantity))
		return;
	if (m->quantity == 0)
		m->errs |= MB_E_VALUE;
	if (m->code != FC_RDWR_REGS && p->dl > 4)
		m->errs |= MB_E_LENGTH;
	if (m->quantity > ((m->access & MB_BIT_MASK) ? MB_MAX_BIT_QTY : MB_MAX_WORD_QTY))
		m->errs |= MB_E_VALUE;
	m->kind = MB_K_READ_REQ;
}

static void parse_read_resp(struct pdu *p, struct mb_msg *m)
{
	uint8_t count;

	if (p->dl < 1) {
		m->errs |= MB_E_LENGTH;
		return;
	}
	if (!p_u8(p, &count))
		return;
	if (count < 1 || count > 250 || p->dl - 1 != count)
		m->errs |= MB_E_VALUE;
	if (!p_skip(p, (size_t)p->dl - 1))
		return;
	m->quantity = count; /* byte count, for pairing checks */
	m->kind = MB_K_READ_RESP;
}

static void parse_write_req(struct pdu *p, struct mb_msg *m)
{
	uint16_t addr, v, qty, andm, orm;
	uint8_t count;

	if (!p_u16(p, &addr))
		return;
	if (m->access & MB_SINGLE) {
		if (!p_u16(p, &v))
			return;
		if (p->dl > 4)
			m->errs |= MB_E_LENGTH;
		if ((m->access & MB_COILS) && v != 0x0000 && v != 0xff00)
			m->errs |= MB_E_VALUE;
		m->address = addr;
		m->data16 = v;
		m->kind = MB_K_WRITE_OTHER;
		return;
	}
	if (m->access & MB_MULTIPLE) {
		if (!p_u16(p, &qty) || !p_u8(p, &count))
			return;
		unsigned off = m->code == FC_RDWR_REGS ? 11 : 7;
		if (qty == 0 || p->len < off || (unsigned)(p->len - off) != count)
			m->errs |= MB_E_VALUE;
		if (m->access & MB_BIT_MASK) {
			if (qty > MB_MAX_BIT_QTY || qty != count / 8 + (count % 8 != 0))
				m->errs |= MB_E_VALUE;
		} else if (qty > MB_MAX_WORD_QTY || (unsigned)count != 2u * qty) {
			m->errs |= MB_E_VALUE;
		}
		if (p->len < off) {
			p->short_read = true;
			return;
		}
		size_t n = (size_t)(p->len - off);
		const uint8_t *d;
		if (bw_rd_ptr(&p->r, &d, n) != 0) {
			p->short_read = true;
			return;
		}
		m->ndata = n < MB_MAX_DATA ? n : MB_MAX_DATA;
		memcpy(m->data, d, m->ndata);
		if (m->kind == MB_K_READ_REQ) {
			/* Read/write multiple: the read part stays in quantity. */
			m->kind = MB_K_READ_WRITE;
			m->waddr = addr;
			m->wqty = qty;
		} else {
			m->address = addr;
			m->quantity = qty;
			m->kind = MB_K_WRITE_MULT;
		}
		return;
	}
	if (!p_u16(p, &andm) || !p_u16(p, &orm))
		return;
	if (p->dl > 6)
		m->errs |= MB_E_LENGTH;
	m->address = addr;
	m->kind = MB_K_WRITE_MASK;
}

static void parse_write_resp(struct pdu *p, struct mb_msg *m)
{
	uint16_t addr, v, andm, orm;

	if (!p_u16(p, &addr))
		return;
	if (m->access & (MB_SINGLE | MB_MULTIPLE)) {
		if (!p_u16(p, &v))
			return;
		if (p->dl > 4)
			m->errs |= MB_E_LENGTH;
		if (m->access & MB_MULTIPLE) {
			if (v == 0)
				m->errs |= MB_E_VALUE;
			if (v > ((m->access & MB_BIT_MASK) ? MB_MAX_WORD_QTY : MB_MAX_BIT_QTY))
				m->errs |= MB_E_VALUE;
		}
		m->address = addr;
		m->data16 = v;
		m->kind = MB_K_WRITE_OTHER;
		return;
	}
	if (!p_u16(p, &andm) || !p_u16(p, &orm))
		return;
	if (p->dl > 6)
		m->errs |= MB_E_LENGTH;
	m->address = addr;
	m->kind = MB_K_WRITE_MASK;
}

static void parse_request(struct pdu *p, struct mb_msg *m)
{
	switch (m->code) {
	case FC_DIAG:
		if (p->dl != 4)
			m->errs |= MB_E_LENGTH;
		parse_diag(p, m);
		return;
	case FC_MEI:
		parse_mei(p, m);
		return;
	case FC_RD_FILE:
	case FC_WR_FILE:
		if (p->dl == 0)
			m->errs |= MB_E_LENGTH;
		break;
	case FC_RD_EXC_STATUS:
	case FC_COMM_EVENT_CTR:
	case FC_COMM_EVENT_LOG:
	case FC_SERVER_ID:
		if (p->dl > 0)
			m->errs |= MB_E_LENGTH;
		break;
	case FC_FIFO:
		if (p->dl != 2)
			m->errs |= MB_E_LENGTH;
		break;
	default:
		if (m->access & MB_READ) {
			parse_read_req(p, m);
			if ((m->access & MB_WRITE) && !p->short_read)
				parse_write_req(p, m);
			return;
		}
		if (m->access & MB_WRITE) {
			parse_write_req(p, m);
			return;
		}
		break;
	}
	parse_bytes(p, m);
}

static void parse_response(struct pdu *p, struct mb_msg *m)
{
	if (m->raw_func >= 0x80) {
		parse_exception(p, m);
		return;
	}
	switch (m->code) {
	case FC_DIAG:
		parse_diag(p, m);
		return;
	case FC_MEI:
		parse_mei(p, m);
		return;
	case FC_RD_EXC_STATUS:
		if (p->dl != 1)
			m->errs |= MB_E_LENGTH;
		break;
	case FC_COMM_EVENT_CTR:
		if (p->dl != 4)
			m->errs |= MB_E_LENGTH;
		break;
	default:
		if (m->access & MB_READ) {
			parse_read_resp(p, m);
			return;
		}
		if (m->access & MB_WRITE) {
			parse_write_resp(p, m);
			return;
		}
		break;
	}
	parse_bytes(p, m);
}

static void parse_unknown(struct pdu *p, struct mb_msg *m)
{
	if (m->raw_func >= 0x80)
		parse_exception(p, m);
	else if (m->code == FC_DIAG)
		parse_diag(p, m);
	else if (m->code == FC_MEI)
		parse_mei(p, m);
	else
		parse_bytes(p, m);
}

/*
 * One ADU at b[0..n): 0 with *used, BW_ERR_AGAIN for more bytes. The
 * direction is -1 for probing (sawp's "unknown").
 */
static int parse_adu(const uint8_t *b, size_t n, int dir, struct mb_msg *m, size_t *used)
{
	uint16_t proto, len;
	struct pdu p;

	memset(m, 0, sizeof(*m));
	if (n < MB_HDR)
		return BW_ERR_AGAIN;
	m->present = true;
	m->tid = bw_be16(b);
	proto = bw_be16(b + 2);
	len = bw_be16(b + 4);
	if (proto != 0)
		m->errs |= MB_E_PROTO;
	m->code = FC_UNKNOWN;
	if (len < MB_MIN_LEN || len > MB_MAX_LEN) {
		m->errs |= MB_E_LENGTH;
		*used = n - MB_HDR > len ? MB_HDR + (size_t)len : n;
		return 0;
	}
	if (n - MB_HDR < len)
		return BW_ERR_AGAIN;
	*used = MB_HDR + (size_t)len;
	m->unit = b[6];
	m->raw_func = b[7];
	m->code = fc_of(m->raw_func);
	m->access = access_of(m->code);
	bw_rd_init(&p.r, b + 8, (size_t)len - 2);
	p.dl = (uint16_t)(len - 2);
	p.len = len;
	p.short_read = false;
	if (dir == APP_DIR_TO_SERVER)
		parse_request(&p, m);
	else if (dir == APP_DIR_TO_CLIENT)
		parse_response(&p, m);
	else
		parse_unknown(&p, m);
	if (p.short_read) {
		m->errs |= MB_E_LENGTH;
		if (m->kind == MB_K_EMPTY)
			m->kind = MB_K_BYTES;
	} else if (bw_rd_left(&p.r) > 0) {
		m->errs |= MB_E_LENGTH;
	}
	m->category = category_of(m);
	return 0;
}

int app_modbus_probe(const uint8_t *p, size_t len)
{
	struct mb_msg m;
	size_t used;

	if (parse_adu(p, len, -1, &m, &used) != 0)
		return BW_ERR_AGAIN;
	return m.errs == 0 ? 0 : BW_ERR_NOTFOUND;
}

/* sawp-modbus Message::matches: may self (new) pair with other (the open half)? */
static bool pairs(const struct mb_msg *self, const struct mb_msg *other)
{
	if (self->tid != other->tid || self->unit != other->unit || self->code != other->code ||
	    self->access != other->access)
		return false;
	if (self->category != MB_CAT_ASSIGNED || other->kind == MB_K_EXCEPTION)
		return true;
	switch (self->kind) {
	case MB_K_READ_RESP:
		return other->kind == MB_K_READ_REQ || other->kind == MB_K_READ_WRITE;
	case MB_K_READ_REQ:
	case MB_K_READ_WRITE:
		return other->kind == MB_K_READ_RESP;
	case MB_K_WRITE_OTHER:
		return other->kind == MB_K_WRITE_OTHER || other->kind == MB_K_WRITE_MULT;
	case MB_K_WRITE_MULT:
		return other->kind == MB_K_WRITE_OTHER;
	case MB_K_WRITE_MASK:
		return other->kind == MB_K_WRITE_MASK;
	case MB_K_DIAG:
		return other->kind == MB_K_DIAG && other->diag == self->diag;
	case MB_K_MEI:
		return other->kind == MB_K_MEI && other->mei == self->mei;
	default:
		return true;
	}
}

static void flag_events(struct app_tx *tx, uint8_t errs)
{
	if (errs & MB_E_FUNC)
		app_tx_event(tx, "modbus.invalid_function_code");
	if (errs & MB_E_VALUE)
		app_tx_event(tx, "modbus.invalid_value");
	if (errs & MB_E_LENGTH)
		app_tx_event(tx, "modbus.invalid_length");
	if (errs & MB_E_EXC)
		app_tx_event(tx, "modbus.invalid_exception_code");
	if (errs & MB_E_PROTO)
		app_tx_event(tx, "modbus.invalid_protocol_id");
}

static struct app_tx *new_tx(struct app_flow *f, struct mb_state *st)
{
	struct app_tx *tx;
	struct mb_tx *x;

	if (st->givenup || (tx = app_tx_new(f, APP_PROTO_MODBUS)) == NULL)
		return NULL;
	if (!app_mem_take(f, sizeof(*x)) || (x = calloc(1, sizeof(*x))) == NULL) {
		tx->flags |= APP_TX_COMPLETE;
		return NULL;
	}
	tx->mem += sizeof(*x);
	tx->priv = x;
	if (st->open >= MB_FLOOD) {
		app_tx_event(tx, "modbus.flooded");
		st->givenup = true;
	}
	return tx;
}

static void handle(struct app_flow *f, struct mb_state *st, enum app_dir dir,
                   const struct mb_msg *m)
{
	struct app_tx *tx;
	struct mb_tx *x;

	if (dir == APP_DIR_TO_SERVER) {
		for (tx = f->txs; tx != NULL; tx = tx->next) {
			x = tx->priv;
			if (tx->proto == APP_PROTO_MODBUS && x != NULL && x->resp.present &&
			    !x->req.present && pairs(m, &x->resp))
				break;
		}
		if (tx == NULL) {
			if ((tx = new_tx(f, st)) == NULL)
				return;
			st->open++;
		}
		x = tx->priv;
		x->req = *m;
		flag_events(tx, m->errs);
		tx->flags |= APP_TX_REQ_HDRS | APP_TX_REQ_DONE;
	} else {
		for (tx = f->txs; tx != NULL; tx = tx->next) {
			x = tx->priv;
			if (tx->proto == APP_PROTO_MODBUS && x != NULL && x->req.present &&
			    !x->resp.present && pairs(m, &x->req))
				break;
		}
		bool found = tx != NULL;
		if (!found && (tx = new_tx(f, st)) == NULL)
			return;
		if (found && st->open > 0)
			st->open--;
		x = tx->priv;
		x->resp = *m;
		if ((m->access & (MB_READ | MB_WRITE)) && (m->errs & (MB_E_LENGTH | MB_E_VALUE)))
			app_tx_event(tx, "modbus.value_mismatch");
		else
			flag_events(tx, m->errs);
		if (!found)
			app_tx_event(tx, "modbus.unsolicited_response");
		tx->flags |= APP_TX_RES_HDRS | APP_TX_RES_DONE | APP_TX_COMPLETE;
	}
	app_tx_mark(tx, dir);
}

static int modbus_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct mb_state *st = f->state;
	struct app_rbuf *b = &st->buf[dir];
	size_t off = 0;

	if (app_rbuf_append(f, b, p, len, 64u << 10) != 0) {
		app_flow_stop(f);
		app_rbuf_free(f, b);
		return 0;
	}
	while (off < b->len) {
		struct mb_msg m;
		size_t used;

		if (parse_adu(b->p + off, b->len - off, dir, &m, &used) != 0)
			break;
		handle(f, st, dir, &m);
		off += used;
	}
	app_rbuf_consume(b, off);
	return 0;
}

static int modbus_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct mb_state));
}

static void modbus_fini(struct app_flow *f)
{
	app_rbuf_state_free(f, sizeof(struct mb_state), offsetof(struct mb_state, buf));
}

const struct app_parser app_parser_modbus = {
        .proto = APP_PROTO_MODBUS,
        .no_gaps = true,
        .init = modbus_init,
        .feed = modbus_feed,
        .eof = NULL,
        .fini = modbus_fini,
};

/* ---- the keyword ---- */

/* arg[] layout of APP_M_MODBUS. */
enum {
	MK_HAVE,     /* bits below */
	MK_UNIT,     /* range: lo << 16 | hi */
	MK_FUNC,     /* enum mb_fc */
	MK_SUBFUNC,  /* diagnostic sub-function */
	MK_CATEGORY, /* enum mb_cat bits */
	MK_ACCESS,   /* enum mb_access bits */
	MK_ADDRESS,  /* range */
	MK_VALUE,    /* range */
};
enum {
	MH_UNIT = 1,
	MH_FUNC = 2,
	MH_SUBFUNC = 4,
	MH_CATEGORY = 8,
	MH_ACCESS = 16,
	MH_ADDRESS = 32,
	MH_VALUE = 64,
};

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "word" at s followed by a blank or the end; returns what follows, or NULL. */
static const char *word(const char *s, const char *w)
{
	size_t n = strlen(w);

	s = skip_ws(s);
	if (strncmp(s, w, n) != 0)
		return NULL;
	return s + n;
}

static bool u16_at(const char **s, uint16_t *v)
{
	unsigned long x = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		x = x * 10 + (unsigned long)(*p - '0');
		if (x > 65535)
			return false;
		p++;
	}
	*v = (uint16_t)x;
	*s = p;
	return true;
}

/* Suricata's parse_range: "n" -> n..n, "<n" -> 0..n, ">n" -> n..65535, "n<>m" -> n..m. */
static bool range_at(const char **s, uint64_t *out)
{
	const char *p = skip_ws(*s);
	uint16_t lo, hi;

	if (*p == '<' || *p == '>') {
		char c = *p++;

		if (!u16_at(&p, &lo))
			return false;
		*out = c == '>' ? ((uint64_t)lo << 16 | 65535) : lo;
	} else {
		if (!u16_at(&p, &lo))
			return false;
		if (p[0] == '<' && p[1] == '>') {
			p += 2;
			if (!u16_at(&p, &hi))
				return false;
			*out = (uint64_t)lo << 16 | hi;
		} else {
			*out = (uint64_t)lo << 16 | lo;
		}
	}
	*s = p;
	return true;
}

static bool at_end(const char *s)
{
	return *skip_ws(s) == '\0';
}

static bool parse_access_kw(const char *s, struct ips_app_match *m)
{
	const char *p;
	uint64_t acc;

	if ((p = word(s, "access")) == NULL)
		return false;
	p = skip_ws(p);
	if (strncmp(p, "read", 4) == 0) {
		acc = MB_READ;
		p += 4;
	} else if (strncmp(p, "write", 5) == 0) {
		acc = MB_WRITE;
		p += 5;
	} else {
		return false;
	}
	p = skip_ws(p);
	static const struct {
		const char *w;
		uint64_t bit;
		bool read_only;
	} kinds[] = {
	        {"discretes", MB_DISCRETES, true},
	        {"coils", MB_COILS, false},
	        {"input", MB_INPUT, true},
	        {"holding", MB_HOLDING, false},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].w);

		if (strncmp(p, kinds[i].w, n) == 0) {
			if (kinds[i].read_only && acc == MB_WRITE)
				return false;
			acc |= kinds[i].bit;
			p += n;
			break;
		}
	}
	m->arg[MK_HAVE] |= MH_ACCESS;
	m->arg[MK_ACCESS] = acc;
	p = skip_ws(p);
	if (*p == '\0')
		return true;
	if (*p++ != ',' || (p = word(p, "address")) == NULL || !range_at(&p, &m->arg[MK_ADDRESS]))
		return false;
	m->arg[MK_HAVE] |= MH_ADDRESS;
	p = skip_ws(p);
	if (*p == '\0')
		return true;
	if (*p++ != ',' || (p = word(p, "value")) == NULL || !range_at(&p, &m->arg[MK_VALUE]))
		return false;
	/* A value needs one write address. */
	if ((m->arg[MK_ADDRESS] >> 16) != (m->arg[MK_ADDRESS] & 0xffff) || acc == MB_READ)
		return false;
	m->arg[MK_HAVE] |= MH_VALUE;
	return at_end(p);
}

static bool parse_function_kw(const char *s, struct ips_app_match *m)
{
	const char *p;
	char w[16];
	size_t n = 0;

	if ((p = word(s, "function")) == NULL)
		return false;
	p = skip_ws(p);
	while (*p && *p != ',' && *p != ' ' && *p != '\t' && n + 1 < sizeof(w))
		w[n++] = *p++;
	w[n] = '\0';
	if (n == 0)
		return false;
	if (isdigit((unsigned char)w[0])) {
		const char *q = w;
		uint16_t v;

		if (!u16_at(&q, &v) || *q || v == 0 || v > 255)
			return false;
		m->arg[MK_HAVE] |= MH_FUNC;
		/* sawp's FunctionCode::from_raw: the named codes, else "unknown". */
		m->arg[MK_FUNC] = v < 0x80 ? fc_of((uint8_t)v) : FC_UNKNOWN;
		p = skip_ws(p);
		if (*p == '\0')
			return true;
		if (*p++ != ',' || (p = word(p, "subfunction")) == NULL)
			return false;
		p = skip_ws(p);
		if (!u16_at(&p, &v) || !at_end(p))
			return false;
		m->arg[MK_HAVE] |= MH_SUBFUNC;
		m->arg[MK_SUBFUNC] = v;
		return true;
	}
	bool neg = w[0] == '!';
	const char *c = w + neg;
	uint64_t cat;
	if (strcmp(c, "assigned") == 0)
		cat = MB_CAT_ASSIGNED;
	else if (strcmp(c, "unassigned") == 0)
		cat = MB_CAT_UNASSIGNED;
	else if (strcmp(c, "public") == 0)
		cat = MB_CAT_ASSIGNED | MB_CAT_UNASSIGNED;
	else if (strcmp(c, "user") == 0)
		cat = MB_CAT_USER;
	else if (strcmp(c, "reserved") == 0)
		cat = MB_CAT_RESERVED;
	else if (strcmp(c, "all") == 0)
		cat = MB_CAT_ASSIGNED | MB_CAT_UNASSIGNED | MB_CAT_USER | MB_CAT_RESERVED;
	else
		return false;
	if (neg)
		cat = ~cat & (MB_CAT_ASSIGNED | MB_CAT_UNASSIGNED | MB_CAT_USER | MB_CAT_RESERVED);
	m->arg[MK_HAVE] |= MH_CATEGORY;
	m->arg[MK_CATEGORY] = cat;
	return at_end(p);
}

int app_modbus_parse_kw(const char *val, struct ips_app_match *m)
{
	char buf[256];
	size_t n = strlen(val);
	const char *p;

	/* Optional surrounding quotes. */
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
		val++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return BW_ERR_INVAL;
	memcpy(buf, val, n);
	buf[n] = '\0';
	memset(m->arg, 0, sizeof(m->arg));
	m->narg = MK_VALUE + 1;
	if ((p = word(buf, "unit")) != NULL) {
		if (!range_at(&p, &m->arg[MK_UNIT]))
			return BW_ERR_INVAL;
		m->arg[MK_HAVE] |= MH_UNIT;
		p = skip_ws(p);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return BW_ERR_INVAL;
		return parse_function_kw(p, m) || parse_access_kw(p, m) ? 0 : BW_ERR_INVAL;
	}
	if (parse_function_kw(buf, m))
		return 0;
	memset(m->arg, 0, sizeof(m->arg));
	return parse_access_kw(buf, m) ? 0 : BW_ERR_INVAL;
}

/* Suricata's check_match: a signature range against one value. */
static bool in_range(uint64_t r, uint16_t v)
{
	uint16_t lo = (uint16_t)(r >> 16), hi = (uint16_t)r;

	if (lo == hi)
		return v == lo;
	if (lo == 0)
		return hi > v;
	if (hi == 65535)
		return lo < v;
	return lo < v && v < hi;
}

/* check_match_range: a signature range against the message's [a, b]. */
static bool overlaps(uint64_t r, uint16_t a, uint16_t b)
{
	uint16_t lo = (uint16_t)(r >> 16), hi = (uint16_t)r;

	if (lo == hi)
		return lo >= a && lo <= b;
	if (lo == 0)
		return hi > a;
	if (hi == 65535)
		return lo < b;
	return lo < b && a < hi;
}

/* get_address_range: 1-based first and last register or coil. */
static bool addr_range(const struct mb_msg *g, uint16_t *a, uint16_t *b)
{
	uint16_t addr = g->address, qty = g->quantity;

	switch (g->kind) {
	case MB_K_WRITE_OTHER:
	case MB_K_WRITE_MASK:
		*a = *b = (uint16_t)(addr + 1);
		return true;
	case MB_K_READ_WRITE:
		addr = g->waddr; /* the write part */
		qty = g->wqty;
		BW_FALLTHROUGH;
	case MB_K_READ_REQ:
	case MB_K_WRITE_MULT:
		if (qty == 0 || qty > 65535 - addr)
			return false;
		*a = (uint16_t)(addr + 1);
		*b = (uint16_t)(addr + qty);
		return true;
	default:
		return false;
	}
}

/* get_write_value_at_address. */
static bool write_value(const struct mb_msg *g, uint16_t address, uint16_t *out)
{
	uint16_t a, b;

	if (addr_range(g, &a, &b) && (address < a || address > b))
		return false;
	if (g->access & MB_SINGLE) {
		if (g->kind != MB_K_WRITE_OTHER)
			return false;
		*out = (g->access & MB_COILS) ? (g->data16 != 0) : g->data16;
		return true;
	}
	if (!(g->access & MB_MULTIPLE) ||
	    (g->kind != MB_K_WRITE_MULT && g->kind != MB_K_READ_WRITE))
		return false;
	uint16_t start = g->kind == MB_K_READ_WRITE ? g->waddr : g->address;
	if (start == 65535 || start >= address)
		return false;
	size_t off = (size_t)(address - (start + 1)) * 2;
	if (g->access & MB_COILS)
		off >>= 3;
	if (off + 1 >= g->ndata)
		return false;
	uint16_t v = (uint16_t)(g->data[off] << 8 | g->data[off + 1]);
	if (g->access & MB_COILS)
		v = (v >> ((address - (start + 1)) & 7)) & 1;
	*out = v;
	return true;
}

bool app_modbus_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	const struct mb_tx *x = tx->priv;
	const struct mb_msg *g;
	uint64_t have = m->arg[MK_HAVE];

	/* Suricata inspects the modbus keyword to the server only. */
	if (x == NULL || m->what != APP_M_MODBUS || dir != APP_DIR_TO_SERVER)
		return false;
	g = x->req.present ? &x->req : x->resp.present ? &x->resp : NULL;
	if (g == NULL)
		return false;
	if ((have & MH_UNIT) && !in_range(m->arg[MK_UNIT], g->unit))
		return false;
	if (have & MH_ACCESS) {
		uint64_t acc = m->arg[MK_ACCESS];
		uint64_t rw = acc & (MB_READ | MB_WRITE), fn = acc & MB_FUNC_MASK;
		uint16_t a, b, v;

		if (rw == 0 || !(g->access & rw) || (fn && !(g->access & fn)))
			return false;
		if (!(have & MH_ADDRESS))
			return true;
		if (!addr_range(g, &a, &b) || !overlaps(m->arg[MK_ADDRESS], a, b))
			return false;
		if (!(have & MH_VALUE))
			return true;
		return write_value(g, (uint16_t)(m->arg[MK_ADDRESS] >> 16), &v) &&
		       in_range(m->arg[MK_VALUE], v);
	}
	if (have & MH_CATEGORY)
		return (g->category & m->arg[MK_CATEGORY]) != 0;
	if (have & MH_FUNC) {
		if (g->code != m->arg[MK_FUNC])
			return false;
		if (have & MH_SUBFUNC)
			return g->kind == MB_K_DIAG && g->diag == m->arg[MK_SUBFUNC];
	}
	return true;
}
