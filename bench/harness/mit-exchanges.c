/*
 * mit-exchanges: the MIT libkrb5 side of krbsim's exchange benchmarks
 * (bench/suites/exchanges.ts). Built by bench/lib/exchanges-mit.ts into
 * bench/.bench-build/mit-exchanges.
 *
 * It measures krb5_rd_req, a service accepting an AP-REQ, on AP-REQs that
 * krbsim built: MIT decodes the very bytes krbsim's service accepts.
 *
 * Usage:
 *   mit-exchanges rd-req --apreqs FILE --key HEX --principal NAME
 *                 [--etype 18] [--kvno 1] [--rcache none|file2] [--work-dir DIR]
 *                 [--target-ms 200] [--samples 5] [--warmup-ms 100] [--clock wall|cpu]
 *                 [--serve 1]
 *
 * FILE holds one or more AP-REQs, each as a 4-byte big-endian length then
 * the DER bytes. Iteration i verifies AP-REQ i mod n, so with distinct
 * AP-REQs every authenticator is new until the ring wraps.
 *
 *   --rcache none   (default) each iteration is krb5_auth_con_init,
 *                   krb5_auth_con_setflags(ac, 0) (no KRB5_AUTH_CONTEXT_DO_TIME,
 *                   so no replay cache), krb5_rd_req, krb5_free_ticket,
 *                   krb5_auth_con_free: what a service that does its own replay
 *                   detection (or none) pays.
 *   --rcache file2  MIT's own replay cache: one rcache opened up front with
 *                   krb5_get_server_rcache (KRB5RCACHENAME=file2:DIR/rcache2,
 *                   the format MIT 1.18+ uses by default), set on each auth
 *                   context with the default flags (DO_TIME), as gss_accept_sec_context
 *                   does with its acceptor credential's rcache. Each time the
 *                   ring wraps the rcache file is truncated (a fresh cache), so
 *                   no AP-REQ is ever a replay.
 *
 * The keytab is a MEMORY: keytab holding the one service key. KRB5_CONFIG
 * is a private krb5.conf in --work-dir (default: a directory under /tmp)
 * with `clockskew` set very large, so AP-REQs built minutes earlier still
 * verify; the skew check itself still runs. Prints one JSON line in the
 * shape bench/lib/mit.ts reads (median ns_per_op, min/max, samples).
 *
 * With --serve 1 it measures nothing itself: after the first (checked) call
 * it prints {"op":"rd-req",...,"serve":true} and answers batches on stdin, a
 * line "N" with the ns that N iterations took ("q" or EOF ends), so that
 * bench/lib/paired.ts can alternate them with krbsim's.
 */

#define _POSIX_C_SOURCE 200809L
#include <krb5.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static krb5_context ctx;

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "mit-exchanges: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void krb_check(krb5_error_code code, const char *what) {
  if (code == 0) return;
  const char *msg = ctx ? krb5_get_error_message(ctx, code) : "krb5 error";
  fprintf(stderr, "mit-exchanges: %s failed: %s (%ld)\n", what, msg, (long)code);
  exit(1);
}

static void *alloc_or_die(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) fail("out of memory", NULL);
  return p;
}

/* --- options ------------------------------------------------------------ */
static const char *o_apreqs, *o_key, *o_principal, *o_rcache = "none", *o_work_dir;
static int o_etype = 18, o_kvno = 1, o_samples = 5, o_serve = 0;
static double o_target_ms = 200, o_warmup_ms = 100;
static clockid_t o_clock = CLOCK_MONOTONIC;

static double clock_ns(void) {
  struct timespec ts;
  clock_gettime(o_clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int nibble(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static uint8_t *hex_bytes(const char *hex, unsigned int *len) {
  size_t n = strlen(hex);
  if (n % 2) fail("odd-length hex", hex);
  uint8_t *out = alloc_or_die(n / 2);
  for (size_t i = 0; i < n / 2; i++) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) fail("bad hex digit", hex);
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *len = (unsigned int)(n / 2);
  return out;
}

/* --- the AP-REQ ring ---------------------------------------------------- */
static krb5_data *ring;
static size_t ring_len;

static void load_ring(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail("cannot open --apreqs file", path);
  size_t cap = 1024;
  ring = alloc_or_die(cap * sizeof(*ring));
  uint8_t hdr[4];
  while (fread(hdr, 1, 4, f) == 4) {
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n == 0 || n > (1u << 20)) fail("bad AP-REQ length in", path);
    if (ring_len == cap) {
      cap *= 2;
      ring = realloc(ring, cap * sizeof(*ring));
      if (!ring) fail("out of memory", NULL);
    }
    char *buf = alloc_or_die(n);
    if (fread(buf, 1, n, f) != n) fail("truncated AP-REQ in", path);
    ring[ring_len].magic = KV5M_DATA;
    ring[ring_len].length = n;
    ring[ring_len].data = buf;
    ring_len++;
  }
  fclose(f);
  if (ring_len == 0) fail("no AP-REQ in", path);
}

/* --- rd-req ------------------------------------------------------------- */
static krb5_principal server;
static krb5_keytab keytab;
static krb5_rcache rcache; /* NULL: --rcache none */
static char rcache_path[4200];
static size_t next_index;

static krb5_error_code one_rd_req(void) {
  size_t i = next_index++ % ring_len;
  if (rcache && i == 0 && next_index > 1) {
    /* The ring wrapped: start a fresh replay cache so nothing is a replay. */
    if (truncate(rcache_path, 0) != 0 && errno != ENOENT) fail("cannot truncate the rcache", rcache_path);
  }
  krb5_auth_context ac = NULL;
  krb5_error_code code = krb5_auth_con_init(ctx, &ac);
  if (code) return code;
  if (rcache) krb5_auth_con_setrcache(ctx, ac, rcache); /* default flags: DO_TIME */
  else krb5_auth_con_setflags(ctx, ac, 0);
  krb5_flags ap_options = 0;
  krb5_ticket *ticket = NULL;
  code = krb5_rd_req(ctx, &ac, &ring[i], server, keytab, &ap_options, &ticket);
  if (ticket) krb5_free_ticket(ctx, ticket);
  /* The rcache outlives the auth context (krb5_auth_con_free would close it). */
  if (rcache) krb5_auth_con_setrcache(ctx, ac, NULL);
  krb5_auth_con_free(ctx, ac);
  return code;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Run `n` iterations; returns elapsed ns (per the chosen clock). */
static double timed(long n) {
  double t0 = clock_ns();
  for (long k = 0; k < n; k++) {
    krb5_error_code code = one_rd_req();
    if (code) krb_check(code, "krb5_rd_req");
  }
  return clock_ns() - t0;
}

static void serve_rd_req(void) {
  printf("{\"op\":\"rd-req\",\"rcache\":\"%s\",\"etype\":%d,\"apreqs\":%zu,\"bytes\":%u,\"serve\":true}\n",
         rcache ? "file2" : "none", o_etype, ring_len, ring[0].length);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof(line), stdin)) {
    if (line[0] == 'q') break;
    long n = atol(line);
    printf("%.0f\n", timed(n < 1 ? 1 : n));
    fflush(stdout);
  }
}

static void measure_rd_req(void) {
  /* The first call reports errors plainly (bad key, skew, wrong principal). */
  krb_check(one_rd_req(), "krb5_rd_req (first call)");
  if (o_serve) {
    serve_rd_req();
    return;
  }
  long warm = 0;
  double spent = 0;
  while (spent < o_warmup_ms * 1e6 || warm < 10) {
    spent += timed(16);
    warm += 16;
  }
  double est = spent / warm;
  long per_sample = (long)(o_target_ms * 1e6 / est);
  if (per_sample < 1) per_sample = 1;
  double *samples = alloc_or_die(sizeof(double) * (size_t)o_samples);
  double *sorted = alloc_or_die(sizeof(double) * (size_t)o_samples);
  for (int s = 0; s < o_samples; s++) samples[s] = timed(per_sample) / per_sample;
  memcpy(sorted, samples, sizeof(double) * (size_t)o_samples);
  qsort(sorted, (size_t)o_samples, sizeof(double), cmp_double);
  printf("{\"op\":\"rd-req\",\"rcache\":\"%s\",\"etype\":%d,\"apreqs\":%zu,\"bytes\":%u,\"clock\":\"%s\",",
         rcache ? "file2" : "none", o_etype, ring_len, ring[0].length,
         o_clock == CLOCK_MONOTONIC ? "wall" : "cpu");
  printf("\"ns_per_op\":%.3f,\"min_ns\":%.3f,\"max_ns\":%.3f,\"iterations\":%ld,\"samples\":[",
         sorted[o_samples / 2], sorted[0], sorted[o_samples - 1], per_sample);
  for (int s = 0; s < o_samples; s++) printf("%s%.3f", s ? "," : "", samples[s]);
  printf("]}\n");
  free(samples);
  free(sorted);
}

/* A private krb5.conf and rcache location: /etc/krb5.conf is never read. */
static char work_dir[4000], conf_path[4100];
static int made_work_dir;

static void private_profile(void) {
  static char rcname[4300];
  char *dir = work_dir, *conf = conf_path;
  if (o_work_dir) {
    snprintf(dir, sizeof(work_dir), "%s", o_work_dir);
    mkdir(dir, 0700);
  } else {
    snprintf(dir, sizeof(work_dir), "/tmp/mit-exchanges-XXXXXX");
    if (!mkdtemp(dir)) fail("mkdtemp failed", strerror(errno));
    made_work_dir = 1;
  }
  snprintf(conf, sizeof(conf_path), "%s/krb5.conf", dir);
  FILE *f = fopen(conf, "w");
  if (!f) fail("cannot write", conf);
  fprintf(f, "[libdefaults]\n clockskew = 100000000\n dns_lookup_kdc = false\n dns_lookup_realm = false\n");
  fclose(f);
  snprintf(rcache_path, sizeof(rcache_path), "%s/rcache2", dir);
  snprintf(rcname, sizeof(rcname), "file2:%s", rcache_path);
  setenv("KRB5_CONFIG", conf, 1);
  setenv("KRB5RCACHENAME", rcname, 1);
  unsetenv("KRB5RCACHETYPE");
  unlink(rcache_path);
}

static void cmd_rd_req(void) {
  if (!o_apreqs || !o_key || !o_principal) fail("rd-req needs --apreqs, --key and --principal", NULL);
  int with_rcache = strcmp(o_rcache, "file2") == 0;
  if (!with_rcache && strcmp(o_rcache, "none") != 0) fail("--rcache must be none or file2", o_rcache);
  private_profile();
  krb_check(krb5_init_context(&ctx), "krb5_init_context");
  load_ring(o_apreqs);
  krb_check(krb5_parse_name(ctx, o_principal, &server), "krb5_parse_name");

  krb5_keytab_entry entry;
  memset(&entry, 0, sizeof(entry));
  entry.magic = KV5M_KEYTAB_ENTRY;
  entry.principal = server;
  entry.vno = (krb5_kvno)o_kvno;
  entry.key.magic = KV5M_KEYBLOCK;
  entry.key.enctype = o_etype;
  entry.key.contents = hex_bytes(o_key, &entry.key.length);
  krb_check(krb5_kt_resolve(ctx, "MEMORY:krbsim-bench-exchanges", &keytab), "krb5_kt_resolve");
  krb_check(krb5_kt_add_entry(ctx, keytab, &entry), "krb5_kt_add_entry");

  if (with_rcache) {
    krb5_data piece = {KV5M_DATA, 4, "host"};
    krb_check(krb5_get_server_rcache(ctx, &piece, &rcache), "krb5_get_server_rcache");
  }
  measure_rd_req();
  unlink(rcache_path);
  unlink(conf_path);
  if (made_work_dir) rmdir(work_dir);
}

int main(int argc, char **argv) {
  if (argc < 2) fail("usage: mit-exchanges rd-req --apreqs FILE --key HEX --principal NAME [options]", NULL);
  const char *cmd = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) fail("missing value for", a);
    i++;
    if (!strcmp(a, "--apreqs")) o_apreqs = v;
    else if (!strcmp(a, "--key")) o_key = v;
    else if (!strcmp(a, "--principal")) o_principal = v;
    else if (!strcmp(a, "--etype")) o_etype = atoi(v);
    else if (!strcmp(a, "--kvno")) o_kvno = atoi(v);
    else if (!strcmp(a, "--rcache")) o_rcache = v;
    else if (!strcmp(a, "--work-dir")) o_work_dir = v;
    else if (!strcmp(a, "--target-ms")) o_target_ms = atof(v);
    else if (!strcmp(a, "--samples")) o_samples = atoi(v);
    else if (!strcmp(a, "--serve")) o_serve = atoi(v);
    else if (!strcmp(a, "--warmup-ms")) o_warmup_ms = atof(v);
    else if (!strcmp(a, "--clock")) {
      if (!strcmp(v, "cpu")) o_clock = CLOCK_PROCESS_CPUTIME_ID;
      else if (!strcmp(v, "wall")) o_clock = CLOCK_MONOTONIC;
      else fail("--clock must be wall or cpu", v);
    } else fail("unknown option", a);
  }
  if (o_samples < 1) o_samples = 1;
  if (!strcmp(cmd, "rd-req")) cmd_rd_req();
  else fail("unknown command", cmd);
  if (ctx) krb5_free_context(ctx);
  return 0;
}
