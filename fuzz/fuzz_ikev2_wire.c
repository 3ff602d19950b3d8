/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the IKEv2 wire codec (src/ike/ikev2_wire.h, RFC 7296
 * section 3, RFC 7383 SKF, RFC 7427 AUTH). The input is parsed as a whole
 * message, then as a decrypted inner payload chain for every first payload
 * type IKEv2 knows plus one unknown. Whatever parses is rebuilt with the
 * builder and parsed again; the invariants are that the rebuild succeeds,
 * has the same length as the input (the encodings are canonical, so only
 * payload order may differ), and parses to the same counts and views. A
 * failed parse must say why and what to send.
 *
 * Seeds (fuzz/corpus/fuzz_ikev2_wire/) are the scapy messages and inner
 * chains of tests/vectors/ikev2_msgs.txt, written one per file, raw.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ikev2_wire.h"
#include "lib/err.h"

static struct ikev2_msg m1, m2;
static uint8_t out[65536 + 64];

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_err(const struct ikev2_msg *m, int r)
{
	check(r < 0 && r > BW_ERR__MIN);
	check(m->err.verdict != IKEV2_V_OK && m->err.why != NULL);
	check(m->err.verdict != IKEV2_V_NOTIFY || m->err.notify != 0);
}

static bool view_eq(struct ikev2_view a, struct ikev2_view b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void rebuild(const struct ikev2_msg *m, struct ikev2_bld *b)
{
	for (unsigned i = 0; i < m->nnotify; i++)
		check(ikev2_build_notify(b, m->notify[i].proto, m->notify[i].spi.p,
		                         m->notify[i].spi.len, m->notify[i].type,
		                         m->notify[i].data.p, m->notify[i].data.len) == 0);
	if (ikev2_has(m, IKEV2_PL_SA))
		check(ikev2_build_sa(b, &m->sa) == 0);
	if (ikev2_has(m, IKEV2_PL_KE))
		check(ikev2_build_ke(b, m->ke.group, m->ke.data.p, m->ke.data.len) == 0);
	if (ikev2_has(m, IKEV2_PL_NONCE))
		check(ikev2_build_nonce(b, m->nonce.p, m->nonce.len) == 0);
	if (ikev2_has(m, IKEV2_PL_IDI))
		check(ikev2_build_id(b, IKEV2_PL_IDI, m->id_i.type, m->id_i.data.p,
		                     m->id_i.data.len) == 0);
	if (ikev2_has(m, IKEV2_PL_IDR))
		check(ikev2_build_id(b, IKEV2_PL_IDR, m->id_r.type, m->id_r.data.p,
		                     m->id_r.data.len) == 0);
	for (unsigned i = 0; i < m->ncert; i++)
		check(ikev2_build_cert(b, m->cert[i].enc, m->cert[i].data.p, m->cert[i].data.len) ==
		      0);
	for (unsigned i = 0; i < m->ncertreq; i++)
		check(ikev2_build_certreq(b, m->certreq[i].enc, m->certreq[i].data.p,
		                          m->certreq[i].data.len) == 0);
	if (ikev2_has(m, IKEV2_PL_AUTH) && m->auth.method == IKEV2_AUTH_DIGITAL_SIG)
		check(ikev2_build_auth_ds(b, m->auth.algid.p, m->auth.algid.len, m->auth.sig.p,
		                          m->auth.sig.len) == 0);
	else if (ikev2_has(m, IKEV2_PL_AUTH))
		check(ikev2_build_auth(b, m->auth.method, m->auth.data.p, m->auth.data.len) == 0);
	for (unsigned i = 0; i < m->ndelete; i++)
		check(ikev2_build_delete(b, m->del[i].proto, m->del[i].spi_size, m->del[i].nspi,
		                         m->del[i].spis.p) == 0);
	for (unsigned i = 0; i < m->nvendor; i++)
		check(ikev2_build_vendor(b, m->vendor[i].p, m->vendor[i].len) == 0);
	if (ikev2_has(m, IKEV2_PL_TSI))
		check(ikev2_build_ts(b, IKEV2_PL_TSI, &m->ts_i) == 0);
	if (ikev2_has(m, IKEV2_PL_TSR))
		check(ikev2_build_ts(b, IKEV2_PL_TSR, &m->ts_r) == 0);
	if (ikev2_has(m, IKEV2_PL_CP))
		check(ikev2_build_cp(b, &m->cp) == 0);
	if (ikev2_has(m, IKEV2_PL_EAP))
		check(ikev2_build_eap(b, m->eap.p, m->eap.len) == 0);
}

/* What the rebuild must preserve (unknown payloads and attributes are dropped by it). */
static void same(const struct ikev2_msg *a, const struct ikev2_msg *b)
{
	check((a->present | a->present_inner) == (b->present | b->present_inner));
	check(a->sa.nprop == b->sa.nprop && a->sa.nxf == b->sa.nxf);
	for (unsigned i = 0; i < a->sa.nxf; i++)
		check(a->sa.xf[i].type == b->sa.xf[i].type && a->sa.xf[i].id == b->sa.xf[i].id &&
		      a->sa.xf[i].key_len == b->sa.xf[i].key_len);
	check(view_eq(a->ke.data, b->ke.data) && view_eq(a->nonce, b->nonce));
	/* Not the ID bodies: their RESERVED bytes are rebuilt as zero. */
	check(view_eq(a->id_i.data, b->id_i.data) && view_eq(a->id_r.data, b->id_r.data));
	check(a->id_i.type == b->id_i.type && a->id_r.type == b->id_r.type);
	check(view_eq(a->auth.data, b->auth.data) && view_eq(a->eap, b->eap));
	check(a->nnotify == b->nnotify && a->ncert == b->ncert && a->ncertreq == b->ncertreq);
	check(a->ndelete == b->ndelete && a->nvendor == b->nvendor);
	for (unsigned i = 0; i < a->nnotify; i++)
		check(view_eq(a->notify[i].data, b->notify[i].data) &&
		      a->notify[i].type == b->notify[i].type);
	check(a->ts_i.n == b->ts_i.n && a->ts_r.n == b->ts_r.n && a->cp.n == b->cp.n);
	for (unsigned i = 0; i < a->cp.n; i++)
		check(view_eq(a->cp.attr[i].val, b->cp.attr[i].val));
	check(a->sk.first == b->sk.first && a->sk.body.len == b->sk.body.len);
	check(a->sk.frag_num == b->sk.frag_num && a->sk.frag_total == b->sk.frag_total);
}

/* The builder drops unknown payloads and attributes; only rebuild what it can keep. */
static bool canonical(const struct ikev2_msg *m)
{
	if (m->nunknown != 0)
		return false;
	for (unsigned i = 0; i < m->sa.nxf; i++)
		if (m->sa.xf[i].attr_unsupported)
			return false;
	return true;
}

static void try_msg(const uint8_t *data, size_t size)
{
	struct ikev2_bld b;
	struct ikev2_sk_out sk;
	struct bw_wr wr;
	int r = ikev2_msg_parse(data, size, &m1);

	if (r != 0) {
		check_err(&m1, r);
		return;
	}
	check(m1.hdr.length == size);
	if (!canonical(&m1))
		return;
	bw_wr_init(&wr, out, sizeof(out));
	check(ikev2_build_hdr(&b, &wr, &m1.hdr) == 0);
	rebuild(&m1, &b);
	if (ikev2_has(&m1, IKEV2_PL_SK))
		check(ikev2_build_sk(&b, m1.sk.first, 0, m1.sk.body.len, 0, &sk) == 0);
	if (ikev2_has(&m1, IKEV2_PL_SKF))
		check(ikev2_build_skf(&b, m1.sk.first, m1.sk.frag_num, m1.sk.frag_total, 0,
		                      m1.sk.body.len, 0, &sk) == 0);
	check(ikev2_build_finish(&b) == 0);
	check(bw_wr_len(&wr) == size);
	check(ikev2_msg_parse(out, bw_wr_len(&wr), &m2) == 0);
	same(&m1, &m2);
}

static void try_chain(uint8_t first, const uint8_t *data, size_t size)
{
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	memset(&m1, 0, sizeof(m1));
	if ((r = ikev2_payloads_parse(first, data, size, &m1)) != 0) {
		check_err(&m1, r);
		return;
	}
	check(m1.present == 0 && !ikev2_has(&m1, IKEV2_PL_SK) && !ikev2_has(&m1, IKEV2_PL_SKF));
	if (!canonical(&m1))
		return;
	bw_wr_init(&wr, out, sizeof(out));
	ikev2_build_chain(&b, &wr);
	rebuild(&m1, &b);
	check(bw_wr_len(&wr) == size);
	memset(&m2, 0, sizeof(m2));
	check(ikev2_payloads_parse(b.first, out, bw_wr_len(&wr), &m2) == 0);
	same(&m1, &m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t firsts[] = {
	        IKEV2_PL_NONE,
	        IKEV2_PL_SA,
	        IKEV2_PL_KE,
	        IKEV2_PL_IDI,
	        IKEV2_PL_IDR,
	        IKEV2_PL_CERT,
	        IKEV2_PL_CERTREQ,
	        IKEV2_PL_AUTH,
	        IKEV2_PL_NONCE,
	        IKEV2_PL_NOTIFY,
	        IKEV2_PL_DELETE,
	        IKEV2_PL_VENDOR,
	        IKEV2_PL_TSI,
	        IKEV2_PL_TSR,
	        IKEV2_PL_SK,
	        IKEV2_PL_CP,
	        IKEV2_PL_EAP,
	        IKEV2_PL_SKF,
	        99,
	};

	if (size > 65535)
		return 0;
	try_msg(data, size);
	for (size_t i = 0; i < sizeof(firsts); i++)
		try_chain(firsts[i], data, size);
	/* A chain whose first type is the input's own first byte, as in SK. */
	if (size > 0)
		try_chain(data[0], data + 1, size - 1);
	return 0;
}
