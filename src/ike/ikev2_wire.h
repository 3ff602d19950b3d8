/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 wire codec (RFC 7296 section 3, RFC 7383 SKF fragments, RFC 7427
 * digital signature AUTH): every wire constant and limit of IKEv2 in named
 * enums generated from X-macro lists (so each has a name table for logging),
 * a parser that validates a whole message into a host-order struct of
 * borrowed views before anyone acts on it, and a builder that appends
 * payloads to a struct bw_wr and patches next-payload and length fields.
 * Pure functions: no state, no clock, no allocation.
 *
 * Ownership: struct ikev2_msg borrows the buffer it was parsed from; every
 * struct ikev2_view in it points into that buffer (or into the decrypted
 * buffer given to ikev2_payloads_parse()) and is valid while it lives.
 */
#ifndef BW_IKEV2_WIRE_H
#define BW_IKEV2_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rd.h"

/* Fixed sizes (RFC 7296 3.1, 3.2) and the limits this parser enforces. */
enum ikev2_size {
	IKEV2_HDR_LEN = 28,    /* IKE header */
	IKEV2_GEN_LEN = 4,     /* generic payload header */
	IKEV2_VERSION = 0x20,  /* major 2, minor 0 */
	IKEV2_NONCE_MIN = 16,  /* RFC 7296 3.9 */
	IKEV2_NONCE_MAX = 256, /* RFC 7296 3.9 */
	IKEV2_SPI_MAX = 8,     /* largest SPI in a proposal or notify */
	IKEV2_MAX_PROPOSALS = 64,
	IKEV2_MAX_XF_PER_PROP = 64,
	IKEV2_MAX_XF = 256, /* transforms over all proposals of one SA payload */
	IKEV2_MAX_NOTIFY = 32,
	IKEV2_MAX_CERT = 8, /* CERT payloads (a chain) */
	IKEV2_MAX_CERTREQ = 8,
	IKEV2_MAX_DELETE = 8,
	IKEV2_MAX_VENDOR = 16,
	IKEV2_MAX_TS = 16, /* selectors per TS payload */
	IKEV2_MAX_CP_ATTRS = 32,
	IKEV2_MAX_PAYLOADS = 128, /* payloads per chain, known or not */
};

/* Header flags (RFC 7296 3.1); the other bits are ignored on receipt. */
enum ikev2_flag {
	IKEV2_FLAG_INITIATOR = 0x08,
	IKEV2_FLAG_VERSION = 0x10,
	IKEV2_FLAG_RESPONSE = 0x20,
};

/* Generic payload header byte 1 (RFC 7296 3.2). */
enum { IKEV2_CRITICAL = 0x80 };

/* Transform attribute format bit and the one attribute IKEv2 defines (3.3.5). */
enum { IKEV2_ATTR_TV = 0x8000, IKEV2_ATTR_KEY_LENGTH = 14 };

/*
 * Each list below is X(NAME, value); it generates enum ikev2_<list> with
 * values IKEV2_<PREFIX>_<NAME> and const char *ikev2_<list>_name(unsigned)
 * that returns "NAME" or "?" for a value not in the list.
 */
#define IKEV2_EXCHANGE_LIST(X)                                                                     \
	X(IKE_SA_INIT, 34)                                                                         \
	X(IKE_AUTH, 35)                                                                            \
	X(CREATE_CHILD_SA, 36)                                                                     \
	X(INFORMATIONAL, 37)                                                                       \
	X(IKE_SESSION_RESUME, 38)                                                                  \
	X(IKE_INTERMEDIATE, 43)

#define IKEV2_PAYLOAD_LIST(X)                                                                      \
	X(NONE, 0)                                                                                 \
	X(SA, 33)                                                                                  \
	X(KE, 34)                                                                                  \
	X(IDI, 35)                                                                                 \
	X(IDR, 36)                                                                                 \
	X(CERT, 37)                                                                                \
	X(CERTREQ, 38)                                                                             \
	X(AUTH, 39)                                                                                \
	X(NONCE, 40)                                                                               \
	X(NOTIFY, 41)                                                                              \
	X(DELETE, 42)                                                                              \
	X(VENDOR, 43)                                                                              \
	X(TSI, 44)                                                                                 \
	X(TSR, 45)                                                                                 \
	X(SK, 46)                                                                                  \
	X(CP, 47)                                                                                  \
	X(EAP, 48)                                                                                 \
	X(SKF, 53)

#define IKEV2_PROTO_LIST(X)                                                                        \
	X(NONE, 0)                                                                                 \
	X(IKE, 1)                                                                                  \
	X(AH, 2)                                                                                   \
	X(ESP, 3)

#define IKEV2_XF_TYPE_LIST(X)                                                                      \
	X(ENCR, 1)                                                                                 \
	X(PRF, 2)                                                                                  \
	X(INTEG, 3)                                                                                \
	X(DH, 4)                                                                                   \
	X(ESN, 5)

#define IKEV2_ENCR_LIST(X)                                                                         \
	X(DES_IV64, 1)                                                                             \
	X(DES, 2)                                                                                  \
	X(3DES, 3)                                                                                 \
	X(NULL, 11)                                                                                \
	X(AES_CBC, 12)                                                                             \
	X(AES_CTR, 13)                                                                             \
	X(AES_CCM_8, 14)                                                                           \
	X(AES_CCM_12, 15)                                                                          \
	X(AES_CCM_16, 16)                                                                          \
	X(AES_GCM_8, 18)                                                                           \
	X(AES_GCM_12, 19)                                                                          \
	X(AES_GCM_16, 20)                                                                          \
	X(NULL_AUTH_AES_GMAC, 21)                                                                  \
	X(CAMELLIA_CBC, 23)                                                                        \
	X(CAMELLIA_CTR, 24)                                                                        \
	X(CHACHA20_POLY1305, 28)

#define IKEV2_PRF_LIST(X)                                                                          \
	X(HMAC_MD5, 1)                                                                             \
	X(HMAC_SHA1, 2)                                                                            \
	X(AES128_XCBC, 4)                                                                          \
	X(HMAC_SHA2_256, 5)                                                                        \
	X(HMAC_SHA2_384, 6)                                                                        \
	X(HMAC_SHA2_512, 7)                                                                        \
	X(AES128_CMAC, 8)

#define IKEV2_INTEG_LIST(X)                                                                        \
	X(NONE, 0)                                                                                 \
	X(HMAC_MD5_96, 1)                                                                          \
	X(HMAC_SHA1_96, 2)                                                                         \
	X(AES_XCBC_96, 5)                                                                          \
	X(HMAC_MD5_128, 6)                                                                         \
	X(HMAC_SHA1_160, 7)                                                                        \
	X(AES_CMAC_96, 8)                                                                          \
	X(AES_128_GMAC, 9)                                                                         \
	X(AES_192_GMAC, 10)                                                                        \
	X(AES_256_GMAC, 11)                                                                        \
	X(HMAC_SHA2_256_128, 12)                                                                   \
	X(HMAC_SHA2_384_192, 13)                                                                   \
	X(HMAC_SHA2_512_256, 14)

#define IKEV2_DH_LIST(X)                                                                           \
	X(NONE, 0)                                                                                 \
	X(MODP768, 1)                                                                              \
	X(MODP1024, 2)                                                                             \
	X(MODP1536, 5)                                                                             \
	X(MODP2048, 14)                                                                            \
	X(MODP3072, 15)                                                                            \
	X(MODP4096, 16)                                                                            \
	X(MODP6144, 17)                                                                            \
	X(MODP8192, 18)                                                                            \
	X(ECP256, 19)                                                                              \
	X(ECP384, 20)                                                                              \
	X(ECP521, 21)                                                                              \
	X(MODP1024_160, 22)                                                                        \
	X(MODP2048_224, 23)                                                                        \
	X(MODP2048_256, 24)                                                                        \
	X(ECP192, 25)                                                                              \
	X(ECP224, 26)                                                                              \
	X(BRAINPOOL224, 27)                                                                        \
	X(BRAINPOOL256, 28)                                                                        \
	X(BRAINPOOL384, 29)                                                                        \
	X(BRAINPOOL512, 30)                                                                        \
	X(CURVE25519, 31)                                                                          \
	X(CURVE448, 32)

#define IKEV2_ESN_LIST(X)                                                                          \
	X(NO, 0)                                                                                   \
	X(YES, 1)

/* Error types below 16384, status types from 16384 (RFC 7296 3.10.1, IANA). */
#define IKEV2_NOTIFY_LIST(X)                                                                       \
	X(UNSUPPORTED_CRITICAL_PAYLOAD, 1)                                                         \
	X(INVALID_IKE_SPI, 4)                                                                      \
	X(INVALID_MAJOR_VERSION, 5)                                                                \
	X(INVALID_SYNTAX, 7)                                                                       \
	X(INVALID_MESSAGE_ID, 9)                                                                   \
	X(INVALID_SPI, 11)                                                                         \
	X(NO_PROPOSAL_CHOSEN, 14)                                                                  \
	X(INVALID_KE_PAYLOAD, 17)                                                                  \
	X(AUTHENTICATION_FAILED, 24)                                                               \
	X(SINGLE_PAIR_REQUIRED, 34)                                                                \
	X(NO_ADDITIONAL_SAS, 35)                                                                   \
	X(INTERNAL_ADDRESS_FAILURE, 36)                                                            \
	X(FAILED_CP_REQUIRED, 37)                                                                  \
	X(TS_UNACCEPTABLE, 38)                                                                     \
	X(INVALID_SELECTORS, 39)                                                                   \
	X(UNACCEPTABLE_ADDRESSES, 40)                                                              \
	X(UNEXPECTED_NAT_DETECTED, 41)                                                             \
	X(TEMPORARY_FAILURE, 43)                                                                   \
	X(CHILD_SA_NOT_FOUND, 44)                                                                  \
	X(INITIAL_CONTACT, 16384)                                                                  \
	X(SET_WINDOW_SIZE, 16385)                                                                  \
	X(ADDITIONAL_TS_POSSIBLE, 16386)                                                           \
	X(IPCOMP_SUPPORTED, 16387)                                                                 \
	X(NAT_DETECTION_SOURCE_IP, 16388)                                                          \
	X(NAT_DETECTION_DESTINATION_IP, 16389)                                                     \
	X(COOKIE, 16390)                                                                           \
	X(USE_TRANSPORT_MODE, 16391)                                                               \
	X(HTTP_CERT_LOOKUP_SUPPORTED, 16392)                                                       \
	X(REKEY_SA, 16393)                                                                         \
	X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394)                                                    \
	X(NON_FIRST_FRAGMENTS_ALSO, 16395)                                                         \
	X(MOBIKE_SUPPORTED, 16396)                                                                 \
	X(ADDITIONAL_IP4_ADDRESS, 16397)                                                           \
	X(ADDITIONAL_IP6_ADDRESS, 16398)                                                           \
	X(NO_ADDITIONAL_ADDRESSES, 16399)                                                          \
	X(UPDATE_SA_ADDRESSES, 16400)                                                              \
	X(COOKIE2, 16401)                                                                          \
	X(NO_NATS_ALLOWED, 16402)                                                                  \
	X(AUTH_LIFETIME, 16403)                                                                    \
	X(MULTIPLE_AUTH_SUPPORTED, 16404)                                                          \
	X(ANOTHER_AUTH_FOLLOWS, 16405)                                                             \
	X(REDIRECT_SUPPORTED, 16406)                                                               \
	X(REDIRECT, 16407)                                                                         \
	X(REDIRECTED_FROM, 16408)                                                                  \
	X(EAP_ONLY_AUTHENTICATION, 16417)                                                          \
	X(CHILDLESS_IKEV2_SUPPORTED, 16418)                                                        \
	X(IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 16420)                                                  \
	X(IKEV2_FRAGMENTATION_SUPPORTED, 16430)                                                    \
	X(SIGNATURE_HASH_ALGORITHMS, 16431)                                                        \
	X(USE_PPK, 16435)                                                                          \
	X(PPK_IDENTITY, 16436)                                                                     \
	X(NO_PPK_AUTH, 16437)                                                                      \
	X(INTERMEDIATE_EXCHANGE_SUPPORTED, 16438)

#define IKEV2_ID_LIST(X)                                                                           \
	X(IPV4_ADDR, 1)                                                                            \
	X(FQDN, 2)                                                                                 \
	X(RFC822_ADDR, 3)                                                                          \
	X(IPV6_ADDR, 5)                                                                            \
	X(DER_ASN1_DN, 9)                                                                          \
	X(DER_ASN1_GN, 10)                                                                         \
	X(KEY_ID, 11)                                                                              \
	X(FC_NAME, 12)                                                                             \
	X(NULL, 13)

#define IKEV2_CERT_LIST(X)                                                                         \
	X(PKCS7_X509, 1)                                                                           \
	X(PGP, 2)                                                                                  \
	X(DNS_SIGNED_KEY, 3)                                                                       \
	X(X509_SIG, 4)                                                                             \
	X(KERBEROS, 6)                                                                             \
	X(CRL, 7)                                                                                  \
	X(ARL, 8)                                                                                  \
	X(SPKI, 9)                                                                                 \
	X(X509_ATTR, 10)                                                                           \
	X(RAW_RSA, 11)                                                                             \
	X(HASH_URL_X509, 12)                                                                       \
	X(HASH_URL_X509_BUNDLE, 13)                                                                \
	X(OCSP_CONTENT, 14)                                                                        \
	X(RAW_PUBKEY, 15)

/* Authentication methods (RFC 7296 3.8, RFC 4754, RFC 7619, RFC 7427). */
#define IKEV2_AUTH_LIST(X)                                                                         \
	X(RSA_SIG, 1)                                                                              \
	X(PSK, 2)                                                                                  \
	X(DSS_SIG, 3)                                                                              \
	X(ECDSA_256, 9)                                                                            \
	X(ECDSA_384, 10)                                                                           \
	X(ECDSA_521, 11)                                                                           \
	X(GSPAM, 12)                                                                               \
	X(NULL, 13)                                                                                \
	X(DIGITAL_SIG, 14)

/* Hash algorithms in SIGNATURE_HASH_ALGORITHMS (RFC 7427 4). */
#define IKEV2_HASH_LIST(X)                                                                         \
	X(SHA1, 1)                                                                                 \
	X(SHA2_256, 2)                                                                             \
	X(SHA2_384, 3)                                                                             \
	X(SHA2_512, 4)                                                                             \
	X(IDENTITY, 5)

#define IKEV2_CFG_LIST(X)                                                                          \
	X(REQUEST, 1)                                                                              \
	X(REPLY, 2)                                                                                \
	X(SET, 3)                                                                                  \
	X(ACK, 4)

/* Configuration attributes (RFC 7296 3.15.1, IANA). */
#define IKEV2_CP_ATTR_LIST(X)                                                                      \
	X(INTERNAL_IP4_ADDRESS, 1)                                                                 \
	X(INTERNAL_IP4_NETMASK, 2)                                                                 \
	X(INTERNAL_IP4_DNS, 3)                                                                     \
	X(INTERNAL_IP4_NBNS, 4)                                                                    \
	X(INTERNAL_IP4_DHCP, 6)                                                                    \
	X(APPLICATION_VERSION, 7)                                                                  \
	X(INTERNAL_IP6_ADDRESS, 8)                                                                 \
	X(INTERNAL_IP6_DNS, 10)                                                                    \
	X(INTERNAL_IP6_DHCP, 12)                                                                   \
	X(INTERNAL_IP4_SUBNET, 13)                                                                 \
	X(SUPPORTED_ATTRIBUTES, 14)                                                                \
	X(INTERNAL_IP6_SUBNET, 15)                                                                 \
	X(INTERNAL_DNS_DOMAIN, 25)

#define IKEV2_TS_TYPE_LIST(X)                                                                      \
	X(IPV4_ADDR_RANGE, 7)                                                                      \
	X(IPV6_ADDR_RANGE, 8)

/* Token pasting keeps names such as NULL from being macro-expanded. */
#define IKEV2_X_EXCHANGE(n, v) IKEV2_EXCH_##n = v,
#define IKEV2_X_PAYLOAD(n, v)  IKEV2_PL_##n = v,
#define IKEV2_X_PROTO(n, v)    IKEV2_PROTO_##n = v,
#define IKEV2_X_XF_TYPE(n, v)  IKEV2_XF_##n = v,
#define IKEV2_X_ENCR(n, v)     IKEV2_ENCR_##n = v,
#define IKEV2_X_PRF(n, v)      IKEV2_PRF_##n = v,
#define IKEV2_X_INTEG(n, v)    IKEV2_INTEG_##n = v,
#define IKEV2_X_DH(n, v)       IKEV2_DH_##n = v,
#define IKEV2_X_ESN(n, v)      IKEV2_ESN_##n = v,
#define IKEV2_X_NOTIFY(n, v)   IKEV2_N_##n = v,
#define IKEV2_X_ID(n, v)       IKEV2_ID_##n = v,
#define IKEV2_X_CERT(n, v)     IKEV2_CERT_##n = v,
#define IKEV2_X_AUTH(n, v)     IKEV2_AUTH_##n = v,
#define IKEV2_X_HASH(n, v)     IKEV2_HASH_##n = v,
#define IKEV2_X_CFG(n, v)      IKEV2_CFG_##n = v,
#define IKEV2_X_CP_ATTR(n, v)  IKEV2_CP_##n = v,
#define IKEV2_X_TS_TYPE(n, v)  IKEV2_TS_##n = v,

enum ikev2_exchange { IKEV2_EXCHANGE_LIST(IKEV2_X_EXCHANGE) };
enum ikev2_payload { IKEV2_PAYLOAD_LIST(IKEV2_X_PAYLOAD) };
enum ikev2_proto { IKEV2_PROTO_LIST(IKEV2_X_PROTO) };
enum ikev2_xf_type { IKEV2_XF_TYPE_LIST(IKEV2_X_XF_TYPE) };
enum ikev2_encr { IKEV2_ENCR_LIST(IKEV2_X_ENCR) };
enum ikev2_prf { IKEV2_PRF_LIST(IKEV2_X_PRF) };
enum ikev2_integ { IKEV2_INTEG_LIST(IKEV2_X_INTEG) };
enum ikev2_dh { IKEV2_DH_LIST(IKEV2_X_DH) };
enum ikev2_esn { IKEV2_ESN_LIST(IKEV2_X_ESN) };
enum ikev2_notify { IKEV2_NOTIFY_LIST(IKEV2_X_NOTIFY) };
enum ikev2_id { IKEV2_ID_LIST(IKEV2_X_ID) };
enum ikev2_cert { IKEV2_CERT_LIST(IKEV2_X_CERT) };
enum ikev2_auth { IKEV2_AUTH_LIST(IKEV2_X_AUTH) };
enum ikev2_hash { IKEV2_HASH_LIST(IKEV2_X_HASH) };
enum ikev2_cfg { IKEV2_CFG_LIST(IKEV2_X_CFG) };
enum ikev2_cp_attr { IKEV2_CP_ATTR_LIST(IKEV2_X_CP_ATTR) };
enum ikev2_ts_type { IKEV2_TS_TYPE_LIST(IKEV2_X_TS_TYPE) };

/* Notify types below this are errors (RFC 7296 3.10.1). */
enum { IKEV2_N_STATUS_MIN = 16384 };

/* Name tables for logging: "NAME" from the lists above, "?" if unknown. */
const char *ikev2_exchange_name(unsigned v);
const char *ikev2_payload_name(unsigned v);
const char *ikev2_proto_name(unsigned v);
const char *ikev2_xf_type_name(unsigned v);
const char *ikev2_encr_name(unsigned v);
const char *ikev2_prf_name(unsigned v);
const char *ikev2_integ_name(unsigned v);
const char *ikev2_dh_name(unsigned v);
const char *ikev2_esn_name(unsigned v);
const char *ikev2_notify_name(unsigned v);
const char *ikev2_id_name(unsigned v);
const char *ikev2_cert_name(unsigned v);
const char *ikev2_auth_name(unsigned v);
const char *ikev2_hash_name(unsigned v);
const char *ikev2_cfg_name(unsigned v);
const char *ikev2_cp_attr_name(unsigned v);
const char *ikev2_ts_type_name(unsigned v);
/* The name of transform ID id of transform type type. */
const char *ikev2_xf_id_name(unsigned type, unsigned id);

/* A borrowed byte range. */
struct ikev2_view {
	const uint8_t *p;
	size_t len;
};

/* IKE header (RFC 7296 3.1), host order. */
struct ikev2_hdr {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next;     /* type of the first payload */
	uint8_t version;  /* major << 4 | minor */
	uint8_t exchange; /* enum ikev2_exchange */
	uint8_t flags;    /* enum ikev2_flag bits */
	uint32_t msg_id;
	uint32_t length;
};

/* Transform substructure (3.3.2); key_len is the Key Length attribute (3.3.5). */
struct ikev2_xf {
	uint8_t type; /* enum ikev2_xf_type */
	uint16_t id;
	uint16_t key_len; /* bits; valid if has_key_len */
	bool has_key_len;
	bool attr_unsupported; /* an attribute other than one Key Length: reject the proposal */
};

/* Proposal substructure (3.3.1); its transforms are sa->xf[first_xf ...]. */
struct ikev2_prop {
	uint8_t num;
	uint8_t proto; /* enum ikev2_proto */
	uint8_t spi_size;
	uint8_t spi[IKEV2_SPI_MAX];
	uint16_t first_xf;
	uint8_t nxf;
};

/* SA payload (3.3). Also the input of ikev2_build_sa(). */
struct ikev2_sa {
	uint8_t nprop;
	uint16_t nxf;
	struct ikev2_prop prop[IKEV2_MAX_PROPOSALS];
	struct ikev2_xf xf[IKEV2_MAX_XF];
};

struct ikev2_ke {
	uint16_t group; /* enum ikev2_dh */
	struct ikev2_view data;
};

/* IDi/IDr (3.5); body is the whole payload body, the RestOfIDPayload of 2.15. */
struct ikev2_idp {
	uint8_t type; /* enum ikev2_id */
	struct ikev2_view data;
	struct ikev2_view body;
};

/* CERT and CERTREQ (3.6, 3.7). */
struct ikev2_certp {
	uint8_t enc; /* enum ikev2_cert */
	struct ikev2_view data;
};

/*
 * AUTH (3.8). With method DIGITAL_SIG (RFC 7427 3) data holds
 * ASN.1 length (1) | AlgorithmIdentifier | signature, split into algid and sig.
 */
struct ikev2_authp {
	uint8_t method; /* enum ikev2_auth */
	struct ikev2_view data;
	struct ikev2_view algid;
	struct ikev2_view sig;
};

/* Notify (3.10). */
struct ikev2_notifyp {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type; /* enum ikev2_notify */
	struct ikev2_view spi;
	struct ikev2_view data;
	bool inner; /* came from the decrypted chain */
};

/* Delete (3.11): nspi SPIs of spi_size bytes each, back to back in spis. */
struct ikev2_deletep {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t nspi;
	struct ikev2_view spis;
};

/* One traffic selector (3.13.1); raw holds the body of a type not known here. */
struct ikev2_ts {
	uint8_t type; /* enum ikev2_ts_type */
	uint8_t ip_proto;
	uint16_t port_start;
	uint16_t port_end;
	uint8_t addr_len; /* 4 or 16 */
	uint8_t start[16];
	uint8_t end[16];
	struct ikev2_view raw;
};

/* TSi or TSr (3.13). Also the input of ikev2_build_ts(). */
struct ikev2_tsp {
	uint8_t n;
	struct ikev2_ts ts[IKEV2_MAX_TS];
};

struct ikev2_cp_attrp {
	uint16_t type; /* enum ikev2_cp_attr, 15 bits */
	struct ikev2_view val;
};

/* Configuration payload (3.15). Also the input of ikev2_build_cp(). */
struct ikev2_cpp {
	uint8_t type; /* enum ikev2_cfg */
	uint8_t n;
	struct ikev2_cp_attrp attr[IKEV2_MAX_CP_ATTRS];
};

/*
 * SK (3.14) and SKF (RFC 7383 2.5). body is IV | ciphertext | ICV, which
 * only the IKE SA knows how to split; aad is everything from the IKE header
 * through the SK/SKF generic header (and the SKF number fields), the
 * associated data of RFC 5282 5.1 and the integrity-protected prefix.
 * first is the type of the first inner payload (0 in non-first fragments).
 */
struct ikev2_skp {
	uint8_t first;
	uint16_t frag_num; /* SKF only */
	uint16_t frag_total;
	struct ikev2_view aad;
	struct ikev2_view body;
};

/* What RFC 7296 says to do with a message that failed to parse. */
enum ikev2_verdict {
	IKEV2_V_OK = 0,
	IKEV2_V_DROP,   /* discard silently (2.21, 3.1) */
	IKEV2_V_NOTIFY, /* answer a request with Notify notify (2.21) */
};

struct ikev2_perr {
	enum ikev2_verdict verdict;
	uint16_t notify; /* with IKEV2_V_NOTIFY */
	uint8_t payload; /* the payload type at fault; the Notify data of
	                    UNSUPPORTED_CRITICAL_PAYLOAD (3.10.1) */
	uint8_t version; /* INVALID_MAJOR_VERSION: the version received */
	size_t offset;   /* byte offset in the parsed buffer */
	const char *why; /* static text for the drop counter and the log */
};

/* A parsed message: host-order fields and views into the caller's buffers. */
struct ikev2_msg {
	struct ikev2_hdr hdr;
	struct ikev2_view raw;  /* the whole message */
	uint32_t present;       /* bit (1 << (type - 32)) per payload type seen outside SK */
	uint32_t present_inner; /* the same for the decrypted chain */
	unsigned nunknown;      /* non-critical payloads of unknown type skipped */
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	struct ikev2_view nonce;
	struct ikev2_idp id_i;
	struct ikev2_idp id_r;
	struct ikev2_authp auth;
	struct ikev2_tsp ts_i;
	struct ikev2_tsp ts_r;
	struct ikev2_cpp cp;
	struct ikev2_view eap;
	struct ikev2_skp sk; /* SK or SKF, whichever present says */
	uint8_t ncert;
	uint8_t ncertreq;
	uint8_t nnotify;
	uint8_t ndelete;
	uint8_t nvendor;
	struct ikev2_certp cert[IKEV2_MAX_CERT];
	struct ikev2_certp certreq[IKEV2_MAX_CERTREQ];
	struct ikev2_notifyp notify[IKEV2_MAX_NOTIFY];
	struct ikev2_deletep del[IKEV2_MAX_DELETE];
	struct ikev2_view vendor[IKEV2_MAX_VENDOR];
	struct ikev2_perr err;
};

/* Bit of payload type t in ikev2_msg.present (0 for types outside 33..63). */
static inline uint32_t ikev2_pl_bit(unsigned t)
{
	return t > 32 && t < 64 ? (uint32_t)1 << (t - 32) : 0;
}

/* True if payload type t was seen outside or inside SK. */
static inline bool ikev2_has(const struct ikev2_msg *m, unsigned t)
{
	return ((m->present | m->present_inner) & ikev2_pl_bit(t)) != 0;
}

/*
 * Parses one IKEv2 message of exactly len bytes (the UDP payload after any
 * non-ESP marker). Returns 0, or a negative enum bw_err with out->err saying
 * what to send: BW_ERR_UNSUPP with INVALID_MAJOR_VERSION for major version
 * > 2 (2.5) or UNSUPPORTED_CRITICAL_PAYLOAD (2.5, 3.2), BW_ERR_LIMIT when a
 * cap is passed (drop), BW_ERR_SHORT/BW_ERR_INVAL for malformed input
 * (INVALID_SYNTAX, or drop when the header itself is bad or the fault is in an
 * unauthenticated SKF fragment). A NOTIFY verdict applies to requests only:
 * responses are never answered (2.21). out borrows buf.
 */
int ikev2_msg_parse(const uint8_t *buf, size_t len, struct ikev2_msg *out);

/*
 * Parses a decrypted inner payload chain starting with payload type first
 * into msg, which already holds the outer message: payloads add to it and
 * set present_inner. A singleton payload seen twice, or SK/SKF inside SK, is
 * INVALID_SYNTAX. msg borrows buf.
 */
int ikev2_payloads_parse(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_msg *msg);

/* Splits an RFC 7427 AUTH body into AlgorithmIdentifier and signature. */
int ikev2_auth_ds_split(struct ikev2_view data, struct ikev2_view *algid, struct ikev2_view *sig);

/*
 * Builder. Start with ikev2_build_hdr() (a message) or ikev2_build_chain()
 * (a bare inner chain to be encrypted into SK, whose first payload type is
 * then b->first), append payloads, and end a message with
 * ikev2_build_finish(), which writes the header length. A failed call
 * returns BW_ERR_NOSPACE/BW_ERR_INVAL and leaves the output as it was.
 */
struct ikev2_bld {
	struct bw_wr *wr;
	size_t hdr_off; /* offset of the IKE header; SIZE_MAX in a bare chain */
	size_t np_off;  /* offset of the byte naming the next payload; SIZE_MAX = none yet */
	uint8_t first;  /* type of the first payload appended */
	bool closed;    /* SK/SKF appended: it is the last payload */
};

int ikev2_build_hdr(struct ikev2_bld *b, struct bw_wr *wr, const struct ikev2_hdr *h);
void ikev2_build_chain(struct ikev2_bld *b, struct bw_wr *wr);
/* Writes the final length into the header; call before encrypting SK. */
int ikev2_build_finish(struct ikev2_bld *b);

/* Any payload from its body (an unknown type, or one already encoded). */
int ikev2_build_raw(struct ikev2_bld *b, uint8_t type, bool critical, const void *body, size_t len);
int ikev2_build_sa(struct ikev2_bld *b, const struct ikev2_sa *sa);
int ikev2_build_ke(struct ikev2_bld *b, uint16_t group, const void *data, size_t len);
int ikev2_build_nonce(struct ikev2_bld *b, const void *nonce, size_t len);
/* type is IKEV2_PL_IDI or IKEV2_PL_IDR. */
int ikev2_build_id(struct ikev2_bld *b, uint8_t type, uint8_t id_type, const void *data,
                   size_t len);
int ikev2_build_cert(struct ikev2_bld *b, uint8_t enc, const void *data, size_t len);
int ikev2_build_certreq(struct ikev2_bld *b, uint8_t enc, const void *data, size_t len);
int ikev2_build_auth(struct ikev2_bld *b, uint8_t method, const void *data, size_t len);
/* AUTH method DIGITAL_SIG (RFC 7427 3): length | algid | sig. */
int ikev2_build_auth_ds(struct ikev2_bld *b, const void *algid, size_t algid_len, const void *sig,
                        size_t sig_len);
int ikev2_build_notify(struct ikev2_bld *b, uint8_t proto, const void *spi, size_t spi_len,
                       uint16_t type, const void *data, size_t len);
int ikev2_build_delete(struct ikev2_bld *b, uint8_t proto, uint8_t spi_size, uint16_t nspi,
                       const void *spis);
int ikev2_build_vendor(struct ikev2_bld *b, const void *data, size_t len);
/* type is IKEV2_PL_TSI or IKEV2_PL_TSR. */
int ikev2_build_ts(struct ikev2_bld *b, uint8_t type, const struct ikev2_tsp *ts);
int ikev2_build_cp(struct ikev2_bld *b, const struct ikev2_cpp *cp);
int ikev2_build_eap(struct ikev2_bld *b, const void *data, size_t len);

/* Where the IKE SA encrypts in place: IV | plaintext then ciphertext | ICV. */
struct ikev2_sk_out {
	uint8_t *iv;
	uint8_t *ct;
	uint8_t *icv;
	uint8_t *aad; /* from the IKE header to the end of the SK/SKF header */
	size_t aad_len;
};

/*
 * Appends SK (3.14) with room for iv_len + ct_len + icv_len bytes (left
 * zero), the last payload of the message; first_inner is the first inner
 * payload type. ikev2_build_skf() does the same for an RFC 7383 fragment
 * (first_inner 0 unless frag_num is 1). out pointers stay valid while the
 * writer's buffer does.
 */
int ikev2_build_sk(struct ikev2_bld *b, uint8_t first_inner, size_t iv_len, size_t ct_len,
                   size_t icv_len, struct ikev2_sk_out *out);
int ikev2_build_skf(struct ikev2_bld *b, uint8_t first_inner, uint16_t frag_num,
                    uint16_t frag_total, size_t iv_len, size_t ct_len, size_t icv_len,
                    struct ikev2_sk_out *out);

#endif
