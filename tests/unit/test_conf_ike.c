/* SPDX-License-Identifier: ISC */
/*
 * The ike: section of the configuration (gw/gw_conf_ike.c): good files land
 * in struct ike_conn_conf with exact IANA transform IDs (RFC 7296 3.3.2),
 * identities in wire form (RFC 7296 3.5, DER DNs per RFC 5280) and the
 * documented defaults; every mistake is reported at its file:line:column,
 * all of them in one run; weak algorithms are refused with a reason; the
 * PSK is never logged and is wiped before the connections are freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gw/gw_conf.h"
#include "gw/gw_conf_int.h"
#include "ike/ikev2_wire.h"
#include "lib/err.h"
#include "lib/log.h"

static char logbuf[65536];
static size_t loglen;
static unsigned nlines;

static void sink(enum bw_log_level level, const char *line, void *arg)
{
	int n;

	(void)arg;
	(void)level;
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
	nlines++;
}

static int setup(void **state)
{
	(void)state;
	loglen = 0;
	logbuf[0] = '\0';
	nlines = 0;
	bw_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bw_log_set_sink(NULL, NULL);
	return 0;
}

#define ASSERT_LOGGED(s)                                                                           \
	do {                                                                                       \
		if (strstr(logbuf, (s)) == NULL)                                                   \
			fail_msg("expected '%s' in the log:\n%s", (s), logbuf);                    \
	} while (0)

static int load(struct gw_conf **c, const char *text)
{
	return gw_conf_load_buf(c, "t.yaml", text, strlen(text));
}

/* A valid site-to-site connection; tests append one line (line 13) to it. */
#define BASE                                                                                       \
	"ike:\n"                                      /* 1 */                                      \
	"  connections:\n"                            /* 2 */                                      \
	"    - name: c\n"                             /* 3 */                                      \
	"      local_addrs: [192.0.2.1]\n"            /* 4 */                                      \
	"      remote_addrs: [192.0.2.2]\n"           /* 5 */                                      \
	"      local: {auth: psk}\n"                  /* 6 */                                      \
	"      remote: {id: b.example, auth: psk}\n"  /* 7 */                                      \
	"      psk: 'correct horse battery staple'\n" /* 8 */                                      \
	"      children:\n"                           /* 9 */                                      \
	"        - name: net\n"                       /* 10 */                                     \
	"          local_ts: [10.1.0.0/24]\n"         /* 11 */                                     \
	"          remote_ts: [10.2.0.0/24]\n"        /* 12 */

static void expect_prop(const struct ike_proposal *p, const uint16_t *encr, const uint16_t *bits,
                        size_t n_encr, const uint16_t *prf, size_t n_prf, const uint16_t *integ,
                        size_t n_integ, const uint16_t *dh, size_t n_dh)
{
	assert_int_equal(p->n_encr, n_encr);
	for (size_t i = 0; i < n_encr; i++) {
		assert_int_equal(p->encr[i], encr[i]);
		assert_int_equal(p->encr_bits[i], bits[i]);
	}
	assert_int_equal(p->n_prf, n_prf);
	for (size_t i = 0; i < n_prf; i++)
		assert_int_equal(p->prf[i], prf[i]);
	assert_int_equal(p->n_integ, n_integ);
	for (size_t i = 0; i < n_integ; i++)
		assert_int_equal(p->integ[i], integ[i]);
	assert_int_equal(p->n_dh, n_dh);
	for (size_t i = 0; i < n_dh; i++)
		assert_int_equal(p->dh[i], dh[i]);
}

static void test_defaults(void **state)
{
	static const uint16_t e1[] = {20, 20, 28}, b1[] = {256, 128, 0}, f1[] = {5, 6},
	                      d1[] = {31, 19, 20, 14};
	static const uint16_t e2[] = {12, 12}, b2[] = {256, 128}, i2[] = {12, 13}, d2[] = {14, 19};
	struct gw_conf *c;
	const struct ike_conn_conf *k;
	const struct ike_child_conf *ch;

	(void)state;
	assert_int_equal(load(&c, BASE), 0);
	assert_int_equal(c->ike_port, 500);
	assert_int_equal(c->n_conn, 1);
	k = &c->conn[0];
	assert_string_equal(k->name, "c");
	assert_int_equal(k->n_local_addrs, 1);
	assert_int_equal(k->local_addrs[0].a[3], 1);
	assert_int_equal(k->n_remote_addrs, 1);
	assert_int_equal(k->remote_addrs[0].a[3], 2);
	/* The swanctl-like default IKE proposals, in order. */
	assert_int_equal(k->n_prop, 2);
	expect_prop(&k->prop[0], e1, b1, 3, f1, 2, NULL, 0, d1, 4);
	/* PRFs derived from the integrity algorithms, as strongSwan does. */
	expect_prop(&k->prop[1], e2, b2, 2, f1, 2, i2, 2, d2, 2);
	assert_int_equal(k->prop[0].n_esn, 0);
	assert_false(k->encap);
	/* The local identity defaults to the single local address. */
	assert_int_equal(k->local.id.type, IKEV2_ID_IPV4_ADDR);
	assert_int_equal(k->local.id.len, 4);
	assert_memory_equal(k->local.id.data, "\xc0\x00\x02\x01", 4);
	assert_false(k->local.id.any);
	assert_int_equal(k->local.auth, IKE_AUTH_PSK);
	assert_int_equal(k->remote.id.type, IKEV2_ID_FQDN);
	assert_int_equal(k->remote.id.len, 9);
	assert_memory_equal(k->remote.id.data, "b.example", 9);
	assert_int_equal(k->psk_len, 28);
	assert_memory_equal(k->psk, "correct horse battery staple", 28);
	assert_int_equal(k->rekey_time, 14400);
	assert_int_equal(k->reauth_time, 0);
	assert_int_equal(k->dpd_delay, 30);
	assert_int_equal(k->keyingtries, 1);
	assert_int_equal(k->n_pools, 0);
	assert_int_equal(k->n_dns, 0);
	assert_false(k->request_vip);
	assert_int_equal(k->n_child, 1);
	ch = &k->child[0];
	assert_string_equal(ch->name, "net");
	assert_int_equal(ch->mode, ESP_MODE_TUNNEL);
	assert_int_equal(ch->n_local_ts, 1);
	assert_int_equal(ch->local_plen[0], 24);
	assert_int_equal(ch->local_ts[0].a[1], 1);
	assert_int_equal(ch->n_remote_ts, 1);
	assert_int_equal(ch->remote_ts[0].a[1], 2);
	/* Default ESP proposals: AEADs, then CBC + HMAC; no PFS, no ESN. */
	assert_int_equal(ch->n_prop, 2);
	expect_prop(&ch->prop[0], e1, b1, 3, NULL, 0, NULL, 0, NULL, 0);
	expect_prop(&ch->prop[1], e2, b2, 2, NULL, 0, i2, 2, NULL, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ch->prop[i].n_esn, 1);
		assert_int_equal(ch->prop[i].esn[0], IKEV2_ESN_NO);
	}
	assert_int_equal(ch->rekey_time, 3600);
	assert_int_equal(ch->life_time, 3960);
	assert_int_equal(ch->replay_window, 1024);
	assert_int_equal(ch->start_action, IKE_START_NONE);
	assert_int_equal(nlines, 0);
	gw_conf_free(c);
}

static void test_full(void **state)
{
	static const char text[] =
	        "ipsec: {udp_port: 4500}\n"
	        "ike:\n"
	        "  port: 1500\n"
	        "  connections:\n"
	        "    - name: gw-b\n"
	        "      local_addrs: [192.0.2.1, '2001:db8::1']\n"
	        "      proposals: [AES256GCM16-PRFSHA384-X25519, "
	        "aes128-aes256-sha512-sha256-ecp521,\n"
	        "                  chacha20poly1305-prfsha512-curve25519-ecp384,\n"
	        "                  aes256gcm-prfsha256-modp2048]\n"
	        "      encap: yes\n"
	        "      local: {id: 'gw-a@example.com', auth: psk}\n"
	        "      remote: {id: '%any', auth: psk}\n"
	        "      psk: 0x000102030405060708090a0b0c0d0e0f10\n"
	        "      rekey_time: 0\n"
	        "      reauth_time: 86400\n"
	        "      dpd_delay: 0\n"
	        "      keyingtries: 0\n"
	        "      pools: [10.99.0.0/24, 'fd99::/112']\n"
	        "      dns: [10.99.0.1, 'fd99::1']\n"
	        "      vip: true\n"
	        "      children:\n"
	        "        - name: a\n"
	        "          mode: transport\n"
	        "          esp_proposals: [aes256gcm16-esn, aes256gcm16-noesn-esn-x25519,\n"
	        "                          aes256-sha384-modp2048]\n"
	        "          rekey_time: 600\n"
	        "          life_time: 700\n"
	        "          replay_window: 0\n"
	        "        - name: b\n"
	        "          local_ts: [10.1.0.0/16, 'fd01::/64']\n"
	        "          remote_ts: [0.0.0.0/0]\n"
	        "          rekey_time: 0\n"
	        "          start_action: none\n";
	static const uint16_t e_gcm256[] = {20}, b256[] = {256}, f384[] = {6}, d31[] = {31};
	static const uint16_t e_cbc[] = {12, 12}, b_cbc[] = {128, 256}, i_512_256[] = {14, 12},
	                      f_der[] = {7, 5}, d21[] = {21};
	static const uint16_t e_cc[] = {28}, b0[] = {0}, f512[] = {7}, d_cc[] = {31, 20};
	static const uint16_t f256[] = {5}, d14[] = {14}, i384[] = {13}, e_cbc1[] = {12};
	struct gw_conf *c;
	const struct ike_conn_conf *k;
	const struct ike_child_conf *ch;

	(void)state;
	assert_int_equal(load(&c, text), 0);
	assert_int_equal(c->ike_port, 1500);
	k = &c->conn[0];
	assert_int_equal(k->n_local_addrs, 2);
	assert_int_equal(k->local_addrs[1].family, AF_INET6);
	assert_int_equal(k->n_remote_addrs, 0);
	assert_int_equal(k->n_prop, 4);
	/* Names are case-insensitive. */
	expect_prop(&k->prop[0], e_gcm256, b256, 1, f384, 1, NULL, 0, d31, 1);
	expect_prop(&k->prop[1], e_cbc, b_cbc, 2, f_der, 2, i_512_256, 2, d21, 1);
	expect_prop(&k->prop[2], e_cc, b0, 1, f512, 1, NULL, 0, d_cc, 2);
	expect_prop(&k->prop[3], e_gcm256, b256, 1, f256, 1, NULL, 0, d14, 1);
	assert_true(k->encap);
	assert_int_equal(k->local.id.type, IKEV2_ID_RFC822_ADDR);
	assert_int_equal(k->local.id.len, 16);
	assert_memory_equal(k->local.id.data, "gw-a@example.com", 16);
	assert_true(k->remote.id.any);
	assert_int_equal(k->remote.id.type, 0);
	assert_int_equal(k->psk_len, 17);
	assert_int_equal(k->psk[16], 0x10);
	assert_int_equal(k->rekey_time, 0);
	assert_int_equal(k->reauth_time, 86400);
	assert_int_equal(k->dpd_delay, 0);
	assert_int_equal(k->keyingtries, 0);
	assert_int_equal(k->n_pools, 2);
	assert_int_equal(k->pool_plen[0], 24);
	assert_int_equal(k->pools[1].family, AF_INET6);
	assert_int_equal(k->pool_plen[1], 112);
	assert_int_equal(k->n_dns, 2);
	assert_int_equal(k->dns[0].a[3], 1);
	assert_true(k->request_vip);
	assert_int_equal(k->n_child, 2);

	ch = &k->child[0];
	assert_int_equal(ch->mode, ESP_MODE_TRANSPORT);
	assert_int_equal(ch->n_local_ts, 0);
	assert_int_equal(ch->n_remote_ts, 0);
	assert_int_equal(ch->n_prop, 3);
	expect_prop(&ch->prop[0], e_gcm256, b256, 1, NULL, 0, NULL, 0, NULL, 0);
	assert_int_equal(ch->prop[0].n_esn, 1);
	assert_int_equal(ch->prop[0].esn[0], IKEV2_ESN_YES);
	/* PFS group, both ESN values in the order given. */
	expect_prop(&ch->prop[1], e_gcm256, b256, 1, NULL, 0, NULL, 0, d31, 1);
	assert_int_equal(ch->prop[1].n_esn, 2);
	assert_int_equal(ch->prop[1].esn[0], IKEV2_ESN_NO);
	assert_int_equal(ch->prop[1].esn[1], IKEV2_ESN_YES);
	expect_prop(&ch->prop[2], e_cbc1, b256, 1, NULL, 0, i384, 1, d14, 1);
	assert_int_equal(ch->rekey_time, 600);
	assert_int_equal(ch->life_time, 700);
	assert_int_equal(ch->replay_window, 0);

	ch = &k->child[1];
	assert_int_equal(ch->n_local_ts, 2);
	assert_int_equal(ch->local_plen[1], 64);
	assert_int_equal(ch->remote_plen[0], 0);
	/* rekey_time 0 without life_time: no lifetime at all. */
	assert_int_equal(ch->rekey_time, 0);
	assert_int_equal(ch->life_time, 0);
	assert_int_equal(ch->start_action, IKE_START_NONE);
	/* A 17-byte PSK is long enough: no warning. */
	assert_int_equal(nlines, 0);
	gw_conf_free(c);
}

struct id_case {
	const char *text;
	uint8_t type;
	const char *data;
	size_t len;
};

static void test_ids(void **state)
{
	static const struct id_case cases[] = {
	        {"'192.0.2.9'", IKEV2_ID_IPV4_ADDR, "\xc0\x00\x02\x09", 4},
	        {"'2001:db8::5'", IKEV2_ID_IPV6_ADDR, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05",
	         16},
	        {"gw.example.org", IKEV2_ID_FQDN, "gw.example.org", 14},
	        {"'@user@x'", IKEV2_ID_FQDN, "user@x", 6},
	        {"'@gw'", IKEV2_ID_FQDN, "gw", 2},
	        {"a@b.c", IKEV2_ID_RFC822_ADDR, "a@b.c", 5},
	        /* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, PrintableString "a" } } } */
	        {"'CN=a'", IKEV2_ID_DER_ASN1_DN,
	         "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x13\x01\x61", 14},
	        /* emailAddress (1.2.840.113549.1.9.1) is an IA5String (22) */
	        {"'E=a@b'", IKEV2_ID_DER_ASN1_DN,
	         "\x30\x14\x31\x12\x30\x10\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01\x16\x03"
	         "a@b",
	         22},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct gw_conf *c;
		const struct ike_id *id;

		snprintf(text, sizeof(text),
		         "ike:\n  connections:\n    - name: c\n"
		         "      local: {id: %s, auth: psk}\n"
		         "      remote: {id: %s, auth: psk}\n"
		         "      psk: 0123456789abcdef\n"
		         "      children: [{name: n}]\n",
		         cases[i].text, cases[i].text);
		if (load(&c, text) != 0)
			fail_msg("case %zu (%s) failed:\n%s", i, cases[i].text, logbuf);
		for (int e = 0; e < 2; e++) {
			id = e ? &c->conn[0].remote.id : &c->conn[0].local.id;
			assert_false(id->any);
			assert_int_equal(id->type, cases[i].type);
			assert_int_equal(id->len, cases[i].len);
			assert_memory_equal(id->data, cases[i].data, cases[i].len);
		}
		gw_conf_free(c);
	}
}

/* Spaces around names and values are trimmed; '@' forces UTF8String. */
static void test_dn_spaces(void **state)
{
	static const uint8_t want[] = {0x30, 0x1a, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04,
	                               0x06, 0x13, 0x02, 'C',  'H',  0x31, 0x0b, 0x30, 0x09, 0x06,
	                               0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 'x',  '@'};
	static const char text[] = "ike:\n  connections:\n    - name: c\n"
	                           "      local: {id: 'C=CH,  CN = x@ ', auth: psk}\n"
	                           "      remote: {auth: psk}\n"
	                           "      psk: 0123456789abcdef\n"
	                           "      children: [{name: n}]\n";
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, text), 0);
	assert_int_equal(c->conn[0].local.id.type, IKEV2_ID_DER_ASN1_DN);
	assert_int_equal(c->conn[0].local.id.len, sizeof(want));
	assert_memory_equal(c->conn[0].local.id.data, want, sizeof(want));
	/* The default remote identity is %any, as swanctl's. */
	assert_true(c->conn[0].remote.id.any);
	gw_conf_free(c);
}

static void test_pubkey(void **state)
{
	static const char text[] = "ike:\n"
	                           "  connections:\n"
	                           "    - name: rw\n"
	                           "      local: {auth: pubkey, cert: /nonexistent/gw.pem,\n"
	                           "              key: /nonexistent/gw.key}\n"
	                           "      remote: {auth: pubkey, cacert: /nonexistent/ca.pem}\n"
	                           "      pools: [10.99.0.0/24]\n"
	                           "      children: [{name: n, local_ts: [0.0.0.0/0]}]\n";
	struct gw_conf *c;
	const struct ike_conn_conf *k;

	(void)state;
	assert_int_equal(load(&c, text), 0);
	k = &c->conn[0];
	assert_int_equal(k->local.auth, IKE_AUTH_PUBKEY);
	assert_string_equal(k->local.cert, "/nonexistent/gw.pem");
	assert_string_equal(k->local.key, "/nonexistent/gw.key");
	assert_string_equal(k->remote.cacert, "/nonexistent/ca.pem");
	/* No local address and no id: the certificate's subject is used (type 0, not any). */
	assert_int_equal(k->local.id.type, 0);
	assert_false(k->local.id.any);
	assert_true(k->remote.id.any);
	assert_int_equal(k->psk_len, 0);
	/* Unreadable files are a warning at load time, not an error. */
	ASSERT_LOGGED("t.yaml:4:35: 'cert' file '/nonexistent/gw.pem' cannot be read now");
	ASSERT_LOGGED("t.yaml:6:38: 'cacert' file '/nonexistent/ca.pem' cannot be read now");
	gw_conf_free(c);
}

struct err_case {
	const char *line13; /* appended to BASE */
	const char *msg;    /* expected in the log */
};

static void test_errors(void **state)
{
	static const struct err_case cases[] = {
	        {"      proposals: [3des-sha256-modp2048]\n",
	         "t.yaml:13:19: '3des' is refused: 3DES has a 64-bit block"},
	        {"      proposals: [aes256-sha1-modp2048]\n",
	         "t.yaml:13:19: 'sha1' is refused: SHA-1 is deprecated"},
	        {"      proposals: [aes256-sha256-modp1024]\n",
	         "t.yaml:13:19: 'modp1024' is refused: a 1024-bit MODP group is too small"},
	        {"      proposals: [aes256-md5-modp2048]\n", "'md5' is refused: MD5 is broken"},
	        {"      proposals: [aes256-sha256-prfmd5-modp2048]\n", "'prfmd5' is refused"},
	        {"      proposals: [aes256-sha256-modp2048, aes256-sha256-bogus]\n",
	         "t.yaml:13:43: unknown algorithm 'bogus'"},
	        {"      proposals: [aes256gcm16-sha256-prfsha256-x25519]\n",
	         "t.yaml:13:19: proposal 'aes256gcm16-sha256-prfsha256-x25519' mixes a "
	         "combined-mode cipher"},
	        {"      proposals: [aes256-prfsha256-x25519]\n",
	         "t.yaml:13:19: proposal 'aes256-prfsha256-x25519': AES-CBC needs an integrity"},
	        {"      proposals: [aes256gcm16-prfsha256]\n",
	         "t.yaml:13:19: IKE proposal 'aes256gcm16-prfsha256' has no DH group"},
	        {"      proposals: [aes256gcm16-x25519]\n",
	         "t.yaml:13:19: IKE proposal 'aes256gcm16-x25519' has no PRF"},
	        {"      proposals: [sha256-prfsha256-x25519]\n", "has no encryption algorithm"},
	        {"      proposals: [aes256gcm16-prfsha256-x25519-esn]\n",
	         "t.yaml:13:19: 'esn': ESN belongs in ESP proposals"},
	        {"      proposals: [aes256gcm16-prfsha256-x25519-x25519]\n",
	         "'x25519' is listed twice"},
	        {"      proposals: [aes256gcm16--x25519]\n", "empty algorithm name"},
	        {"      proposals: []\n", "t.yaml:13:18: 'proposals' must list 1 to 8"},
	        {"      proposals: aes256gcm16-prfsha256-x25519\n",
	         "t.yaml:13:18: 'proposals' must be a list, not a scalar"},
	        {"          esp_proposals: [aes256gcm16-prfsha256]\n",
	         "t.yaml:13:27: 'prfsha256': a PRF belongs in IKE proposals"},
	        {"          esp_proposals: [aes256]\n", "'aes256': AES-CBC needs an integrity"},
	        {"          esp_proposals: [aes128gcm8]\n", "'aes128gcm8' is refused"},
	        {"      bogus: 1\n", "t.yaml:13:7: unknown key 'bogus'"},
	        {"          bogus: 1\n", "t.yaml:13:11: unknown key 'bogus'"},
	        {"          mode: beet\n", "t.yaml:13:17: 'mode' must be tunnel or transport"},
	        {"        - {name: m, local_ts: [10.1.0.1/24]}\n", "has host bits set"},
	        {"        - name: net\n", "t.yaml:13:17: child name 'net' is used twice in 'c'"},
	        {"    - {name: c}\n", "t.yaml:13:14: connection name 'c' is used twice"},
	        {"    - {name: 'a b'}\n", "t.yaml:13:14: 'name' must be non-empty"},
	        {"    - {local: {auth: psk}}\n", "t.yaml:13:7: missing 'name' of the connection"},
	        {"    - {name: d, local: {auth: psk}, remote: {auth: psk}, psk: x, children: []}\n",
	         "'children' must list 1 to 8"},
	        {"    - {name: d, remote: {auth: psk}, psk: xxxxxxxxxxxxxxxxxx, children: [n]}\n",
	         "t.yaml:13:7: missing 'local'"},
	        {"    - {name: d, local: {auth: psk}, remote: {auth: psk}, children: [{name: "
	         "n}]}\n",
	         "'local' needs an 'id'"},
	        {"    - {name: d, local: {id: x, auth: psk}, remote: {auth: psk}, "
	         "children: [{name: n}]}\n",
	         "t.yaml:13:7: missing 'psk'"},
	        {"    - {name: d, local: {id: '%any', auth: psk}}\n",
	         "t.yaml:13:29: '%any' is only for the remote 'id'"},
	        {"    - {name: d, local: {id: 'CN=a, XX=b', auth: psk}}\n",
	         "is not a distinguished name"},
	        {"    - {name: d, local: {id: x, auth: cert}}\n",
	         "t.yaml:13:38: 'auth' must be psk or pubkey, not 'cert'"},
	        {"    - {name: d, local: {id: x}}\n",
	         "t.yaml:13:24: missing 'auth' (psk or pubkey)"},
	        {"    - {name: d, local: {id: x, auth: pubkey, cert: /c}}\n",
	         "t.yaml:13:24: 'auth: pubkey' needs 'cert' and 'key' in 'local'"},
	        {"    - {name: d, remote: {auth: pubkey}}\n",
	         "t.yaml:13:25: 'auth: pubkey' needs 'cacert' in 'remote'"},
	        {"    - {name: d, remote: {auth: psk, cacert: /c}}\n",
	         "t.yaml:13:45: 'cacert' is only for 'auth: pubkey'"},
	        {"    - {name: d, remote: {auth: psk, cert: /c}}\n",
	         "t.yaml:13:37: unknown key 'cert'"},
	        {"    - {name: d, local: {id: x, auth: pubkey, cert: /c, key: /k}, "
	         "remote: {id: y, auth: pubkey, cacert: /a}, psk: abcdefghijklmnopq}\n",
	         "'psk' given but neither end uses 'auth: psk'"},
	        {"    - {name: d, local: {id: a, auth: psk}, remote: {auth: psk}, psk: 0x12345}\n",
	         "'psk' must have an even, nonzero number of hex digits"},
	        {"      rekey_time: 99999999\n", "t.yaml:13:19:"},
	        {"      dpd_delay: -1\n", "t.yaml:13:18:"},
	        {"      keyingtries: 1001\n", "t.yaml:13:20:"},
	        {"    - {name: d, remote_addrs: [192.0.2.2, 192.0.2.2]}\n",
	         "t.yaml:13:43: address listed twice in 'remote_addrs'"},
	        {"    - {name: d, local_addrs: [0.0.0.0]}\n",
	         "must not be the unspecified address"},
	        {"      pools: [10.0.0.0/8]\n",
	         "t.yaml:13:15: pool '10.0.0.0/8' must be a /16 to /30"},
	        {"      pools: ['fd00::/64']\n", "pool 'fd00::/64' must be a /112 to /126"},
	        {"      pools: [10.0.0.0/24, 10.1.0.0/24]\n", "one pool per address family"},
	        {"      pools: [10.0.0.5/24]\n", "'10.0.0.5/24' has host bits set"},
	        {"      dns: [10.99.0.1/24]\n",
	         "t.yaml:13:13: 'dns' is not an IPv4 or IPv6 address"},
	        {"      vip: maybe\n", "t.yaml:13:12:"},
	        {"          life_time: 3000\n",
	         "t.yaml:13:22: 'life_time' (3000) must be more than 'rekey_time' (3600)"},
	        {"          start_action: trap\n",
	         "t.yaml:13:25: 'start_action' must be none or start, not 'trap'"},
	        {"          replay_window: 70000\n", "t.yaml:13:26:"},
	        {"        - {name: m, remote_ts: []}\n",
	         "'remote_ts' must name at least one prefix"},
	        {"  port: 4500\n", "t.yaml:13:9: 'port' 4500 is ipsec.udp_port"},
	        {"  port: 70000\n", "t.yaml:13:9:"},
	        {"  bogus: 1\n", "t.yaml:13:3: unknown key 'bogus'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096];
		struct gw_conf *c = (struct gw_conf *)1;

		setup(NULL);
		snprintf(text, sizeof(text), "%s%s", BASE, cases[i].line13);
		if (load(&c, text) != BW_ERR_CONFIG)
			fail_msg("case %zu (%s) was accepted", i, cases[i].line13);
		assert_null(c);
		if (strstr(logbuf, cases[i].msg) == NULL)
			fail_msg("case %zu: expected '%s' in the log:\n%s", i, cases[i].msg,
			         logbuf);
		/* The PSK of BASE is never echoed, whatever went wrong. */
		assert_null(strstr(logbuf, "horse"));
	}
}

/* Connections without a start action and remote address; start needs a peer. */
static void test_start_needs_peer(void **state)
{
	static const char text[] = "ike:\n"
	                           "  connections:\n"
	                           "    - name: rw\n"
	                           "      local: {id: gw, auth: psk}\n"
	                           "      remote: {auth: psk}\n"
	                           "      psk: 0123456789abcdef\n"
	                           "      children:\n"
	                           "        - name: n\n"
	                           "          start_action: start\n";
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, text), BW_ERR_CONFIG);
	ASSERT_LOGGED("t.yaml:9:25: 'start_action: start' needs 'remote_addrs'");
}

/* Every mistake in a file is reported in one run. */
static void test_all_errors(void **state)
{
	static const char text[] = "ike:\n"
	                           "  connections:\n"
	                           "    - name: c\n"
	                           "      proposals: [aes256-sha1-modp1024, aes256gcm16-prfsha1]\n"
	                           "      local: {id: x, auth: psk}\n"
	                           "      remote: {auth: psk}\n"
	                           "      psk: 0123456789abcdef\n"
	                           "      children:\n"
	                           "        - name: n\n"
	                           "          esp_proposals: [3des-md5]\n"
	                           "          mode: bogus\n";
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, text), BW_ERR_CONFIG);
	ASSERT_LOGGED("t.yaml:4:19: 'sha1' is refused");
	ASSERT_LOGGED("t.yaml:4:19: 'modp1024' is refused");
	ASSERT_LOGGED("t.yaml:4:41: 'prfsha1' is refused");
	ASSERT_LOGGED("t.yaml:10:27: '3des' is refused");
	ASSERT_LOGGED("t.yaml:10:27: 'md5' is refused");
	ASSERT_LOGGED("t.yaml:11:17: 'mode' must be tunnel or transport");
	ASSERT_LOGGED("t.yaml: 6 errors");
}

/* A short PSK warns without showing it; a hex PSK is decoded. */
static void test_psk(void **state)
{
	static const char text[] = "ike:\n"
	                           "  connections:\n"
	                           "    - name: c\n"
	                           "      local: {id: a, auth: psk}\n"
	                           "      remote: {id: b, auth: psk}\n"
	                           "      psk: sesame\n"
	                           "      children: [{name: n}]\n";
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, text), 0);
	ASSERT_LOGGED("t.yaml:6:12: 'psk' is only 6 bytes; at least 16 random bytes are advised");
	assert_null(strstr(logbuf, "sesame"));
	assert_int_equal(c->conn[0].psk_len, 6);
	assert_memory_equal(c->conn[0].psk, "sesame", 6);
	gw_conf_free(c);
}

/* gwc_free_ike() wipes through gwc_wipe_ike(): after it, no PSK byte is left. */
static void test_psk_wiped(void **state)
{
	static const uint8_t zero[IKE_PSK_MAX];
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, BASE "    - name: d\n"
	                               "      local: {id: a, auth: psk}\n"
	                               "      remote: {id: b, auth: psk}\n"
	                               "      psk: 0xffffffffffffffffffffffffffffffffffff\n"
	                               "      children: [{name: n}]\n"),
	                 0);
	assert_int_equal(c->n_conn, 2);
	assert_int_equal(c->conn[1].psk_len, 18);
	gwc_wipe_ike(c);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(c->conn[i].psk_len, 0);
		assert_memory_equal(c->conn[i].psk, zero, sizeof(zero));
		assert_string_equal(c->conn[i].name, "");
	}
	/* The array is still ours and is freed (and wiped again) as usual. */
	gw_conf_free(c);
}

static void test_off(void **state)
{
	static const char base[] = BASE;
	char text[1024];
	struct gw_conf *c;

	(void)state;
	assert_int_equal(load(&c, "ike: {port: 0}\n"), 0);
	assert_int_equal(c->ike_port, 0);
	assert_int_equal(c->n_conn, 0);
	assert_null(c->conn);
	gw_conf_free(c);
	assert_int_equal(load(&c, "ike: {connections: []}\n"), 0);
	assert_int_equal(c->n_conn, 0);
	gw_conf_free(c);
	/* Connections with IKE off are legal but warned about. */
	snprintf(text, sizeof(text), "ike:\n  port: 0\n%s", base + 5);
	assert_int_equal(load(&c, text), 0);
	ASSERT_LOGGED("t.yaml:4:5: 'port' is 0: IKE is off");
	gw_conf_free(c);
}

/* The examples shipped in examples/ load, and the site pair mirrors itself. */
static void test_examples(void **state)
{
	struct gw_conf *a, *b, *rw;
	const struct ike_conn_conf *ka, *kb;

	(void)state;
	assert_int_equal(gw_conf_load(&a, BW_SOURCE_DIR "/examples/ike-site-a.yaml"), 0);
	assert_int_equal(gw_conf_load(&b, BW_SOURCE_DIR "/examples/ike-site-b.yaml"), 0);
	assert_int_equal(gw_conf_load(&rw, BW_SOURCE_DIR "/examples/ike-roadwarrior.yaml"), 0);
	assert_int_equal(a->n_conn, 1);
	assert_int_equal(b->n_conn, 1);
	ka = &a->conn[0];
	kb = &b->conn[0];
	assert_true(bw_addr_eq(&ka->local_addrs[0], &kb->remote_addrs[0]));
	assert_true(bw_addr_eq(&ka->remote_addrs[0], &kb->local_addrs[0]));
	assert_int_equal(ka->local.id.type, kb->remote.id.type);
	assert_int_equal(ka->local.id.len, kb->remote.id.len);
	assert_memory_equal(ka->local.id.data, kb->remote.id.data, ka->local.id.len);
	assert_memory_equal(ka->remote.id.data, kb->local.id.data, ka->remote.id.len);
	assert_int_equal(ka->psk_len, kb->psk_len);
	assert_memory_equal(ka->psk, kb->psk, ka->psk_len);
	assert_true(bw_addr_eq(&ka->child[0].local_ts[0], &kb->child[0].remote_ts[0]));
	assert_true(bw_addr_eq(&ka->child[0].remote_ts[0], &kb->child[0].local_ts[0]));
	assert_int_equal(rw->n_conn, 1);
	assert_true(rw->conn[0].n_pools > 0);
	assert_int_equal(rw->conn[0].n_remote_addrs, 0);
	gw_conf_free(a);
	gw_conf_free(b);
	gw_conf_free(rw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dn_spaces, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pubkey, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_start_needs_peer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_all_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_psk, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_psk_wiped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_examples, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
