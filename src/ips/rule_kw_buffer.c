/* SPDX-License-Identifier: ISC */
/*
 * Buffer selection keywords. Suricata sticky buffers ("http.uri;") switch
 * the buffer of every following content/pcre/byte_* option until the next
 * one; pkt_data switches back to the packet payload. Snort 2 modifiers
 * ("content:...; http_uri;") move only the content just before them. The
 * legacy underscore names of buffers that Suricata introduced as sticky
 * (file_data, dns_query, tls_sni, ja3_hash, http_content_type, ...) are
 * sticky too, as in Suricata. tcp.hdr, udp.hdr and icmpv6.hdr select a
 * packet's transport header: they are inspected on packets, not on the
 * stream or transactions. file.data is not tied to one app layer: HTTP
 * bodies, FTP data, SMTP attachments and SMB file transfers fill it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ips/rule_int.h"
#include "lib/err.h"

static const char *const buf_names[IPS_BUF__COUNT] = {
        [IPS_BUF_PAYLOAD] = "payload",
        [IPS_BUF_HTTP_URI] = "http.uri",
        [IPS_BUF_HTTP_RAW_URI] = "http.uri.raw",
        [IPS_BUF_HTTP_METHOD] = "http.method",
        [IPS_BUF_HTTP_REQUEST_LINE] = "http.request_line",
        [IPS_BUF_HTTP_PROTOCOL] = "http.protocol",
        [IPS_BUF_HTTP_HEADER] = "http.header",
        [IPS_BUF_HTTP_RAW_HEADER] = "http.header.raw",
        [IPS_BUF_HTTP_HEADER_NAMES] = "http.header_names",
        [IPS_BUF_HTTP_HOST] = "http.host",
        [IPS_BUF_HTTP_RAW_HOST] = "http.host.raw",
        [IPS_BUF_HTTP_USER_AGENT] = "http.user_agent",
        [IPS_BUF_HTTP_COOKIE] = "http.cookie",
        [IPS_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
        [IPS_BUF_HTTP_CONTENT_LEN] = "http.content_len",
        [IPS_BUF_HTTP_REFERER] = "http.referer",
        [IPS_BUF_HTTP_ACCEPT] = "http.accept",
        [IPS_BUF_HTTP_ACCEPT_ENC] = "http.accept_enc",
        [IPS_BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
        [IPS_BUF_HTTP_CONNECTION] = "http.connection",
        [IPS_BUF_HTTP_LOCATION] = "http.location",
        [IPS_BUF_HTTP_SERVER] = "http.server",
        [IPS_BUF_HTTP_START] = "http.start",
        [IPS_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
        [IPS_BUF_HTTP_STAT_CODE] = "http.stat_code",
        [IPS_BUF_HTTP_STAT_MSG] = "http.stat_msg",
        [IPS_BUF_HTTP_REQUEST_BODY] = "http.request_body",
        [IPS_BUF_HTTP_RESPONSE_BODY] = "http.response_body",
        [IPS_BUF_FILE_DATA] = "file.data",
        [IPS_BUF_DNS_QUERY] = "dns.query",
        [IPS_BUF_TLS_SNI] = "tls.sni",
        [IPS_BUF_TLS_CERT_SUBJECT] = "tls.cert_subject",
        [IPS_BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
        [IPS_BUF_TLS_CERT_SERIAL] = "tls.cert_serial",
        [IPS_BUF_TLS_CERTS] = "tls.certs",
        [IPS_BUF_JA3_HASH] = "ja3.hash",
        [IPS_BUF_JA3_STRING] = "ja3.string",
        [IPS_BUF_JA3S_HASH] = "ja3s.hash",
        [IPS_BUF_SSH_PROTO] = "ssh.proto",
        [IPS_BUF_SSH_SOFTWARE] = "ssh.software",
        [IPS_BUF_SSH_HASSH] = "ssh.hassh",
        [IPS_BUF_SSH_HASSH_STRING] = "ssh.hassh.string",
        [IPS_BUF_SSH_HASSH_SERVER] = "ssh.hassh.server",
        [IPS_BUF_SSH_HASSH_SERVER_STRING] = "ssh.hassh.server.string",
        [IPS_BUF_FTP_COMMAND] = "ftp.command",
        [IPS_BUF_FTP_COMMAND_DATA] = "ftp.command_data",
        [IPS_BUF_FTPDATA_COMMAND] = "ftpdata_command",
        [IPS_BUF_KRB5_CNAME] = "krb5.cname",
        [IPS_BUF_KRB5_SNAME] = "krb5.sname",
        [IPS_BUF_MQTT_PUBLISH_TOPIC] = "mqtt.publish.topic",
        [IPS_BUF_MQTT_PUBLISH_MESSAGE] = "mqtt.publish.message",
        [IPS_BUF_MQTT_CONNECT_CLIENTID] = "mqtt.connect.clientid",
        [IPS_BUF_MQTT_CONNECT_USERNAME] = "mqtt.connect.username",
        [IPS_BUF_MQTT_CONNECT_PASSWORD] = "mqtt.connect.password",
        [IPS_BUF_MQTT_CONNECT_WILLTOPIC] = "mqtt.connect.willtopic",
        [IPS_BUF_MQTT_CONNECT_WILLMESSAGE] = "mqtt.connect.willmessage",
        [IPS_BUF_MQTT_SUBSCRIBE_TOPIC] = "mqtt.subscribe.topic",
        [IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC] = "mqtt.unsubscribe.topic",
        [IPS_BUF_IKE_INIT_SPI] = "ike.init_spi",
        [IPS_BUF_IKE_RESP_SPI] = "ike.resp_spi",
        [IPS_BUF_IKE_KEY_EXCHANGE] = "ike.key_exchange_payload",
        [IPS_BUF_IKE_NONCE] = "ike.nonce_payload",
        [IPS_BUF_IKE_VENDOR] = "ike.vendor",
        [IPS_BUF_TCP_HDR] = "tcp.hdr",
        [IPS_BUF_UDP_HDR] = "udp.hdr",
        [IPS_BUF_ICMPV6_HDR] = "icmpv6.hdr",
        [IPS_BUF_FILE_NAME] = "file.name",
        [IPS_BUF_FILE_MAGIC] = "file.magic",
        [IPS_BUF_FILE_MD5] = "file.md5",
        [IPS_BUF_FILE_SHA1] = "file.sha1",
        [IPS_BUF_FILE_SHA256] = "file.sha256",
        [IPS_BUF_BASE64_DATA] = "base64_data",
        [IPS_BUF_SMB_NAMED_PIPE] = "smb.named_pipe",
        [IPS_BUF_SMB_SHARE] = "smb.share",
        [IPS_BUF_SMB_NTLMSSP_USER] = "smb.ntlmssp_user",
        [IPS_BUF_SMB_NTLMSSP_DOMAIN] = "smb.ntlmssp_domain",
        [IPS_BUF_DCERPC_STUB_DATA] = "dcerpc.stub_data",
        [IPS_BUF_FRAME_PDU] = "frame.pdu",
        [IPS_BUF_FRAME_HEADER] = "frame.header",
        [IPS_BUF_FRAME_DATA] = "frame.data",
};

const char *ips_buf_name(enum ips_buf b)
{
	return b >= 0 && b < IPS_BUF__COUNT ? buf_names[b] : "?";
}

/*
 * ssh.protoversion / ssh.softwareversion (Suricata's deprecated forms of
 * ssh.proto / ssh.software): the whole value, quotes optional; "2_compat"
 * also matches "1.99". ftpdata_command: retr or stor, the command whose
 * transfer the ftp-data flow carries.
 */
static int buf_eq_parse(struct ips_parse_ctx *ctx, const char *val, enum ips_buf b, bool nocase,
                        void **data)
{
	struct ips_buf_eq *q = calloc(1, sizeof(*q));
	size_t n = strlen(val);
	if (!q)
		return BW_ERR_NOMEM;
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
		val++;
		n -= 2;
	}
	if (n == 0 || (q->val = malloc(n + 1)) == NULL) {
		free(q);
		return n == 0 ? ips_fail(ctx, BW_ERR_INVAL, "%s: empty value", ctx->kwname)
		              : BW_ERR_NOMEM;
	}
	memcpy(q->val, val, n);
	q->val[n] = 0;
	q->len = n;
	q->nocase = nocase;
	q->ssh2_compat = b == IPS_BUF_SSH_PROTO && strcmp((char *)q->val, "2_compat") == 0;
	ctx->next_buf = (int)b;
	*data = q;
	return 0;
}

static int kw_ssh_protoversion(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return buf_eq_parse(ctx, val, IPS_BUF_SSH_PROTO, false, data);
}

static int kw_ssh_softwareversion(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return buf_eq_parse(ctx, val, IPS_BUF_SSH_SOFTWARE, false, data);
}

static int kw_ftpdata_command(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	if (strcasecmp(val, "retr") != 0 && strcasecmp(val, "stor") != 0)
		return ips_fail(ctx, BW_ERR_INVAL, "ftpdata_command: expected retr or stor");
	return buf_eq_parse(ctx, val, IPS_BUF_FTPDATA_COMMAND, true, data);
}

static void buf_eq_free(void *p)
{
	struct ips_buf_eq *q = p;
	if (q)
		free(q->val);
	free(q);
}

static void buf_eq_dump(const void *p, FILE *f)
{
	const struct ips_buf_eq *q = p;
	fprintf(f, "%s", (const char *)q->val);
}

/* The frames each app layer produces (Suricata 7's frame types that bulwark has). */
static const struct {
	enum ips_proto app;
	const char *type;
	enum ips_buf buf;
} frame_types[] = {
        {IPS_PROTO_DNS, "pdu", IPS_BUF_FRAME_PDU},
        {IPS_PROTO_MQTT, "pdu", IPS_BUF_FRAME_PDU},
        {IPS_PROTO_MQTT, "header", IPS_BUF_FRAME_HEADER},
        {IPS_PROTO_MQTT, "data", IPS_BUF_FRAME_DATA},
};

/*
 * frame:[PROTO.]TYPE, a sticky buffer over the rule's app-layer frames of
 * TYPE. Without PROTO (or when PROTO is no app layer name, as Suricata's
 * short form) the rule's own app protocol is meant.
 */
static int frame_parse(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_rule *r = ctx->r;
	const char *dot = strchr(val, '.');
	const char *type = val;
	enum ips_proto app = r->proto >= IPS_PROTO_HTTP ? r->proto : IPS_PROTO_IP;

	(void)data;
	if (r->proto == IPS_PROTO_ICMP)
		return ips_fail(ctx, BW_ERR_INVAL, "frame: only for tcp and udp");
	if (dot) {
		for (int p = IPS_PROTO_HTTP; p < IPS_PROTO__COUNT; p++) {
			const char *n = ips_proto_name((enum ips_proto)p);
			if (strlen(n) == (size_t)(dot - val) &&
			    !strncmp(val, n, (size_t)(dot - val))) {
				if (app != IPS_PROTO_IP && app != (enum ips_proto)p)
					return ips_fail(ctx, BW_ERR_INVAL,
					                "frame: %s mismatches the rule protocol",
					                val);
				app = (enum ips_proto)p;
				type = dot + 1;
				break;
			}
		}
	}
	if (app == IPS_PROTO_IP)
		return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported frame %s", val);
	for (size_t i = 0; i < sizeof(frame_types) / sizeof(frame_types[0]); i++) {
		if (frame_types[i].app != app || strcmp(frame_types[i].type, type) != 0)
			continue;
		ctx->buf = frame_types[i].buf;
		ctx->sticky = true;
		ctx->tf_first = (uint16_t)r->nopts;
		ctx->tf_n = 0;
		return ips_need_app(ctx, app, "frame");
	}
	return ips_fail(ctx, BW_ERR_UNSUPP, "unsupported frame %s", val);
}

#define S(name, b)                                                                                 \
	{                                                                                          \
		name, IPS_KW_STICKY, IPS_KWF_NOVALUE | IPS_KWF_STICKY, b, NULL, NULL, NULL         \
	}
#define M(name, b)                                                                                 \
	{                                                                                          \
		name, IPS_KW_BUF_MODIFIER, IPS_KWF_NOVALUE | IPS_KWF_BUFMOD, b, NULL, NULL, NULL   \
	}
const struct ips_keyword ips_kw_buffer_table[] = {
        S("pkt_data", IPS_BUF_PAYLOAD),
        S("http.uri", IPS_BUF_HTTP_URI),
        S("http.uri.raw", IPS_BUF_HTTP_RAW_URI),
        S("http.method", IPS_BUF_HTTP_METHOD),
        S("http.request_line", IPS_BUF_HTTP_REQUEST_LINE),
        S("http_request_line", IPS_BUF_HTTP_REQUEST_LINE),
        S("http.protocol", IPS_BUF_HTTP_PROTOCOL),
        S("http.header", IPS_BUF_HTTP_HEADER),
        S("http.header.raw", IPS_BUF_HTTP_RAW_HEADER),
        S("http.header_names", IPS_BUF_HTTP_HEADER_NAMES),
        S("http_header_names", IPS_BUF_HTTP_HEADER_NAMES),
        S("http.host", IPS_BUF_HTTP_HOST),
        S("http.host.raw", IPS_BUF_HTTP_RAW_HOST),
        S("http.user_agent", IPS_BUF_HTTP_USER_AGENT),
        S("http.cookie", IPS_BUF_HTTP_COOKIE),
        S("http.content_type", IPS_BUF_HTTP_CONTENT_TYPE),
        S("http_content_type", IPS_BUF_HTTP_CONTENT_TYPE),
        S("http.content_len", IPS_BUF_HTTP_CONTENT_LEN),
        S("http_content_len", IPS_BUF_HTTP_CONTENT_LEN),
        S("http.referer", IPS_BUF_HTTP_REFERER),
        S("http_referer", IPS_BUF_HTTP_REFERER),
        S("http.accept", IPS_BUF_HTTP_ACCEPT),
        S("http_accept", IPS_BUF_HTTP_ACCEPT),
        S("http.accept_enc", IPS_BUF_HTTP_ACCEPT_ENC),
        S("http_accept_enc", IPS_BUF_HTTP_ACCEPT_ENC),
        S("http.accept_lang", IPS_BUF_HTTP_ACCEPT_LANG),
        S("http_accept_lang", IPS_BUF_HTTP_ACCEPT_LANG),
        S("http.connection", IPS_BUF_HTTP_CONNECTION),
        S("http_connection", IPS_BUF_HTTP_CONNECTION),
        S("http.location", IPS_BUF_HTTP_LOCATION),
        S("http.server", IPS_BUF_HTTP_SERVER),
        S("http.start", IPS_BUF_HTTP_START),
        S("http_start", IPS_BUF_HTTP_START),
        S("http.response_line", IPS_BUF_HTTP_RESPONSE_LINE),
        S("http_response_line", IPS_BUF_HTTP_RESPONSE_LINE),
        S("http.stat_code", IPS_BUF_HTTP_STAT_CODE),
        S("http.stat_msg", IPS_BUF_HTTP_STAT_MSG),
        S("http.request_body", IPS_BUF_HTTP_REQUEST_BODY),
        S("http.response_body", IPS_BUF_HTTP_RESPONSE_BODY),
        S("file.data", IPS_BUF_FILE_DATA),
        S("file_data", IPS_BUF_FILE_DATA),
        S("dns.query", IPS_BUF_DNS_QUERY),
        S("dns_query", IPS_BUF_DNS_QUERY),
        S("tls.sni", IPS_BUF_TLS_SNI),
        S("tls_sni", IPS_BUF_TLS_SNI),
        S("tls.cert_subject", IPS_BUF_TLS_CERT_SUBJECT),
        S("tls_cert_subject", IPS_BUF_TLS_CERT_SUBJECT),
        S("tls.cert_issuer", IPS_BUF_TLS_CERT_ISSUER),
        S("tls_cert_issuer", IPS_BUF_TLS_CERT_ISSUER),
        S("tls.cert_serial", IPS_BUF_TLS_CERT_SERIAL),
        S("tls_cert_serial", IPS_BUF_TLS_CERT_SERIAL),
        S("tls.certs", IPS_BUF_TLS_CERTS),
        S("ja3.hash", IPS_BUF_JA3_HASH),
        S("ja3_hash", IPS_BUF_JA3_HASH),
        S("ja3.string", IPS_BUF_JA3_STRING),
        S("ja3_string", IPS_BUF_JA3_STRING),
        S("ja3s.hash", IPS_BUF_JA3S_HASH),
        S("ja3s_hash", IPS_BUF_JA3S_HASH),
        S("ssh.proto", IPS_BUF_SSH_PROTO),
        S("ssh_proto", IPS_BUF_SSH_PROTO),
        S("ssh.software", IPS_BUF_SSH_SOFTWARE),
        S("ssh_software", IPS_BUF_SSH_SOFTWARE),
        S("ssh.hassh", IPS_BUF_SSH_HASSH),
        S("ssh.hassh.string", IPS_BUF_SSH_HASSH_STRING),
        S("ssh.hassh.server", IPS_BUF_SSH_HASSH_SERVER),
        S("ssh.hassh.server.string", IPS_BUF_SSH_HASSH_SERVER_STRING),
        S("ftp.command", IPS_BUF_FTP_COMMAND),
        S("ftp.command_data", IPS_BUF_FTP_COMMAND_DATA),
        {"ssh.protoversion", IPS_KW_BUF_EQ, IPS_KWF_VALUE, 0, kw_ssh_protoversion, buf_eq_free,
         buf_eq_dump},
        {"ssh.softwareversion", IPS_KW_BUF_EQ, IPS_KWF_VALUE, 0, kw_ssh_softwareversion,
         buf_eq_free, buf_eq_dump},
        {"ftpdata_command", IPS_KW_BUF_EQ, IPS_KWF_VALUE, 0, kw_ftpdata_command, buf_eq_free,
         buf_eq_dump},
        S("krb5.cname", IPS_BUF_KRB5_CNAME),
        S("krb5_cname", IPS_BUF_KRB5_CNAME),
        S("krb5.sname", IPS_BUF_KRB5_SNAME),
        S("krb5_sname", IPS_BUF_KRB5_SNAME),
        S("mqtt.publish.topic", IPS_BUF_MQTT_PUBLISH_TOPIC),
        S("mqtt.publish.message", IPS_BUF_MQTT_PUBLISH_MESSAGE),
        S("mqtt.connect.clientid", IPS_BUF_MQTT_CONNECT_CLIENTID),
        S("mqtt.connect.username", IPS_BUF_MQTT_CONNECT_USERNAME),
        S("mqtt.connect.password", IPS_BUF_MQTT_CONNECT_PASSWORD),
        S("mqtt.connect.willtopic", IPS_BUF_MQTT_CONNECT_WILLTOPIC),
        S("mqtt.connect.willmessage", IPS_BUF_MQTT_CONNECT_WILLMESSAGE),
        S("mqtt.subscribe.topic", IPS_BUF_MQTT_SUBSCRIBE_TOPIC),
        S("mqtt.unsubscribe.topic", IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC),
        S("ike.init_spi", IPS_BUF_IKE_INIT_SPI),
        S("ike.resp_spi", IPS_BUF_IKE_RESP_SPI),
        S("ike.key_exchange_payload", IPS_BUF_IKE_KEY_EXCHANGE),
        S("ike.nonce_payload", IPS_BUF_IKE_NONCE),
        S("ike.vendor", IPS_BUF_IKE_VENDOR),
        /* Packet header sticky buffers (Suricata 5+). */
        S("tcp.hdr", IPS_BUF_TCP_HDR),
        S("udp.hdr", IPS_BUF_UDP_HDR),
        S("icmpv6.hdr", IPS_BUF_ICMPV6_HDR),
        S("file.name", IPS_BUF_FILE_NAME),
        S("file.magic", IPS_BUF_FILE_MAGIC),
        S("smb.named_pipe", IPS_BUF_SMB_NAMED_PIPE),
        S("smb_named_pipe", IPS_BUF_SMB_NAMED_PIPE),
        S("smb.share", IPS_BUF_SMB_SHARE),
        S("smb_share", IPS_BUF_SMB_SHARE),
        S("smb.ntlmssp_user", IPS_BUF_SMB_NTLMSSP_USER),
        S("smb.ntlmssp_domain", IPS_BUF_SMB_NTLMSSP_DOMAIN),
        S("dcerpc.stub_data", IPS_BUF_DCERPC_STUB_DATA),
        S("dce_stub_data", IPS_BUF_DCERPC_STUB_DATA),
        {"frame", IPS_KW_STICKY, IPS_KWF_VALUE | IPS_KWF_RULE, IPS_BUF_PAYLOAD, frame_parse, NULL,
         NULL},
        /* Snort 2 / Suricata legacy content modifiers. */
        M("http_uri", IPS_BUF_HTTP_URI),
        M("http_raw_uri", IPS_BUF_HTTP_RAW_URI),
        M("http_method", IPS_BUF_HTTP_METHOD),
        M("http_header", IPS_BUF_HTTP_HEADER),
        M("http_raw_header", IPS_BUF_HTTP_RAW_HEADER),
        M("http_cookie", IPS_BUF_HTTP_COOKIE),
        M("http_user_agent", IPS_BUF_HTTP_USER_AGENT),
        M("http_host", IPS_BUF_HTTP_HOST),
        M("http_raw_host", IPS_BUF_HTTP_RAW_HOST),
        M("http_stat_code", IPS_BUF_HTTP_STAT_CODE),
        M("http_stat_msg", IPS_BUF_HTTP_STAT_MSG),
        M("http_client_body", IPS_BUF_HTTP_REQUEST_BODY),
        M("http_server_body", IPS_BUF_FILE_DATA), /* an alias of file_data since Suricata 5 */
};
const size_t ips_kw_buffer_count = sizeof(ips_kw_buffer_table) / sizeof(ips_kw_buffer_table[0]);
