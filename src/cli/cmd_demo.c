/* SPDX-License-Identifier: ISC */
/*
 * `bulwark demo`: the main job. Builds two network namespaces joined by a
 * veth pair, starts one bulwark in each with a manually keyed ESP tunnel
 * (fresh random keys every run), then shows ping and a TCP transfer
 * crossing the tunnel with live counters read from both control sockets,
 * and tears everything down. Exits 0 only if traffic crossed both ways and
 * the TCP payload arrived intact.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

struct demo {
	char ns[2][32];
	char dir[64];
	char sock[2][128];
	pid_t gw[2];
	bool ns_made[2];
	const char *enc;
	const char *integ;
	bool udp;
	bool esn;
	int seconds;
	const char *esp_prop; /* the same algorithms as an IKE ESP proposal */
};

static struct demo *the_demo;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == 0 ? 0 : -1;
}

static void teardown(struct demo *d)
{
	for (int i = 0; i < 2; i++) {
		if (d->gw[i] > 0) {
			kill(d->gw[i], SIGTERM);
			for (int t = 0; t < 50; t++) {
				if (waitpid(d->gw[i], NULL, WNOHANG) == d->gw[i]) {
					d->gw[i] = 0;
					break;
				}
				usleep(100000);
			}
			if (d->gw[i] > 0) {
				kill(d->gw[i], SIGKILL);
				waitpid(d->gw[i], NULL, 0);
				d->gw[i] = 0;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (d->ns_made[i]) {
			sh("ip netns pids %s 2>/dev/null | xargs -r kill -9 2>/dev/null", d->ns[i]);
			sh("ip netns del %s 2>/dev/null", d->ns[i]);
			d->ns_made[i] = false;
		}
	if (d->dir[0] != '\0') {
		sh("rm -rf '%s'", d->dir);
		d->dir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (the_demo != NULL)
		teardown(the_demo);
	_exit(1);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static size_t enc_keylen(const char *enc)
{
	if (strcmp(enc, "aes-gcm-128") == 0)
		return 20;
	if (strcmp(enc, "aes-gcm-256") == 0 || strcmp(enc, "chacha20-poly1305") == 0)
		return 36;
	if (strcmp(enc, "aes-cbc-128") == 0)
		return 16;
	if (strcmp(enc, "aes-cbc-256") == 0)
		return 32;
	return 0;
}

static size_t integ_keylen(const char *integ)
{
	if (strcmp(integ, "hmac-sha256-128") == 0)
		return 32;
	if (strcmp(integ, "hmac-sha384-192") == 0)
		return 48;
	if (strcmp(integ, "hmac-sha512-256") == 0)
		return 64;
	return 0;
}

/* Writes the config for side i; keys[0] protects a->b, keys[1] b->a. */
static int write_conf(struct demo *d, int i, char keys[2][2][160])
{
	static const char *const outer[2] = {"192.0.2.1", "192.0.2.2"};
	static const char *const inner[2] = {"10.1.0.1", "10.2.0.1"};
	static const char *const net[2] = {"10.1.0.0/24", "10.2.0.0/24"};
	char path[160];
	FILE *f;
	int o = i, in = 1 - i;

	snprintf(path, sizeof(path), "%s/%c.yaml", d->dir, 'a' + i);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
	        "log: { level: info }\n"
	        "daemon: { control_socket: %s, user: nobody }\n"
	        "tun: { name: bw0, mtu: 1400, addresses: [%s/32] }\n"
	        "ipsec:\n"
	        "  raw_esp: %s\n"
	        "  udp_port: %s\n"
	        "  manual:\n"
	        "    - name: demo\n"
	        "      mode: tunnel\n"
	        "      local: %s\n"
	        "      remote: %s\n"
	        "      encap: %s\n"
	        "      esn: %s\n"
	        "      local_ts: [%s]\n"
	        "      remote_ts: [%s]\n"
	        "      enc: %s\n"
	        "      integ: %s\n"
	        "      out: { spi: 0x%x, enc_key: 0x%s%s%s }\n"
	        "      in: { spi: 0x%x, enc_key: 0x%s%s%s }\n",
	        d->sock[i], inner[i], d->udp ? "false" : "true", d->udp ? "4500" : "0", outer[i],
	        outer[1 - i], d->udp ? "udp" : "none", d->esn ? "true" : "false", net[i],
	        net[1 - i], d->enc, d->integ, 0x1000 + o, keys[o][0],
	        d->integ[0] != 'n' ? ", integ_key: 0x" : "", d->integ[0] != 'n' ? keys[o][1] : "",
	        0x1000 + in, keys[in][0], d->integ[0] != 'n' ? ", integ_key: 0x" : "",
	        d->integ[0] != 'n' ? keys[in][1] : "");
	return fclose(f) == 0 ? 0 : -1;
}

/* PSK connection between the two gateways; a initiates (IKEv2, RFC 7296). */
static int write_conf_ike(struct demo *d, int i, const char *psk)
{
	static const char *const outer[2] = {"192.0.2.1", "192.0.2.2"};
	static const char *const inner[2] = {"10.1.0.1", "10.2.0.1"};
	static const char *const net[2] = {"10.1.0.0/24", "10.2.0.0/24"};
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%c.yaml", d->dir, 'a' + i);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
	        "log: { level: info }\n"
	        "daemon: { control_socket: %s, user: nobody }\n"
	        "tun: { name: bw0, mtu: 1400, addresses: [%s/32] }\n"
	        "ike:\n"
	        "  connections:\n"
	        "    - name: demo-ike\n"
	        "      local_addrs: [%s]\n"
	        "      remote_addrs: [%s]\n"
	        "      proposals: [aes256gcm16-prfsha256-x25519]\n"
	        "      local: { id: gw-%c.demo.example, auth: psk }\n"
	        "      remote: { id: gw-%c.demo.example, auth: psk }\n"
	        "      psk: 0x%s\n"
	        "      children:\n"
	        "        - name: net\n"
	        "          local_ts: [%s]\n"
	        "          remote_ts: [%s]\n"
	        "          esp_proposals: [%s]\n"
	        "          start_action: %s\n",
	        d->sock[i], inner[i], outer[i], outer[1 - i], 'a' + i, 'a' + 1 - i, psk, net[i],
	        net[1 - i], d->esp_prop, i == 0 ? "start" : "none");
	return fclose(f) == 0 ? 0 : -1;
}

static void stop_gws(struct demo *d)
{
	for (int i = 0; i < 2; i++) {
		if (d->gw[i] <= 0)
			continue;
		kill(d->gw[i], SIGTERM);
		for (int t = 0; t < 50 && waitpid(d->gw[i], NULL, WNOHANG) != d->gw[i]; t++)
			usleep(100000);
		kill(d->gw[i], SIGKILL);
		waitpid(d->gw[i], NULL, WNOHANG);
		d->gw[i] = 0;
		unlink(d->sock[i]);
	}
}

/* Starts both gateways with manual keys or with IKE; waits for their sockets. */
static int start_gws(struct demo *d, const char *self, bool ike, char keys[2][2][160])
{
	uint8_t k[32];
	char psk[65];

	crypto_random(k, sizeof(k));
	hex(psk, k, sizeof(k));
	crypto_wipe(k, sizeof(k));
	for (int i = 0; i < 2; i++) {
		char conf[160], log[160];
		pid_t pid;

		if ((ike ? write_conf_ike(d, i, psk) : write_conf(d, i, keys)) != 0)
			return -1;
		snprintf(conf, sizeof(conf), "%s/%c.yaml", d->dir, 'a' + i);
		snprintf(log, sizeof(log), "%s/%c.log", d->dir, 'a' + i);
		if ((pid = fork()) < 0)
			return -1;
		if (pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
			/* If the demo dies, its gateways die with it. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			execlp("ip", "ip", "netns", "exec", d->ns[i], self, "run", "-c", conf,
			       (char *)NULL);
			_exit(127);
		}
		d->gw[i] = pid;
	}
	crypto_wipe(psk, sizeof(psk));
	/* Wait for both control sockets: the daemons are up when they answer. */
	for (int t = 0; t < 100; t++) {
		struct stat st;

		if (stat(d->sock[0], &st) == 0 && stat(d->sock[1], &st) == 0)
			return 0;
		for (int i = 0; i < 2; i++)
			if (waitpid(d->gw[i], NULL, WNOHANG) == d->gw[i]) {
				fprintf(stderr, "demo: bulwark %c exited; its log:\n", 'a' + i);
				sh("cat %s/%c.log >&2", d->dir, 'a' + i);
				d->gw[i] = 0;
				return -1;
			}
		usleep(50000);
	}
	fprintf(stderr, "demo: daemons did not come up\n");
	return -1;
}

static int setup(struct demo *d, const char *self)
{
	char keys[2][2][160];
	uint8_t k[64];

	snprintf(d->dir, sizeof(d->dir), "/tmp/bulwark-demo.XXXXXX");
	if (mkdtemp(d->dir) == NULL) {
		d->dir[0] = '\0';
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(d->ns[i], sizeof(d->ns[i]), "bwdemo-%c-%d", 'a' + i, (int)getpid());
		snprintf(d->sock[i], sizeof(d->sock[i]), "%s/%c.sock", d->dir, 'a' + i);
		/* Fresh keys per run: nothing secret is compiled in. */
		crypto_random(k, enc_keylen(d->enc));
		hex(keys[i][0], k, enc_keylen(d->enc));
		crypto_random(k, integ_keylen(d->integ));
		hex(keys[i][1], k, integ_keylen(d->integ));
	}
	crypto_wipe(k, sizeof(k));
	for (int i = 0; i < 2; i++) {
		if (sh("ip netns add %s", d->ns[i]) != 0)
			return -1;
		d->ns_made[i] = true;
		if (sh("ip -n %s link set lo up", d->ns[i]) != 0)
			return -1;
	}
	if (sh("ip link add veth-a netns %s type veth peer name veth-b netns %s", d->ns[0],
	       d->ns[1]) != 0 ||
	    sh("ip -n %s addr add 192.0.2.1/24 dev veth-a && ip -n %s link set veth-a up", d->ns[0],
	       d->ns[0]) != 0 ||
	    sh("ip -n %s addr add 192.0.2.2/24 dev veth-b && ip -n %s link set veth-b up", d->ns[1],
	       d->ns[1]) != 0)
		return -1;
	{
		int r = start_gws(d, self, false, keys);

		crypto_wipe(keys, sizeof(keys));
		return r;
	}
}

/* Reads "packets=N" of the out and in SAs from a status answer. */
static void sa_packets(const char *sock, unsigned long long *out, unsigned long long *in)
{
	char buf[8192] = {0};
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	const char *p;

	*out = *in = 0;
	if (f == NULL)
		return;
	cli_ctl_query(sock, "status", f);
	fclose(f);
	if ((p = strstr(buf, "  out ")) != NULL && (p = strstr(p, "packets=")) != NULL)
		*out = strtoull(p + 8, NULL, 10);
	if ((p = strstr(buf, "  in  ")) != NULL && (p = strstr(p, "packets=")) != NULL)
		*in = strtoull(p + 8, NULL, 10);
}

static void show_counters(struct demo *d, const char *label)
{
	unsigned long long o[2], in[2];

	sa_packets(d->sock[0], &o[0], &in[0]);
	sa_packets(d->sock[1], &o[1], &in[1]);
	printf("  [%-8s] a: esp out %6llu in %6llu | b: esp out %6llu in %6llu\n", label, o[0],
	       in[0], o[1], in[1]);
	fflush(stdout);
}

static int enter_ns(const char *ns)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

enum { TCP_PORT = 5001, TCP_BYTES = 8 << 20 };

/* Child in namespace b: accept one connection and echo everything back. */
static void tcp_server(const char *ns, int ready_fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
	int s, c, on = 1;
	char buf[65536];
	ssize_t n;

	alarm(60);
	if (enter_ns(ns) != 0)
		_exit(1);
	inet_pton(AF_INET, "10.2.0.1", &sin.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(s, 1) != 0)
		_exit(1);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	if ((c = accept(s, NULL, NULL)) < 0)
		_exit(1);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));

			if (w <= 0)
				_exit(1);
			off += w;
		}
	_exit(0);
}

/* Child in namespace a: send TCP_BYTES of a pattern, read them back, compare. */
static void tcp_client(const char *ns)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
	static uint8_t snd[TCP_BYTES], rcv[TCP_BYTES];
	size_t sent = 0, got = 0;
	int s;

	alarm(60);
	if (enter_ns(ns) != 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(snd); i++)
		snd[i] = (uint8_t)(i * 2654435761u >> 13);
	inet_pton(AF_INET, "10.2.0.1", &sin.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		_exit(2);
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (got < sizeof(rcv)) {
		ssize_t n;

		if (sent < sizeof(snd)) {
			n = write(s, snd + sent, sizeof(snd) - sent);
			if (n > 0)
				sent += (size_t)n;
			if (sent == sizeof(snd))
				shutdown(s, SHUT_WR);
		}
		n = read(s, rcv + got, sizeof(rcv) - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else if (errno == EAGAIN)
			usleep(200);
		else
			_exit(3);
	}
	_exit(got == sizeof(rcv) && memcmp(snd, rcv, sizeof(rcv)) == 0 ? 0 : 4);
}

static int run_tcp(struct demo *d)
{
	int pipefd[2], st;
	pid_t srv, cli;
	char c;
	struct timespec t0, t1;
	double secs;

	if (pipe(pipefd) != 0)
		return -1;
	if ((srv = fork()) == 0)
		tcp_server(d->ns[1], pipefd[1]);
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		close(pipefd[0]);
		waitpid(srv, NULL, 0);
		return -1;
	}
	close(pipefd[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((cli = fork()) == 0)
		tcp_client(d->ns[0]);
	for (;;) {
		pid_t w = waitpid(cli, &st, WNOHANG);

		if (w == cli)
			break;
		usleep(250000);
		show_counters(d, "tcp");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("  TCP: FAILED (client status %d)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	printf("  TCP: %d MiB sent 10.1.0.1 -> 10.2.0.1 and echoed back intact in %.2f s "
	       "(%.0f Mbit/s each way)\n",
	       TCP_BYTES >> 20, secs, (double)TCP_BYTES * 8 / secs / 1e6);
	return 0;
}

/* Ping and a TCP echo through the tunnel; returns how many of the two passed. */
static int traffic(struct demo *d)
{
	int ok = 0;

	show_counters(d, "start");
	printf("  ping 10.1.0.1 -> 10.2.0.1 through the tunnel:\n");
	fflush(stdout);
	if (sh("ip netns exec %s ping -n -c 5 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1", d->ns[0]) == 0)
		ok++;
	show_counters(d, "ping");
	if (run_tcp(d) == 0)
		ok++;
	show_counters(d, "end");
	return ok;
}

static void print_status(struct demo *d, const char *title)
{
	char buf[8192] = {0};
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	printf("  %s:\n", title);
	if (f == NULL)
		return;
	cli_ctl_query(d->sock[0], "status", f);
	fclose(f);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		printf("    %s\n", line);
	fflush(stdout);
}

/* Polls gateway a until its IKE SA and CHILD_SA are up (10 s at most). */
static int wait_ike(struct demo *d)
{
	for (int t = 0; t < 100; t++) {
		char buf[8192] = {0};
		FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

		if (f == NULL)
			return -1;
		cli_ctl_query(d->sock[0], "status", f);
		fclose(f);
		if (strstr(buf, "ESTABLISHED") != NULL && strstr(buf, "  child ") != NULL)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* The swanctl-style ESP proposal for the demo's --enc/--integ/--esn. */
static const char *esp_proposal(const char *enc, const char *integ, bool esn)
{
	static char buf[64];
	const char *e = strcmp(enc, "aes-gcm-128") == 0         ? "aes128gcm16"
	                : strcmp(enc, "aes-gcm-256") == 0       ? "aes256gcm16"
	                : strcmp(enc, "chacha20-poly1305") == 0 ? "chacha20poly1305"
	                : strcmp(enc, "aes-cbc-128") == 0       ? "aes128"
	                                                        : "aes256";
	const char *i = strcmp(integ, "hmac-sha384-192") == 0   ? "-sha384"
	                : strcmp(integ, "hmac-sha512-256") == 0 ? "-sha512"
	                : strcmp(integ, "none") == 0            ? ""
	                                                        : "-sha256";

	snprintf(buf, sizeof(buf), "%s%s%s", e, i, esn ? "-esn" : "");
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bulwark demo [--enc ALG] [--integ ALG] [--udp] [--esn]\n"
	        "\n"
	        "Builds two network namespaces joined by a veth pair (192.0.2.1 <-> 192.0.2.2),\n"
	        "starts a bulwark in each with an ESP tunnel between 10.1.0.0/24 and\n"
	        "10.2.0.0/24 keyed with fresh random keys, sends ping and a TCP transfer across\n"
	        "it with live counters, and removes everything. Exits 0 only if traffic crossed.\n"
	        "Needs root (namespaces, TUN).\n"
	        "\n"
	        "  --enc ALG    aes-gcm-128 | aes-gcm-256 (default) | chacha20-poly1305 |\n"
	        "               aes-cbc-128 | aes-cbc-256\n"
	        "  --integ ALG  hmac-sha256-128 (default with CBC) | hmac-sha384-192 | "
	        "hmac-sha512-256\n"
	        "  --udp        UDP-encapsulated ESP on port 4500 (RFC 3948) instead of IP "
	        "protocol 50\n"
	        "  --esn        64-bit extended sequence numbers\n");
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"enc", required_argument, NULL, 'e'}, {"integ", required_argument, NULL, 'i'},
	        {"udp", no_argument, NULL, 'u'},       {"esn", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	struct demo d = {.enc = "aes-gcm-256", .integ = NULL};
	char self[512];
	ssize_t n;
	int c, ok = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			d.enc = optarg;
			break;
		case 'i':
			d.integ = optarg;
			break;
		case 'u':
			d.udp = true;
			break;
		case 'n':
			d.esn = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (d.integ == NULL)
		d.integ = strncmp(d.enc, "aes-cbc", 7) == 0 ? "hmac-sha256-128" : "none";
	if (enc_keylen(d.enc) == 0 || (d.integ[0] != 'n' && integ_keylen(d.integ) == 0)) {
		usage(stderr);
		return 2;
	}
	d.esp_prop = esp_proposal(d.enc, d.integ, d.esn);
	if (geteuid() != 0) {
		fprintf(stderr, "bulwark demo: needs root (network namespaces and TUN)\n");
		return 1;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return 1;
	self[n] = '\0';
	crypto_init();
	the_demo = &d;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	printf("bulwark demo: ESP tunnel %s%s%s over %s%s\n", d.enc, d.integ[0] != 'n' ? "+" : "",
	       d.integ[0] != 'n' ? d.integ : "", d.udp ? "UDP 4500" : "IP protocol 50",
	       d.esn ? ", ESN" : "");
	printf("  namespaces: a (192.0.2.1, inner 10.1.0.1) <-veth-> b (192.0.2.2, inner "
	       "10.2.0.1)\n");
	if (setup(&d, self) != 0) {
		fprintf(stderr, "bulwark demo: set-up failed\n");
		teardown(&d);
		return 1;
	}
	printf("\n[1/2] manually keyed ESP (keys from the configuration, as ip-xfrm/setkey)\n");
	printf("  both gateways up, running as user nobody once TUN and sockets were open\n");
	ok += traffic(&d);
	print_status(&d, "final status of gateway a");

	printf("\n[2/2] IKEv2 (RFC 7296): PSK, AES-256-GCM/Curve25519, the CHILD_SA keys ESP "
	       "(%s)\n",
	       d.esp_prop);
	stop_gws(&d);
	if (start_gws(&d, self, true, NULL) != 0 || wait_ike(&d) != 0) {
		fprintf(stderr, "bulwark demo: the IKE SA did not come up\n");
		sh("cat %s/a.log %s/b.log >&2", d.dir, d.dir);
	} else {
		printf("  IKE SA and CHILD_SA established (gateway a initiated)\n");
		ok += traffic(&d);
		print_status(&d, "final status of gateway a");
	}
	teardown(&d);
	the_demo = NULL;
	printf("\nbulwark demo: %s\n",
	       ok == 4 ? "PASS: ping and TCP crossed the manually keyed and the IKEv2 tunnel"
	               : "FAIL");
	return ok == 4 ? 0 : 1;
}
