/* SPDX-License-Identifier: ISC */
/* Internals of the IKE module shared by its files: the IKE SA and its keys. */
#ifndef BW_IKE_INT_H
#define BW_IKE_INT_H

#include "crypto/crypto.h"
#include "crypto/crypto_dh.h"
#include "crypto/crypto_prf.h"
#include "ike/ike.h"
#include "ike/ikev2_wire.h"
#include "lib/htab.h"

enum {
	IKE_MSG_MAX = 8192,         /* largest message built or accepted */
	IKE_NONCE_LEN = 32,         /* ours: >= half the PRF key size (RFC 7296 2.10) */
	IKE_RETRANS_TRIES = 5,      /* retransmissions before giving up */
	IKE_RETRANS_BASE_MS = 1000, /* then doubling (RFC 7296 2.1) */
	IKE_HALF_OPEN_MS = 30000,   /* a responder forgets an unfinished IKE_SA_INIT */
	IKE_KEY_MAX = 64,
	IKE_MAX_SA = 65536,
	IKE_FRAG_SIZE = 1200,      /* largest IKE datagram before fragmenting (RFC 7383 2.5.1) */
	IKE_FRAG_MAX = 32,         /* fragments of one message */
	IKE_COOKIE_THRESHOLD = 10, /* half-open SAs before COOKIEs are demanded (2.6) */
	IKE_COOKIE_LEN = 20,       /* version (4) | truncated SHA-256 (16) */
};

#define IKE_STATE_LIST(X)                                                                          \
	X(INIT_SENT) /* initiator: IKE_SA_INIT request out */                                      \
	X(INIT_DONE) /* responder: IKE_SA_INIT answered, waiting for IKE_AUTH */                   \
	X(AUTH_SENT) /* initiator: IKE_AUTH request out */                                         \
	X(ESTABLISHED)                                                                             \
	X(DELETING) /* our Delete is out */                                                        \
	X(DEAD)     /* to be reaped */

#define IKE_X_STATE(n) IKE_ST_##n,
enum ike_state { IKE_STATE_LIST(IKE_X_STATE) IKE_ST__MAX };
#undef IKE_X_STATE

/* Negotiated transforms (IANA IDs) of an IKE SA or a CHILD_SA. */
struct ike_xf {
	uint16_t encr;
	uint16_t encr_bits;
	uint16_t prf;   /* IKE only */
	uint16_t integ; /* 0 with AEADs */
	uint16_t dh;    /* 0 = none (CHILD_SA without PFS) */
	uint16_t esn;   /* ESP only */
};

/* One direction's keys of the SK payload. */
struct ike_sk_keys {
	uint8_t ek[IKE_KEY_MAX]; /* encryption key (AEAD: with the 4-byte salt) */
	uint8_t ak[IKE_KEY_MAX]; /* integrity key (CBC) */
	struct crypto_aead *aead;
	struct crypto_cbc *cbc;
	struct crypto_hmac *hmac;
};

struct ike_child {
	struct ike_child *next;
	const struct ike_child_conf *conf;
	uint32_t spi_in;  /* ours, what the peer sends to */
	uint32_t spi_out; /* the peer's */
	struct ike_xf xf;
	uint32_t handle; /* from ops->child_add */
	bool installed;
	bool transport;
	bool rekeyed;                /* replaced by a newer CHILD_SA; waiting for its Delete */
	struct ikev2_tsp ts_l, ts_r; /* negotiated selectors: ours, the peer's */
	uint64_t established_ms;
	uint64_t rekey_at;  /* 0 = never */
	uint64_t expire_at; /* hard lifetime; 0 = never */
	/* Simultaneous rekey (2.8.1): the peer's exchange for this SA while ours ran. */
	uint8_t coll_nonce[IKEV2_NONCE_MAX]; /* lower nonce of the peer's exchange */
	size_t coll_nonce_len;
};

/* What our outstanding request is for (the window is one, RFC 7296 2.3). */
enum ike_task {
	IKE_TASK_NONE,
	IKE_TASK_CHILD_REKEY,
	IKE_TASK_IKE_REKEY,
	IKE_TASK_DPD,
	IKE_TASK_DELETE,
	IKE_TASK_CHILD_DELETE,
};

struct ike_sa {
	struct ike_sa *next;
	struct ike *ike;
	const struct ike_conn_conf *conf; /* NULL on a responder until IKE_AUTH picks one */
	enum ike_state state;
	bool initiator;
	uint64_t spi_i, spi_r;
	struct bw_addr local, remote; /* with ports */
	bool natt;                    /* talking on the NAT-T port */
	bool nat_local, nat_remote;   /* NAT detected in front of us / the peer */
	struct ike_xf xf;
	/* IKE_SA_INIT material kept for AUTH (RFC 7296 2.15). */
	uint8_t ni[IKEV2_NONCE_MAX], nr[IKEV2_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp; /* RealMessage1 and RealMessage2 */
	size_t init_req_len, init_resp_len;
	struct crypto_dh *dh;
	uint16_t dh_group; /* initiator: the group our KE carries */
	/* Keys. */
	uint8_t sk_d[IKE_KEY_MAX], sk_pi[IKE_KEY_MAX], sk_pr[IKE_KEY_MAX];
	size_t prf_len;
	struct ike_sk_keys sk_i, sk_r; /* initiator->responder, responder->initiator */
	size_t sk_iv_len, sk_icv_len, sk_block;
	bool keys;
	/* Message IDs and the window of one (RFC 7296 2.3). */
	uint32_t msgid_out; /* next request we send */
	uint32_t msgid_in;  /* next request we expect */
	uint8_t *last_req;  /* our outstanding request, for retransmission */
	size_t last_req_len;
	uint64_t retrans_at;
	unsigned retrans_n;
	uint8_t *last_resp; /* our last response, resent on a retransmitted request */
	size_t last_resp_len;
	uint32_t last_resp_id;
	bool has_last_resp;
	/* The first CHILD_SA, negotiated inside IKE_AUTH. */
	const struct ike_child_conf *pending_child;
	uint32_t pending_spi;
	struct ike_child *children;
	uint64_t created_ms, established_ms, expire_ms;
	uint64_t last_heard_ms;
	uint64_t rekey_at;  /* IKE SA rekey; 0 = never */
	uint64_t reauth_at; /* reauthentication (a new IKE SA from scratch); 0 = never */
	uint64_t replaces;  /* our SPI of the SA this one reauthenticates; 0 = none */
	/* Simultaneous IKE SA rekey (2.8.2): the successor the peer's exchange made. */
	uint64_t coll_succ; /* its SPI (ours); 0 = none */
	uint8_t coll_nonce[IKEV2_NONCE_MAX];
	size_t coll_nonce_len;
	bool rekeyed; /* replaced by a rekeyed IKE SA; waiting for the Delete */
	/* The exchange we started with CREATE_CHILD_SA or INFORMATIONAL. */
	enum ike_task task;
	struct ike_child *task_child; /* being rekeyed or deleted */
	uint32_t task_spi;            /* new CHILD_SA: our inbound SPI */
	uint64_t task_ike_spi;        /* new IKE SA: our SPI */
	uint8_t task_nonce[IKEV2_NONCE_MAX];
	size_t task_nonce_len;
	struct crypto_dh *task_dh;
	/* IKE fragmentation (RFC 7383). */
	bool frag_ok;                /* both ends announced IKEV2_FRAGMENTATION_SUPPORTED */
	uint8_t *frag[IKE_FRAG_MAX]; /* decrypted fragments of the message being collected */
	size_t frag_len[IKE_FRAG_MAX];
	uint16_t frag_total;
	uint32_t frag_msgid;
	bool frag_response;
	uint8_t frag_first;
	uint8_t *frag_whole; /* the joined plaintext, alive while its message is handled */
	/* Remote access: the virtual IP leased to the peer (2.19). */
	struct bw_addr vip;
	bool has_vip;
	bool vip_ours; /* we are the client: the address was given to us, not leased */
};

struct ike_pool;

struct ike {
	struct ike_pool *pools;   /* virtual IP leases (ike_pool.c) */
	struct ike_creds **creds; /* per connection, NULL without public keys */
	const struct ike_conn_conf *conns;
	size_t n_conns;
	struct ike_ops ops;
	void *arg;
	struct ike_sa *sas;
	size_t n_sas;
	struct htab *by_spi;    /* our SPI (SPIi if we initiated, else SPIr) -> SA */
	struct htab *by_peer;   /* responder SAs by the peer's SPIi (IKE_SA_INIT retransmissions) */
	size_t half_open;       /* responder SAs in INIT_DONE */
	unsigned retrans_tries; /* IKE_RETRANS_TRIES */
	unsigned retrans_base_ms;  /* IKE_RETRANS_BASE_MS */
	bool log_keys;             /* ike_set_log_keys() */
	size_t frag_size;          /* IKE_FRAG_SIZE; tests lower it */
	size_t cookie_threshold;   /* IKE_COOKIE_THRESHOLD; tests lower it */
	uint8_t cookie_secret[32]; /* for stateless COOKIE values (2.6) */
	uint64_t stats_dropped;
};

const char *ike_state_name(enum ike_state s);
void ike_set_state(struct ike_sa *sa, enum ike_state s);
int ike_random(struct ike *ike, void *buf, size_t len);

/* ike_sa.c */
struct ike_sa *ike_sa_new(struct ike *ike, bool initiator);
struct ike_sa *ike_sa_find(struct ike *ike, uint64_t spi_i, uint64_t spi_r, bool by_i_only);
/* Indexes a responder SA by the peer's SPIi once it is known. */
void ike_sa_index_peer(struct ike_sa *sa);
/* Re-indexes an SA whose own SPI changed (an IKE SA made by rekeying). */
int ike_sa_reindex(struct ike_sa *sa, uint64_t old_spi);
void ike_sa_kill(struct ike_sa *sa, const char *why);
/* Encrypts a chain into an SK message and sends it (request or response). */
int ike_send_sk(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                const uint8_t *inner, size_t inner_len, uint8_t first, uint64_t now);
/* Sends a plaintext message (IKE_SA_INIT); keeps requests for retransmission. */
int ike_send_plain(struct ike_sa *sa, const uint8_t *msg, size_t len, bool response, uint64_t now);
/* Decrypts msg's SK payload in place and parses the inner chain into m. */
int ike_sk_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ikev2_msg *m);

/* ike_keys.c */
int ike_xf_lengths(const struct ike_xf *xf, size_t *enc_key, size_t *integ_key, size_t *iv,
                   size_t *icv, size_t *block);
int ike_derive_ike_keys(struct ike_sa *sa, const uint8_t *shared, size_t shared_len);
/* Keys of an IKE SA made by rekeying old (2.18); sa holds the new nonces, SPIs, xf. */
int ike_derive_rekeyed(struct ike_sa *sa, const struct ike_sa *old, const uint8_t *shared,
                       size_t shared_len);
int ike_derive_keys(struct ike_sa *sa, const struct crypto_iov *prfkey, size_t nkey,
                    const struct crypto_iov *data, size_t ndata);
int ike_derive_keys_from_seed(struct ike_sa *sa, const struct crypto_iov *seedkey);
int ike_auth_psk(const struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
                 size_t id_body_len, uint8_t *out, size_t *out_len);
/* shared/shared_len: the new g^ir with PFS, or NULL/0. */
/* The three segments of <SignedOctets> (2.15); macid receives prf(SK_px, IDx'). */
int ike_signed_octets(const struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
                      size_t id_body_len, struct crypto_iov seg[3], uint8_t macid[CRYPTO_PRF_MAX]);
int ike_child_keys(const struct ike_sa *sa, const struct ike_xf *xf, const uint8_t *shared,
                   size_t shared_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                   size_t nr_len, struct esp_sa_cfg *i2r, struct esp_sa_cfg *r2i);
void ike_sa_wipe_keys(struct ike_sa *sa);

/* ike_prop.c */
void ike_prop_build(const struct ike_proposal *p, size_t n, uint8_t proto, const uint8_t *spi,
                    size_t spi_len, struct ikev2_sa *out);
/* Picks the first of our proposals the peer's SA payload satisfies. */
int ike_prop_select(const struct ike_proposal *ours, size_t n, const struct ikev2_sa *peer,
                    uint8_t proto, struct ike_xf *xf, const struct ikev2_prop **chosen);
/* Checks that a response carries one proposal we offered; fills xf. */
int ike_prop_check_reply(const struct ike_proposal *ours, size_t n, const struct ikev2_sa *reply,
                         uint8_t proto, struct ike_xf *xf, const struct ikev2_prop **chosen);
void ike_prop_single(const struct ike_xf *xf, uint8_t proto, uint8_t num, const uint8_t *spi,
                     size_t spi_len, struct ikev2_sa *out);
/* Traffic selectors: config -> payload, and narrowing (RFC 7296 2.9). */
void ike_ts_from_conf(const struct bw_addr *p, const uint8_t *plen, size_t n,
                      const struct bw_addr *dynamic, struct ikev2_tsp *out);
int ike_ts_narrow(const struct ikev2_tsp *proposed, const struct bw_addr *p, const uint8_t *plen,
                  size_t n, const struct bw_addr *dynamic, struct ikev2_tsp *out);

/* ike_cert.c: credentials for public-key authentication (RFC 7427) */
struct ike_creds;
int ike_creds_load(struct ike *ike);
void ike_creds_free(struct ike *ike);
const struct ike_creds *ike_creds_of(const struct ike_sa *sa);
/* Our identity from the certificate subject (ID_DER_ASN1_DN body). */
size_t ike_cert_id_body(const struct ike_creds *cr, uint8_t *out, size_t cap);
/* CERT (and CERTREQ when want_certreq) then AUTH method 14 over our signed octets. */
int ike_cert_build_auth(struct ike_sa *sa, struct ikev2_bld *b, bool of_initiator,
                        const uint8_t *id_body, size_t id_len, bool want_certreq);
int ike_cert_build_certreq(const struct ike_sa *sa, struct ikev2_bld *b);
/* Verifies the peer's certificate chain, identity and AUTH signature. */
int ike_cert_verify(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m);

/* ike_pool.c */
int ike_pool_acquire(struct ike *ike, const struct ike_conn_conf *c, int family,
                     struct bw_addr *out);
void ike_pool_release(struct ike *ike, const struct ike_conn_conf *c, const struct bw_addr *a);
void ike_pools_free(struct ike *ike);

/* ike_child.c */
int ike_new_child_spi(struct ike *ike, uint32_t *spi);
int ike_child_install(struct ike_sa *sa, const struct ike_child_conf *cc, const struct ike_xf *xf,
                      uint32_t spi_in, uint32_t spi_out, bool transport, bool we_initiated,
                      const struct ikev2_tsp *ts_local, const struct ikev2_tsp *ts_remote,
                      const uint8_t *shared, size_t shared_len, const uint8_t *ni, size_t ni_len,
                      const uint8_t *nr, size_t nr_len, uint64_t now);
int ike_child_rekey_start(struct ike_sa *sa, struct ike_child *c, uint64_t now);
int ike_rekey_start(struct ike_sa *sa, uint64_t now);
int ike_child_delete_start(struct ike_sa *sa, struct ike_child *c, uint64_t now);
int ike_dpd_start(struct ike_sa *sa, uint64_t now);
void ike_create_child_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
void ike_create_child_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
/* Runs what is due on an established SA with no request outstanding. */
void ike_sa_due(struct ike_sa *sa, uint64_t now);
uint64_t ike_sa_next_due(const struct ike_sa *sa);
void ike_child_unlink(struct ike_sa *sa, struct ike_child *c);
/* Random jitter: when - up to 10 % of span, so both ends do not rekey at once. */
uint64_t ike_jitter(struct ike *ike, uint64_t when, uint64_t span);

/* ike_init.c / ike_auth.c / ike_info.c */
int ike_init_start(struct ike *ike, const struct ike_conn_conf *c, uint64_t now);
int ike_init_start_sa(struct ike *ike, const struct ike_conn_conf *c, uint64_t now,
                      struct ike_sa **out);
void ike_init_request(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst,
                      bool natt, uint8_t *buf, size_t len, struct ikev2_msg *m, uint64_t now);
void ike_init_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
int ike_auth_start(struct ike_sa *sa, uint64_t now);
void ike_auth_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
void ike_auth_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
void ike_info_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
void ike_info_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now);
int ike_delete_send(struct ike_sa *sa, uint64_t now);
void ike_children_remove(struct ike_sa *sa);

#endif
