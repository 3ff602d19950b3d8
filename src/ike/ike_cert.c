/* SPDX-License-Identifier: ISC */
/*
 * Public-key authentication for IKEv2: X.509 certificates in CERT payloads
 * (RFC 7296 3.6, encoding 4), trust anchors announced in CERTREQ (3.7, SHA-1
 * of the CA's SubjectPublicKeyInfo), and AUTH method 14, Digital Signature
 * (RFC 7427), with RSA PKCS#1 v1.5 or ECDSA P-256/P-384 over the signed
 * octets of RFC 7296 2.15. The peer's identity must be the certificate's
 * subject (ID_DER_ASN1_DN) or one of its subjectAltNames.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_sig.h"
#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"

enum { CERT_DER_MAX = 4096, CA_MAX = 8 };

struct ike_creds {
	struct crypto_pkey *key;   /* our private key */
	struct crypto_cert *cert;  /* our certificate */
	uint8_t der[CERT_DER_MAX]; /* and its DER for CERT payloads */
	size_t der_len;
	enum crypto_sig_scheme scheme;
	struct crypto_trust *trust; /* anchors for the peer */
	uint8_t ca_hash[CA_MAX][CRYPTO_SPKI_HASH];
	size_t n_ca;
};

static void creds_free(struct ike_creds *cr)
{
	if (cr == NULL)
		return;
	crypto_pkey_free(cr->key);
	crypto_cert_free(cr->cert);
	crypto_trust_free(cr->trust);
	free(cr);
}

static int scheme_for(const struct crypto_pkey *key, bool pss, enum crypto_sig_scheme *s)
{
	switch (crypto_pkey_type(key)) {
	case CRYPTO_KEY_RSA:
		*s = pss ? CRYPTO_SIG_RSA_PSS_SHA256 : CRYPTO_SIG_RSA_PKCS1_SHA256;
		return 0;
	case CRYPTO_KEY_EC_P256:
		*s = CRYPTO_SIG_ECDSA_SHA256;
		return 0;
	case CRYPTO_KEY_EC_P384:
		*s = CRYPTO_SIG_ECDSA_SHA384;
		return 0;
	default:
		return BW_ERR_UNSUPP;
	}
}

static int creds_load(const struct ike_conn_conf *c, struct ike_creds **out)
{
	struct ike_creds *cr = calloc(1, sizeof(*cr));
	struct crypto_pkey *certkey = NULL;
	int r = BW_ERR_NOMEM;

	*out = NULL;
	if (cr == NULL)
		return r;
	if (c->local.auth == IKE_AUTH_PUBKEY) {
		if ((r = crypto_pkey_load_private_pem(&cr->key, c->local.key)) != 0 ||
		    (r = crypto_cert_load_pem(&cr->cert, c->local.cert)) != 0 ||
		    (r = crypto_cert_to_der(cr->cert, cr->der, sizeof(cr->der), &cr->der_len)) !=
		            0 ||
		    (r = crypto_cert_pubkey(cr->cert, &certkey)) != 0 ||
		    (r = scheme_for(cr->key, c->local.rsa_pss, &cr->scheme)) != 0) {
			log_err_r("ike", r, "conn=%s: cannot load %s / %s", c->name, c->local.cert,
			          c->local.key);
			goto fail;
		}
		if (!crypto_pkey_match(cr->key, certkey)) {
			log_err("ike", "conn=%s: %s does not belong to %s", c->name, c->local.key,
			        c->local.cert);
			r = BW_ERR_CONFIG;
			goto fail;
		}
	}
	if (c->remote.auth == IKE_AUTH_PUBKEY) {
		struct crypto_cert *ca = NULL;

		if ((r = crypto_trust_new(&cr->trust)) != 0 ||
		    (r = crypto_trust_add_pem(cr->trust, c->remote.cacert)) != 0) {
			log_err_r("ike", r, "conn=%s: cannot load trust anchors %s", c->name,
			          c->remote.cacert);
			goto fail;
		}
		/* The first anchor of the file is the one announced in CERTREQ. */
		if (crypto_cert_load_pem(&ca, c->remote.cacert) == 0 &&
		    crypto_cert_spki_sha1(ca, cr->ca_hash[0]) == 0)
			cr->n_ca = 1;
		crypto_cert_free(ca);
	}
	crypto_pkey_free(certkey);
	*out = cr;
	return 0;
fail:
	crypto_pkey_free(certkey);
	creds_free(cr);
	return r;
}

int ike_creds_load(struct ike *ike)
{
	int r;

	if ((ike->creds = calloc(ike->n_conns + 1, sizeof(*ike->creds))) == NULL)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < ike->n_conns; i++) {
		const struct ike_conn_conf *c = &ike->conns[i];

		if (c->local.auth != IKE_AUTH_PUBKEY && c->remote.auth != IKE_AUTH_PUBKEY)
			continue;
		if ((r = creds_load(c, &ike->creds[i])) != 0)
			return r;
	}
	return 0;
}

void ike_creds_free(struct ike *ike)
{
	if (ike->creds == NULL)
		return;
	for (size_t i = 0; i < ike->n_conns; i++)
		creds_free(ike->creds[i]);
	free(ike->creds);
	ike->creds = NULL;
}

const struct ike_creds *ike_creds_of(const struct ike_sa *sa)
{
	const struct ike *ike = sa->ike;

	if (ike->creds == NULL || sa->conf == NULL)
		return NULL;
	return ike->creds[sa->conf - ike->conns];
}

size_t ike_cert_id_body(const struct ike_creds *cr, uint8_t *out, size_t cap)
{
	size_t len;

	if (cr == NULL || cr->cert == NULL || cap < 4)
		return 0;
	memset(out, 0, 4);
	out[0] = IKEV2_ID_DER_ASN1_DN;
	if (crypto_cert_subject_der(cr->cert, out + 4, cap - 4, &len) != 0)
		return 0;
	return len + 4;
}

int ike_cert_build_certreq(const struct ike_sa *sa, struct ikev2_bld *b)
{
	const struct ike_creds *cr = ike_creds_of(sa);

	if (cr == NULL || cr->n_ca == 0)
		return 0;
	return ikev2_build_certreq(b, IKEV2_CERT_X509_SIG, cr->ca_hash,
	                           cr->n_ca * CRYPTO_SPKI_HASH);
}

int ike_cert_build_auth(struct ike_sa *sa, struct ikev2_bld *b, bool of_initiator,
                        const uint8_t *id_body, size_t id_len, bool want_certreq)
{
	const struct ike_creds *cr = ike_creds_of(sa);
	uint8_t macid[CRYPTO_PRF_MAX], sig[1024];
	struct crypto_iov seg[3];
	const uint8_t *algid;
	size_t algid_len, siglen = sizeof(sig);
	int r;

	if (cr == NULL || cr->key == NULL)
		return BW_ERR_CONFIG;
	if ((r = ikev2_build_cert(b, IKEV2_CERT_X509_SIG, cr->der, cr->der_len)) != 0 ||
	    (want_certreq && (r = ike_cert_build_certreq(sa, b)) != 0))
		return r;
	if ((r = ike_signed_octets(sa, of_initiator, id_body, id_len, seg, macid)) != 0 ||
	    (r = crypto_sig_algid(cr->scheme, &algid, &algid_len)) != 0 ||
	    (r = crypto_sig_sign(cr->key, cr->scheme, CRYPTO_SIG_FMT_DER, seg, 3, sig, &siglen)) !=
	            0)
		goto out;
	r = ikev2_build_auth_ds(b, algid, algid_len, sig, siglen);
out:
	crypto_wipe(macid, sizeof(macid));
	return r;
}

/* The identity the peer claims must name the certificate (RFC 7296 3.5, 4.4). */
static bool id_in_cert(const struct crypto_cert *cert, const struct ikev2_idp *id)
{
	switch (id->type) {
	case IKEV2_ID_DER_ASN1_DN:
		return crypto_cert_subject_eq(cert, id->data.p, id->data.len);
	case IKEV2_ID_FQDN:
		return crypto_cert_has_san(cert, CRYPTO_SAN_DNS, id->data.p, id->data.len);
	case IKEV2_ID_RFC822_ADDR:
		return crypto_cert_has_san(cert, CRYPTO_SAN_EMAIL, id->data.p, id->data.len);
	case IKEV2_ID_IPV4_ADDR:
	case IKEV2_ID_IPV6_ADDR:
		return crypto_cert_has_san(cert, CRYPTO_SAN_IP, id->data.p, id->data.len);
	default:
		return false;
	}
}

int ike_cert_verify(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m)
{
	const struct ike_creds *cr = ike_creds_of(sa);
	const struct ikev2_idp *id = of_initiator ? &m->id_i : &m->id_r;
	struct crypto_cert *leaf = NULL, *chain[IKEV2_MAX_CERT];
	struct crypto_pkey *pub = NULL;
	enum crypto_sig_scheme scheme;
	uint8_t macid[CRYPTO_PRF_MAX];
	struct crypto_iov seg[3];
	size_t nchain = 0;
	int r = BW_ERR_AUTH;

	if (cr == NULL || cr->trust == NULL || m->auth.method != IKEV2_AUTH_DIGITAL_SIG ||
	    m->ncert == 0 || m->cert[0].enc != IKEV2_CERT_X509_SIG)
		return BW_ERR_AUTH;
	if (crypto_cert_from_der(&leaf, m->cert[0].data.p, m->cert[0].data.len) != 0)
		goto out;
	for (unsigned i = 1; i < m->ncert; i++)
		if (m->cert[i].enc == IKEV2_CERT_X509_SIG &&
		    crypto_cert_from_der(&chain[nchain], m->cert[i].data.p, m->cert[i].data.len) ==
		            0)
			nchain++;
	/* Certificate validity is judged against the wall clock. */
	if (crypto_trust_verify(cr->trust, leaf, (const struct crypto_cert *const *)chain, nchain,
	                        time(NULL)) != 0) {
		log_notice("ike", "conn=%s: peer certificate not trusted", sa->conf->name);
		goto out;
	}
	if (!id_in_cert(leaf, id)) {
		log_notice("ike", "conn=%s: peer identity is not in its certificate",
		           sa->conf->name);
		goto out;
	}
	if (crypto_sig_algid_parse(m->auth.algid.p, m->auth.algid.len, &scheme) != 0 ||
	    scheme == CRYPTO_SIG_RSA_PKCS1_SHA1 || crypto_cert_pubkey(leaf, &pub) != 0 ||
	    ike_signed_octets(sa, of_initiator, id->body.p, id->body.len, seg, macid) != 0)
		goto out;
	r = crypto_sig_verify(pub, scheme, CRYPTO_SIG_FMT_DER, seg, 3, m->auth.sig.p,
	                      m->auth.sig.len) == 0
	            ? 0
	            : BW_ERR_AUTH;
out:
	crypto_wipe(macid, sizeof(macid));
	crypto_pkey_free(pub);
	crypto_cert_free(leaf);
	for (size_t i = 0; i < nchain; i++)
		crypto_cert_free(chain[i]);
	return r;
}
