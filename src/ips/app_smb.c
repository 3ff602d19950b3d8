/* SPDX-License-Identifier: ISC */
/*
 * SMB over TCP for inspection: the NetBIOS session service framing (RFC
 * 1002 4.3: | type (1) | flags (1, bit 0 = length bit 16) | length (2) |),
 * SMB1 (MS-CIFS 2.2.3.1: 32-byte header "\xffSMB", AndX chains) and SMB2/3
 * (MS-SMB2 2.2.1: 64-byte header "\xfeSMB", compound chains; encrypted
 * "\xfdSMB" messages are skipped). Multi-byte fields are little-endian.
 *
 * Each direction keeps at most SMB_PREFIX_MAX bytes of a session message;
 * the bytes of a read or write payload beyond them are streamed straight to
 * their file (or pipe), so large transfers need no buffering. What becomes
 * inspectable, after Suricata 7 (rust/src/smb):
 *  - a tree connect is a transaction; when its response says whether the
 *    share is a named pipe (SMB1 service "IPC", SMB2 share type 2) the
 *    share name goes to smb.named_pipe or smb.share, to the server;
 *  - file contents written (to the server) or read (to the client) on a
 *    non-pipe share are file.data of one transaction per file and
 *    direction, in file order, capped at app_cfg.body_limit, completed at
 *    close;
 *  - the NTLMSSP AUTHENTICATE message of a session setup request gives
 *    smb.ntlmssp_user and smb.ntlmssp_domain (zero bytes removed);
 *  - bytes written to, read from or transacted on a named pipe
 *    (SMB1 WRITE_ANDX/READ_ANDX/TRANS TransactNmPipe, SMB2 WRITE/READ/IOCTL
 *    FSCTL_PIPE_TRANSCEIVE) are DCE/RPC PDUs, parsed by app_dcerpc.c on a
 *    binding per pipe: their calls are SMB transactions with
 *    dcerpc.stub_data and the dcerpc.iface/dcerpc.opnum state.
 * After a stream gap a direction skips to the next session message header
 * followed by an SMB magic, as Suricata does; a file is not continued past
 * the hole. Requests waiting for their response (by SMB1 PID/MID, SMB2
 * MessageId), trees and open files live in small fixed tables (oldest
 * entry replaced, APP_EV_SMB_LIMIT).
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum smb_const {
	NBSS_HDR = 4,
	NBSS_SESSION_MESSAGE = 0x00,
	NBSS_SESSION_REQUEST = 0x81, /* 0x81..0x85: request, answers, keep-alive: no SMB */
	NBSS_KEEP_ALIVE = 0x85,
	SMB_PREFIX_MAX = 65536 + 1024, /* session message bytes kept: an SMB1 64 KiB write fits */
	SMB1_HDR = 32,
	SMB2_HDR = 64,
	SMB1_FLAGS2_UNICODE = 0x8000,
	SMB1_TRANS = 0x25,
	SMB1_READ_ANDX = 0x2e,
	SMB1_WRITE_ANDX = 0x2f,
	SMB1_CLOSE = 0x04,
	SMB1_TREE_CONNECT_ANDX = 0x75,
	SMB1_NT_CREATE_ANDX = 0xa2,
	SMB1_SESSION_SETUP_ANDX = 0x73,
	SMB1_TRANS_NMPIPE = 0x26, /* TRANS_TRANSACT_NMPIPE, MS-CIFS 2.2.5.6 */
	SMB1_MAX_ANDX = 8,
	SMB2_SESSION_SETUP = 0x01,
	SMB2_TREE_CONNECT = 0x03,
	SMB2_CREATE = 0x05,
	SMB2_CLOSE = 0x06,
	SMB2_READ = 0x08,
	SMB2_WRITE = 0x09,
	SMB2_IOCTL = 0x0b,
	SMB2_FLAGS_RESPONSE = 0x1,
	SMB2_FLAGS_ASYNC = 0x2,
	SMB2_SHARE_PIPE = 0x02,
	SMB2_FSCTL_PIPE_TRANSCEIVE = 0x0011c017,
	SMB2_STATUS_PENDING = 0x00000103,
	SMB2_MAX_COMPOUND = 16,
	SMB_MAX_TREES = 16,
	SMB_MAX_FILES = 32,
	SMB_MAX_REQS = 64,
	SMB_NAME_MAX = 256, /* bytes of a share name kept */
	SMB_FID_MAX = 16,
	NTLMSSP_AUTH = 3,
	NTLMSSP_AUTH_FIXED = 64, /* signature, type, five fields, session key, flags */
};

enum smb_req_kind {
	REQ_NONE,
	REQ_TREE,   /* tree connect: its transaction */
	REQ_CREATE, /* create: the tree it opens on */
	REQ_READ,   /* read: file and offset */
	REQ_PIPE,   /* transact/ioctl on a pipe: the answer is pipe data */
};

struct smb_req {
	enum smb_req_kind kind;
	uint64_t key; /* SMB1 PID << 16 | MID; SMB2 MessageId */
	uint32_t tid;
	uint8_t fid[SMB_FID_MAX];
	size_t fidlen;
	uint64_t off;
	uint64_t txid;
	uint64_t seq; /* age, for replacement */
};

struct smb_tree {
	bool used, is_pipe;
	uint32_t tid;
	uint64_t seq;
};

struct smb_file {
	bool used, is_pipe;
	uint8_t fid[SMB_FID_MAX];
	size_t fidlen;
	uint64_t seq;
	/* Files: the transfer transaction and next offset per direction. */
	bool has_tx[2];
	uint64_t txid[2];
	uint64_t next_off[2];
	/* Pipes: DCE/RPC on its own binding. */
	struct app_dce_bind *bind;
	struct app_dce_stream pdu[2];
};

/* Where the payload bytes of the message being read go. */
struct smb_sink {
	size_t start, end; /* message offsets of the payload */
	struct smb_file *file;
	uint64_t off; /* file offset of the payload's first byte */
};

struct smb_dir {
	uint8_t nbss[NBSS_HDR];
	size_t nnbss;
	size_t msg_len, msg_pos; /* the session message being read */
	bool msg_skip;           /* not a session message: its bytes are skipped */
	bool parsed;             /* the kept prefix went through the parser */
	bool resync;             /* after a gap: looking for the next message */
	uint8_t sync[8];         /* the last bytes seen while resynchronising */
	size_t nsync;
	uint8_t *buf;
	size_t len, cap;
	struct smb_sink sink;
};

struct smb_state {
	struct smb_dir d[2];
	struct smb_req reqs[SMB_MAX_REQS];
	struct smb_tree trees[SMB_MAX_TREES];
	struct smb_file files[SMB_MAX_FILES];
	uint64_t seq;
};

/* One parsed message: the bytes kept, and how long it really is. */
struct smb_msg {
	struct app_flow *f;
	struct smb_state *s;
	enum app_dir dir;
	const uint8_t *p;
	size_t len;     /* bytes kept */
	size_t msg_len; /* bytes in the session message */
};

/* ---- tables ---- */

static struct smb_req *req_put(struct smb_msg *m, enum smb_req_kind kind, uint64_t key)
{
	struct smb_req *slot = NULL;

	for (size_t i = 0; i < SMB_MAX_REQS; i++) {
		struct smb_req *r = &m->s->reqs[i];

		if (r->kind == REQ_NONE || r->key == key) {
			slot = r;
			break;
		}
		if (slot == NULL || r->seq < slot->seq)
			slot = r;
	}
	if (slot->kind != REQ_NONE && slot->key != key)
		m->f->events |= APP_EV_SMB_LIMIT;
	memset(slot, 0, sizeof(*slot));
	slot->kind = kind;
	slot->key = key;
	slot->seq = ++m->s->seq;
	return slot;
}

/* Takes the pending request key out of the table (copied to *out). */
static bool req_take(struct smb_state *s, uint64_t key, struct smb_req *out)
{
	for (size_t i = 0; i < SMB_MAX_REQS; i++) {
		if (s->reqs[i].kind != REQ_NONE && s->reqs[i].key == key) {
			*out = s->reqs[i];
			s->reqs[i].kind = REQ_NONE;
			return true;
		}
	}
	return false;
}

static struct smb_tree *tree_find(struct smb_state *s, uint32_t tid)
{
	for (size_t i = 0; i < SMB_MAX_TREES; i++)
		if (s->trees[i].used && s->trees[i].tid == tid)
			return &s->trees[i];
	return NULL;
}

static void tree_put(struct smb_msg *m, uint32_t tid, bool is_pipe)
{
	struct smb_tree *t = tree_find(m->s, tid);

	for (size_t i = 0; i < SMB_MAX_TREES && t == NULL; i++)
		if (!m->s->trees[i].used)
			t = &m->s->trees[i];
	if (t == NULL) {
		t = &m->s->trees[0];
		for (size_t i = 1; i < SMB_MAX_TREES; i++)
			if (m->s->trees[i].seq < t->seq)
				t = &m->s->trees[i];
		m->f->events |= APP_EV_SMB_LIMIT;
	}
	t->used = true;
	t->tid = tid;
	t->is_pipe = is_pipe;
	t->seq = ++m->s->seq;
}

static bool tree_is_pipe(struct smb_state *s, uint32_t tid)
{
	const struct smb_tree *t = tree_find(s, tid);

	return t != NULL && t->is_pipe;
}

static struct smb_file *file_find(struct smb_state *s, const uint8_t *fid, size_t fidlen)
{
	for (size_t i = 0; i < SMB_MAX_FILES; i++)
		if (s->files[i].used && s->files[i].fidlen == fidlen &&
		    memcmp(s->files[i].fid, fid, fidlen) == 0)
			return &s->files[i];
	return NULL;
}

static struct app_tx *tx_by_id(struct app_flow *f, uint64_t id)
{
	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
		if (app_tx_id(tx) == id)
			return tx;
	return NULL;
}

/* Ends what a file holds: its transfers complete, its pipe state goes. */
static void file_close(struct app_flow *f, struct smb_file *fl)
{
	for (int d = 0; d < 2; d++) {
		struct app_tx *tx = fl->has_tx[d] ? tx_by_id(f, fl->txid[d]) : NULL;

		if (tx != NULL) {
			tx->flags |= APP_TX_COMPLETE;
			app_tx_mark(tx, (enum app_dir)d);
		}
		app_dce_stream_free(f, &fl->pdu[d]);
	}
	if (fl->bind != NULL) {
		/* Calls on this pipe lose their binding: they end with it. */
		for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
			if (tx->dce != NULL && tx->dce->bind == fl->bind) {
				tx->dce->bind = NULL;
				tx->flags |= APP_TX_COMPLETE;
			}
		app_mem_give(f, sizeof(*fl->bind));
		free(fl->bind);
	}
	memset(fl, 0, sizeof(*fl));
}

static struct smb_file *file_open(struct smb_msg *m, const uint8_t *fid, size_t fidlen,
                                  bool is_pipe)
{
	struct smb_file *fl = file_find(m->s, fid, fidlen);

	if (fl != NULL)
		file_close(m->f, fl);
	for (size_t i = 0; i < SMB_MAX_FILES && fl == NULL; i++)
		if (!m->s->files[i].used)
			fl = &m->s->files[i];
	if (fl == NULL) {
		fl = &m->s->files[0];
		for (size_t i = 1; i < SMB_MAX_FILES; i++)
			if (m->s->files[i].seq < fl->seq)
				fl = &m->s->files[i];
		m->f->events |= APP_EV_SMB_LIMIT;
		file_close(m->f, fl);
	}
	fl->used = true;
	fl->is_pipe = is_pipe;
	memcpy(fl->fid, fid, fidlen);
	fl->fidlen = fidlen;
	fl->seq = ++m->s->seq;
	return fl;
}

/* ---- payloads: file contents and pipe data ---- */

static void file_data(struct app_flow *f, struct smb_file *fl, enum app_dir dir, uint64_t off,
                      const uint8_t *p, size_t n)
{
	struct app_tx *tx = fl->has_tx[dir] ? tx_by_id(f, fl->txid[dir]) : NULL;

	if (n == 0)
		return;
	if (tx == NULL) {
		if ((tx = app_tx_new(f, APP_PROTO_SMB)) == NULL)
			return;
		fl->has_tx[dir] = true;
		fl->txid[dir] = app_tx_id(tx);
		fl->next_off[dir] = off;
		tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_HDRS : APP_TX_RES_HDRS;
	}
	/*
	 * file.data holds the file in order: bytes rewritten are not added
	 * again, and a chunk past a hole is not added (it would sit at the
	 * wrong place for offset/distance).
	 */
	if (off != fl->next_off[dir]) {
		if (off > fl->next_off[dir] || off + n <= fl->next_off[dir])
			return;
		p += fl->next_off[dir] - off;
		n -= (size_t)(fl->next_off[dir] - off);
	}
	fl->next_off[dir] += n;
	if (app_tx_buf_append(f, tx, dir, IPS_BUF_FILE_DATA, p, n, f->ctx->cfg.body_limit) != 0)
		f->events |= APP_EV_BODY_TRUNC;
	app_tx_mark(tx, dir);
}

static int pipe_data(struct app_flow *f, struct smb_file *fl, enum app_dir dir, const uint8_t *p,
                     size_t n)
{
	if (n == 0)
		return 0;
	if (fl->bind == NULL) {
		if (!app_mem_take(f, sizeof(*fl->bind)))
			return 0;
		if ((fl->bind = calloc(1, sizeof(*fl->bind))) == NULL) {
			app_mem_give(f, sizeof(*fl->bind));
			return BW_ERR_NOMEM;
		}
	}
	return app_dce_stream_feed(f, &fl->pdu[dir], fl->bind, APP_PROTO_SMB, dir, p, n);
}

/* Payload bytes of a read or write: the part kept now, the rest as it streams in. */
static int payload(struct smb_msg *m, struct smb_file *fl, uint64_t off, size_t start, size_t n)
{
	struct smb_dir *d = &m->s->d[m->dir];
	size_t kept;

	if (fl == NULL || n == 0 || start > m->msg_len || n > m->msg_len - start)
		return 0;
	kept = start >= m->len ? 0 : (m->len - start < n ? m->len - start : n);
	if (kept < n) {
		/* Only the last payload of a message can run past the kept prefix. */
		d->sink.start = start + kept;
		d->sink.end = start + n;
		d->sink.file = fl;
		d->sink.off = off + kept;
	}
	if (kept == 0)
		return 0;
	if (fl->is_pipe)
		return pipe_data(m->f, fl, m->dir, m->p + start, kept);
	file_data(m->f, fl, m->dir, off, m->p + start, kept);
	return 0;
}

/* ---- strings ---- */

/*
 * A NUL-terminated name at p (UTF-16LE when wide: the low byte of each unit
 * is kept, as Suricata does), at most SMB_NAME_MAX bytes.
 */
static size_t get_name(struct bw_rd *rd, bool wide, uint8_t *out)
{
	size_t n = 0;
	uint8_t lo, hi;

	while (bw_rd_u8(rd, &lo) == 0) {
		hi = 0;
		if (wide && bw_rd_u8(rd, &hi) != 0)
			break;
		if (lo == 0 && hi == 0)
			break;
		if (n < SMB_NAME_MAX)
			out[n++] = lo;
	}
	return n;
}

/* The share name of a tree connect path, as Suricata keeps it (first character dropped). */
static int tree_tx_new(struct smb_msg *m, uint64_t key, const uint8_t *name, size_t n)
{
	struct app_tx *tx = app_tx_new(m->f, APP_PROTO_SMB);
	struct smb_req *r;

	if (tx == NULL)
		return 0;
	tx->flags |= APP_TX_REQ_HDRS | APP_TX_REQ_DONE;
	if (n > 1) {
		name++;
		n--;
	}
	/* Kept with the transaction (names stop at their first NUL) until the response. */
	if ((tx->tree_name = app_tx_strdup(m->f, tx, name, n)) == NULL) {
		tx->flags |= APP_TX_COMPLETE;
		return 0;
	}
	r = req_put(m, REQ_TREE, key);
	r->txid = app_tx_id(tx);
	return 0;
}

/* The response decided: the name goes to the buffer of its kind, to the server. */
static void tree_tx_done(struct smb_msg *m, uint64_t txid, bool ok, bool is_pipe)
{
	struct app_tx *tx = tx_by_id(m->f, txid);
	const char *name;

	if (tx == NULL || tx->proto != APP_PROTO_SMB || tx->dce != NULL)
		return;
	tx->flags |= APP_TX_RES_HDRS | APP_TX_RES_DONE | APP_TX_COMPLETE;
	if (!ok || (name = tx->tree_name) == NULL)
		return;
	(void)app_tx_buf_add(m->f, tx, APP_DIR_TO_SERVER,
	                     is_pipe ? IPS_BUF_SMB_NAMED_PIPE : IPS_BUF_SMB_SHARE, name,
	                     strlen(name));
	app_tx_mark(tx, APP_DIR_TO_SERVER);
}

/* ---- NTLMSSP in session setups ---- */

/*
 * One security buffer field (MS-NLMP 2.2.1.3: len, max len, offset from the
 * message start) of an AUTHENTICATE message of n bytes at msg; as Suricata,
 * lengths and offsets must lie below n and the value within it.
 */
static int nlmp_field(struct bw_rd *rd, const uint8_t *msg, size_t n, struct bw_rd *out)
{
	uint16_t len, max;
	uint32_t off;

	if (bw_rd_le16(rd, &len) != 0 || bw_rd_le16(rd, &max) != 0 || bw_rd_le32(rd, &off) != 0)
		return BW_ERR_SHORT;
	if (len >= n || off >= n)
		return BW_ERR_INVAL;
	if (out == NULL)
		return 0; /* a response field: not read */
	if (off < 12 || len > n - off)
		return BW_ERR_INVAL;
	bw_rd_init(out, msg + off, len);
	return 0;
}

/* A UTF-16 name with its zero bytes removed, as Suricata keeps it. */
static int add_name16(struct smb_msg *m, struct app_tx *tx, enum ips_buf b, struct bw_rd *v)
{
	uint8_t name[SMB_NAME_MAX];
	size_t k = 0;
	uint8_t c;

	while (bw_rd_u8(v, &c) == 0)
		if (c != 0 && k < sizeof(name))
			name[k++] = c;
	return app_tx_buf_add(m->f, tx, APP_DIR_TO_SERVER, b, name, k);
}

/*
 * The security blob of a session setup request: an NTLMSSP AUTHENTICATE
 * message, raw or inside SPNEGO (found by its signature, as Suricata does),
 * gives smb.ntlmssp_user and smb.ntlmssp_domain on a transaction of its own.
 */
static int ntlmssp(struct smb_msg *m, const uint8_t *blob, size_t n)
{
	static const uint8_t sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
	const uint8_t *msg = NULL;
	struct bw_rd rd, domain, user, host;
	uint32_t type;
	struct app_tx *tx;

	for (size_t i = 0; i + sizeof(sig) <= n && msg == NULL; i++)
		if (memcmp(blob + i, sig, sizeof(sig)) == 0)
			msg = blob + i;
	if (msg == NULL)
		return 0;
	n -= (size_t)(msg - blob);
	bw_rd_init(&rd, msg + sizeof(sig), n - sizeof(sig));
	if (bw_rd_le32(&rd, &type) != 0 || type != NTLMSSP_AUTH)
		return 0;
	if (n < NTLMSSP_AUTH_FIXED)
		return BW_ERR_SHORT;
	if (nlmp_field(&rd, msg, n, NULL) != 0 || nlmp_field(&rd, msg, n, NULL) != 0 ||
	    nlmp_field(&rd, msg, n, &domain) != 0 || nlmp_field(&rd, msg, n, &user) != 0 ||
	    nlmp_field(&rd, msg, n, &host) != 0)
		return BW_ERR_INVAL;
	if ((tx = app_tx_new(m->f, APP_PROTO_SMB)) == NULL)
		return 0;
	tx->flags |= APP_TX_REQ_HDRS | APP_TX_REQ_DONE | APP_TX_COMPLETE;
	(void)(add_name16(m, tx, IPS_BUF_SMB_NTLMSSP_USER, &user) ||
	       add_name16(m, tx, IPS_BUF_SMB_NTLMSSP_DOMAIN, &domain));
	app_tx_mark(tx, APP_DIR_TO_SERVER);
	return 0;
}

/* ---- SMB1 ---- */

struct smb1_hdr {
	uint8_t cmd;
	uint32_t status;
	uint16_t flags2, tid, pid, uid, mid;
};

/* An SMB1 FID as the bytes the file table compares. */
static const uint8_t *fid1(uint16_t fid, uint8_t out[2])
{
	out[0] = (uint8_t)fid;
	out[1] = (uint8_t)(fid >> 8);
	return out;
}

static uint64_t smb1_key(const struct smb1_hdr *h)
{
	return (uint64_t)h->pid << 16 | h->mid;
}

/* One command block at off: word_count, words, byte_count, bytes. */
struct smb1_blk {
	struct bw_rd words, bytes;
	size_t bytes_off; /* message offset of the bytes (for string alignment) */
	uint8_t wc;
};

static int smb1_block(const struct smb_msg *m, size_t off, struct smb1_blk *b)
{
	struct bw_rd rd;
	uint16_t bcc;

	if (off >= m->len)
		return BW_ERR_SHORT;
	bw_rd_init(&rd, m->p + off, m->len - off);
	if (bw_rd_u8(&rd, &b->wc) != 0 || bw_rd_sub(&rd, &b->words, 2u * b->wc) != 0)
		return BW_ERR_SHORT;
	if (bw_rd_le16(&rd, &bcc) != 0) {
		/* A block cut by the kept prefix (a large write): no bytes visible. */
		bw_rd_init(&b->bytes, m->p + m->len, 0);
		b->bytes_off = m->len;
		return 0;
	}
	b->bytes_off = off + 1 + 2u * b->wc + 2;
	if (bcc > bw_rd_left(&rd))
		bcc = (uint16_t)bw_rd_left(&rd); /* bytes past the prefix are not read */
	return bw_rd_sub(&rd, &b->bytes, bcc);
}

/* Skips the pad byte that aligns a UTF-16 string on an even message offset. */
static void smb1_align(const struct smb1_blk *b, struct bw_rd *rd, bool wide)
{
	size_t at = b->bytes_off + (size_t)(bw_rd_cur(rd) - bw_rd_cur(&b->bytes));

	if (wide && (at & 1))
		(void)bw_rd_skip(rd, 1);
}

static int smb1_request(struct smb_msg *m, const struct smb1_hdr *h, uint8_t cmd,
                        struct smb1_blk *b)
{
	bool wide = (h->flags2 & SMB1_FLAGS2_UNICODE) != 0;
	struct bw_rd w = b->words, y = b->bytes;
	uint8_t name[SMB_NAME_MAX], fb[2];
	size_t n;
	uint16_t fid, pwlen, dlen, dlen_hi, doff;
	uint32_t off32, off_hi = 0;
	struct smb_req *r;

	switch (cmd) {
	case SMB1_TREE_CONNECT_ANDX:
		if (bw_rd_skip(&w, 6) != 0 || bw_rd_le16(&w, &pwlen) != 0 ||
		    bw_rd_skip(&y, pwlen) != 0)
			return BW_ERR_SHORT;
		smb1_align(b, &y, wide);
		n = get_name(&y, wide, name);
		return tree_tx_new(m, smb1_key(h), name, n);
	case SMB1_SESSION_SETUP_ANDX: {
		uint16_t blen;
		const uint8_t *blob;

		/* MS-SMB 2.2.4.6.1: the extended security form (12 words) carries a blob. */
		if (b->wc != 12 || bw_rd_skip(&w, 14) != 0 || bw_rd_le16(&w, &blen) != 0 ||
		    bw_rd_ptr(&y, &blob, blen) != 0)
			return 0;
		return ntlmssp(m, blob, blen);
	}
	case SMB1_NT_CREATE_ANDX:
		r = req_put(m, REQ_CREATE, smb1_key(h));
		r->tid = h->tid;
		return 0;
	case SMB1_WRITE_ANDX: {
		struct smb_file *fl;

		if (bw_rd_skip(&w, 4) != 0 || bw_rd_le16(&w, &fid) != 0 ||
		    bw_rd_le32(&w, &off32) != 0 || bw_rd_skip(&w, 8) != 0 ||
		    bw_rd_le16(&w, &dlen_hi) != 0 || bw_rd_le16(&w, &dlen) != 0 ||
		    bw_rd_le16(&w, &doff) != 0)
			return BW_ERR_SHORT;
		if (b->wc == 14 && bw_rd_le32(&w, &off_hi) != 0)
			return BW_ERR_SHORT;
		fl = file_find(m->s, fid1(fid, fb), 2);
		if (fl == NULL) /* opened before the capture: a file on an unknown tree */
			fl = file_open(m, fid1(fid, fb), 2, tree_is_pipe(m->s, h->tid));
		return payload(m, fl, (uint64_t)off_hi << 32 | off32, doff,
		               (size_t)dlen_hi << 16 | dlen);
	}
	case SMB1_READ_ANDX:
		if (bw_rd_skip(&w, 4) != 0 || bw_rd_le16(&w, &fid) != 0 ||
		    bw_rd_le32(&w, &off32) != 0)
			return BW_ERR_SHORT;
		if (b->wc == 12 && (bw_rd_skip(&w, 10) != 0 || bw_rd_le32(&w, &off_hi) != 0))
			return BW_ERR_SHORT;
		r = req_put(m, REQ_READ, smb1_key(h));
		r->fid[0] = (uint8_t)fid;
		r->fid[1] = (uint8_t)(fid >> 8);
		r->fidlen = 2;
		r->off = (uint64_t)off_hi << 32 | off32;
		return 0;
	case SMB1_CLOSE: {
		struct smb_file *fl;

		if (bw_rd_le16(&w, &fid) != 0)
			return BW_ERR_SHORT;
		fl = file_find(m->s, fid1(fid, fb), 2);
		if (fl != NULL)
			file_close(m->f, fl);
		return 0;
	}
	case SMB1_TRANS: {
		uint16_t dcount, sub;
		uint8_t nsetup;
		struct smb_file *fl;

		/* Data count and offset at words 11 and 12, then the setup words. */
		if (bw_rd_skip(&w, 22) != 0 || bw_rd_le16(&w, &dcount) != 0 ||
		    bw_rd_le16(&w, &doff) != 0 || bw_rd_u8(&w, &nsetup) != 0 ||
		    bw_rd_skip(&w, 1) != 0)
			return BW_ERR_SHORT;
		if (nsetup < 2 || bw_rd_le16(&w, &sub) != 0 || bw_rd_le16(&w, &fid) != 0 ||
		    sub != SMB1_TRANS_NMPIPE)
			return 0;
		fl = file_find(m->s, fid1(fid, fb), 2);
		if (fl == NULL || !fl->is_pipe)
			return 0;
		r = req_put(m, REQ_PIPE, smb1_key(h));
		memcpy(r->fid, fl->fid, 2);
		r->fidlen = 2;
		return payload(m, fl, 0, doff, dcount);
	}
	default:
		return 0;
	}
}

static int smb1_response(struct smb_msg *m, const struct smb1_hdr *h, uint8_t cmd,
                         struct smb1_blk *b)
{
	struct bw_rd w = b->words, y = b->bytes;
	struct smb_req rq;
	uint16_t fid, dlen, doff, dlen_hi;
	uint8_t svc[SMB_NAME_MAX], fb[2];
	size_t n;

	if (!req_take(m->s, smb1_key(h), &rq))
		return 0;
	switch (rq.kind) {
	case REQ_TREE:
		if (cmd != SMB1_TREE_CONNECT_ANDX)
			return 0;
		n = h->status == 0 ? get_name(&y, false, svc) : 0;
		/* MS-CIFS 2.2.4.55.2: the service "IPC" is a named pipe share. */
		tree_tx_done(m, rq.txid, h->status == 0, n == 3 && memcmp(svc, "IPC", 3) == 0);
		if (h->status == 0)
			tree_put(m, h->tid, n == 3 && memcmp(svc, "IPC", 3) == 0);
		return 0;
	case REQ_CREATE:
		if (cmd != SMB1_NT_CREATE_ANDX || h->status != 0)
			return 0;
		if (bw_rd_skip(&w, 5) != 0 || bw_rd_le16(&w, &fid) != 0)
			return BW_ERR_SHORT;
		file_open(m, fid1(fid, fb), 2, tree_is_pipe(m->s, rq.tid));
		return 0;
	case REQ_READ: {
		struct smb_file *fl = file_find(m->s, rq.fid, rq.fidlen);

		if (cmd != SMB1_READ_ANDX || h->status != 0 || fl == NULL)
			return 0;
		if (bw_rd_skip(&w, 10) != 0 || bw_rd_le16(&w, &dlen) != 0 ||
		    bw_rd_le16(&w, &doff) != 0 || bw_rd_le16(&w, &dlen_hi) != 0)
			return BW_ERR_SHORT;
		return payload(m, fl, rq.off, doff, (size_t)dlen_hi << 16 | dlen);
	}
	case REQ_PIPE: {
		struct smb_file *fl = file_find(m->s, rq.fid, rq.fidlen);
		uint16_t dcount;

		if (cmd != SMB1_TRANS || fl == NULL || b->wc < 10)
			return 0;
		if (bw_rd_skip(&w, 12) != 0 || bw_rd_le16(&w, &dcount) != 0 ||
		    bw_rd_le16(&w, &doff) != 0)
			return BW_ERR_SHORT;
		return payload(m, fl, 0, doff, dcount);
	}
	default:
		return 0;
	}
}

static bool smb1_is_andx(uint8_t cmd)
{
	switch (cmd) {
	case 0x24: /* LOCKING_ANDX */
	case 0x2d: /* OPEN_ANDX */
	case SMB1_READ_ANDX:
	case SMB1_WRITE_ANDX:
	case 0x73: /* SESSION_SETUP_ANDX */
	case 0x74: /* LOGOFF_ANDX */
	case SMB1_TREE_CONNECT_ANDX:
	case SMB1_NT_CREATE_ANDX:
		return true;
	default:
		return false;
	}
}

static int smb1_message(struct smb_msg *m)
{
	struct smb1_hdr h;
	struct bw_rd rd;
	size_t off = SMB1_HDR;
	uint8_t cmd;
	int r = 0;

	bw_rd_init(&rd, m->p, m->len);
	if (bw_rd_skip(&rd, 4) != 0 || bw_rd_u8(&rd, &h.cmd) != 0 ||
	    bw_rd_le32(&rd, &h.status) != 0 || bw_rd_skip(&rd, 1) != 0 ||
	    bw_rd_le16(&rd, &h.flags2) != 0 || bw_rd_skip(&rd, 12) != 0 ||
	    bw_rd_le16(&rd, &h.tid) != 0 || bw_rd_le16(&rd, &h.pid) != 0 ||
	    bw_rd_le16(&rd, &h.uid) != 0 || bw_rd_le16(&rd, &h.mid) != 0)
		return BW_ERR_SHORT;
	cmd = h.cmd;
	for (int hop = 0; hop < SMB1_MAX_ANDX; hop++) {
		struct smb1_blk b;
		uint8_t next;
		uint16_t next_off;

		if ((r = smb1_block(m, off, &b)) != 0)
			return r;
		r = m->dir == APP_DIR_TO_SERVER ? smb1_request(m, &h, cmd, &b)
		                                : smb1_response(m, &h, cmd, &b);
		if (r != 0 || !smb1_is_andx(cmd) || b.wc < 2)
			return r;
		{
			struct bw_rd w = b.words;

			if (bw_rd_u8(&w, &next) != 0 || bw_rd_skip(&w, 1) != 0 ||
			    bw_rd_le16(&w, &next_off) != 0)
				return BW_ERR_SHORT;
		}
		/* The chain moves forward only (MS-CIFS 2.2.3.4), within what is kept. */
		if (next == 0xff || next_off <= off || next_off >= m->len)
			return 0;
		cmd = next;
		off = next_off;
	}
	return 0;
}

/* ---- SMB2 ---- */

struct smb2_hdr {
	uint16_t cmd;
	uint32_t status, flags, next;
	uint64_t mid;
	uint32_t tid;
};

/* A body field's region [off, off + n) of the message, checked against its length. */
static bool region_ok(const struct smb_msg *m, size_t base, uint64_t off, uint64_t n)
{
	return off <= m->msg_len - base && n <= m->msg_len - base - off;
}

/* The UTF-16 share path of a tree connect request. */
static int smb2_tree_req(struct smb_msg *m, size_t base, const struct smb2_hdr *h, struct bw_rd *bd)
{
	uint16_t poff, plen;
	uint8_t name[SMB_NAME_MAX];
	struct bw_rd path;
	size_t n;

	if (bw_rd_skip(bd, 4) != 0 || bw_rd_le16(bd, &poff) != 0 || bw_rd_le16(bd, &plen) != 0)
		return BW_ERR_SHORT;
	if (!region_ok(m, base, poff, plen) || base + poff + plen > m->len)
		return BW_ERR_SHORT;
	bw_rd_init(&path, m->p + base + poff, plen);
	n = get_name(&path, true, name);
	return tree_tx_new(m, h->mid, name, n);
}

static int smb2_request(struct smb_msg *m, size_t base, const struct smb2_hdr *h, struct bw_rd *bd)
{
	const uint8_t *fid;
	uint16_t doff16;
	uint32_t len32, ctl, in_off, in_cnt;
	uint64_t off;
	struct smb_req *r;
	struct smb_file *fl;

	switch (h->cmd) {
	case SMB2_SESSION_SETUP: {
		uint16_t soff, slen;

		if (bw_rd_skip(bd, 12) != 0 || bw_rd_le16(bd, &soff) != 0 ||
		    bw_rd_le16(bd, &slen) != 0)
			return BW_ERR_SHORT;
		if (!region_ok(m, base, soff, slen) || base + soff + slen > m->len)
			return BW_ERR_SHORT;
		return ntlmssp(m, m->p + base + soff, slen);
	}
	case SMB2_TREE_CONNECT:
		return smb2_tree_req(m, base, h, bd);
	case SMB2_CREATE:
		r = req_put(m, REQ_CREATE, h->mid);
		r->tid = h->tid;
		return 0;
	case SMB2_CLOSE:
		if (bw_rd_skip(bd, 8) != 0 || bw_rd_ptr(bd, &fid, 16) != 0)
			return BW_ERR_SHORT;
		if ((fl = file_find(m->s, fid, 16)) != NULL)
			file_close(m->f, fl);
		return 0;
	case SMB2_READ:
		if (bw_rd_skip(bd, 8) != 0 || bw_rd_le64(bd, &off) != 0 ||
		    bw_rd_ptr(bd, &fid, 16) != 0)
			return BW_ERR_SHORT;
		r = req_put(m, REQ_READ, h->mid);
		memcpy(r->fid, fid, 16);
		r->fidlen = 16;
		r->off = off;
		return 0;
	case SMB2_WRITE:
		if (bw_rd_skip(bd, 2) != 0 || bw_rd_le16(bd, &doff16) != 0 ||
		    bw_rd_le32(bd, &len32) != 0 || bw_rd_le64(bd, &off) != 0 ||
		    bw_rd_ptr(bd, &fid, 16) != 0)
			return BW_ERR_SHORT;
		if ((fl = file_find(m->s, fid, 16)) == NULL)
			fl = file_open(m, fid, 16, tree_is_pipe(m->s, h->tid));
		if (!region_ok(m, base, doff16, len32))
			return BW_ERR_SHORT;
		return payload(m, fl, off, base + doff16, len32);
	case SMB2_IOCTL:
		if (bw_rd_skip(bd, 4) != 0 || bw_rd_le32(bd, &ctl) != 0 ||
		    bw_rd_ptr(bd, &fid, 16) != 0 || bw_rd_le32(bd, &in_off) != 0 ||
		    bw_rd_le32(bd, &in_cnt) != 0)
			return BW_ERR_SHORT;
		fl = file_find(m->s, fid, 16);
		if (ctl != SMB2_FSCTL_PIPE_TRANSCEIVE || fl == NULL || !fl->is_pipe)
			return 0;
		r = req_put(m, REQ_PIPE, h->mid);
		memcpy(r->fid, fid, 16);
		r->fidlen = 16;
		if (!region_ok(m, base, in_off, in_cnt))
			return BW_ERR_SHORT;
		return payload(m, fl, 0, base + in_off, in_cnt);
	default:
		return 0;
	}
}

static int smb2_response(struct smb_msg *m, size_t base, const struct smb2_hdr *h, struct bw_rd *bd)
{
	struct smb_req rq;
	const uint8_t *fid;
	uint8_t share_type, doff8;
	uint32_t len32, out_off, out_cnt;
	struct smb_file *fl;

	/* An interim STATUS_PENDING answer: the final one comes later, async (MS-SMB2 3.3.4.2). */
	if (h->status == SMB2_STATUS_PENDING || !req_take(m->s, h->mid, &rq))
		return 0;
	switch (rq.kind) {
	case REQ_TREE:
		if (h->cmd != SMB2_TREE_CONNECT)
			return 0;
		if (h->status != 0 || bw_rd_skip(bd, 2) != 0 || bw_rd_u8(bd, &share_type) != 0) {
			tree_tx_done(m, rq.txid, false, false);
			return 0;
		}
		tree_tx_done(m, rq.txid, true, share_type == SMB2_SHARE_PIPE);
		tree_put(m, h->tid, share_type == SMB2_SHARE_PIPE);
		return 0;
	case REQ_CREATE:
		if (h->cmd != SMB2_CREATE || h->status != 0)
			return 0;
		if (bw_rd_skip(bd, 64) != 0 || bw_rd_ptr(bd, &fid, 16) != 0)
			return BW_ERR_SHORT;
		file_open(m, fid, 16, tree_is_pipe(m->s, rq.tid));
		return 0;
	case REQ_READ:
		/* STATUS_BUFFER_OVERFLOW (0x80000005) still carries data on pipes. */
		if (h->cmd != SMB2_READ || (h->status != 0 && h->status != 0x80000005u))
			return 0;
		if ((fl = file_find(m->s, rq.fid, rq.fidlen)) == NULL)
			return 0;
		if (bw_rd_skip(bd, 2) != 0 || bw_rd_u8(bd, &doff8) != 0 || bw_rd_skip(bd, 1) != 0 ||
		    bw_rd_le32(bd, &len32) != 0)
			return BW_ERR_SHORT;
		if (!region_ok(m, base, doff8, len32))
			return BW_ERR_SHORT;
		return payload(m, fl, rq.off, base + doff8, len32);
	case REQ_PIPE:
		if (h->cmd != SMB2_IOCTL || (h->status != 0 && h->status != 0x80000005u))
			return 0;
		if ((fl = file_find(m->s, rq.fid, rq.fidlen)) == NULL)
			return 0;
		if (bw_rd_skip(bd, 32) != 0 || bw_rd_le32(bd, &out_off) != 0 ||
		    bw_rd_le32(bd, &out_cnt) != 0)
			return BW_ERR_SHORT;
		if (!region_ok(m, base, out_off, out_cnt))
			return BW_ERR_SHORT;
		return payload(m, fl, 0, base + out_off, out_cnt);
	default:
		return 0;
	}
}

static int smb2_message(struct smb_msg *m)
{
	size_t base = 0;

	/* Compound requests and responses (MS-SMB2 3.2.4.1.4): 8-aligned, moving forward. */
	for (int i = 0; i < SMB2_MAX_COMPOUND; i++) {
		struct smb2_hdr h;
		struct bw_rd rd, bd;
		uint32_t id_lo;
		int r;

		bw_rd_init(&rd, m->p + base, m->len - base);
		if (bw_rd_skip(&rd, 8) != 0 || bw_rd_le32(&rd, &h.status) != 0 ||
		    bw_rd_le16(&rd, &h.cmd) != 0 || bw_rd_skip(&rd, 2) != 0 ||
		    bw_rd_le32(&rd, &h.flags) != 0 || bw_rd_le32(&rd, &h.next) != 0 ||
		    bw_rd_le64(&rd, &h.mid) != 0 || bw_rd_skip(&rd, 4) != 0 ||
		    bw_rd_le32(&rd, &id_lo) != 0 || bw_rd_skip(&rd, 24) != 0)
			return BW_ERR_SHORT;
		h.tid = (h.flags & SMB2_FLAGS_ASYNC) ? 0 : id_lo;
		/* The body runs to the next command, or to what is kept. */
		bw_rd_init(
		        &bd, m->p + base + SMB2_HDR,
		        (h.next >= SMB2_HDR && h.next <= m->len - base ? h.next : m->len - base) -
		                SMB2_HDR);
		if (m->dir == APP_DIR_TO_SERVER)
			r = (h.flags & SMB2_FLAGS_RESPONSE) ? 0 : smb2_request(m, base, &h, &bd);
		else
			r = (h.flags & SMB2_FLAGS_RESPONSE) ? smb2_response(m, base, &h, &bd) : 0;
		if (r != 0)
			return r;
		if (h.next == 0 || (h.next & 7) != 0 || h.next < SMB2_HDR || h.next > m->len - base)
			return 0;
		base += h.next;
	}
	return 0;
}

/* ---- session messages ---- */

static int smb_message(struct app_flow *f, struct smb_state *s, enum app_dir dir)
{
	struct smb_dir *d = &s->d[dir];
	struct smb_msg m = {f, s, dir, d->buf, d->len, d->msg_len};
	int r;

	if (d->len < 4 || d->buf[1] != 'S' || d->buf[2] != 'M' || d->buf[3] != 'B')
		r = BW_ERR_INVAL;
	else if (d->buf[0] == 0xff)
		r = smb1_message(&m);
	else if (d->buf[0] == 0xfe)
		r = smb2_message(&m);
	else
		r = 0; /* SMB3 transform (0xfd) or compression (0xfc): nothing readable */
	if (r == BW_ERR_NOMEM)
		return r;
	if (r != 0)
		f->events |= APP_EV_SMB_MALFORMED;
	return 0;
}

static int smb_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct smb_state));
}

static void smb_fini(struct app_flow *f)
{
	struct smb_state *s = f->state;

	for (size_t i = 0; i < SMB_MAX_FILES; i++)
		if (s->files[i].used)
			file_close(f, &s->files[i]);
	for (int d = 0; d < 2; d++) {
		app_mem_give(f, s->d[d].cap);
		free(s->d[d].buf);
	}
	app_state_free(f, sizeof(*s));
}

/* Keeps up to n bytes of p in the message prefix; returns how many were taken. */
static size_t keep(struct app_flow *f, struct smb_dir *d, const uint8_t *p, size_t n)
{
	size_t want = d->msg_len < SMB_PREFIX_MAX ? d->msg_len : SMB_PREFIX_MAX;

	if (n == 0 || d->len >= want)
		return 0;
	if (n > want - d->len)
		n = want - d->len;
	if (d->len + n > d->cap) {
		size_t ncap = d->cap ? d->cap : 1024;
		uint8_t *nb;

		while (ncap < d->len + n)
			ncap *= 2;
		if (ncap > SMB_PREFIX_MAX)
			ncap = SMB_PREFIX_MAX;
		if (!app_mem_take(f, ncap - d->cap))
			return 0;
		if ((nb = realloc(d->buf, ncap)) == NULL) {
			app_mem_give(f, ncap - d->cap);
			return 0;
		}
		d->buf = nb;
		d->cap = ncap;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return n;
}

/* Payload bytes past the prefix go to their file or pipe as they come. */
static int sink(struct app_flow *f, struct smb_dir *d, enum app_dir dir, const uint8_t *p, size_t n)
{
	struct smb_sink *k = &d->sink;
	size_t skip, take;

	if (k->file == NULL || d->msg_pos + n <= k->start || d->msg_pos >= k->end)
		return 0;
	skip = d->msg_pos < k->start ? k->start - d->msg_pos : 0;
	take = n - skip;
	if (take > k->end - (d->msg_pos + skip))
		take = k->end - (d->msg_pos + skip);
	if (k->file->is_pipe)
		return pipe_data(f, k->file, dir, p + skip, take);
	file_data(f, k->file, dir, k->off + (d->msg_pos + skip - k->start), p + skip, take);
	return 0;
}

static int smb_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len);

/* A session message header followed by an SMB magic, long enough for an SMB1 header. */
static bool sync_found(const uint8_t w[8])
{
	size_t len = (size_t)(w[1] & 1) << 16 | (size_t)w[2] << 8 | w[3];

	return w[0] == NBSS_SESSION_MESSAGE && (w[1] & 0xfe) == 0 && len >= SMB1_HDR &&
	       (w[4] == 0xff || w[4] == 0xfe || w[4] == 0xfd) && w[5] == 'S' && w[6] == 'M' &&
	       w[7] == 'B';
}

/*
 * After a gap (as Suricata does): bytes are dropped until a session message
 * that starts an SMB header, which is then parsed from there. Returns how
 * many bytes of p were used.
 */
static size_t resync(struct app_flow *f, struct smb_dir *d, enum app_dir dir, const uint8_t *p,
                     size_t len, int *r)
{
	for (size_t i = 0; i < len; i++) {
		if (d->nsync == sizeof(d->sync)) {
			memmove(d->sync, d->sync + 1, sizeof(d->sync) - 1);
			d->nsync--;
		}
		d->sync[d->nsync++] = p[i];
		if (d->nsync == sizeof(d->sync) && sync_found(d->sync)) {
			uint8_t w[sizeof(d->sync)];

			memcpy(w, d->sync, sizeof(w));
			d->resync = false;
			d->nsync = 0;
			*r = smb_feed(f, dir, w, sizeof(w));
			return i + 1;
		}
	}
	return len;
}

static void smb_gap(struct app_flow *f, enum app_dir dir)
{
	struct smb_state *s = f->state;
	struct smb_dir *d = &s->d[dir];

	d->nnbss = d->msg_len = d->msg_pos = d->len = d->nsync = 0;
	d->parsed = false;
	d->resync = true;
	memset(&d->sink, 0, sizeof(d->sink));
	/* Pipe streams of this direction lost their PDU boundaries: search again. */
	for (size_t i = 0; i < SMB_MAX_FILES; i++)
		app_dce_stream_gap(&s->files[i].pdu[dir]);
}

/* A complete NBSS header starts a message; false when it is no NBSS header. */
static bool nbss_start(struct smb_dir *d)
{
	uint8_t type = d->nbss[0];

	if (type != NBSS_SESSION_MESSAGE && (type < NBSS_SESSION_REQUEST || type > NBSS_KEEP_ALIVE))
		return false;
	/* RFC 1002 4.3.1: 17-bit length; other message types carry no SMB. */
	d->msg_len = (size_t)(d->nbss[1] & 1) << 16 | (size_t)d->nbss[2] << 8 | d->nbss[3];
	/* A session message too short for any SMB header is skipped too. */
	d->msg_skip = type != NBSS_SESSION_MESSAGE || d->msg_len < 4;
	d->msg_pos = d->len = 0;
	d->parsed = false;
	memset(&d->sink, 0, sizeof(d->sink));
	return true;
}

static int smb_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct smb_state *s = f->state;
	struct smb_dir *d = &s->d[dir];
	int r = 0;

	if (d->resync) {
		size_t used = resync(f, d, dir, p, len, &r);

		if (r != 0)
			return r;
		p += used;
		len -= used;
	}
	while (len > 0) {
		size_t n;

		if (d->nnbss < NBSS_HDR) {
			if (!app_fill(d->nbss, &d->nnbss, NBSS_HDR, &p, &len))
				break;
			if (!nbss_start(d)) {
				/* Not a NetBIOS session header: framing is lost for good. */
				f->events |= APP_EV_SMB_MALFORMED;
				f->dead[dir] = true;
				return 0;
			}
		}
		n = d->msg_len - d->msg_pos < len ? d->msg_len - d->msg_pos : len;
		if (!d->msg_skip) {
			size_t k = d->parsed ? 0 : keep(f, d, p, n);

			if (!d->parsed &&
			    (d->len == SMB_PREFIX_MAX || d->msg_pos + k == d->msg_len)) {
				d->parsed = true;
				if ((r = smb_message(f, s, dir)) != 0)
					return r;
			}
			/* What the prefix did not take may belong to a payload. */
			d->msg_pos += k;
			if (d->parsed && k < n && (r = sink(f, d, dir, p + k, n - k)) != 0)
				return r;
			d->msg_pos += n - k;
		} else {
			d->msg_pos += n;
		}
		p += n;
		len -= n;
		if (d->msg_pos == d->msg_len) {
			d->nnbss = 0;
			if (d->cap > 4096) {
				/* Big messages are rare: give their buffer back. */
				app_mem_give(f, d->cap);
				free(d->buf);
				d->buf = NULL;
				d->cap = 0;
			}
			d->len = 0;
		}
	}
	return 0;
}

const struct app_parser app_parser_smb = {
        .proto = APP_PROTO_SMB,
        .init = smb_init,
        .feed = smb_feed,
        .eof = NULL,
        .fini = smb_fini,
        .gap = smb_gap,
};
