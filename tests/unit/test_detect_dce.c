/* SPDX-License-Identifier: ISC */
/*
 * Detection of the DCE/RPC and SMB keywords against a transaction's input:
 * dcerpc.iface (uuid, version comparison, any_frag, context id, Suricata's
 * walk of the accepted list), dcerpc.opnum (numbers and ranges), the
 * dcerpc.stub_data buffer with byte_test/byte_jump dce following the call's
 * data representation, smb.named_pipe, smb.share, smb.ntlmssp_user,
 * smb.ntlmssp_domain and file.data on smb rules, and which flows the rule
 * protocols apply to (dcerpc rules also to SMB). Each case runs with the
 * prefilter and without.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/detect.h"
#include "lib/err.h"

#define IFACE "afa8bd80-7d8a-11c9-bef4-08002b102989"

static const char *const rules[] = {
        "alert tcp any any -> any any (dcerpc.iface:" IFACE "; sid:1;)",
        "alert tcp any any -> any any (dcerpc.iface:" IFACE ",=1; sid:2;)",
        "alert tcp any any -> any any (dcerpc.iface:" IFACE ",=0; sid:3;)",
        "alert tcp any any -> any any (dce_iface:" IFACE ",>1,any_frag; sid:4;)",
        "alert tcp any any -> any any (dce_iface:" IFACE ",any_frag; sid:5;)",
        "alert tcp any any -> any any (dcerpc.opnum:15; sid:6;)",
        "alert tcp any any -> any any (dce_opnum:1,10-20; sid:7;)",
        "alert tcp any any -> any any (dce_stub_data; content:\"|5c 00 5c 00 31|\"; "
        "byte_test:2,=,14080,0,relative,dce; sid:8;)",
        "alert tcp any any -> any any (dce_stub_data; content:\"|5c 00 5c 00 31|\"; "
        "byte_jump:2,2,relative,dce; byte_test:1,=,0x2e,0,relative; sid:9;)",
        "alert smb any any -> any any (dce_opnum:15; sid:10;)",
        "alert dcerpc any any -> any any (dce_opnum:15; sid:11;)",
        "alert smb any any -> any any (smb.named_pipe; content:\"IPC$\"; sid:12;)",
        "alert smb any any -> any any (smb_share; content:\"PUBLIC\"; sid:13;)",
        "alert smb any any -> any any (file_data; content:\"X5O!P\"; sid:14;)",
        "alert http any any -> any any (file_data; content:\"X5O!P\"; sid:15;)",
        "alert tcp any any -> any any (file_data; content:\"X5O!P\"; sid:16;)",
        "alert smb any any -> any any (smb.ntlmssp_user; content:\"bob\"; bsize:3; "
        "smb.ntlmssp_domain; content:\"DOM\"; sid:17;)",
};
enum { NRULES = sizeof(rules) / sizeof(rules[0]) };

struct env {
	struct ips_ruleset rs;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
};

static void env_init(struct env *v, bool prefilter)
{
	struct ips_detect_conf c = {.no_prefilter = !prefilter};

	memset(v, 0, sizeof(*v));
	v->rs.rules = calloc(NRULES, sizeof(*v->rs.rules));
	assert_non_null(v->rs.rules);
	v->rs.cap = NRULES;
	for (size_t i = 0; i < NRULES; i++) {
		char why[160], key[64];

		if (ips_rule_parse(rules[i], NULL, &v->rs.rules[i], why, sizeof(why), key,
		                   sizeof(key)) != 0)
			fail_msg("rule refused (%s): %s", why, rules[i]);
		v->rs.n++;
	}
	assert_int_equal(ips_detect_build(&v->rs, &c, &v->e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(v->e, &v->t), 0);
}

static void env_done(struct env *v)
{
	ips_detect_thread_free(v->t);
	ips_detect_free(v->e);
	for (size_t i = 0; i < v->rs.n; i++)
		ips_rule_free(v->rs.rules[i]);
	free(v->rs.rules);
}

/* An app-layer inspection to the server of a TCP flow of app protocol app. */
static void input(struct ips_detect_input *in, enum ips_proto app)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 4;
	memcpy(in->src, (const uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(in->dst, (const uint8_t[]){10, 0, 0, 2}, 4);
	in->proto = 6;
	in->sp = 49000;
	in->dp = 445;
	in->has_flow = true;
	in->established = true;
	in->to_server = true;
	in->app = app;
}

static uint64_t sids(struct env *v, const struct ips_detect_input *in)
{
	struct ips_match m[32];
	size_t n;
	uint64_t bits = 0;

	assert_int_equal(ips_detect_run(v->e, v->t, in, m, 32, &n), 0);
	for (size_t i = 0; i < n && i < 32; i++)
		bits |= 1ull << m[i].rule->sid;
	return bits;
}

#define B(s) (1ull << (s))

static const struct ips_dce_iface_ent mgmt = {
        .uuid = {0xaf, 0xa8, 0xbd, 0x80, 0x7d, 0x8a, 0x11, 0xc9, 0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10,
                 0x29, 0x89},
        .ctxid = 1,
        .version = 1,
        .first_frag = true,
};

static void run_iface_opnum(bool prefilter)
{
	struct env v;
	struct ips_detect_input in;
	struct ips_dce_call c = {.request_seen = true, .last_is_call = true, .little = true};
	struct ips_dce_iface_ent two[2];

	env_init(&v, prefilter);
	input(&in, IPS_PROTO_DCERPC);
	in.dce = &c;
	c.ctxid = 1;
	c.opnum = 15;
	c.ifaces = &mgmt;
	c.nifaces = 1;
	assert_int_equal(sids(&v, &in), B(1) | B(2) | B(5) | B(6) | B(7) | B(11));
	/* Another context id than the bound one. */
	c.ctxid = 0;
	assert_int_equal(sids(&v, &in), B(6) | B(7) | B(11));
	c.ctxid = 1;
	c.opnum = 21;
	assert_int_equal(sids(&v, &in), B(1) | B(2) | B(5));
	c.opnum = 1;
	assert_int_equal(sids(&v, &in) & (B(6) | B(7)), B(7));
	/* No request parsed yet (a bind only), or the binding's last PDU a bind. */
	c.request_seen = false;
	assert_int_equal(sids(&v, &in), 0);
	c.request_seen = true;
	c.last_is_call = false;
	assert_int_equal(sids(&v, &in) & (B(1) | B(2) | B(5)), 0);
	c.last_is_call = true;
	/* Bound by a later bind fragment: only any_frag looks at it... */
	two[0] = mgmt;
	two[0].first_frag = false;
	two[1] = mgmt;
	two[1].uuid[0] ^= 1;
	c.ifaces = two;
	c.nifaces = 2;
	assert_int_equal(sids(&v, &in) & (B(1) | B(2) | B(5)), B(5));
	/* ...except that, as in Suricata, a skipped last entry leaves the walk's "match". */
	c.nifaces = 1;
	assert_int_equal(sids(&v, &in) & (B(1) | B(5)), B(1) | B(5));
	/* Not a DCE/RPC transaction, or not a DCE/RPC flow. */
	in.dce = NULL;
	assert_int_equal(sids(&v, &in), 0);
	in.dce = &c;
	in.app = IPS_PROTO_HTTP;
	assert_int_equal(sids(&v, &in), 0);
	/* Over SMB: tcp and dcerpc rules apply, and smb ones. */
	c.ifaces = &mgmt;
	c.opnum = 15;
	in.app = IPS_PROTO_SMB;
	assert_int_equal(sids(&v, &in), B(1) | B(2) | B(5) | B(6) | B(7) | B(10) | B(11));
	env_done(&v);
}

static void test_iface_opnum(void **state)
{
	(void)state;
	run_iface_opnum(true);
	run_iface_opnum(false);
}

static void run_stub(bool prefilter)
{
	static const uint8_t stub[] = {0x5c, 0x00, 0x5c, 0x00, 0x31, 0x00,
	                               0x37, 0x01, 0x00, 0xaa, 0x2e};
	struct env v;
	struct ips_detect_input in;
	struct ips_dce_call c = {.request_seen = true, .last_is_call = true, .little = true};
	struct ips_bufv view = {.p = stub, .len = sizeof(stub)};

	env_init(&v, prefilter);
	input(&in, IPS_PROTO_DCERPC);
	in.dce = &c;
	ips_detect_set_buf(&in, IPS_BUF_DCERPC_STUB_DATA, &view);
	/* Little-endian call: 00 37 reads 14080, 01 00 jumps 1 byte onto the 0x2e. */
	assert_int_equal(sids(&v, &in) & (B(8) | B(9)), B(8) | B(9));
	/* Big-endian call: 55, and a jump of 256 off the end. */
	c.little = false;
	assert_int_equal(sids(&v, &in) & (B(8) | B(9)), 0);
	env_done(&v);
}

static void test_stub(void **state)
{
	(void)state;
	run_stub(true);
	run_stub(false);
}

static void run_smb_bufs(bool prefilter)
{
	static const char pipe[] = "\\127.0.0.1\\IPC$", share[] = "\\srv\\PUBLIC",
	                  eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}";
	struct env v;
	struct ips_detect_input in;
	struct ips_bufv vp = {.p = (const uint8_t *)pipe, .len = sizeof(pipe) - 1},
	                vs = {.p = (const uint8_t *)share, .len = sizeof(share) - 1},
	                vf = {.p = (const uint8_t *)eicar, .len = sizeof(eicar) - 1};

	env_init(&v, prefilter);
	input(&in, IPS_PROTO_SMB);
	ips_detect_set_buf(&in, IPS_BUF_SMB_NAMED_PIPE, &vp);
	assert_int_equal(sids(&v, &in), B(12));
	input(&in, IPS_PROTO_SMB);
	ips_detect_set_buf(&in, IPS_BUF_SMB_SHARE, &vs);
	assert_int_equal(sids(&v, &in), B(13));
	input(&in, IPS_PROTO_SMB);
	struct ips_bufv vu = {.p = (const uint8_t *)"bob", .len = 3},
	                vd = {.p = (const uint8_t *)"DOM", .len = 3};
	ips_detect_set_buf(&in, IPS_BUF_SMB_NTLMSSP_USER, &vu);
	assert_int_equal(sids(&v, &in), 0); /* both buffers needed */
	ips_detect_set_buf(&in, IPS_BUF_SMB_NTLMSSP_DOMAIN, &vd);
	assert_int_equal(sids(&v, &in), B(17));
	/* file.data: the smb and tcp rules on SMB, the http and tcp ones on HTTP. */
	input(&in, IPS_PROTO_SMB);
	ips_detect_set_buf(&in, IPS_BUF_FILE_DATA, &vf);
	assert_int_equal(sids(&v, &in), B(14) | B(16));
	input(&in, IPS_PROTO_HTTP);
	ips_detect_set_buf(&in, IPS_BUF_FILE_DATA, &vf);
	assert_int_equal(sids(&v, &in), B(15) | B(16));
	env_done(&v);
}

static void test_smb_bufs(void **state)
{
	(void)state;
	run_smb_bufs(true);
	run_smb_bufs(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_iface_opnum),
	        cmocka_unit_test(test_stub),
	        cmocka_unit_test(test_smb_bufs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
