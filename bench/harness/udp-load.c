/*
 * udp-load: a closed-loop UDP load client for the KDC benchmarks, in C so
 * that on a 2-core machine the load costs the servers as little CPU as it
 * can (the Node load client, bench/lib/exchanges-load.ts, spends 20-25 µs
 * of CPU per request; this one a few).
 *
 * `window` connected UDP sockets to 127.0.0.1:<port>, each with one request
 * outstanding: a reply (any datagram) is counted, its latency recorded, and
 * the socket's next request sent. A request unanswered after --timeout-ms
 * is counted as lost and replaced. Requests come from a ring file (each a
 * 4-byte big-endian length, then the bytes; sent in turn), or from one
 * template whose 4-byte nonce at --nonce-offset is rewritten per request
 * (kept within 0x40000000..0x7fffffff, as bench/lib/exchanges-fixtures.ts
 * setNonce does).
 *
 * Timing: --warmup-ms of load, then a line "measuring" on stdout, then
 * --duration-ms measured, then one JSON line with the counts, the measured
 * seconds, latency p50/p99 (µs) and this process's CPU seconds over the
 * measured interval. The caller reads the server's CPU time when it sees
 * "measuring" and when the JSON line arrives.
 *
 *   udp-load --port P --window 64 --warmup-ms 3000 --duration-ms 3000
 *            (--ring FILE | --template HEX --nonce-offset N [--nonce-start S])
 *            [--reply-tag 0x6b] [--timeout-ms 1000]
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536
/* Latency histogram: 1 µs buckets up to 1 s; slower replies land in the last. */
#define HIST_BUCKETS 1000000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "udp-load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct request {
  uint8_t *bytes;
  size_t len;
};

/* The ring: every request of a file, or `window` copies of the template. */
static struct request *ring;
static size_t ring_len;
static int templated;
static long nonce_offset = -1;
static uint32_t next_nonce;
static size_t next_index;

static void load_ring(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  size_t cap = 1024;
  ring = malloc(cap * sizeof *ring);
  for (;;) {
    uint8_t len4[4];
    if (fread(len4, 1, 4, f) != 4) break;
    size_t len = ((size_t)len4[0] << 24) | ((size_t)len4[1] << 16) | ((size_t)len4[2] << 8) | len4[3];
    if (len == 0 || len > MAX_DATAGRAM) {
      fprintf(stderr, "udp-load: bad ring entry length %zu\n", len);
      exit(1);
    }
    uint8_t *b = malloc(len);
    if (fread(b, 1, len, f) != len) {
      fprintf(stderr, "udp-load: truncated ring file\n");
      exit(1);
    }
    if (ring_len == cap) ring = realloc(ring, (cap *= 2) * sizeof *ring);
    ring[ring_len].bytes = b;
    ring[ring_len].len = len;
    ring_len++;
  }
  fclose(f);
  if (ring_len == 0) {
    fprintf(stderr, "udp-load: empty ring file\n");
    exit(1);
  }
}

/* The next request for socket `i`: the ring's next entry, or socket i's template copy with a fresh nonce. */
static struct request *next_request(int i) {
  if (!templated) return &ring[next_index++ % ring_len];
  struct request *r = &ring[i];
  uint32_t v = 0x40000000u | (next_nonce++ & 0x3fffffffu);
  r->bytes[nonce_offset] = (uint8_t)(v >> 24);
  r->bytes[nonce_offset + 1] = (uint8_t)(v >> 16);
  r->bytes[nonce_offset + 2] = (uint8_t)(v >> 8);
  r->bytes[nonce_offset + 3] = (uint8_t)v;
  return r;
}

int main(int argc, char **argv) {
  int port = 0, window = 64, reply_tag = 0x6b;
  double warmup_ms = 3000, duration_ms = 3000, timeout_ms = 1000;
  const char *ring_path = NULL, *template_hex = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "udp-load: %s needs a value\n", a);
      return 2;
    }
    i++;
    if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--window")) window = atoi(v);
    else if (!strcmp(a, "--warmup-ms")) warmup_ms = atof(v);
    else if (!strcmp(a, "--duration-ms")) duration_ms = atof(v);
    else if (!strcmp(a, "--timeout-ms")) timeout_ms = atof(v);
    else if (!strcmp(a, "--reply-tag")) reply_tag = (int)strtol(v, NULL, 0);
    else if (!strcmp(a, "--ring")) ring_path = v;
    else if (!strcmp(a, "--template")) template_hex = v;
    else if (!strcmp(a, "--nonce-offset")) nonce_offset = atol(v);
    else if (!strcmp(a, "--nonce-start")) next_nonce = (uint32_t)strtoul(v, NULL, 0);
    else {
      fprintf(stderr, "udp-load: unknown option %s\n", a);
      return 2;
    }
  }
  if (port <= 0 || window <= 0 || (!ring_path == !template_hex)) {
    fprintf(stderr, "usage: udp-load --port P [--window N] (--ring FILE | --template HEX --nonce-offset N)\n");
    return 2;
  }
  if (ring_path) {
    load_ring(ring_path);
  } else {
    size_t hl = strlen(template_hex);
    if (hl % 2 || hl == 0 || nonce_offset < 0 || (size_t)nonce_offset + 4 > hl / 2) {
      fprintf(stderr, "udp-load: bad --template or --nonce-offset\n");
      return 2;
    }
    templated = 1;
    ring_len = (size_t)window;
    ring = malloc(ring_len * sizeof *ring);
    for (int s = 0; s < window; s++) {
      ring[s].len = hl / 2;
      ring[s].bytes = malloc(hl / 2);
      for (size_t k = 0; k < hl / 2; k++) {
        int hi = hexval(template_hex[2 * k]), lo = hexval(template_hex[2 * k + 1]);
        if (hi < 0 || lo < 0) {
          fprintf(stderr, "udp-load: --template is not hex\n");
          return 2;
        }
        ring[s].bytes[k] = (uint8_t)(hi << 4 | lo);
      }
    }
  }

  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  int *fds = calloc((size_t)window, sizeof *fds);
  double *sent_at = calloc((size_t)window, sizeof *sent_at);
  for (int i = 0; i < window; i++) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) die("socket");
    if (connect(fds[i], (struct sockaddr *)&to, sizeof to) < 0) die("connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
  }
  uint32_t *hist = calloc(HIST_BUCKETS, sizeof *hist);
  static uint8_t buf[MAX_DATAGRAM];
  long replies = 0, errors = 0, lost = 0;
  int measuring = 0;

  double start = now_s();
  for (int i = 0; i < window; i++) {
    struct request *r = next_request(i);
    sent_at[i] = now_s();
    send(fds[i], r->bytes, r->len, 0);
  }
  double measure_at = start + warmup_ms / 1000, end_at = measure_at + duration_ms / 1000;
  double t0 = 0, cpu0 = 0, last_sweep = start;
  struct epoll_event events[256];
  for (;;) {
    double t = now_s();
    if (!measuring && t >= measure_at) {
      measuring = 1;
      printf("measuring\n");
      fflush(stdout);
      t0 = now_s();
      cpu0 = cpu_s();
    }
    if (measuring && t >= end_at) break;
    int n = epoll_wait(ep, events, 256, 50);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      int i = (int)events[e].data.u32;
      for (;;) {
        ssize_t got = recv(fds[i], buf, sizeof buf, 0);
        if (got < 0) {
          /* ECONNREFUSED: the server's port is closed (ICMP); the sweep resends. */
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) die("recv");
          break;
        }
        double tr = now_s();
        if (measuring) {
          if (got > 0 && buf[0] == reply_tag) {
            replies++;
            long us = (long)((tr - sent_at[i]) * 1e6);
            hist[us < HIST_BUCKETS ? us : HIST_BUCKETS - 1]++;
          } else {
            errors++;
          }
        }
        struct request *r = next_request(i);
        sent_at[i] = tr;
        send(fds[i], r->bytes, r->len, 0);
      }
    }
    t = now_s();
    if (t - last_sweep >= 0.1) {
      last_sweep = t;
      for (int i = 0; i < window; i++) {
        if ((t - sent_at[i]) * 1000 > timeout_ms) {
          if (measuring) lost++;
          struct request *r = next_request(i);
          sent_at[i] = t;
          send(fds[i], r->bytes, r->len, 0);
        }
      }
    }
  }
  double seconds = now_s() - t0;
  double cpu = cpu_s() - cpu0;
  long p50 = -1, p99 = -1, seen = 0;
  for (long us = 0; us < HIST_BUCKETS && replies > 0; us++) {
    seen += hist[us];
    if (p50 < 0 && seen * 2 >= replies) p50 = us;
    if (p99 < 0 && seen * 100 >= replies * 99) {
      p99 = us;
      break;
    }
  }
  printf("{\"replies\":%ld,\"errors\":%ld,\"lost\":%ld,\"seconds\":%.6f,\"p50Us\":%ld,\"p99Us\":%ld,\"cpuSeconds\":%.6f}\n",
         replies, errors, lost, seconds, p50, p99, cpu);
  return 0;
}
