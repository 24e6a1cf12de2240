// connrate: TCP connection rate through a firewall, for `npm run bench:netpol`.
//   connrate server PORT            accepts and closes connections until killed
//   connrate client ADDR PORT SECS  connects and closes sequentially for SECS
//                                   seconds; prints "connections N rate R p50_us X p99_us Y"
// One connection at a time, so the rate is the inverse of the per-connection
// cost (SYN through the forward hook, SYN-ACK, ACK, FIN both ways).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static int server(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
  if (bind(s, (struct sockaddr*)&a, sizeof a) < 0 || listen(s, 1024) < 0) {
    perror("bind/listen");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c >= 0) close(c);
  }
}

static int client(const char* addr, int port, double secs) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", addr);
    return 2;
  }
  size_t cap = 1 << 20, n = 0;
  double* lat = malloc(cap * sizeof *lat);
  double end = now_us() + secs * 1e6, start = now_us();
  while (now_us() < end && n < cap) {
    double t0 = now_us();
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct linger l = {1, 0};  // RST on close: no TIME_WAIT pile-up over millions of connections
    setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) {
      perror("connect");
      return 1;
    }
    close(s);
    lat[n++] = now_us() - t0;
  }
  double took = (now_us() - start) / 1e6;
  qsort(lat, n, sizeof *lat, cmp);
  printf("connections %zu rate %.0f p50_us %.1f p99_us %.1f\n", n, n / took, lat[n / 2], lat[(size_t)(n * 0.99)]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && !strcmp(argv[1], "server")) return server(atoi(argv[2]));
  if (argc == 5 && !strcmp(argv[1], "client")) return client(argv[2], atoi(argv[3]), atof(argv[4]));
  fprintf(stderr, "usage: connrate server PORT | connrate client ADDR PORT SECS\n");
  return 2;
}
