/* SPDX-License-Identifier: ISC */
/*
 * MQTT parser, versions 3.1, 3.1.1 and 5 (OASIS MQTT 3.1.1 2, MQTT 5.0 2-3)
 * over TCP, with Suricata 7's transaction model and events:
 *
 *   fixed header: type (4 bits) | dup | qos (2) | retain, then the
 *   remaining length as a variable byte integer (1-4 bytes, 7 bits each).
 *
 * Messages are reassembled per direction (at most app_cfg.mqtt_max_msg bytes
 * of remaining length; a longer message is "truncated": skipped unparsed, one
 * transaction of its own). Each message is parsed inside its declared
 * length with bounds-checked reads; a field that does not fit, a bad
 * variable integer, or an MQTT 5 property list that overruns is
 * malformed_traffic (an event on a transaction of its own) and that
 * direction stops. The protocol version comes from the CONNECT and decides
 * whether MQTT 5 properties are present in later messages.
 *
 * Transactions: CONNECT waits for CONNACK; PUBLISH with QoS 1/2,
 * SUBSCRIBE and UNSUBSCRIBE wait for their acknowledgement by packet
 * identifier (PUBREC/PUBREL join a QoS 2 flow, PUBACK/PUBCOMP/SUBACK/
 * UNSUBACK complete it); everything else is a transaction by itself.
 * Events as Suricata raises them: missing_connect, missing_publish,
 * missing_subscribe, missing_unsubscribe, double_connect,
 * unintroduced_message (anything but CONNECT/CONNACK before the CONNACK),
 * invalid_qos_level, missing_msg_id, unassigned_msg_type,
 * too_many_transactions, malformed_traffic.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	MQTT_TX_MSGS = 8, /* messages remembered per transaction */
};

enum mqtt_type {
	MQTT_UNASSIGNED = 0,
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
	MQTT_AUTH = 15,
};

/* What detection needs of one message. */
struct mqtt_msg {
	uint8_t type;  /* enum mqtt_type (of truncated messages too) */
	uint8_t flags; /* low nibble of the first byte */
	uint8_t qos;
	bool has_reason;
	uint8_t reason; /* reason code, CONNACK return code */
	uint8_t connect_flags;
	int8_t session_present; /* CONNACK: 0/1, else -1 */
};

struct mqtt_tx {
	uint32_t pkt_id;
	bool has_pkt_id;
	bool complete;
	uint8_t version; /* the flow's protocol version when last updated */
	uint8_t nmsg;
	struct mqtt_msg msg[MQTT_TX_MSGS];
};

/* A parsed message: the header fields plus views into the message bytes. */
struct mqtt_parsed {
	struct mqtt_msg m;
	uint32_t remaining;
	bool has_id;
	uint16_t id;
	uint8_t version; /* CONNECT */
	const uint8_t *topic, *message, *clientid, *username, *password, *willtopic, *willmessage;
	size_t topic_len, message_len, clientid_len, username_len, password_len, willtopic_len,
	        willmessage_len;
	bool has_username, has_password, has_will;
	struct bw_rd topics; /* SUBSCRIBE/UNSUBSCRIBE topic list (re-read for buffers) */
	/* The message as received, for its frames: raw[0..hdr_len) is the fixed header. */
	const uint8_t *raw;
	size_t raw_len, hdr_len; /* raw_len: what the input holds of a truncated one */
	bool truncated;
};

struct mqtt_state {
	uint8_t version;
	bool connected;
	size_t skip[2];
	struct app_rbuf buf[2];
};

enum mqtt_res {
	MQTT_OK,
	MQTT_INCOMPLETE,
	MQTT_ERROR,
	MQTT_TRUNC,
};

/* Variable byte integer: 0-3 bytes with the continuation bit, then one without. */
static enum mqtt_res rd_varint(struct bw_rd *r, uint32_t *out)
{
	uint32_t v = 0, mul = 1;

	for (int i = 0; i < 4; i++) {
		uint8_t b;

		if (bw_rd_u8(r, &b) != 0)
			return MQTT_INCOMPLETE;
		v += (uint32_t)(b & 0x7f) * mul;
		mul *= 128;
		if (!(b & 0x80)) {
			*out = v;
			return MQTT_OK;
		}
	}
	return MQTT_ERROR;
}

static bool rd_str(struct bw_rd *r, const uint8_t **p, size_t *n)
{
	uint16_t l;

	if (bw_rd_u16(r, &l) != 0 || bw_rd_ptr(r, p, l) != 0)
		return false;
	*n = l;
	return true;
}

static bool skip_str(struct bw_rd *r)
{
	const uint8_t *p;
	size_t n;

	return rd_str(r, &p, &n);
}

/* One MQTT 5 property (MQTT 5.0 2.2.2.2); unknown identifiers consume only themselves. */
static bool rd_property(struct bw_rd *r)
{
	uint32_t id, v;

	if (rd_varint(r, &id) != MQTT_OK)
		return false;
	switch (id) {
	case 1:  /* payload format indicator */
	case 23: /* request problem information */
	case 25: /* request response information */
	case 36: /* maximum QoS */
	case 37: /* retain available */
	case 40: /* wildcard subscription available */
	case 41: /* subscription identifier available */
	case 42: /* shared subscription available */
		return bw_rd_skip(r, 1) == 0;
	case 19: /* server keep alive */
	case 33: /* receive maximum */
	case 34: /* topic alias maximum */
	case 35: /* topic alias */
		return bw_rd_skip(r, 2) == 0;
	case 2:  /* message expiry interval */
	case 17: /* session expiry interval */
	case 24: /* will delay interval */
	case 39: /* maximum packet size */
		return bw_rd_skip(r, 4) == 0;
	case 3:  /* content type */
	case 8:  /* response topic */
	case 9:  /* correlation data */
	case 18: /* assigned client identifier */
	case 21: /* authentication method */
	case 22: /* authentication data */
	case 26: /* response information */
	case 28: /* server reference */
	case 31: /* reason string */
		return skip_str(r);
	case 11: /* subscription identifier */
		return rd_varint(r, &v) == MQTT_OK;
	case 38: /* user property */
		return skip_str(r) && skip_str(r);
	default:
		return true;
	}
}

/* The property block of MQTT 5 (when present): its length, then the properties. */
static bool rd_properties(struct bw_rd *r, bool present)
{
	struct bw_rd sub;
	uint32_t len;

	if (!present)
		return true;
	if (rd_varint(r, &len) != MQTT_OK)
		return false;
	if (len == 0)
		return true;
	if (bw_rd_sub(r, &sub, len) != 0)
		return false;
	while (bw_rd_left(&sub) > 0)
		if (!rd_property(&sub))
			return false;
	return true;
}

static bool parse_connect(struct bw_rd *r, struct mqtt_parsed *m)
{
	const uint8_t *name;
	size_t nlen;
	uint8_t fl;

	if (!rd_str(r, &name, &nlen) || bw_rd_u8(r, &m->version) != 0 || bw_rd_u8(r, &fl) != 0 ||
	    bw_rd_skip(r, 2) != 0)
		return false;
	m->m.connect_flags = fl;
	m->has_will = (fl & 0x04) != 0;
	m->has_username = (fl & 0x80) != 0;
	m->has_password = (fl & 0x40) != 0;
	if (!rd_properties(r, m->version == 5) || !rd_str(r, &m->clientid, &m->clientid_len))
		return false;
	if (m->has_will &&
	    (!rd_properties(r, m->version == 5) || !rd_str(r, &m->willtopic, &m->willtopic_len) ||
	     !rd_str(r, &m->willmessage, &m->willmessage_len)))
		return false;
	if (m->has_username && !rd_str(r, &m->username, &m->username_len))
		return false;
	if (m->has_password && !rd_str(r, &m->password, &m->password_len))
		return false;
	return true;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP: id, and in MQTT 5 an optional reason and properties. */
static bool parse_msgid(struct bw_rd *r, struct mqtt_parsed *m, uint8_t version)
{
	size_t len = bw_rd_left(r);

	if (bw_rd_u16(r, &m->id) != 0)
		return false;
	m->has_id = true;
	if (version < 5)
		return true;
	m->m.has_reason = true;
	m->m.reason = 0;
	if (len == 2)
		return true;
	if (bw_rd_u8(r, &m->m.reason) != 0)
		return false;
	if (len == 3)
		return true;
	return rd_properties(r, true);
}

static bool parse_body(struct bw_rd *r, struct mqtt_parsed *m, uint8_t version)
{
	uint8_t b;

	switch (m->m.type) {
	case MQTT_CONNECT:
		return parse_connect(r, m);
	case MQTT_CONNACK:
		if (bw_rd_u8(r, &b) != 0 || bw_rd_u8(r, &m->m.reason) != 0)
			return false;
		m->m.session_present = (int8_t)(b & 1);
		m->m.has_reason = true;
		return rd_properties(r, version == 5);
	case MQTT_PUBLISH:
		if (!rd_str(r, &m->topic, &m->topic_len))
			return false;
		if (m->m.qos > 0) {
			if (bw_rd_u16(r, &m->id) != 0)
				return false;
			m->has_id = true;
		}
		if (!rd_properties(r, version == 5))
			return false;
		m->message_len = bw_rd_left(r);
		return bw_rd_ptr(r, &m->message, m->message_len) == 0;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return parse_msgid(r, m, version);
	case MQTT_SUBSCRIBE:
		if (bw_rd_u16(r, &m->id) != 0 || !rd_properties(r, version == 5))
			return false;
		m->has_id = true;
		m->topics = *r;
		/* At least one topic filter with its options byte. */
		if (!skip_str(r) || bw_rd_skip(r, 1) != 0)
			return false;
		return true;
	case MQTT_UNSUBSCRIBE:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		if (bw_rd_u16(r, &m->id) != 0 || !rd_properties(r, version == 5))
			return false;
		m->has_id = true;
		m->topics = *r;
		return true;
	case MQTT_DISCONNECT:
		if (version < 5 || bw_rd_left(r) == 0)
			return true;
		if (bw_rd_u8(r, &m->m.reason) != 0)
			return false;
		m->m.has_reason = true;
		if (bw_rd_left(r) == 0) {
			m->m.reason = 0; /* as Suricata: a lone reason byte reads as 0 */
			return true;
		}
		return rd_properties(r, true);
	case MQTT_AUTH:
		if (bw_rd_u8(r, &m->m.reason) != 0)
			return false;
		m->m.has_reason = true;
		return rd_properties(r, true);
	default: /* PINGREQ, PINGRESP, UNASSIGNED: no body to check */
		return true;
	}
}

/*
 * One message at p[0..n): MQTT_OK with *used bytes, MQTT_INCOMPLETE,
 * MQTT_TRUNC (*used = header + remaining length, maybe past n), MQTT_ERROR.
 */
static enum mqtt_res parse_message(const uint8_t *p, size_t n, uint8_t version, size_t max,
                                   struct mqtt_parsed *m, size_t *used)
{
	struct bw_rd r, body;
	uint8_t b0;
	enum mqtt_res res;

	memset(m, 0, sizeof(*m));
	m->m.session_present = -1;
	bw_rd_init(&r, p, n);
	if (bw_rd_u8(&r, &b0) != 0)
		return MQTT_INCOMPLETE;
	if ((res = rd_varint(&r, &m->remaining)) != MQTT_OK)
		return res;
	m->m.type = b0 >> 4;
	m->m.flags = b0 & 0x0f;
	m->m.qos = (b0 >> 1) & 3;
	size_t hdr = n - bw_rd_left(&r);
	m->raw = p;
	m->hdr_len = hdr;
	if (m->remaining > max) {
		*used = hdr + m->remaining;
		m->raw_len = n < *used ? n : *used;
		m->truncated = true;
		return MQTT_TRUNC;
	}
	if (bw_rd_sub(&r, &body, m->remaining) != 0)
		return MQTT_INCOMPLETE;
	*used = hdr + m->remaining;
	m->raw_len = *used;
	return parse_body(&body, m, version) ? MQTT_OK : MQTT_ERROR;
}

int app_mqtt_probe(const uint8_t *p, size_t len)
{
	struct bw_rd r;
	uint8_t b0;
	uint32_t rl;
	enum mqtt_res res;

	bw_rd_init(&r, p, len);
	if (bw_rd_u8(&r, &b0) != 0)
		return BW_ERR_AGAIN;
	if ((res = rd_varint(&r, &rl)) == MQTT_INCOMPLETE)
		return BW_ERR_AGAIN;
	if (res != MQTT_OK || (b0 >> 4) == MQTT_UNASSIGNED || ((b0 >> 1) & 3) > 2)
		return BW_ERR_NOTFOUND;
	return 0;
}

/* ---- transactions ---- */

static struct mqtt_tx *mtx(const struct app_tx *tx)
{
	return tx->priv;
}

static void tx_done(struct app_tx *tx)
{
	mtx(tx)->complete = true;
	mtx(tx)->has_pkt_id = false;
	tx->flags |= APP_TX_COMPLETE;
}

static struct app_tx *new_tx(struct app_flow *f, struct mqtt_state *st)
{
	struct app_tx *tx;
	struct mqtt_tx *m;

	/* Suricata's too_many_transactions: the oldest open one is given up. */
	if (f->ntxs + 1 >= f->ctx->cfg.max_txs) {
		for (tx = f->txs; tx != NULL; tx = tx->next) {
			if (tx->proto == APP_PROTO_MQTT && tx->priv != NULL && !mtx(tx)->complete) {
				tx_done(tx);
				app_tx_event(tx, "mqtt.too_many_transactions");
				break;
			}
		}
		if (f->ntxs >= f->ctx->cfg.max_txs)
			return NULL;
	}
	if ((tx = app_tx_new(f, APP_PROTO_MQTT)) == NULL)
		return NULL;
	if (!app_mem_take(f, sizeof(*m)) || (m = calloc(1, sizeof(*m))) == NULL) {
		tx->flags |= APP_TX_COMPLETE;
		return NULL;
	}
	tx->mem += sizeof(*m);
	m->version = st->version;
	tx->priv = m;
	return tx;
}

static struct app_tx *find_by_id(struct app_flow *f, uint32_t id)
{
	for (struct app_tx *tx = f->txs; tx != NULL; tx = tx->next)
		if (tx->proto == APP_PROTO_MQTT && tx->priv != NULL && !mtx(tx)->complete &&
		    mtx(tx)->has_pkt_id && mtx(tx)->pkt_id == id)
			return tx;
	return NULL;
}

enum { MQTT_CONNECT_ID = UINT32_MAX };

static void add_topics(struct app_flow *f, struct app_tx *tx, enum app_dir dir,
                       const struct mqtt_parsed *m, enum ips_buf b, bool opts)
{
	struct bw_rd r = m->topics;
	const uint8_t *p;
	size_t n;

	while (bw_rd_left(&r) > 0 && rd_str(&r, &p, &n)) {
		if (opts && bw_rd_skip(&r, 1) != 0)
			break;
		if (app_tx_buf_add(f, tx, dir, b, p, n) != 0)
			break;
	}
}

/* The inspection buffers of a message, in the direction it was inspected. */
static void add_bufs(struct app_flow *f, struct app_tx *tx, enum app_dir dir,
                     const struct mqtt_parsed *m)
{
	/*
	 * Frames: the packet (of a truncated one, what this input holds), its
	 * fixed header and the rest. Suricata 7.0 takes the header as 2 bytes
	 * whatever the remaining length's size; here it is the real header.
	 */
	if (f->ctx->cfg.frames && m->raw != NULL) {
		(void)app_tx_buf_add(f, tx, dir, IPS_BUF_FRAME_PDU, m->raw, m->raw_len);
		if (!m->truncated) {
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_FRAME_HEADER, m->raw, m->hdr_len);
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_FRAME_DATA, m->raw + m->hdr_len,
			                     m->raw_len - m->hdr_len);
		}
	}
	switch (m->m.type) {
	case MQTT_CONNECT:
		(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_CONNECT_CLIENTID, m->clientid,
		                     m->clientid_len);
		if (m->has_username)
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_CONNECT_USERNAME, m->username,
			                     m->username_len);
		if (m->has_password)
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_CONNECT_PASSWORD, m->password,
			                     m->password_len);
		if (m->has_will) {
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_CONNECT_WILLTOPIC,
			                     m->willtopic, m->willtopic_len);
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_CONNECT_WILLMESSAGE,
			                     m->willmessage, m->willmessage_len);
		}
		break;
	case MQTT_PUBLISH:
		(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_PUBLISH_TOPIC, m->topic,
		                     m->topic_len);
		(void)app_tx_buf_add(f, tx, dir, IPS_BUF_MQTT_PUBLISH_MESSAGE, m->message,
		                     m->message_len);
		break;
	case MQTT_SUBSCRIBE:
		add_topics(f, tx, dir, m, IPS_BUF_MQTT_SUBSCRIBE_TOPIC, true);
		break;
	case MQTT_UNSUBSCRIBE:
		add_topics(f, tx, dir, m, IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC, false);
		break;
	default:
		break;
	}
}

/* Records message m on tx (inspected in direction dir). */
static void tx_add(struct app_flow *f, struct mqtt_state *st, struct app_tx *tx, enum app_dir dir,
                   const struct mqtt_parsed *m)
{
	struct mqtt_tx *x = mtx(tx);

	if (x->nmsg < MQTT_TX_MSGS)
		x->msg[x->nmsg++] = m->m;
	x->version = st->version;
	add_bufs(f, tx, dir, m);
	tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE;
	app_tx_mark(tx, dir);
}

/* A new transaction holding m, optionally with an event. */
static struct app_tx *tx_one(struct app_flow *f, struct mqtt_state *st, enum app_dir dir,
                             const struct mqtt_parsed *m, const char *event)
{
	struct app_tx *tx = new_tx(f, st);

	if (tx == NULL)
		return NULL;
	tx_add(f, st, tx, dir, m);
	if (event != NULL)
		app_tx_event(tx, event);
	return tx;
}

/* Suricata's MQTTState::handle_msg. */
static void handle(struct app_flow *f, struct mqtt_state *st, enum app_dir dir,
                   const struct mqtt_parsed *m, bool truncated)
{
	struct app_tx *tx;
	uint8_t t = m->m.type;

	if (truncated || t == MQTT_UNASSIGNED) {
		if ((tx = tx_one(f, st, dir, m, truncated ? NULL : "mqtt.unassigned_msg_type")) !=
		    NULL)
			tx_done(tx);
		return;
	}
	if (t == MQTT_CONNECT) {
		st->version = m->version;
		if (st->connected) {
			tx_one(f, st, dir, m, "mqtt.double_connect");
		} else if ((tx = tx_one(f, st, dir, m, NULL)) != NULL) {
			mtx(tx)->pkt_id = MQTT_CONNECT_ID;
			mtx(tx)->has_pkt_id = true;
		}
		return;
	}
	if (t == MQTT_CONNACK) {
		if ((tx = find_by_id(f, MQTT_CONNECT_ID)) != NULL) {
			tx_add(f, st, tx, dir, m);
			tx_done(tx);
			st->connected = true;
		} else {
			tx_one(f, st, dir, m, "mqtt.missing_connect");
		}
		return;
	}
	if (!st->connected) {
		tx_one(f, st, dir, m, "mqtt.unintroduced_message");
		return;
	}
	switch (t) {
	case MQTT_PUBLISH:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		if (m->m.qos == 0) {
			if ((tx = tx_one(f, st, dir, m, NULL)) != NULL)
				tx_done(tx);
		} else if (m->m.qos > 2) {
			tx_one(f, st, dir, m, "mqtt.invalid_qos_level");
		} else if (!m->has_id) {
			tx_one(f, st, dir, m, "mqtt.missing_msg_id");
		} else if ((tx = tx_one(f, st, dir, m, NULL)) != NULL) {
			mtx(tx)->pkt_id = m->id;
			mtx(tx)->has_pkt_id = true;
		}
		break;
	case MQTT_PUBREC:
	case MQTT_PUBREL:
		if ((tx = find_by_id(f, m->id)) != NULL)
			tx_add(f, st, tx, dir, m);
		else
			tx_one(f, st, dir, m, "mqtt.missing_publish");
		break;
	case MQTT_PUBACK:
	case MQTT_PUBCOMP:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		if ((tx = find_by_id(f, m->id)) != NULL) {
			tx_add(f, st, tx, dir, m);
			tx_done(tx);
		} else {
			tx_one(f, st, dir, m,
			       t == MQTT_SUBACK     ? "mqtt.missing_subscribe"
			       : t == MQTT_UNSUBACK ? "mqtt.missing_unsubscribe"
			                            : "mqtt.missing_publish");
		}
		break;
	default: /* PINGREQ, PINGRESP, DISCONNECT, AUTH */
		if ((tx = tx_one(f, st, dir, m, NULL)) != NULL)
			tx_done(tx);
		break;
	}
}

static void malformed(struct app_flow *f, struct mqtt_state *st, enum app_dir dir)
{
	struct app_tx *tx = new_tx(f, st);

	if (tx != NULL) {
		app_tx_event(tx, "mqtt.malformed_traffic");
		app_tx_mark(tx, dir);
		tx_done(tx);
	}
	app_flow_stop(f); /* as Suricata after a parse error */
	app_rbuf_free(f, &st->buf[dir]);
}

/* Parses what p[0..n) holds; returns the bytes used (the rest waits for more). */
static size_t parse_run(struct app_flow *f, struct mqtt_state *st, enum app_dir dir,
                        const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n && !f->dead[dir]) {
		struct mqtt_parsed m;
		size_t used = 0;

		switch (parse_message(p + off, n - off, st->version, f->ctx->cfg.mqtt_max_msg, &m,
		                      &used)) {
		case MQTT_INCOMPLETE:
			return off;
		case MQTT_ERROR:
			malformed(f, st, dir);
			return n;
		case MQTT_TRUNC:
			/* As Suricata: truncated requests are handled as if to the client. */
			handle(f, st, APP_DIR_TO_CLIENT, &m, true);
			if (used >= n - off) {
				st->skip[dir] = used - (n - off);
				return n;
			}
			off += used;
			break;
		case MQTT_OK:
			handle(f, st, dir, &m, false);
			off += used;
			break;
		}
	}
	return n;
}

static int mqtt_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct mqtt_state *st = f->state;
	struct app_rbuf *b = &st->buf[dir];
	size_t used;

	if (st->skip[dir] > 0) {
		size_t k = len < st->skip[dir] ? len : st->skip[dir];

		st->skip[dir] -= k;
		p += k;
		len -= k;
	}
	if (len == 0)
		return 0;
	if (b->len == 0) {
		used = parse_run(f, st, dir, p, len);
		if (used < len && !f->dead[dir] &&
		    app_rbuf_append(f, b, p + used, len - used, f->ctx->cfg.mqtt_max_msg + 5) != 0)
			f->dead[dir] = true;
		return 0;
	}
	if (app_rbuf_append(f, b, p, len, f->ctx->cfg.mqtt_max_msg + 5) != 0) {
		f->dead[dir] = true;
		app_rbuf_free(f, b);
		return 0;
	}
	used = parse_run(f, st, dir, b->p, b->len);
	if (!f->dead[dir])
		app_rbuf_consume(b, used);
	return 0;
}

static int mqtt_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct mqtt_state));
}

static void mqtt_fini(struct app_flow *f)
{
	app_rbuf_state_free(f, sizeof(struct mqtt_state), offsetof(struct mqtt_state, buf));
}

const struct app_parser app_parser_mqtt = {
        .proto = APP_PROTO_MQTT,
        .no_gaps = true,
        .init = mqtt_init,
        .feed = mqtt_feed,
        .eof = NULL,
        .fini = mqtt_fini,
};

/* ---- detection ---- */

static bool flags_ok(uint8_t v, const struct ips_app_match *m)
{
	return (v & m->arg[0]) == m->arg[0] && (v & m->arg[1]) == 0;
}

bool app_mqtt_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	const struct mqtt_tx *x = tx->priv;

	(void)dir;
	if (x == NULL)
		return false;
	if (m->what == APP_M_MQTT_PROTOCOL_VERSION)
		return ips_num_match(&m->num, x->version);
	for (size_t i = 0; i < x->nmsg; i++) {
		const struct mqtt_msg *g = &x->msg[i];

		switch (m->what) {
		case APP_M_MQTT_TYPE:
			if (g->type == m->num.lo)
				return true;
			break;
		case APP_M_MQTT_FLAGS:
			if (flags_ok(g->flags, m))
				return true;
			break;
		case APP_M_MQTT_QOS:
			if (g->qos == m->num.lo)
				return true;
			break;
		case APP_M_MQTT_REASON_CODE:
			/* The first message that has one decides. */
			if (g->has_reason)
				return ips_num_match(&m->num, g->reason);
			break;
		case APP_M_MQTT_CONNACK_SESSION_PRESENT:
			if (g->type == MQTT_CONNACK && g->session_present >= 0)
				return (uint64_t)g->session_present == m->arg[0];
			break;
		case APP_M_MQTT_CONNECT_FLAGS:
			if (g->type == MQTT_CONNECT && flags_ok(g->connect_flags, m))
				return true;
			break;
		default:
			return false;
		}
	}
	return false;
}
