/* SPDX-License-Identifier: ISC */
/*
 * Tests for src/crypto/crypto_sig.c. Keys and certificates are made at test
 * time with the openssl command-line tool in a fresh temporary directory
 * (see make_pki below), so nothing secret is committed and validity dates are
 * always current. Checked:
 *  - sign/verify round trips for RSA PKCS#1 v1.5 and PSS (SHA-256/384/512)
 *    and ECDSA P-256/P-384 in DER and r | s form, over split segments;
 *  - every signature kind cross-verified both ways with `openssl dgst`:
 *    ours verified by the CLI, the CLI's verified by us;
 *  - wrong key, tampered message, tampered or truncated signature fail with
 *    BW_ERR_AUTH; a scheme that does not fit the key is BW_ERR_INVAL;
 *  - RFC 7427 AlgorithmIdentifiers: each one we send appears byte for byte in
 *    a certificate the CLI signed with that algorithm, and parse() maps every
 *    accepted encoding back while refusing truncations and changed octets;
 *  - X.509: DER round trip and trailing-garbage refusal, public key, subject
 *    DN, subjectAltNames (DNS, e-mail, IPv4, IPv6), SPKI SHA-1 against the
 *    CLI's, chain verification through an intermediate, and failures for a
 *    wrong CA, a missing intermediate, an expired and a not-yet-valid chain.
 */
#define _GNU_SOURCE /* memmem, mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/crypto_prf.h"
#include "crypto/crypto_sig.h"
#include "lib/err.h"

static char dir[64];

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		fail_msg("command too long");
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int run_status(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static const char *path(const char *name)
{
	static char buf[8][256];
	static unsigned k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
	FILE *fp = fopen(path(name), "rb");
	size_t n;

	if (fp == NULL)
		fail_msg("cannot open %s", path(name));
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void write_file(const char *name, const void *buf, size_t len)
{
	FILE *fp = fopen(path(name), "wb");

	if (fp == NULL || fwrite(buf, 1, len, fp) != len)
		fail_msg("cannot write %s", path(name));
	fclose(fp);
}

/*
 * The test PKI: RSA root "ca" -> intermediate "int" (P-384) -> leaves; a
 * second, unrelated root "other". Leaves: rsa (RSA 2048, SANs), ec256, ec384.
 */
static int make_pki(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bw_sig_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	run("cd %s && exec >log 2>&1 && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key && "
	    "openssl req -x509 -new -key ca.key -subj '/O=bulwark test/CN=Root CA' -days 30 "
	    "  -sha256 -out ca.pem && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key && "
	    "openssl req -x509 -new -key other.key -subj '/CN=Other CA' -days 30 -out other.pem && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out int.key && "
	    "openssl req -new -key int.key -subj '/O=bulwark test/CN=Intermediate' -out int.csr && "
	    "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign,cRLSign\\n' > ca.ext "
	    "&& "
	    "openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 "
	    "  -extfile ca.ext -out int.pem && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key && "
	    "openssl pkey -in rsa.key -pubout -out rsa.pub && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.key && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.key && "
	    "printf 'subjectAltName=DNS:gw.Example.org,email:admin@example.org,"
	    "IP:192.0.2.1,IP:2001:db8::1,URI:http://example.org/\\n' > leaf.ext && "
	    "for k in rsa ec256 ec384; do "
	    "  openssl req -new -key $k.key -subj \"/C=XX/O=bulwark test/CN=$k.example.org\" "
	    "    -out $k.csr && "
	    "  openssl x509 -req -in $k.csr -CA int.pem -CAkey int.key -CAcreateserial -days 10 "
	    "    -extfile leaf.ext -out $k.pem && "
	    "  openssl x509 -in $k.pem -outform DER -out $k.der || exit 1; "
	    "done",
	    dir);
	return 0;
}

static int remove_pki(void **state)
{
	(void)state;
	if (dir[0] != '\0')
		run("rm -rf %s", dir);
	return 0;
}

static struct crypto_pkey *load_priv(const char *name)
{
	struct crypto_pkey *k;

	assert_int_equal(crypto_pkey_load_private_pem(&k, path(name)), 0);
	return k;
}

static struct crypto_cert *load_cert(const char *name)
{
	struct crypto_cert *c;

	assert_int_equal(crypto_cert_load_pem(&c, path(name)), 0);
	return c;
}

static const uint8_t msg_a[] = "IKE_SA_INIT message | Nr | ";
static const uint8_t msg_b[] = "prf(SK_pi, IDi')";

static void split_msg(struct crypto_iov seg[3])
{
	seg[0].ptr = msg_a;
	seg[0].len = sizeof(msg_a) - 1;
	seg[1].ptr = NULL;
	seg[1].len = 0;
	seg[2].ptr = msg_b;
	seg[2].len = sizeof(msg_b) - 1;
}

struct kind {
	enum crypto_sig_scheme scheme;
	enum crypto_sig_format fmt;
	const char *key;     /* signer */
	const char *dgst;    /* openssl dgst digest option */
	const char *sigopts; /* openssl dgst -sigopt ... */
};

static const struct kind kinds[] = {
        {CRYPTO_SIG_RSA_PKCS1_SHA256, CRYPTO_SIG_FMT_DER, "rsa", "-sha256", ""},
        {CRYPTO_SIG_RSA_PKCS1_SHA384, CRYPTO_SIG_FMT_DER, "rsa", "-sha384", ""},
        {CRYPTO_SIG_RSA_PKCS1_SHA512, CRYPTO_SIG_FMT_DER, "rsa", "-sha512", ""},
        {CRYPTO_SIG_RSA_PSS_SHA256, CRYPTO_SIG_FMT_DER, "rsa", "-sha256",
         "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
        {CRYPTO_SIG_RSA_PSS_SHA384, CRYPTO_SIG_FMT_DER, "rsa", "-sha384",
         "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
        {CRYPTO_SIG_RSA_PSS_SHA512, CRYPTO_SIG_FMT_DER, "rsa", "-sha512",
         "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
        {CRYPTO_SIG_ECDSA_SHA256, CRYPTO_SIG_FMT_DER, "ec256", "-sha256", ""},
        {CRYPTO_SIG_ECDSA_SHA384, CRYPTO_SIG_FMT_DER, "ec384", "-sha384", ""},
        {CRYPTO_SIG_ECDSA_SHA256, CRYPTO_SIG_FMT_RAW, "ec256", "-sha256", ""},
        {CRYPTO_SIG_ECDSA_SHA384, CRYPTO_SIG_FMT_RAW, "ec384", "-sha384", ""},
};

static void test_sign_verify(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct kind *kd = &kinds[k];
		char name[64];
		struct crypto_pkey *key, *other, *pub;
		struct crypto_cert *cert;
		struct crypto_iov seg[3], whole;
		uint8_t sig[CRYPTO_SIG_MAX], bad[sizeof(msg_a)];
		size_t len = sizeof(sig);

		split_msg(seg);
		snprintf(name, sizeof(name), "%s.key", kd->key);
		key = load_priv(name);
		other = load_priv(strcmp(kd->key, "rsa") == 0 ? "ca.key" : "ec384.key");
		if (strcmp(kd->key, "ec384") == 0) {
			crypto_pkey_free(other);
			other = load_priv("int.key"); /* also P-384, another key */
		}
		snprintf(name, sizeof(name), "%s.pem", kd->key);
		cert = load_cert(name);
		assert_int_equal(crypto_cert_pubkey(cert, &pub), 0);
		assert_true(crypto_pkey_match(key, pub));
		assert_false(crypto_pkey_match(other, pub));
		assert_true(crypto_sig_fits(key, kd->scheme));

		assert_int_equal(crypto_sig_sign(key, kd->scheme, kd->fmt, seg, 3, sig, &len), 0);
		assert_true(len <= crypto_sig_max_len(key, kd->scheme, kd->fmt));
		if (kd->fmt == CRYPTO_SIG_FMT_RAW)
			assert_int_equal(len,
			                 crypto_pkey_type(key) == CRYPTO_KEY_EC_P256 ? 64 : 96);
		/* The certificate's key verifies, over the message in one piece too. */
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len), 0);
		whole.ptr = "IKE_SA_INIT message | Nr | prf(SK_pi, IDi')";
		whole.len = strlen(whole.ptr);
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, &whole, 1, sig, len),
		                 0);
		/* Wrong key. */
		assert_int_equal(crypto_sig_verify(other, kd->scheme, kd->fmt, seg, 3, sig, len),
		                 BW_ERR_AUTH);
		/* Tampered message. */
		memcpy(bad, msg_a, sizeof(msg_a));
		bad[3] ^= 0x20;
		seg[0].ptr = bad;
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len),
		                 BW_ERR_AUTH);
		split_msg(seg);
		/* Tampered and truncated signature. */
		for (size_t pos = 0; pos < len; pos += len / 5 + 1) {
			sig[pos] ^= 0x04;
			assert_int_equal(
			        crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len),
			        BW_ERR_AUTH);
			sig[pos] ^= 0x04;
		}
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len - 1),
		                 BW_ERR_AUTH);
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, 0),
		                 BW_ERR_AUTH);
		/* The signature is still good after all that. */
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len), 0);
		/* Too small an output buffer. */
		len = 10;
		assert_int_equal(crypto_sig_sign(key, kd->scheme, kd->fmt, seg, 3, sig, &len),
		                 BW_ERR_NOSPACE);
		crypto_pkey_free(pub);
		crypto_pkey_free(other);
		crypto_pkey_free(key);
		crypto_cert_free(cert);
	}
}

/* Ours verified by `openssl dgst -verify`, and the CLI's verified by us. */
static void test_cross_openssl_cli(void **state)
{
	const char *msg = "IKE_SA_INIT message | Nr | prf(SK_pi, IDi')";

	(void)state;
	write_file("msg", msg, strlen(msg));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct kind *kd = &kinds[k];
		struct crypto_iov seg[3];
		struct crypto_pkey *key, *pub;
		struct crypto_cert *cert;
		char name[64];
		uint8_t sig[CRYPTO_SIG_MAX];
		size_t len = sizeof(sig);

		/* The CLI speaks DER ECDSA only; r | s is covered by the round trips. */
		if (kd->fmt == CRYPTO_SIG_FMT_RAW)
			continue;
		split_msg(seg);
		snprintf(name, sizeof(name), "%s.key", kd->key);
		key = load_priv(name);
		assert_int_equal(crypto_sig_sign(key, kd->scheme, kd->fmt, seg, 3, sig, &len), 0);
		write_file("ours.sig", sig, len);
		run("cd %s && openssl pkey -in %s.key -pubout -out %s.pubkey && "
		    "openssl dgst %s %s -verify %s.pubkey -signature ours.sig msg >>log 2>&1",
		    dir, kd->key, kd->key, kd->dgst, kd->sigopts, kd->key);
		/* A tampered signature must fail in the CLI too (the check can fail). */
		sig[len / 2] ^= 1;
		write_file("ours.sig", sig, len);
		assert_int_not_equal(run_status("cd %s && openssl dgst %s %s -verify %s.pubkey "
		                                "-signature ours.sig msg >>log 2>&1",
		                                dir, kd->dgst, kd->sigopts, kd->key),
		                     0);

		run("cd %s && openssl dgst %s %s -sign %s.key -out cli.sig msg", dir, kd->dgst,
		    kd->sigopts, kd->key);
		len = read_file("cli.sig", sig, sizeof(sig));
		snprintf(name, sizeof(name), "%s.pem", kd->key);
		cert = load_cert(name);
		assert_int_equal(crypto_cert_pubkey(cert, &pub), 0);
		assert_int_equal(crypto_sig_verify(pub, kd->scheme, kd->fmt, seg, 3, sig, len), 0);
		/* r | s from the CLI's DER: our own raw sign/verify agrees on the encoding. */
		if (!(kd->scheme < CRYPTO_SIG_ECDSA_SHA256)) {
			uint8_t raw[CRYPTO_SIG_MAX];
			size_t rlen = sizeof(raw);

			assert_int_equal(crypto_sig_sign(key, kd->scheme, CRYPTO_SIG_FMT_RAW, seg,
			                                 3, raw, &rlen),
			                 0);
			assert_int_equal(crypto_sig_verify(pub, kd->scheme, CRYPTO_SIG_FMT_RAW, seg,
			                                   3, raw, rlen),
			                 0);
			/* A DER signature is not a raw one. */
			assert_int_equal(crypto_sig_verify(pub, kd->scheme, CRYPTO_SIG_FMT_RAW, seg,
			                                   3, sig, len),
			                 BW_ERR_AUTH);
		}
		crypto_pkey_free(pub);
		crypto_pkey_free(key);
		crypto_cert_free(cert);
	}
}

static void test_scheme_mismatch(void **state)
{
	struct crypto_pkey *rsa = load_priv("rsa.key"), *ec = load_priv("ec256.key"), *pub;
	struct crypto_iov seg[3];
	uint8_t sig[CRYPTO_SIG_MAX];
	size_t len = sizeof(sig);

	(void)state;
	split_msg(seg);
	assert_int_equal(crypto_pkey_type(rsa), CRYPTO_KEY_RSA);
	assert_int_equal(crypto_pkey_bits(rsa), 2048);
	assert_int_equal(crypto_pkey_type(ec), CRYPTO_KEY_EC_P256);
	assert_false(crypto_sig_fits(rsa, CRYPTO_SIG_ECDSA_SHA256));
	assert_false(crypto_sig_fits(ec, CRYPTO_SIG_RSA_PSS_SHA256));
	assert_false(crypto_sig_fits(ec, CRYPTO_SIG__COUNT));
	assert_int_equal(crypto_sig_sign(rsa, CRYPTO_SIG_ECDSA_SHA256, CRYPTO_SIG_FMT_DER, seg, 3,
	                                 sig, &len),
	                 BW_ERR_INVAL);
	assert_int_equal(crypto_sig_verify(ec, CRYPTO_SIG_RSA_PKCS1_SHA256, CRYPTO_SIG_FMT_DER, seg,
	                                   3, sig, 256),
	                 BW_ERR_INVAL);
	/* PKCS#1 v1.5 and PSS signatures are not interchangeable. */
	assert_int_equal(crypto_sig_sign(rsa, CRYPTO_SIG_RSA_PSS_SHA256, CRYPTO_SIG_FMT_DER, seg, 3,
	                                 sig, &len),
	                 0);
	assert_int_equal(crypto_pkey_load_public_pem(&pub, path("rsa.pub")), 0);
	assert_int_equal(crypto_sig_verify(pub, CRYPTO_SIG_RSA_PSS_SHA256, CRYPTO_SIG_FMT_DER, seg,
	                                   3, sig, len),
	                 0);
	assert_int_equal(crypto_sig_verify(pub, CRYPTO_SIG_RSA_PKCS1_SHA256, CRYPTO_SIG_FMT_DER,
	                                   seg, 3, sig, len),
	                 BW_ERR_AUTH);
	assert_int_equal(crypto_sig_verify(pub, CRYPTO_SIG_RSA_PSS_SHA384, CRYPTO_SIG_FMT_DER, seg,
	                                   3, sig, len),
	                 BW_ERR_AUTH);
	crypto_pkey_free(pub);
	crypto_pkey_free(rsa);
	crypto_pkey_free(ec);
	crypto_pkey_free(NULL);
	assert_int_not_equal(crypto_pkey_load_private_pem(&pub, path("nonexistent")), 0);
	assert_null(pub);
	assert_int_equal(crypto_pkey_load_private_pem(&pub, path("ca.pem")), BW_ERR_INVAL);
}

/* Our AlgorithmIdentifiers appear verbatim in certificates the CLI signs with that algorithm. */
static void test_algid(void **state)
{
	static const struct {
		enum crypto_sig_scheme scheme;
		const char *key, *opts;
	} cases[] = {
	        {CRYPTO_SIG_RSA_PKCS1_SHA256, "rsa", "-sha256"},
	        {CRYPTO_SIG_RSA_PKCS1_SHA384, "rsa", "-sha384"},
	        {CRYPTO_SIG_RSA_PKCS1_SHA512, "rsa", "-sha512"},
	        {CRYPTO_SIG_RSA_PSS_SHA256, "rsa",
	         "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
	        {CRYPTO_SIG_RSA_PSS_SHA384, "rsa",
	         "-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
	        {CRYPTO_SIG_RSA_PSS_SHA512, "rsa",
	         "-sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"},
	        {CRYPTO_SIG_ECDSA_SHA256, "ec256", "-sha256"},
	        {CRYPTO_SIG_ECDSA_SHA384, "ec256", "-sha384"},
	        {CRYPTO_SIG_ECDSA_SHA512, "ec256", "-sha512"},
	};
	/* RFC 7427 A.1.2 and A.3.2, written out here independently of the table in the source. */
	static const uint8_t a12[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	                              0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
	static const uint8_t a32[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	                              0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	enum crypto_sig_scheme s;
	uint8_t der[4096], mod[128];
	const uint8_t *a;
	size_t alen, n;

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		run("cd %s && openssl req -x509 -new -key %s.key -subj /CN=algid %s -days 1 "
		    "-outform DER -out algid.der >>log 2>&1",
		    dir, cases[k].key, cases[k].opts);
		n = read_file("algid.der", der, sizeof(der));
		assert_int_equal(crypto_sig_algid(cases[k].scheme, &a, &alen), 0);
		if (memmem(der, n, a, alen) == NULL)
			fail_msg("scheme %d: AlgorithmIdentifier not in the CLI's certificate",
			         cases[k].scheme);
		assert_int_equal(crypto_sig_algid_parse(a, alen, &s), 0);
		assert_int_equal(s, cases[k].scheme);
		/* Truncated, extended or changed encodings are refused. */
		assert_int_equal(crypto_sig_algid_parse(a, alen - 1, &s), BW_ERR_UNSUPP);
		memcpy(mod, a, alen);
		mod[alen] = 0;
		assert_int_equal(crypto_sig_algid_parse(mod, alen + 1, &s), BW_ERR_UNSUPP);
		for (size_t pos = 0; pos < alen; pos++) {
			memcpy(mod, a, alen);
			mod[pos] ^= 0x01;
			assert_int_not_equal(crypto_sig_algid_parse(mod, alen, &s) == 0 &&
			                             s == cases[k].scheme,
			                     1);
		}
	}
	assert_int_equal(crypto_sig_algid(CRYPTO_SIG_RSA_PKCS1_SHA256, &a, &alen), 0);
	assert_memory_equal(a, a12, sizeof(a12));
	assert_int_equal(alen, sizeof(a12));
	assert_int_equal(crypto_sig_algid(CRYPTO_SIG_ECDSA_SHA256, &a, &alen), 0);
	assert_int_equal(alen, sizeof(a32));
	assert_memory_equal(a, a32, sizeof(a32));
	assert_int_equal(crypto_sig_algid(CRYPTO_SIG__COUNT, &a, &alen), BW_ERR_UNSUPP);
}

static void test_cert_fields(void **state)
{
	struct crypto_cert *c, *c2;
	struct crypto_pkey *pub;
	uint8_t der[4096], buf[4096], spki[CRYPTO_SPKI_HASH], cli[CRYPTO_SPKI_HASH];
	size_t n, len, derlen;
	enum crypto_san_type t;
	static const uint8_t ip4[4] = {192, 0, 2, 1};
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	(void)state;
	derlen = read_file("rsa.der", der, sizeof(der));
	assert_int_equal(crypto_cert_from_der(&c, der, derlen), 0);
	/* DER round trip. */
	assert_int_equal(crypto_cert_to_der(c, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, derlen);
	assert_memory_equal(buf, der, derlen);
	assert_int_equal(crypto_cert_to_der(c, buf, 10, &len), BW_ERR_NOSPACE);
	/* Trailing bytes and truncation are refused (CERT payloads hold exactly one). */
	der[derlen] = 0;
	c2 = (struct crypto_cert *)&c2;
	assert_int_equal(crypto_cert_from_der(&c2, der, derlen + 1), BW_ERR_INVAL);
	assert_null(c2);
	assert_int_equal(crypto_cert_from_der(&c2, der, derlen - 1), BW_ERR_INVAL);
	assert_int_equal(crypto_cert_from_der(&c2, der, 0), BW_ERR_INVAL);

	assert_int_equal(crypto_cert_pubkey(c, &pub), 0);
	assert_int_equal(crypto_pkey_type(pub), CRYPTO_KEY_RSA);
	crypto_pkey_free(pub);

	/* Subject DN: the certificate's own subject field, verbatim. */
	assert_int_equal(crypto_cert_subject_der(c, buf, sizeof(buf), &len), 0);
	n = read_file("rsa.der", der, sizeof(der));
	assert_non_null(memmem(der, n, buf, len)); /* it is the subject field verbatim */
	assert_true(crypto_cert_subject_eq(c, buf, len));
	buf[len - 1] ^= 0x01;
	assert_false(crypto_cert_subject_eq(c, buf, len));
	buf[len - 1] ^= 0x01;
	assert_false(crypto_cert_subject_eq(c, buf, len - 1));
	assert_int_equal(crypto_cert_subject_der(c, buf, 5, &len), BW_ERR_NOSPACE);

	/* subjectAltNames in order, URI skipped. */
	assert_int_equal(crypto_cert_san(c, 0, &t, buf, sizeof(buf), &len), 0);
	assert_int_equal(t, CRYPTO_SAN_DNS);
	assert_int_equal(len, strlen("gw.Example.org"));
	assert_memory_equal(buf, "gw.Example.org", len);
	assert_int_equal(crypto_cert_san(c, 1, &t, buf, sizeof(buf), &len), 0);
	assert_int_equal(t, CRYPTO_SAN_EMAIL);
	assert_int_equal(crypto_cert_san(c, 2, &t, buf, sizeof(buf), &len), 0);
	assert_int_equal(t, CRYPTO_SAN_IP);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, ip4, 4);
	assert_int_equal(crypto_cert_san(c, 3, &t, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(crypto_cert_san(c, 4, &t, buf, sizeof(buf), &len), BW_ERR_NOTFOUND);
	assert_true(crypto_cert_has_san(c, CRYPTO_SAN_DNS, (const uint8_t *)"GW.example.ORG", 14));
	assert_false(crypto_cert_has_san(c, CRYPTO_SAN_DNS, (const uint8_t *)"gw.example.or", 13));
	assert_false(
	        crypto_cert_has_san(c, CRYPTO_SAN_EMAIL, (const uint8_t *)"gw.example.org", 14));
	assert_true(
	        crypto_cert_has_san(c, CRYPTO_SAN_EMAIL, (const uint8_t *)"admin@example.org", 17));
	assert_true(crypto_cert_has_san(c, CRYPTO_SAN_IP, ip4, 4));
	assert_true(crypto_cert_has_san(c, CRYPTO_SAN_IP, ip6, 16));
	assert_false(crypto_cert_has_san(c, CRYPTO_SAN_IP, ip6, 4));

	/* SPKI SHA-1 as the CLI computes it (CERTREQ, RFC 7296 3.7). */
	run("cd %s && openssl x509 -in rsa.pem -noout -pubkey | openssl pkey -pubin -outform DER "
	    "| openssl dgst -sha1 -binary > spki.sha1",
	    dir);
	assert_int_equal(read_file("spki.sha1", cli, sizeof(cli)), CRYPTO_SPKI_HASH);
	assert_int_equal(crypto_cert_spki_sha1(c, spki), 0);
	assert_memory_equal(spki, cli, CRYPTO_SPKI_HASH);
	crypto_cert_free(c);
	crypto_cert_free(NULL);
}

static void test_chain(void **state)
{
	struct crypto_trust *t, *wrong;
	struct crypto_cert *leaf = load_cert("ec256.pem"), *inter = load_cert("int.pem");
	struct crypto_cert *ca = load_cert("ca.pem");
	const struct crypto_cert *chain[1] = {inter};
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(crypto_trust_new(&t), 0);
	assert_int_equal(crypto_trust_add_pem(t, path("ca.pem")), 0);
	assert_int_equal(crypto_trust_verify(t, leaf, chain, 1, now), 0);
	/* Missing intermediate. */
	assert_int_equal(crypto_trust_verify(t, leaf, NULL, 0, now), BW_ERR_AUTH);
	/* The intermediate itself chains to the root. */
	assert_int_equal(crypto_trust_verify(t, inter, NULL, 0, now), 0);
	/* Expired (leaf valid 10 days, intermediate 20, root 30) and not yet valid. */
	assert_int_equal(crypto_trust_verify(t, leaf, chain, 1, now + 15 * 86400), BW_ERR_AUTH);
	assert_int_equal(crypto_trust_verify(t, leaf, chain, 1, now + 25 * 86400), BW_ERR_AUTH);
	assert_int_equal(crypto_trust_verify(t, leaf, chain, 1, now - 2 * 86400), BW_ERR_AUTH);
	assert_int_equal(crypto_trust_verify(t, leaf, chain, 1, now + 5 * 86400), 0);

	/* Wrong CA. */
	assert_int_equal(crypto_trust_new(&wrong), 0);
	assert_int_equal(crypto_trust_add_pem(wrong, path("other.pem")), 0);
	assert_int_equal(crypto_trust_verify(wrong, leaf, chain, 1, now), BW_ERR_AUTH);
	/* A leaf is not a CA: trusting only "rsa" does not make ec256 valid. */
	crypto_trust_free(wrong);
	assert_int_equal(crypto_trust_new(&wrong), 0);
	assert_int_equal(crypto_trust_add_pem(wrong, path("rsa.pem")), 0);
	assert_int_equal(crypto_trust_verify(wrong, leaf, chain, 1, now), BW_ERR_AUTH);
	/* Adding the right root as a cert object fixes it. */
	assert_int_equal(crypto_trust_add(wrong, ca), 0);
	assert_int_equal(crypto_trust_verify(wrong, leaf, chain, 1, now), 0);
	crypto_trust_free(wrong);
	/* A file without certificates is refused. */
	assert_int_equal(crypto_trust_new(&wrong), 0);
	assert_int_equal(crypto_trust_add_pem(wrong, path("rsa.key")), BW_ERR_INVAL);
	crypto_trust_free(wrong);
	crypto_trust_free(NULL);

	crypto_trust_free(t);
	crypto_cert_free(leaf);
	crypto_cert_free(inter);
	crypto_cert_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sign_verify),     cmocka_unit_test(test_cross_openssl_cli),
	        cmocka_unit_test(test_scheme_mismatch), cmocka_unit_test(test_algid),
	        cmocka_unit_test(test_cert_fields),     cmocka_unit_test(test_chain),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, make_pki, remove_pki);
}
