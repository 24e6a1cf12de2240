/*
 * nftkit's own C floor for W2-style one-element updates (bench/WORKLOADS-nftkit.md,
 * W7): libnftnl builds the messages, libmnl owns one long-lived socket, one
 * sendmsg() per batch, NLM_F_ACK on BATCH_END only, replies drained.
 *
 * It does only the timed operations, on a state someone else built (the
 * caller sets up table inet bench, set allow, untimed):
 *
 *   floor OPS IDLE_MS [FIRST]
 *
 * Operation i (i = 0 … OPS-1) adds the single address 198.18.0.0 + 2·(i/2)
 * to the interval set `allow` when i is even (kernel: start key, end key + 1
 * flagged INTERVAL_END) and deletes it when i is odd. Before every operation
 * but the first it sleeps IDLE_MS milliseconds (0: back to back). FIRST
 * offsets the addresses (p starts at FIRST). Prints one line:
 *   samples_us=t0,t1,...
 * and exits 0, or prints the failure on stderr and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static struct mnl_socket *sock;
static uint32_t seq = 1;
static char out[1 << 16];
static char in[1 << 16];

static double mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One interval [a, a] as its two kernel elements. */
static void put_interval(struct nftnl_set *s, uint32_t a)
{
	uint32_t start = htonl(a), end = htonl(a + 1);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &start, sizeof(start));
	nftnl_set_elem_add(s, e);
	e = nftnl_set_elem_alloc();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &end, sizeof(end));
	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
}

/* Builds BEGIN, NEWSETELEM or DELSETELEM, END into `out`; returns its length. */
static size_t build(int add, uint32_t addr, uint32_t *end_seq)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(out, sizeof(out));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);

	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "bench");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "allow");
	put_interval(s, addr);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
						     add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
						     NFPROTO_INET, add ? NLM_F_CREATE : 0, seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	mnl_nlmsg_batch_next(b);

	nlh = nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
	nlh->nlmsg_flags |= NLM_F_ACK;
	*end_seq = seq++;
	mnl_nlmsg_batch_next(b);
	size_t len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return len;
}

/* Sends one batch and reads until its END ack; 0 on success. */
static int send_batch(size_t len, uint32_t end_seq)
{
	if (mnl_socket_sendto(sock, out, len) < 0)
		fail("sendmsg");
	int fd = mnl_socket_get_fd(sock);
	for (;;) {
		ssize_t n = recv(fd, in, sizeof(in), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("recv");
		}
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)in; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				fprintf(stderr, "floor: batch refused: %s\n", strerror(-e->error));
				return -1;
			}
			if (h->nlmsg_seq == end_seq)
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor OPS IDLE_MS [FIRST]\n");
		return 2;
	}
	long ops = strtol(argv[1], NULL, 10), idle_ms = strtol(argv[2], NULL, 10);
	long first = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!sock)
		fail("mnl_socket_open");
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		fail("mnl_socket_bind");
	double *t = calloc((size_t)(ops > 0 ? ops : 1), sizeof(double));
	struct timespec idle = { idle_ms / 1000, (idle_ms % 1000) * 1000000L };
	for (long i = 0; i < ops; i++) {
		if (i > 0 && idle_ms > 0)
			nanosleep(&idle, NULL);
		/* prepared input: the address, as a plain integer */
		uint32_t addr = 0xC6120000u + 2u * (uint32_t)(first + i / 2);
		double t0 = mono_us();
		uint32_t end_seq;
		size_t len = build(i % 2 == 0, addr, &end_seq);
		if (send_batch(len, end_seq) < 0)
			return 1;
		t[i] = mono_us() - t0;
	}
	printf("samples_us=");
	for (long i = 0; i < ops; i++)
		printf("%s%.1f", i ? "," : "", t[i]);
	printf("\n");
	mnl_socket_close(sock);
	free(t);
	return 0;
}
