/* SPDX-License-Identifier: ISC */
/*
 * Rule parser: header forms, option lexing (escapes, missing ';'), every
 * keyword with good and bad values (table-driven: each bad case names the
 * reason it must give), the content-modifier arithmetic Suricata enforces,
 * sticky buffers versus Snort 2 modifiers, byte_extract variables, the
 * loader (continuation lines, comments, gzip, duplicate sids) and the dump.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "ips/rule.h"
#include "lib/err.h"
#include "lib/log.h"

#define HDR "alert tcp any any -> any any "

static struct ips_rule *ok(const char *text)
{
	struct ips_rule *r;
	char why[256], key[48];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	if (e)
		fail_msg("rejected: %s\n  rule: %s", why, text);
	return r;
}

static void bad(const char *text, const char *reason)
{
	struct ips_rule *r;
	char why[256], key[48];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	if (e == 0) {
		ips_rule_free(r);
		fail_msg("accepted: %s", text);
	}
	assert_null(r);
	if (!strstr(why, reason))
		fail_msg("reason '%s' lacks '%s'\n  rule: %s", why, reason, text);
}

static const struct ips_content *content(const struct ips_rule *r, size_t i)
{
	assert_true(i < r->nopts);
	assert_int_equal(r->opts[i].kw, IPS_KW_CONTENT);
	return r->opts[i].data;
}

static void test_header(void **state)
{
	(void)state;
	struct ips_rule *r = ok("drop udp $HOME_NET [1024:] <> !$HOME_NET $HTTP_PORTS "
	                        "(msg:\"x\"; sid:5; rev:2; gid:3;)");
	assert_int_equal(r->action, IPS_ACT_DROP);
	assert_int_equal(r->proto, IPS_PROTO_UDP);
	assert_true(r->bidir);
	assert_int_equal(r->sid, 5);
	assert_int_equal(r->rev, 2);
	assert_int_equal(r->gid, 3);
	assert_true(ips_portset_has(&r->sp, 1024));
	assert_false(ips_portset_has(&r->sp, 1023));
	assert_true(ips_portset_has(&r->dp, 80));
	ips_rule_free(r);
	static const char *const acts[] = {"alert",     "drop",       "reject", "rejectsrc",
	                                   "rejectdst", "rejectboth", "pass"};
	for (size_t i = 0; i < 7; i++) {
		char t[128];
		snprintf(t, sizeof(t), "%s ip any any -> any any (sid:1;)", acts[i]);
		r = ok(t);
		assert_int_equal(r->action, (enum ips_action)i);
		ips_rule_free(r);
	}
	static const struct {
		const char *name;
		enum ips_proto proto;
	} protos[] = {
	        {"ip", IPS_PROTO_IP},         {"tcp", IPS_PROTO_TCP},
	        {"udp", IPS_PROTO_UDP},       {"icmp", IPS_PROTO_ICMP},
	        {"http", IPS_PROTO_HTTP},     {"dns", IPS_PROTO_DNS},
	        {"tls", IPS_PROTO_TLS},       {"ssh", IPS_PROTO_SSH},
	        {"ftp", IPS_PROTO_FTP},       {"ftp-data", IPS_PROTO_FTP_DATA},
	        {"smtp", IPS_PROTO_SMTP},     {"mqtt", IPS_PROTO_MQTT},
	        {"krb5", IPS_PROTO_KRB5},     {"modbus", IPS_PROTO_MODBUS},
	        {"enip", IPS_PROTO_ENIP},     {"ike", IPS_PROTO_IKE},
	        {"ikev2", IPS_PROTO_IKE},     {"smb", IPS_PROTO_SMB},
	        {"dcerpc", IPS_PROTO_DCERPC},
	};
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		char t[128];
		snprintf(t, sizeof(t), "alert %s any any -> any any (sid:1;)", protos[i].name);
		r = ok(t);
		assert_int_equal(r->proto, protos[i].proto);
		ips_rule_free(r);
	}
	r = ok("alert tcp-pkt any any -> any any (sid:1;)");
	assert_int_equal(r->tcp_scope, IPS_TCP_PKT);
	ips_rule_free(r);
	/* ET uses ports on ip rules; Suricata loads them. */
	r = ok("alert ip $EXTERNAL_NET $SHELLCODE_PORTS -> $HOME_NET any (sid:1;)");
	ips_rule_free(r);
	bad("alert nfs any any -> any any (sid:1;)", "unsupported protocol nfs");
	bad("alert http2 any any -> any any (sid:1;)", "unsupported protocol http2");
	bad("alert foo any any -> any any (sid:1;)", "unknown protocol");
	bad("log tcp any any -> any any (sid:1;)", "unsupported action");
	bad("alert tcp any any => any any (sid:1;)", "direction");
	bad("alert tcp any any -> any (sid:1;)", "7 fields");
	bad("alert icmp any 80 -> any any (sid:1;)", "ports with protocol icmp");
	bad("alert tcp !any any -> any any (sid:1;)", "source address");
	bad("alert tcp any any -> any 70000 (sid:1;)", "destination port");
	bad("alert tcp any any -> any any sid:1;", "no (options)");
	bad(HDR "(msg:\"x\";)", "missing sid");
	bad(HDR "(sid:0;)", "sid");
}

static void test_lexer(void **state)
{
	(void)state;
	struct ips_rule *r =
	        ok(HDR "(msg:\"a\\;b \\\"q\\\" c\\\\ (x)\"; content:\"a\\;b|3B 0a|\"; sid:1;)");
	assert_string_equal(r->msg, "a;b \"q\" c\\ (x)");
	const struct ips_content *c = content(r, 0);
	assert_int_equal(c->len, 5);
	assert_memory_equal(c->pat, "a;b;\n", 5);
	ips_rule_free(r);
	/* Blanks around names, values and the final ';'. */
	r = ok(HDR "( msg : \"x\" ;  sid : 7 ;  )");
	assert_int_equal(r->sid, 7);
	ips_rule_free(r);
	bad(HDR "(msg:\"x\"; sid:1)", "without ';'");
	bad(HDR "(sid:1; bogus_kw:1;)", "unsupported keyword bogus_kw");
	bad(HDR "(sid:1; nocase:1;)", "takes no value");
	bad(HDR "(sid:1; content;)", "needs a value");
	bad(HDR "(sid:1; content:\"a\\x\";)", "invalid escape");
	bad(HDR "(sid:1; content:\"|4G|\";)", "hex");
	bad(HDR "(sid:1; content:\"|41 4|\";)", "hex");
	bad(HDR "(sid:1; content:\"|41\";)", "hex");
	bad(HDR "(sid:1; content:abc;)", "double quotes");
	bad(HDR "(sid:1; content:\"\";)", "empty");
	bad(HDR "(sid:1; : x;)", "syntax");
}

static void test_meta(void **state)
{
	(void)state;
	struct ips_rule *r =
	        ok(HDR "(msg:\"m\"; classtype:trojan-activity; priority:2; "
	               "reference:url,example.com/a; reference:cve,2020-1; "
	               "metadata:former_category MALWARE, created_at 2020_01_01, flag; "
	               "target:dest_ip; noalert; sid:9;)");
	assert_string_equal(r->classtype, "trojan-activity");
	assert_int_equal(r->priority, 2);
	assert_int_equal(r->nrefs, 2);
	assert_string_equal(r->refs[0].type, "url");
	assert_string_equal(r->refs[0].value, "example.com/a");
	assert_int_equal(r->nmeta, 3);
	assert_string_equal(r->meta[1].key, "created_at");
	assert_string_equal(r->meta[1].value, "2020_01_01");
	assert_string_equal(r->meta[2].value, "");
	assert_int_equal(r->target, IPS_TARGET_DST);
	assert_true(r->noalert);
	ips_rule_free(r);
	bad(HDR "(sid:1; priority:0;)", "priority");
	bad(HDR "(sid:1; classtype:a b;)", "classtype");
	bad(HDR "(sid:1; reference:url;)", "reference");
	bad(HDR "(sid:1; target:both;)", "target");
	bad(HDR "(sid:abc;)", "sid");
	bad(HDR "(sid:1; rev:-1;)", "rev");
	bad(HDR "(sid:1; msg:x;)", "double quotes");
}

static void test_content_modifiers(void **state)
{
	(void)state;
	struct ips_rule *r = ok(HDR "(content:!\"abc\"; nocase; offset:2; depth:3; "
	                            "content:\"de\"; distance:-1; within:5; rawbytes; "
	                            "content:\"xyz123\"; fast_pattern:2,3; content:\"q\"; "
	                            "startswith; endswith; sid:1;)");
	const struct ips_content *c = content(r, 0);
	assert_int_equal(c->flags, IPS_CF_NEGATED | IPS_CF_NOCASE | IPS_CF_OFFSET | IPS_CF_DEPTH);
	assert_int_equal(c->offset, 2);
	assert_int_equal(c->depth, 3);
	c = content(r, 1);
	assert_int_equal(c->distance, -1);
	assert_int_equal(c->within, 5);
	assert_true(c->flags & IPS_CF_RAWBYTES);
	c = content(r, 2);
	assert_true(c->flags & IPS_CF_FP_CHOP);
	assert_int_equal(c->fp_off, 2);
	assert_int_equal(c->fp_len, 3);
	assert_ptr_equal(r->fast_pattern, c);
	c = content(r, 3);
	assert_true(c->flags & IPS_CF_STARTSWITH);
	assert_true(c->flags & IPS_CF_ENDSWITH);
	ips_rule_free(r);
	r = ok(HDR "(content:\"abc\"; fast_pattern:only; sid:1;)");
	assert_true(content(r, 0)->flags & IPS_CF_FP_ONLY);
	ips_rule_free(r);

	/* The arithmetic and conflicts Suricata refuses. */
	bad(HDR "(nocase; sid:1;)", "no preceding content");
	bad(HDR "(distance:1; content:\"a\"; sid:1;)", "no preceding content");
	bad(HDR "(content:\"abcd\"; depth:3; sid:1;)", "depth: 3 smaller than content length 4");
	bad(HDR "(content:\"abcd\"; within:3; sid:1;)", "within: 3 smaller");
	bad(HDR "(content:\"a\"; depth:0; sid:1;)", "depth");
	bad(HDR "(content:\"a\"; offset:-1; sid:1;)", "offset");
	bad(HDR "(content:\"a\"; offset:1; distance:1; sid:1;)", "cannot mix");
	bad(HDR "(content:\"a\"; within:1; depth:1; sid:1;)", "cannot mix");
	bad(HDR "(content:\"a\"; depth:1; within:2; sid:1;)", "cannot mix");
	bad(HDR "(content:\"a\"; nocase; nocase; sid:1;)", "twice");
	bad(HDR "(content:\"a\"; depth:1; depth:2; sid:1;)", "twice");
	bad(HDR "(content:\"a\"; distance:1; distance:2; sid:1;)", "twice");
	bad(HDR "(content:\"a\"; startswith; offset:1; sid:1;)", "startswith");
	bad(HDR "(content:\"a\"; depth:2; startswith; sid:1;)", "positioning");
	bad(HDR "(content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; sid:1;)",
	    "only one content");
	bad(HDR "(content:\"a\"; distance:0; fast_pattern:only; sid:1;)", "positional");
	bad(HDR "(content:\"a\"; fast_pattern:only; within:4; sid:1;)", "fast_pattern:only");
	bad(HDR "(content:!\"a\"; fast_pattern:only; sid:1;)", "negated");
	bad(HDR "(content:!\"a\"; distance:0; fast_pattern; sid:1;)", "negated");
	bad(HDR "(content:\"abc\"; fast_pattern:2,2; sid:1;)", "outside");
	bad(HDR "(content:\"abc\"; fast_pattern:x; sid:1;)", "fast_pattern");
	bad(HDR "(content:\"a\"; distance:70000; sid:1;)", "distance");
	bad(HDR "(content:\"a\"; within:nope; sid:1;)", "unknown variable");
}

static void test_buffers(void **state)
{
	(void)state;
	/* Sticky: applies to every following content until the next buffer. */
	struct ips_rule *r = ok("alert http any any -> any any (http.uri; content:\"/a\"; "
	                        "content:\"b\"; distance:0; http.host; content:\"h\"; bsize:<20; "
	                        "pkt_data; content:\"p\"; sid:1;)");
	assert_int_equal(r->opts[0].buf, IPS_BUF_HTTP_URI);
	assert_int_equal(r->opts[1].buf, IPS_BUF_HTTP_URI);
	assert_int_equal(r->opts[2].buf, IPS_BUF_HTTP_HOST);
	assert_int_equal(r->opts[3].kw, IPS_KW_BSIZE);
	assert_int_equal(r->opts[3].buf, IPS_BUF_HTTP_HOST);
	assert_int_equal(r->opts[4].buf, IPS_BUF_PAYLOAD);
	ips_rule_free(r);
	/* Snort 2: moves only the previous content; a tcp rule becomes an http one. */
	r = ok(HDR "(content:\"GET\"; http_method; content:\"x\"; content:\"/u\"; http_uri; "
	           "content:\"b\"; http_client_body; sid:1;)");
	assert_int_equal(r->opts[0].buf, IPS_BUF_HTTP_METHOD);
	assert_int_equal(r->opts[1].buf, IPS_BUF_PAYLOAD);
	assert_int_equal(r->opts[2].buf, IPS_BUF_HTTP_URI);
	assert_int_equal(r->opts[3].buf, IPS_BUF_HTTP_REQUEST_BODY);
	assert_int_equal(r->app, IPS_PROTO_HTTP);
	ips_rule_free(r);
	/* uricontent: a content in http.uri that leaves the sticky buffer alone. */
	r = ok(HDR "(file_data; uricontent:\"/x\"; nocase; content:\"b\"; sid:1;)");
	assert_int_equal(r->opts[0].kw, IPS_KW_CONTENT);
	assert_int_equal(r->opts[0].buf, IPS_BUF_HTTP_URI);
	assert_true(((const struct ips_content *)r->opts[0].data)->flags & IPS_CF_NOCASE);
	assert_int_equal(r->opts[1].buf, IPS_BUF_FILE_DATA);
	assert_int_equal(r->app, IPS_PROTO_HTTP);
	ips_rule_free(r);
	/* Legacy sticky names and the dotprefix transform. */
	r = ok("alert dns any any -> any any (dns_query; dotprefix; content:\".evil.com\"; "
	       "endswith; sid:1;)");
	assert_int_equal(r->opts[0].kw, IPS_KW_TRANSFORM);
	assert_int_equal(r->opts[0].buf, IPS_BUF_DNS_QUERY);
	ips_rule_free(r);
	r = ok("alert tls any any -> any any (tls.sni; content:\"x\"; tls.certs; content:\"y\"; "
	       "ja3.hash; content:\"0123\"; sid:1;)");
	assert_int_equal(r->opts[2].buf, IPS_BUF_JA3_HASH);
	ips_rule_free(r);
	bad(HDR "(http_uri; sid:1;)", "no preceding content");
	bad(HDR "(file_data; content:\"a\"; http_uri; sid:1;)", "already in buffer");
	bad("alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)", "needs http");
	bad(HDR "(http.uri; content:\"a\"; dns.query; content:\"b\"; sid:1;)", "mixes");
	bad("alert udp any any -> any any (tls.sni; content:\"a\"; sid:1;)", "over udp");
	bad(HDR "(dotprefix; sid:1;)", "without a sticky buffer");
	bad(HDR "(content:\"a\"; bsize:1; sid:1;)", "sticky buffer");
	bad("alert http any any -> any any (http.uri; content:\"abcdef\"; bsize:<5; sid:1;)",
	    "exceeds bsize");
	bad("alert http any any -> any any (http.uri; bsize:5<>3; sid:1;)", "bsize");
}

/* SSH, FTP, ftp-data and SMTP: protocols, sticky buffers and whole-buffer keywords. */
static void test_app_keywords(void **state)
{
	(void)state;
	struct ips_rule *r = ok("alert ssh any any -> any any (ssh.proto; content:\"2.0\"; "
	                        "ssh.software; content:\"OpenSSH\"; ssh.hassh; content:\"ab\"; "
	                        "ssh.hassh.string; content:\"c\"; ssh.hassh.server; content:\"d\"; "
	                        "ssh.hassh.server.string; content:\"e\"; sid:1;)");
	assert_int_equal(r->proto, IPS_PROTO_SSH);
	assert_int_equal(r->app, IPS_PROTO_SSH);
	assert_int_equal(r->opts[0].buf, IPS_BUF_SSH_PROTO);
	assert_int_equal(r->opts[1].buf, IPS_BUF_SSH_SOFTWARE);
	assert_int_equal(r->opts[2].buf, IPS_BUF_SSH_HASSH);
	assert_int_equal(r->opts[3].buf, IPS_BUF_SSH_HASSH_STRING);
	assert_int_equal(r->opts[4].buf, IPS_BUF_SSH_HASSH_SERVER);
	assert_int_equal(r->opts[5].buf, IPS_BUF_SSH_HASSH_SERVER_STRING);
	ips_rule_free(r);
	/* The legacy names; a tcp rule becomes an ssh one. */
	r = ok(HDR "(ssh_proto; content:\"2\"; ssh_software; content:\"x\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_SSH);
	ips_rule_free(r);
	/* ssh.protoversion / ssh.softwareversion compare the whole buffer. */
	r = ok(HDR "(ssh.protoversion:2_compat; ssh.softwareversion:\"OpenSSH_7.4\"; sid:1;)");
	assert_int_equal(r->opts[0].kw, IPS_KW_BUF_EQ);
	assert_int_equal(r->opts[0].buf, IPS_BUF_SSH_PROTO);
	const struct ips_buf_eq *q = r->opts[0].data;
	assert_true(q->ssh2_compat);
	q = r->opts[1].data;
	assert_int_equal(r->opts[1].buf, IPS_BUF_SSH_SOFTWARE);
	assert_false(q->ssh2_compat);
	assert_int_equal(q->len, 11);
	assert_memory_equal(q->val, "OpenSSH_7.4", 11);
	assert_int_equal(r->app, IPS_PROTO_SSH);
	ips_rule_free(r);
	/* ftp-data: ftpdata_command and file.data belong to the rule's protocol. */
	r = ok("alert ftp-data any any -> any any (ftpdata_command:RETR; file_data; "
	       "content:\"root\"; sid:1;)");
	assert_int_equal(r->proto, IPS_PROTO_FTP_DATA);
	assert_int_equal(r->app, IPS_PROTO_FTP_DATA);
	assert_int_equal(r->opts[0].buf, IPS_BUF_FTPDATA_COMMAND);
	assert_true(((const struct ips_buf_eq *)r->opts[0].data)->nocase);
	assert_int_equal(r->opts[1].buf, IPS_BUF_FILE_DATA);
	ips_rule_free(r);
	r = ok("alert smtp any any -> any any (file.data; content:\"x\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_SMTP);
	ips_rule_free(r);
	r = ok("alert ftp any any -> any any (ftp.command; content:\"RETR\"; ftp.command_data; "
	       "content:\"a\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_FTP);
	assert_int_equal(r->opts[1].buf, IPS_BUF_FTP_COMMAND_DATA);
	ips_rule_free(r);
	/* file.data on a tcp rule: any protocol's files, as in Suricata. */
	r = ok(HDR "(file_data; content:\"x\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_IP);
	ips_rule_free(r);
	bad(HDR "(ftpdata_command:list; sid:1;)", "retr or stor");
	bad("alert http any any -> any any (ssh.proto; content:\"2\"; sid:1;)", "needs ssh");
	bad(HDR "(ssh.proto; content:\"2\"; http.uri; content:\"a\"; sid:1;)", "mixes");
	bad("alert udp any any -> any any (ssh.software; content:\"a\"; sid:1;)", "over udp");
	bad("alert ftp any any -> any any (file.data; content:\"a\"; sid:1;)", "needs http");
}

/* SMB and DCE/RPC buffers and keywords (Suricata's smb.*, dcerpc.* and dce_* names). */
static void test_smb_dce(void **state)
{
	(void)state;
	struct ips_rule *r = ok("alert smb any any -> any any (smb_named_pipe; content:\"IPC$\"; "
	                        "smb.share; content:\"C$\"; sid:1;)");
	assert_int_equal(r->opts[0].buf, IPS_BUF_SMB_NAMED_PIPE);
	assert_int_equal(r->opts[1].buf, IPS_BUF_SMB_SHARE);
	assert_int_equal(r->app, IPS_PROTO_SMB);
	ips_rule_free(r);
	/* file_data follows the rule's protocol: SMB files here. */
	r = ok("alert smb any any -> any any (file_data; content:\"X5O\"; sid:1;)");
	assert_int_equal(r->opts[0].buf, IPS_BUF_FILE_DATA);
	assert_int_equal(r->app, IPS_PROTO_SMB);
	ips_rule_free(r);
	/* A tcp rule with DCE/RPC keywords needs DCE/RPC (which SMB pipes also carry). */
	r = ok(HDR "(dcerpc.iface:367ABB81-9844-35f1-ad32-98f038001003,>=2,any_frag; "
	           "dce_opnum:15,20-22; dce_stub_data; content:\"|5c 00|\"; "
	           "byte_test:2,=,46,0,relative,dce; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_DCERPC);
	assert_int_equal(r->opts[0].kw, IPS_KW_DCE_IFACE);
	const struct ips_dce_iface *ifc = r->opts[0].data;
	static const uint8_t uuid[16] = {0x36, 0x7a, 0xbb, 0x81, 0x98, 0x44, 0x35, 0xf1,
	                                 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
	assert_memory_equal(ifc->uuid, uuid, 16);
	assert_true(ifc->has_version && ifc->any_frag);
	assert_int_equal(ifc->version.op, IPS_CMP_GE);
	assert_int_equal(ifc->version.lo, 2);
	const struct ips_dce_opnum *op = r->opts[1].data;
	assert_int_equal(op->n, 2);
	assert_int_equal(op->r[0].lo, 15);
	assert_int_equal(op->r[0].hi, 15);
	assert_int_equal(op->r[1].lo, 20);
	assert_int_equal(op->r[1].hi, 22);
	assert_int_equal(r->opts[2].buf, IPS_BUF_DCERPC_STUB_DATA);
	assert_int_equal(((const struct ips_byte_test *)r->opts[3].data)->endian, IPS_END_DCE);
	ips_rule_free(r);
	r = ok(HDR "(dce_iface:afa8bd80-7d8a-11c9-bef4-08002b102989; sid:1;)");
	assert_false(((const struct ips_dce_iface *)r->opts[0].data)->has_version);
	ips_rule_free(r);
	/* DCE/RPC keywords on an smb rule inspect its pipes. */
	r = ok("alert smb any any -> any any (dcerpc.stub_data; content:\"a\"; dce_opnum:1; "
	       "smb.named_pipe; content:\"b\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_SMB);
	ips_rule_free(r);
	r = ok(HDR "(dcerpc.opnum:3; smb.share; content:\"c\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_SMB);
	ips_rule_free(r);
	r = ok(HDR
	       "(smb.ntlmssp_user; content:\"root\"; smb.ntlmssp_domain; content:\"D\"; sid:1;)");
	assert_int_equal(r->opts[0].buf, IPS_BUF_SMB_NTLMSSP_USER);
	assert_int_equal(r->opts[1].buf, IPS_BUF_SMB_NTLMSSP_DOMAIN);
	assert_int_equal(r->app, IPS_PROTO_SMB);
	ips_rule_free(r);
	bad(HDR "(dcerpc.iface:367abb81-9844-35f1-ad32; sid:1;)", "uuid");
	bad(HDR "(dcerpc.iface:367abb81-9844-35f1-ad32-98f038001003,any_frag,=1; sid:1;)",
	    "bad option");
	bad(HDR "(dcerpc.iface:367abb81-9844-35f1-ad32-98f03800100z; sid:1;)", "uuid");
	bad(HDR "(dcerpc.opnum:5-3; sid:1;)", "bad opnum");
	bad(HDR "(dcerpc.opnum:x; sid:1;)", "bad opnum");
	bad(HDR "(dcerpc.opnum:70000; sid:1;)", "bad opnum");
	bad("alert http any any -> any any (dcerpc.opnum:1; sid:1;)", "needs dcerpc");
	bad("alert dns any any -> any any (smb.share; content:\"a\"; sid:1;)", "needs smb");
	bad(HDR "(http.uri; content:\"a\"; dce_stub_data; content:\"b\"; sid:1;)", "mixes");
}

static void test_pcre(void **state)
{
	(void)state;
	struct ips_rule *r = ok(HDR "(content:\"a\"; pcre:\"/^x\\;y[0-9]+/Rsmi\"; "
	                            "pcre:!\"/\\/path/U\"; sid:1;)");
	const struct ips_pcre *p = r->opts[1].data;
	assert_non_null(p->code);
	assert_true(p->flags & IPS_PCRE_RELATIVE);
	assert_string_equal(p->re, "^x\\;y[0-9]+");
	p = r->opts[2].data;
	assert_true(p->flags & IPS_PCRE_NEGATED);
	assert_int_equal(r->opts[2].buf, IPS_BUF_HTTP_URI);
	ips_rule_free(r);
	/* A modifier naming the sticky buffer in force is accepted (ET does it). */
	r = ok("alert http any any -> any any (http.uri; pcre:\"/a/UR\"; file.data; "
	       "pcre:\"/b/Q\"; sid:1;)");
	assert_int_equal(r->opts[1].buf, IPS_BUF_FILE_DATA);
	ips_rule_free(r);
	bad(HDR "(pcre:\"/a(/\"; sid:1;)", "compile error");
	bad(HDR "(pcre:\"/a/Z9\"; sid:1;)", "unknown modifier");
	bad(HDR "(pcre:\"/a/UH\"; sid:1;)", "two buffer modifiers");
	bad(HDR "(pcre:\"a\"; sid:1;)", "expected");
	bad(HDR "(pcre:\"/abc\"; sid:1;)", "closing");
	bad("alert http any any -> any any (http.host; pcre:\"/a/U\"; sid:1;)", "sticky buffer");
}

static void test_flow_and_packet(void **state)
{
	(void)state;
	struct ips_rule *r = ok(HDR "(flow:established,to_server,no_stream; flags:SA+,12; ttl:<5; "
	                            "dsize:10<>40; sameip; stream_size:server,<,15; sid:1;)");
	assert_int_equal(r->flow->flags,
	                 IPS_FLOW_ESTABLISHED | IPS_FLOW_TO_SERVER | IPS_FLOW_NO_STREAM);
	const struct ips_tcp_flags *f = r->opts[1].data;
	assert_int_equal(f->flags, 0x12);
	assert_int_equal(f->ignore, 0xc0);
	assert_int_equal(f->mod, IPS_FLAGS_PLUS);
	const struct ips_num *n = r->opts[3].data;
	assert_int_equal(n->op, IPS_CMP_RANGE);
	assert_true(ips_num_match(n, 11));
	assert_false(ips_num_match(n, 10));
	ips_rule_free(r);
	r = ok("alert icmp any any -> any any (itype:8; icode:>0; icmp_id:5; icmp_seq:7; "
	       "ip_proto:!tcp; sid:1;)");
	n = r->opts[4].data;
	assert_int_equal(n->op, IPS_CMP_NE);
	assert_int_equal(n->lo, 6);
	ips_rule_free(r);
	r = ok(HDR "(flags:PA12; sid:1;)");
	assert_int_equal(((struct ips_tcp_flags *)r->opts[0].data)->flags, 0xd8);
	ips_rule_free(r);
	bad(HDR "(flow:to_server,to_client; sid:1;)", "conflicting");
	bad(HDR "(flow:established,stateless; sid:1;)", "conflicting");
	bad(HDR "(flow:sideways; sid:1;)", "unknown option");
	bad(HDR "(flow:established; flow:to_server; sid:1;)", "twice");
	bad(HDR "(flags:X; sid:1;)", "unknown flag");
	bad(HDR "(flags:0S; sid:1;)", "0 combined");
	bad(HDR "(ttl:256; sid:1;)", "ttl");
	bad(HDR "(dsize:<0; sid:1;)", "dsize");
	bad(HDR "(dsize:5<>5; sid:1;)", "dsize");
	bad("alert icmp any any -> any any (icmp_id:>5; sid:1;)", "icmp_id");
	bad(HDR "(stream_size:up,<,5; sid:1;)", "side");
	bad(HDR "(stream_size:server,<>,5; sid:1;)", "operator");
}

static void test_bytes_and_isdataat(void **state)
{
	(void)state;
	struct ips_rule *r = ok(HDR "(content:\"a\"; byte_extract:2,1,len,relative,little; "
	                            "byte_test:4,!&,0x80,len,relative,big; "
	                            "byte_jump:1,0,relative,post_offset -4,multiplier 2,align; "
	                            "isdataat:!len,relative; content:\"b\"; within:len; "
	                            "byte_test:3,>=,100,0,string,dec; sid:1;)");
	const struct ips_byte_extract *x = r->opts[1].data;
	assert_int_equal(x->nbytes, 2);
	assert_int_equal(x->endian, IPS_END_LITTLE);
	assert_int_equal(x->var, 0);
	const struct ips_byte_test *t = r->opts[2].data;
	assert_true(t->negated);
	assert_int_equal(t->op, '&');
	assert_int_equal(t->value, 0x80);
	assert_int_equal(t->offset_var, 0);
	const struct ips_byte_jump *j = r->opts[3].data;
	assert_int_equal(j->post_offset, -4);
	assert_int_equal(j->multiplier, 2);
	assert_true(j->align);
	const struct ips_isdataat *d = r->opts[4].data;
	assert_true(d->negated);
	assert_int_equal(d->value_var, 0);
	assert_int_equal(content(r, 5)->within_var, 0);
	t = r->opts[6].data;
	assert_int_equal(t->op, 'g');
	assert_int_equal(t->base, IPS_BASE_DEC);
	ips_rule_free(r);
	bad(HDR "(byte_test:9,=,1,0; sid:1;)", "byte count");
	bad(HDR "(byte_test:4,~,1,0; sid:1;)", "operator");
	bad(HDR "(byte_test:4,=,1; sid:1;)", "expected");
	bad(HDR "(byte_test:4,=,x,0; sid:1;)", "unknown variable");
	bad(HDR "(byte_test:4,=,1,0,sideways; sid:1;)", "unexpected");
	bad(HDR "(byte_test:4,=,1,0,string,dec,big; sid:1;)", "string with an endianness");
	bad(HDR "(byte_jump:4; sid:1;)", "expected");
	bad(HDR "(byte_jump:4,0,post_offset x; sid:1;)", "post_offset");
	bad(HDR "(byte_extract:4,0,1bad; sid:1;)", "variable name");
	bad(HDR "(byte_extract:4,0,v; byte_extract:4,0,v; sid:1;)", "defined twice");
	bad(HDR "(byte_extract:4,0,v,align 3; sid:1;)", "align");
	bad(HDR "(isdataat:x; sid:1;)", "unknown variable");
	bad(HDR "(isdataat:1,sideways; sid:1;)", "unexpected");
	bad("alert http any any -> any any (urilen:5,fuzzy; sid:1;)", "norm or raw");
	bad("alert dns any any -> any any (urilen:5; sid:1;)", "needs http");
}

static void test_state_keywords(void **state)
{
	(void)state;
	struct ips_rule *r = ok(HDR "(flowbits:isset,a|b; flowbits:set,c&d; flowbits:noalert; "
	                            "threshold: type both, track by_src, count 1, seconds 60; "
	                            "sid:1;)");
	const struct ips_flowbits *fb = r->opts[0].data;
	assert_int_equal(fb->cmd, IPS_FB_ISSET);
	assert_true(fb->or_list);
	assert_int_equal(fb->n, 2);
	fb = r->opts[1].data;
	assert_int_equal(fb->n, 2);
	assert_false(fb->or_list);
	assert_true(r->noalert);
	assert_int_equal(r->threshold->type, IPS_THR_BOTH);
	assert_int_equal(r->threshold->seconds, 60);
	ips_rule_free(r);
	r = ok(HDR "(detection_filter:track by_dst, count 5, seconds 10; sid:1;)");
	assert_int_equal(((struct ips_threshold *)r->opts[0].data)->track, IPS_TRACK_BY_DST);
	ips_rule_free(r);
	bad(HDR "(flowbits:check,a; sid:1;)", "unknown command");
	bad(HDR "(flowbits:set; sid:1;)", "needs");
	bad(HDR "(flowbits:noalert,a; sid:1;)", "takes no");
	bad(HDR "(flowbits:set,a|b; sid:1;)", "| only");
	bad(HDR "(threshold:type limit, track by_src, count 1; sid:1;)", "expected");
	bad(HDR "(threshold:type x, track by_src, count 1, seconds 1; sid:1;)", "bad type");
	bad(HDR "(threshold:type limit, track by_x, count 1, seconds 1; sid:1;)", "bad track");
	bad(HDR "(threshold:type limit, track by_src, count 0, seconds 1; sid:1;)", "count");
	bad(HDR "(detection_filter:track by_src, count 1, seconds 1; "
	        "threshold:type limit, track by_src, count 1, seconds 1; sid:1;)",
	    "only one");
}

static char *capture;
static size_t capture_len;

static void sink(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	size_t n = strlen(line);
	char *c = realloc(capture, capture_len + n + 2);
	assert_non_null(c);
	capture = c;
	memcpy(capture + capture_len, line, n);
	capture[capture_len + n] = '\n';
	capture_len += n + 1;
	capture[capture_len] = 0;
}

static void test_loader(void **state)
{
	(void)state;
	static const char text[] =
	        "# a comment\n"
	        "\n"
	        "alert tcp any any -> any any (msg:\"one\"; \\\n"
	        "  content:\"a\"; sid:1; rev:1;)\n"
	        "alert tcp any any -> any any (msg:\"bad\"; lua:script.lua; sid:2;)\n"
	        "alert nfs any any -> any any (sid:3;)\n"
	        "alert tcp any any -> any any (msg:\"dup\"; sid:1; rev:3;)\n"
	        "   # indented comment\n"
	        "alert udp any any -> any 53 (msg:\"last\"; sid:4;)";
	char path[] = "/tmp/bw_rules_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* Written gzip-compressed: the loader decides by content. */
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, sizeof(text) - 1), (int)(sizeof(text) - 1));
	gzclose(gz);
	struct ips_ruleset *rs;
	struct ips_load_stats st;
	bw_log_set_sink(sink, NULL);
	assert_int_equal(ips_rules_load(path, NULL, &rs, &st), 0);
	bw_log_set_sink(NULL, NULL);
	assert_int_equal(st.rules, 5);
	assert_int_equal(st.loaded, 2);
	assert_int_equal(st.skipped, 3);
	assert_int_equal(st.dup_sid, 1);
	assert_int_equal(rs->n, 2);
	assert_string_equal(rs->rules[0]->msg, "dup"); /* the higher rev wins */
	assert_int_equal(rs->rules[0]->line, 7);
	assert_int_equal(rs->rules[1]->line, 9);
	/* The skip message names file, line and keyword. */
	char want[128];
	snprintf(want, sizeof(want), "%s:5: rule skipped: unsupported keyword lua", path);
	assert_non_null(strstr(capture, want));
	snprintf(want, sizeof(want), "%s:6: rule skipped: unsupported protocol nfs", path);
	assert_non_null(strstr(capture, want));
	bool seen = false;
	for (size_t i = 0; i < st.nreasons; i++)
		if (strcmp(st.reasons[i].what, "unsupported keyword lua") == 0)
			seen = st.reasons[i].count == 1;
	assert_true(seen);
	/* Dump prints how the rule was understood. */
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	ips_rule_dump(rs->rules[1], f);
	fclose(f);
	assert_non_null(strstr(out, "udp any any -> any [53]"));
	assert_non_null(strstr(out, "msg: \"last\""));
	free(out);
	ips_ruleset_free(rs);
	unlink(path);
	assert_int_equal(ips_rules_load("/nonexistent/x.rules", NULL, &rs, &st), BW_ERR_IO);
	assert_null(rs);
	free(capture);
	capture = NULL;
	capture_len = 0;
}

static void test_dump_content(void **state)
{
	(void)state;
	struct ips_rule *r = ok("alert http $HOME_NET any -> 10.0.0.0/8 $HTTP_PORTS (msg:\"d\"; "
	                        "flow:established,to_server; http.uri; content:\"a|00 01|b\"; "
	                        "nocase; depth:9; pcre:\"/x/i\"; sid:7; rev:1;)");
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	ips_rule_dump(r, f);
	fclose(f);
	assert_non_null(strstr(out, "alert http [10.0.0.0/8,172.16.0.0/12,192.168.0.0/16] any -> "
	                            "[10.0.0.0/8] [80]"));
	assert_non_null(strstr(out, "http.uri content \"a|00 01|b\" len=4 nocase depth=9"));
	assert_non_null(strstr(out, "http.uri pcre /x/i"));
	assert_non_null(strstr(out, "payload flow established,to_server"));
	assert_null(strstr(out, "ip-only"));
	free(out);
	ips_rule_free(r);
	r = ok("alert ip [1.2.3.4,5.6.7.8] any -> $HOME_NET any (msg:\"tor\"; sid:8;)");
	f = open_memstream(&out, &outlen);
	ips_rule_dump(r, f);
	fclose(f);
	assert_non_null(
	        strstr(out, "ip-only: evaluated on the first packet of each flow direction"));
	free(out);
	ips_rule_free(r);
}

static void test_classification(void **state)
{
	(void)state;
	char path[] = "/tmp/bw_class_XXXXXX";
	int fd = mkstemp(path);
	static const char t[] = "# c\nconfig classification: trojan-activity,A Network Trojan,1\n"
	                        "config classification: bad line\n"
	                        "config classification: misc-activity,Misc activity,3\n";
	assert_int_equal(write(fd, t, sizeof(t) - 1), (ssize_t)(sizeof(t) - 1));
	close(fd);
	struct ips_classconf *c;
	bw_log_set_sink(sink, NULL);
	assert_int_equal(ips_classconf_load(path, &c), 0);
	bw_log_set_sink(NULL, NULL);
	free(capture);
	capture = NULL;
	capture_len = 0;
	assert_int_equal(ips_classconf_count(c), 2);
	assert_string_equal(ips_classconf_find(c, "trojan-activity")->desc, "A Network Trojan");
	struct ips_rule *r = ok(HDR "(classtype:trojan-activity; sid:1;)");
	assert_int_equal(ips_rule_priority(r, c), 1);
	ips_rule_free(r);
	r = ok(HDR "(classtype:trojan-activity; priority:4; sid:1;)");
	assert_int_equal(ips_rule_priority(r, c), 4);
	ips_rule_free(r);
	r = ok(HDR "(sid:1;)");
	assert_int_equal(ips_rule_priority(r, c), 3);
	ips_rule_free(r);
	ips_classconf_free(c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_header),
	        cmocka_unit_test(test_lexer),
	        cmocka_unit_test(test_meta),
	        cmocka_unit_test(test_content_modifiers),
	        cmocka_unit_test(test_buffers),
	        cmocka_unit_test(test_app_keywords),
	        cmocka_unit_test(test_smb_dce),
	        cmocka_unit_test(test_pcre),
	        cmocka_unit_test(test_flow_and_packet),
	        cmocka_unit_test(test_bytes_and_isdataat),
	        cmocka_unit_test(test_state_keywords),
	        cmocka_unit_test(test_loader),
	        cmocka_unit_test(test_dump_content),
	        cmocka_unit_test(test_classification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
