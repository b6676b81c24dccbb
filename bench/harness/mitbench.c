/*
 * mitbench: the MIT libkrb5 side of krbsim's benchmarks.
 *
 * Each invocation runs one operation in a calibrated loop (warm-up, then
 * N iterations per sample with N chosen so that a sample takes about
 * --target-ms, then --samples samples) and prints one JSON object on stdout
 * with the median nanoseconds per operation.
 *
 * Usage:
 *   mitbench encrypt <etype> <bytes> [--key HEX] [--data HEX] [--usage N]
 *   mitbench decrypt <etype> <bytes> [--key HEX] [--data HEX] [--ciphertext HEX] [--usage N]
 *   mitbench string-to-key <etype> [iterations] [--password P] [--salt S]
 *   mitbench decode-ticket|encode-ticket   <hexfile | hex:HEX>
 *   mitbench decode-ap-req|encode-ap-req   <hexfile | hex:HEX>
 *   mitbench decode-as-rep|encode-as-rep   <hexfile | hex:HEX>
 *   mitbench decode-tgs-req|encode-tgs-req <hexfile | hex:HEX>
 *   mitbench rd-req [--etype N] [--apreq <hexfile | hex:HEX> --key HEX --principal NAME --kvno N]
 *   mitbench pac-parse  <hexfile | hex:HEX>      krb5_pac_parse + krb5_pac_free
 *   mitbench pac-verify <hexfile | hex:HEX> --key HEX --kdc-key HEX [--etype N]
 *                       [--principal NAME --authtime N]
 *                       krb5_pac_parse + krb5_pac_verify (server and KDC checksums;
 *                       PAC_CLIENT_INFO too when given a principal) + krb5_pac_free
 *   mitbench pac-sign   <hexfile | hex:HEX> --key HEX --kdc-key HEX [--etype N]
 *                       [--principal NAME --authtime N]
 *                       krb5_pac_sign on a handle parsed once + krb5_free_data_contents;
 *                       the header carries the signed PAC ("signed") for comparison
 *   mitbench make-samples          (prints MIT-encoded sample messages as a JSON array)
 * Timing options (every measured command):
 *   --target-ms N (default 200)  --samples N (default 5)  --warmup-ms N (default 100)
 *   --clock wall|cpu (default wall: CLOCK_MONOTONIC; cpu: CLOCK_PROCESS_CPUTIME_ID)
 *   --serve 1    instead of measuring, set up, check one call, print the JSON
 *                object (with "serve":true in place of the timing fields) and
 *                then answer batches on stdin: a line "N" runs N iterations and
 *                prints the elapsed ns on the chosen clock; "q" or EOF exits.
 *                bench/lib/paired.ts alternates these batches with krbsim's.
 *
 * The DER codec entry points and a few free functions are exported by
 * libkrb5.so.3 but declared only in MIT's private k5-int.h, so their
 * prototypes are declared here.  The structure types are public (krb5.h).
 */

#define _POSIX_C_SOURCE 200809L
#include <krb5.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- private libkrb5 exports ------------------------------------------- */
krb5_error_code decode_krb5_ticket(const krb5_data *code, krb5_ticket **rep);
krb5_error_code encode_krb5_ticket(const krb5_ticket *rep, krb5_data **code);
krb5_error_code decode_krb5_ap_req(const krb5_data *code, krb5_ap_req **rep);
krb5_error_code encode_krb5_ap_req(const krb5_ap_req *rep, krb5_data **code);
krb5_error_code decode_krb5_as_rep(const krb5_data *code, krb5_kdc_rep **rep);
krb5_error_code encode_krb5_as_rep(const krb5_kdc_rep *rep, krb5_data **code);
krb5_error_code decode_krb5_tgs_req(const krb5_data *code, krb5_kdc_req **rep);
krb5_error_code encode_krb5_tgs_req(const krb5_kdc_req *rep, krb5_data **code);
void krb5_free_ap_req(krb5_context context, krb5_ap_req *val);
void krb5_free_kdc_rep(krb5_context context, krb5_kdc_rep *val);
void krb5_free_kdc_req(krb5_context context, krb5_kdc_req *val);
krb5_error_code krb5_encrypt_tkt_part(krb5_context context, const krb5_keyblock *srv_key,
                                      krb5_ticket *ticket);

/* --- globals and small helpers ----------------------------------------- */
static krb5_context ctx;
static double opt_target_ms = 200.0;
static double opt_warmup_ms = 100.0;
static int opt_samples = 5;
/* --clock wall (CLOCK_MONOTONIC, default) or cpu (this process's CPU time:
   immune to preemption by other work when the harness is pinned to a core). */
static clockid_t opt_clock = CLOCK_MONOTONIC;
static int opt_serve = 0;

static void die(const char *what, const char *detail) {
  fprintf(stderr, "mitbench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void check(krb5_error_code code, const char *what) {
  if (code == 0) return;
  const char *msg = ctx ? krb5_get_error_message(ctx, code) : "krb5 error";
  fprintf(stderr, "mitbench: %s failed: %s (%ld)\n", what, msg, (long)code);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory", NULL);
  return p;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(opt_clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parse hex text (whitespace ignored) into a fresh buffer. */
static uint8_t *parse_hex(const char *s, size_t *len_out) {
  size_t cap = strlen(s) / 2 + 1, n = 0;
  uint8_t *out = xmalloc(cap);
  int hi = -1;
  for (; *s; s++) {
    if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') continue;
    int v = hexval((unsigned char)*s);
    if (v < 0) die("bad hex digit in input", NULL);
    if (hi < 0) {
      hi = v;
    } else {
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  if (hi >= 0) die("odd number of hex digits", NULL);
  *len_out = n;
  return out;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open", path);
  size_t cap = 4096, n = 0;
  char *buf = xmalloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n < 2) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (!buf) die("out of memory", NULL);
    }
  }
  fclose(f);
  buf[n] = 0;
  return buf;
}

/* "hex:0011..." inline, otherwise a file holding hex text. */
static uint8_t *load_hex_arg(const char *arg, size_t *len_out) {
  if (strncmp(arg, "hex:", 4) == 0) return parse_hex(arg + 4, len_out);
  char *text = read_file(arg);
  uint8_t *bytes = parse_hex(text, len_out);
  free(text);
  return bytes;
}

static void print_hex(const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    putchar(digits[p[i] >> 4]);
    putchar(digits[p[i] & 15]);
  }
}

/* A deterministic filler for when no data is given. */
static void fill_pattern(uint8_t *p, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
  }
}

/* --- the calibrated loop ----------------------------------------------- */
typedef krb5_error_code (*op_fn)(void *state);

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/*
 * --serve: the caller times batches of its own choosing, alternating them
 * with krbsim's (bench/lib/paired.ts). Ends the JSON object, then answers
 * "N\n" with the ns that N iterations took; exits on "q" or end of input.
 */
static void serve(op_fn op, void *state, const char *what) {
  printf("\"serve\":true}\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof(line), stdin)) {
    if (line[0] == 'q') break;
    long n = atol(line);
    if (n < 1) n = 1;
    double a = now_ns();
    for (long i = 0; i < n; i++) {
      krb5_error_code code = op(state);
      if (code) check(code, what);
    }
    printf("%.0f\n", now_ns() - a);
    fflush(stdout);
  }
  exit(0);
}

/* Runs op; prints the timing fields of the JSON object (no braces). */
static void measure(op_fn op, void *state, const char *what) {
  /* First call outside the loop, so a failure is reported plainly. */
  check(op(state), what);
  if (opt_serve) serve(op, state, what);

  /* Warm-up: run for opt_warmup_ms, which also estimates the cost. */
  double t0 = now_ns(), elapsed;
  long done = 0;
  do {
    check(op(state), what);
    done++;
    elapsed = now_ns() - t0;
  } while (elapsed < opt_warmup_ms * 1e6);
  double est = elapsed / (double)done;
  long n = (long)(opt_target_ms * 1e6 / est);
  if (n < 1) n = 1;

  double *samples = xmalloc(sizeof(double) * (size_t)opt_samples);
  for (int s = 0; s < opt_samples; s++) {
    double a = now_ns();
    for (long i = 0; i < n; i++) {
      krb5_error_code code = op(state);
      if (code) check(code, what);
    }
    samples[s] = (now_ns() - a) / (double)n;
  }
  double *sorted = xmalloc(sizeof(double) * (size_t)opt_samples);
  memcpy(sorted, samples, sizeof(double) * (size_t)opt_samples);
  qsort(sorted, (size_t)opt_samples, sizeof(double), cmp_double);
  double median = (opt_samples % 2) ? sorted[opt_samples / 2]
                                    : (sorted[opt_samples / 2 - 1] + sorted[opt_samples / 2]) / 2;
  printf("\"clock\":\"%s\",\"ns_per_op\":%.3f,\"min_ns\":%.3f,\"max_ns\":%.3f,\"iterations\":%ld,\"samples\":[",
         opt_clock == CLOCK_MONOTONIC ? "wall" : "cpu", median, sorted[0], sorted[opt_samples - 1], n);
  for (int s = 0; s < opt_samples; s++) printf("%s%.3f", s ? "," : "", samples[s]);
  printf("]");
  free(samples);
  free(sorted);
}

/* --- encrypt / decrypt -------------------------------------------------- */
struct cipher_state {
  krb5_key key;
  krb5_keyusage usage;
  krb5_data plain;
  krb5_enc_data cipher;
  size_t cipher_len;
};

/* As a caller such as krb5_encrypt_helper does: size, allocate, encrypt. */
static krb5_error_code op_encrypt(void *p) {
  struct cipher_state *st = p;
  krb5_enc_data out;
  memset(&out, 0, sizeof(out));
  out.ciphertext.length = (unsigned int)st->cipher_len;
  out.ciphertext.data = malloc(st->cipher_len);
  if (!out.ciphertext.data) return ENOMEM;
  krb5_error_code code = krb5_k_encrypt(ctx, st->key, st->usage, NULL, &st->plain, &out);
  free(out.ciphertext.data);
  return code;
}

static krb5_error_code op_decrypt(void *p) {
  struct cipher_state *st = p;
  krb5_data out;
  out.magic = KV5M_DATA;
  out.length = st->cipher.ciphertext.length;
  out.data = malloc(out.length ? out.length : 1);
  if (!out.data) return ENOMEM;
  krb5_error_code code = krb5_k_decrypt(ctx, st->key, st->usage, NULL, &st->cipher, &out);
  free(out.data);
  return code;
}

static const char *opt_key_hex, *opt_data_hex, *opt_cipher_hex, *opt_password, *opt_salt;
static const char *opt_apreq, *opt_principal, *opt_kdc_key_hex;
static int opt_usage = 2, opt_kvno = 1, opt_etype = 18;
static long opt_authtime = 0;

static krb5_key make_key(krb5_enctype etype, krb5_keyblock *kb_out) {
  krb5_keyblock kb;
  memset(&kb, 0, sizeof(kb));
  if (opt_key_hex) {
    size_t n;
    kb.magic = KV5M_KEYBLOCK;
    kb.enctype = etype;
    kb.contents = parse_hex(opt_key_hex, &n);
    kb.length = (unsigned int)n;
  } else {
    check(krb5_c_make_random_key(ctx, etype, &kb), "krb5_c_make_random_key");
  }
  krb5_key key;
  check(krb5_k_create_key(ctx, &kb, &key), "krb5_k_create_key");
  if (kb_out) *kb_out = kb;
  return key;
}

static void cmd_cipher(int decrypt, int argc, char **argv) {
  if (argc < 2) die("usage: encrypt|decrypt <etype> <bytes>", NULL);
  krb5_enctype etype = atoi(argv[0]);
  size_t bytes = (size_t)atol(argv[1]);
  struct cipher_state st;
  memset(&st, 0, sizeof(st));
  st.usage = opt_usage;
  st.key = make_key(etype, NULL);

  if (opt_data_hex) {
    size_t n;
    st.plain.data = (char *)parse_hex(opt_data_hex, &n);
    if (n != bytes) die("--data length does not match <bytes>", NULL);
  } else {
    st.plain.data = xmalloc(bytes);
    fill_pattern((uint8_t *)st.plain.data, bytes, 7);
  }
  st.plain.magic = KV5M_DATA;
  st.plain.length = (unsigned int)bytes;
  check(krb5_c_encrypt_length(ctx, etype, bytes, &st.cipher_len), "krb5_c_encrypt_length");

  const char *check_hex = NULL;
  if (decrypt) {
    st.cipher.magic = KV5M_ENC_DATA;
    st.cipher.enctype = etype;
    if (opt_cipher_hex) {
      /* Decrypt a ciphertext made elsewhere (krbsim): proves the keys agree. */
      size_t n;
      st.cipher.ciphertext.data = (char *)parse_hex(opt_cipher_hex, &n);
      st.cipher.ciphertext.length = (unsigned int)n;
    } else {
      st.cipher.ciphertext.length = (unsigned int)st.cipher_len;
      st.cipher.ciphertext.data = xmalloc(st.cipher_len);
      check(krb5_k_encrypt(ctx, st.key, st.usage, NULL, &st.plain, &st.cipher), "krb5_k_encrypt");
    }
    krb5_data out;
    out.magic = KV5M_DATA;
    out.length = st.cipher.ciphertext.length;
    out.data = xmalloc(out.length);
    check(krb5_k_decrypt(ctx, st.key, st.usage, NULL, &st.cipher, &out), "krb5_k_decrypt");
    int same = out.length == st.plain.length && memcmp(out.data, st.plain.data, out.length) == 0;
    if (opt_cipher_hex && !same) die("--ciphertext does not decrypt to --data under --key", NULL);
    check_hex = same ? "true" : "false";
    free(out.data);
  }

  printf("{\"op\":\"%s\",\"etype\":%d,\"bytes\":%zu,\"ciphertext_bytes\":%zu,", decrypt ? "decrypt" : "encrypt",
         (int)etype, bytes, decrypt ? (size_t)st.cipher.ciphertext.length : st.cipher_len);
  if (check_hex) printf("\"roundtrip\":%s,", check_hex);
  measure(decrypt ? op_decrypt : op_encrypt, &st, decrypt ? "krb5_k_decrypt" : "krb5_k_encrypt");
  printf("}\n");
  krb5_k_free_key(ctx, st.key);
}

/* --- string-to-key ------------------------------------------------------ */
struct s2k_state {
  krb5_enctype etype;
  krb5_data password, salt, params;
};

static krb5_error_code op_s2k(void *p) {
  struct s2k_state *st = p;
  krb5_keyblock kb;
  memset(&kb, 0, sizeof(kb));
  krb5_error_code code = krb5_c_string_to_key_with_params(ctx, st->etype, &st->password, &st->salt,
                                                          &st->params, &kb);
  if (code == 0) krb5_free_keyblock_contents(ctx, &kb);
  return code;
}

static void cmd_s2k(int argc, char **argv) {
  if (argc < 1) die("usage: string-to-key <etype> [iterations]", NULL);
  struct s2k_state st;
  memset(&st, 0, sizeof(st));
  st.etype = atoi(argv[0]);
  long iter = argc > 1 ? atol(argv[1]) : (st.etype == 19 || st.etype == 20 ? 32768 : 4096);
  static char params[4];
  params[0] = (char)(iter >> 24);
  params[1] = (char)(iter >> 16);
  params[2] = (char)(iter >> 8);
  params[3] = (char)iter;
  const char *pw = opt_password ? opt_password : "correct horse battery staple";
  const char *salt = opt_salt ? opt_salt : "CONTOSO.COMalice";
  st.password.magic = st.salt.magic = st.params.magic = KV5M_DATA;
  st.password.data = (char *)pw;
  st.password.length = (unsigned int)strlen(pw);
  st.salt.data = (char *)salt;
  st.salt.length = (unsigned int)strlen(salt);
  st.params.data = params;
  st.params.length = 4;

  krb5_keyblock kb;
  memset(&kb, 0, sizeof(kb));
  check(krb5_c_string_to_key_with_params(ctx, st.etype, &st.password, &st.salt, &st.params, &kb),
        "krb5_c_string_to_key_with_params");
  printf("{\"op\":\"string-to-key\",\"etype\":%d,\"iterations_param\":%ld,\"key\":\"", (int)st.etype, iter);
  print_hex(kb.contents, kb.length);
  printf("\",");
  krb5_free_keyblock_contents(ctx, &kb);
  measure(op_s2k, &st, "krb5_c_string_to_key_with_params");
  printf("}\n");
}

/* --- DER codec ---------------------------------------------------------- */
enum msg_kind { K_TICKET, K_AP_REQ, K_AS_REP, K_TGS_REQ };
struct codec_state {
  enum msg_kind kind;
  krb5_data der;
  void *decoded; /* for encode: the value decoded once up front */
};

static krb5_error_code decode_any(enum msg_kind kind, const krb5_data *der, void **out) {
  switch (kind) {
  case K_TICKET: return decode_krb5_ticket(der, (krb5_ticket **)out);
  case K_AP_REQ: return decode_krb5_ap_req(der, (krb5_ap_req **)out);
  case K_AS_REP: return decode_krb5_as_rep(der, (krb5_kdc_rep **)out);
  case K_TGS_REQ: return decode_krb5_tgs_req(der, (krb5_kdc_req **)out);
  }
  return EINVAL;
}

static void free_any(enum msg_kind kind, void *v) {
  switch (kind) {
  case K_TICKET: krb5_free_ticket(ctx, v); break;
  case K_AP_REQ: krb5_free_ap_req(ctx, v); break;
  case K_AS_REP: krb5_free_kdc_rep(ctx, v); break;
  case K_TGS_REQ: krb5_free_kdc_req(ctx, v); break;
  }
}

static krb5_error_code encode_any(enum msg_kind kind, const void *v, krb5_data **out) {
  switch (kind) {
  case K_TICKET: return encode_krb5_ticket(v, out);
  case K_AP_REQ: return encode_krb5_ap_req(v, out);
  case K_AS_REP: return encode_krb5_as_rep(v, out);
  case K_TGS_REQ: return encode_krb5_tgs_req(v, out);
  }
  return EINVAL;
}

static krb5_error_code op_decode(void *p) {
  struct codec_state *st = p;
  void *v = NULL;
  krb5_error_code code = decode_any(st->kind, &st->der, &v);
  if (code == 0) free_any(st->kind, v);
  return code;
}

static krb5_error_code op_encode(void *p) {
  struct codec_state *st = p;
  krb5_data *out = NULL;
  krb5_error_code code = encode_any(st->kind, st->decoded, &out);
  if (code == 0) krb5_free_data(ctx, out);
  return code;
}

static void cmd_codec(const char *cmd, int argc, char **argv) {
  int encode = strncmp(cmd, "encode-", 7) == 0;
  const char *what = cmd + 7;
  struct codec_state st;
  memset(&st, 0, sizeof(st));
  if (strcmp(what, "ticket") == 0) st.kind = K_TICKET;
  else if (strcmp(what, "ap-req") == 0) st.kind = K_AP_REQ;
  else if (strcmp(what, "as-rep") == 0) st.kind = K_AS_REP;
  else if (strcmp(what, "tgs-req") == 0) st.kind = K_TGS_REQ;
  else die("unknown message kind", what);
  if (argc < 1) die("usage: decode-<kind>|encode-<kind> <hexfile | hex:HEX>", NULL);
  size_t n;
  st.der.magic = KV5M_DATA;
  st.der.data = (char *)load_hex_arg(argv[0], &n);
  st.der.length = (unsigned int)n;

  /* Decode once: validates the input and gives encode its value. */
  check(decode_any(st.kind, &st.der, &st.decoded), "decode");
  krb5_data *re = NULL;
  check(encode_any(st.kind, st.decoded, &re), "encode");
  int same = re->length == st.der.length && memcmp(re->data, st.der.data, re->length) == 0;
  krb5_free_data(ctx, re);

  printf("{\"op\":\"%s\",\"bytes\":%u,\"roundtrip\":%s,", cmd, st.der.length, same ? "true" : "false");
  measure(encode ? op_encode : op_decode, &st, cmd);
  printf("}\n");
  free_any(st.kind, st.decoded);
}

/* --- building messages in memory (rd-req and make-samples) --------------- */
static krb5_principal parse_princ(const char *name) {
  krb5_principal p;
  check(krb5_parse_name(ctx, name, &p), "krb5_parse_name");
  return p;
}

static krb5_authdata *make_authdata(krb5_authdatatype type, size_t len, uint32_t seed) {
  krb5_authdata *ad = xmalloc(sizeof(*ad));
  ad->magic = KV5M_AUTHDATA;
  ad->ad_type = type;
  ad->length = (unsigned int)len;
  ad->contents = xmalloc(len);
  fill_pattern(ad->contents, len, seed);
  return ad;
}

/*
 * A service ticket for `server` issued to `client`, encrypted in
 * `service_key`; `pac_bytes` > 0 adds an AD-IF-RELEVANT element of that size
 * (a stand-in for a PAC: the codecs only see opaque bytes).
 */
static krb5_data *build_ticket(const krb5_keyblock *service_key, krb5_kvno kvno, krb5_principal client,
                               krb5_principal server, krb5_keyblock *session, krb5_timestamp now,
                               size_t pac_bytes) {
  krb5_enc_tkt_part etp;
  memset(&etp, 0, sizeof(etp));
  etp.magic = KV5M_ENC_TKT_PART;
  etp.flags = TKT_FLG_FORWARDABLE | TKT_FLG_RENEWABLE | TKT_FLG_PRE_AUTH | TKT_FLG_INITIAL;
  etp.session = session;
  etp.client = client;
  etp.transited.magic = KV5M_TRANSITED;
  etp.transited.tr_type = KRB5_DOMAIN_X500_COMPRESS;
  etp.transited.tr_contents.magic = KV5M_DATA;
  etp.transited.tr_contents.length = 0;
  etp.transited.tr_contents.data = "";
  etp.times.authtime = now;
  etp.times.starttime = now;
  etp.times.endtime = now + 10 * 3600;
  etp.times.renew_till = now + 7 * 24 * 3600;
  krb5_authdata *ads[2] = {NULL, NULL};
  if (pac_bytes) {
    ads[0] = make_authdata(KRB5_AUTHDATA_IF_RELEVANT, pac_bytes, 99);
    etp.authorization_data = ads;
  }

  krb5_ticket t;
  memset(&t, 0, sizeof(t));
  t.magic = KV5M_TICKET;
  t.server = server;
  t.enc_part2 = &etp;
  check(krb5_encrypt_tkt_part(ctx, service_key, &t), "krb5_encrypt_tkt_part");
  t.enc_part.kvno = kvno;
  krb5_data *der;
  check(encode_krb5_ticket(&t, &der), "encode_krb5_ticket");
  krb5_free_data_contents(ctx, &t.enc_part.ciphertext);
  if (ads[0]) {
    free(ads[0]->contents);
    free(ads[0]);
  }
  return der;
}

struct apreq_fixture {
  krb5_keyblock service_key;
  krb5_principal client, server;
  krb5_data *ticket;
  krb5_data apreq;
};

static void build_apreq(struct apreq_fixture *fx, krb5_enctype etype, size_t pac_bytes) {
  memset(fx, 0, sizeof(*fx));
  fx->client = parse_princ("alice@CONTOSO.COM");
  fx->server = parse_princ("HTTP/web.contoso.com@CONTOSO.COM");
  if (opt_key_hex) {
    size_t n;
    fx->service_key.magic = KV5M_KEYBLOCK;
    fx->service_key.enctype = etype;
    fx->service_key.contents = parse_hex(opt_key_hex, &n);
    fx->service_key.length = (unsigned int)n;
  } else {
    check(krb5_c_make_random_key(ctx, etype, &fx->service_key), "krb5_c_make_random_key");
  }
  krb5_keyblock session;
  check(krb5_c_make_random_key(ctx, etype, &session), "krb5_c_make_random_key");
  krb5_timestamp now = (krb5_timestamp)time(NULL);
  fx->ticket = build_ticket(&fx->service_key, (krb5_kvno)opt_kvno, fx->client, fx->server, &session, now,
                            pac_bytes);

  krb5_creds creds;
  memset(&creds, 0, sizeof(creds));
  creds.magic = KV5M_CREDS;
  creds.client = fx->client;
  creds.server = fx->server;
  creds.keyblock = session;
  creds.times.authtime = creds.times.starttime = now;
  creds.times.endtime = now + 10 * 3600;
  creds.ticket = *fx->ticket;
  krb5_auth_context ac = NULL;
  check(krb5_mk_req_extended(ctx, &ac, 0, NULL, &creds, &fx->apreq), "krb5_mk_req_extended");
  krb5_auth_con_free(ctx, ac);
  krb5_free_keyblock_contents(ctx, &session);
}

/* --- rd-req ------------------------------------------------------------- */
struct rdreq_state {
  krb5_data apreq;
  krb5_principal server;
  krb5_keytab kt;
};

/* A service accepting a new AP-REQ: fresh auth context, no replay cache. */
static krb5_error_code op_rd_req(void *p) {
  struct rdreq_state *st = p;
  krb5_auth_context ac = NULL;
  krb5_error_code code = krb5_auth_con_init(ctx, &ac);
  if (code) return code;
  krb5_auth_con_setflags(ctx, ac, 0); /* no KRB5_AUTH_CONTEXT_DO_TIME: no replay cache */
  krb5_flags ap_options = 0;
  krb5_ticket *ticket = NULL;
  code = krb5_rd_req(ctx, &ac, &st->apreq, st->server, st->kt, &ap_options, &ticket);
  if (ticket) krb5_free_ticket(ctx, ticket);
  krb5_auth_con_free(ctx, ac);
  return code;
}

static void cmd_rd_req(void) {
  struct rdreq_state st;
  memset(&st, 0, sizeof(st));
  krb5_keyblock service_key;
  memset(&service_key, 0, sizeof(service_key));
  krb5_enctype etype = opt_etype;

  if (opt_apreq) {
    if (!opt_key_hex || !opt_principal) die("rd-req --apreq needs --key and --principal", NULL);
    size_t n;
    st.apreq.magic = KV5M_DATA;
    st.apreq.data = (char *)load_hex_arg(opt_apreq, &n);
    st.apreq.length = (unsigned int)n;
    st.server = parse_princ(opt_principal);
    service_key.magic = KV5M_KEYBLOCK;
    service_key.enctype = etype;
    service_key.contents = parse_hex(opt_key_hex, &n);
    service_key.length = (unsigned int)n;
  } else {
    struct apreq_fixture fx;
    build_apreq(&fx, etype, 0);
    st.apreq = fx.apreq;
    st.server = fx.server;
    service_key = fx.service_key;
  }

  check(krb5_kt_resolve(ctx, "MEMORY:mitbench", &st.kt), "krb5_kt_resolve");
  krb5_keytab_entry entry;
  memset(&entry, 0, sizeof(entry));
  entry.magic = KV5M_KEYTAB_ENTRY;
  entry.principal = st.server;
  entry.vno = (krb5_kvno)opt_kvno;
  entry.key = service_key;
  check(krb5_kt_add_entry(ctx, st.kt, &entry), "krb5_kt_add_entry");

  printf("{\"op\":\"rd-req\",\"etype\":%d,\"bytes\":%u,", (int)etype, st.apreq.length);
  measure(op_rd_req, &st, "krb5_rd_req");
  printf("}\n");
}

/* --- PAC (MS-PAC): parse, verify, sign ----------------------------------- */
struct pac_state {
  krb5_data bytes;
  krb5_keyblock server, privsvr;
  krb5_principal client; /* NULL: PAC_CLIENT_INFO is neither checked nor written */
  krb5_timestamp authtime;
  krb5_pac parsed;       /* sign: parsed once, signed on every call */
};

static krb5_error_code op_pac_parse(void *p) {
  struct pac_state *st = p;
  krb5_pac pac = NULL;
  krb5_error_code code = krb5_pac_parse(ctx, st->bytes.data, st->bytes.length, &pac);
  if (code == 0) krb5_pac_free(ctx, pac);
  return code;
}

/* What a service or KDC does with a PAC it received: parse it, check both signatures. */
static krb5_error_code op_pac_verify(void *p) {
  struct pac_state *st = p;
  krb5_pac pac = NULL;
  krb5_error_code code = krb5_pac_parse(ctx, st->bytes.data, st->bytes.length, &pac);
  if (code) return code;
  code = krb5_pac_verify(ctx, pac, st->authtime, st->client, &st->server, &st->privsvr);
  krb5_pac_free(ctx, pac);
  return code;
}

/* The server and KDC signatures over a PAC held as buffers (MIT keeps no NDR values). */
static krb5_error_code op_pac_sign(void *p) {
  struct pac_state *st = p;
  krb5_data out = {KV5M_DATA, 0, NULL};
  krb5_error_code code =
      krb5_pac_sign(ctx, st->parsed, st->authtime, st->client, &st->server, &st->privsvr, &out);
  if (code == 0) krb5_free_data_contents(ctx, &out);
  return code;
}

static void keyblock_from_hex(krb5_keyblock *kb, const char *hex, krb5_enctype etype) {
  size_t n;
  memset(kb, 0, sizeof(*kb));
  kb->magic = KV5M_KEYBLOCK;
  kb->enctype = etype;
  kb->contents = parse_hex(hex, &n);
  kb->length = (unsigned int)n;
}

static void cmd_pac(const char *cmd, int argc, char **argv) {
  if (argc < 1) die("usage: pac-parse|pac-verify|pac-sign <hexfile | hex:HEX> [--key HEX --kdc-key HEX]", NULL);
  struct pac_state st;
  memset(&st, 0, sizeof(st));
  size_t n;
  st.bytes.magic = KV5M_DATA;
  st.bytes.data = (char *)load_hex_arg(argv[0], &n);
  st.bytes.length = (unsigned int)n;
  st.authtime = (krb5_timestamp)opt_authtime;
  if (opt_principal) st.client = parse_princ(opt_principal);
  int parse_only = !strcmp(cmd, "pac-parse");
  if (!parse_only) {
    if (!opt_key_hex || !opt_kdc_key_hex) die("pac-verify and pac-sign need --key and --kdc-key", NULL);
    keyblock_from_hex(&st.server, opt_key_hex, opt_etype);
    keyblock_from_hex(&st.privsvr, opt_kdc_key_hex, opt_etype);
  }

  /* Untimed: the bytes parse, and their buffer types. */
  krb5_pac pac = NULL;
  check(krb5_pac_parse(ctx, st.bytes.data, st.bytes.length, &pac), "krb5_pac_parse");
  size_t ntypes = 0;
  krb5_ui_4 *types = NULL;
  check(krb5_pac_get_types(ctx, pac, &ntypes, &types), "krb5_pac_get_types");
  printf("{\"op\":\"%s\",\"bytes\":%u,\"types\":[", cmd, st.bytes.length);
  for (size_t i = 0; i < ntypes; i++) printf("%s%u", i ? "," : "", (unsigned)types[i]);
  printf("],");
  free(types);

  op_fn op = op_pac_parse;
  const char *what = "krb5_pac_parse";
  if (!strcmp(cmd, "pac-verify")) {
    op = op_pac_verify;
    what = "krb5_pac_verify";
    krb5_pac_free(ctx, pac);
  } else if (!strcmp(cmd, "pac-sign")) {
    op = op_pac_sign;
    what = "krb5_pac_sign";
    st.parsed = pac;
    /* Untimed: two signings of the handle give the same bytes (so reusing it
       measures the same work each call); the first is printed for the caller
       to compare with its own. */
    krb5_data a = {KV5M_DATA, 0, NULL}, b = {KV5M_DATA, 0, NULL};
    check(krb5_pac_sign(ctx, pac, st.authtime, st.client, &st.server, &st.privsvr, &a), "krb5_pac_sign");
    check(krb5_pac_sign(ctx, pac, st.authtime, st.client, &st.server, &st.privsvr, &b), "krb5_pac_sign");
    int same = a.length == b.length && memcmp(a.data, b.data, a.length) == 0;
    if (!same) die("krb5_pac_sign gave different bytes on a second call", NULL);
    printf("\"signed\":\"");
    print_hex((const uint8_t *)a.data, a.length);
    printf("\",");
    krb5_free_data_contents(ctx, &a);
    krb5_free_data_contents(ctx, &b);
  } else if (!parse_only) {
    die("unknown pac command", cmd);
  } else {
    krb5_pac_free(ctx, pac);
  }
  measure(op, &st, what);
  printf("}\n");
  if (st.parsed) krb5_pac_free(ctx, st.parsed);
}

/* --- make-samples ------------------------------------------------------- */
static void emit_sample(int *first, const char *name, const char *kind, const krb5_data *d) {
  printf("%s\n  {\"name\":\"%s\",\"kind\":\"%s\",\"source\":\"mitbench make-samples\",\"hex\":\"", *first ? "" : ",",
         name, kind);
  print_hex((const uint8_t *)d->data, d->length);
  printf("\"}");
  *first = 0;
}

static krb5_pa_data *make_padata(krb5_preauthtype type, const krb5_data *d) {
  krb5_pa_data *pa = xmalloc(sizeof(*pa));
  pa->magic = KV5M_PA_DATA;
  pa->pa_type = type;
  pa->length = d->length;
  pa->contents = (krb5_octet *)d->data;
  return pa;
}

static void cmd_make_samples(void) {
  int first = 1;
  printf("[");
  struct apreq_fixture fx, fx_pac;
  build_apreq(&fx, 18, 0);
  build_apreq(&fx_pac, 18, 600);
  emit_sample(&first, "mit-ticket", "ticket", fx.ticket);
  emit_sample(&first, "mit-ticket-pac", "ticket", fx_pac.ticket);
  emit_sample(&first, "mit-ap-req", "ap-req", &fx.apreq);
  emit_sample(&first, "mit-ap-req-pac", "ap-req", &fx_pac.apreq);

  krb5_ticket *tkt;
  check(decode_krb5_ticket(fx.ticket, &tkt), "decode_krb5_ticket");
  krb5_timestamp now = (krb5_timestamp)time(NULL);

  /* AS-REP: PA-ETYPE-INFO2-shaped padata, the ticket, an opaque enc-part. */
  {
    krb5_data info = {KV5M_DATA, 0, NULL};
    uint8_t etinfo[] = {0x30, 0x1b, 0x30, 0x19, 0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x12, 0x1b, 0x10,
                        'C',  'O',  'N',  'T',  'O',  'S',  'O',  '.',  'C',  'O',  'M',  'a',  'l',
                        'i',  'c',  'e'};
    info.length = sizeof(etinfo);
    info.data = (char *)etinfo;
    krb5_pa_data *pa[2] = {make_padata(KRB5_PADATA_ETYPE_INFO2, &info), NULL};
    krb5_kdc_rep rep;
    memset(&rep, 0, sizeof(rep));
    rep.magic = KV5M_KDC_REP;
    rep.msg_type = KRB5_AS_REP;
    rep.padata = pa;
    rep.client = fx.client;
    rep.ticket = tkt;
    rep.enc_part.magic = KV5M_ENC_DATA;
    rep.enc_part.enctype = 18;
    rep.enc_part.kvno = 2;
    rep.enc_part.ciphertext.length = 220;
    rep.enc_part.ciphertext.data = xmalloc(220);
    fill_pattern((uint8_t *)rep.enc_part.ciphertext.data, 220, 3);
    krb5_data *der;
    check(encode_krb5_as_rep(&rep, &der), "encode_krb5_as_rep");
    emit_sample(&first, "mit-as-rep", "as-rep", der);
    krb5_free_data(ctx, der);
    free(rep.enc_part.ciphertext.data);
    free(pa[0]);
  }

  /* TGS-REQ: PA-TGS-REQ carrying an AP-REQ, then a typical request body. */
  {
    krb5_pa_data *pa[2] = {make_padata(KRB5_PADATA_AP_REQ, &fx.apreq), NULL};
    krb5_enctype ktypes[] = {20, 19, 18, 17, 23};
    krb5_kdc_req req;
    memset(&req, 0, sizeof(req));
    req.magic = KV5M_KDC_REQ;
    req.msg_type = KRB5_TGS_REQ;
    req.padata = pa;
    req.kdc_options = KDC_OPT_FORWARDABLE | KDC_OPT_RENEWABLE | KDC_OPT_CANONICALIZE;
    req.server = parse_princ("HTTP/web.contoso.com@CONTOSO.COM");
    req.till = now + 10 * 3600;
    req.rtime = now + 7 * 24 * 3600;
    req.nonce = 0x1234567;
    req.nktypes = 5;
    req.ktype = ktypes;
    krb5_data *der;
    check(encode_krb5_tgs_req(&req, &der), "encode_krb5_tgs_req");
    emit_sample(&first, "mit-tgs-req", "tgs-req", der);
    krb5_free_data(ctx, der);
    krb5_free_principal(ctx, req.server);
    free(pa[0]);
  }
  printf("\n]\n");
  krb5_free_ticket(ctx, tkt);
}

/* --- main --------------------------------------------------------------- */
int main(int argc, char **argv) {
  /* Hermetic: no site krb5.conf, no replay cache. */
  setenv("KRB5_CONFIG", "/dev/null", 1);
  setenv("KRB5RCACHETYPE", "none", 1);
  if (argc < 2) die("usage: mitbench <command> [args] [options] (see the comment at the top of mitbench.c)", NULL);
  const char *cmd = argv[1];

  /* Split positional arguments from --options. */
  char **pos = xmalloc(sizeof(char *) * (size_t)argc);
  int npos = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      pos[npos++] = argv[i];
      continue;
    }
    if (i + 1 >= argc) die("missing value for", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--key")) opt_key_hex = v;
    else if (!strcmp(a, "--data")) opt_data_hex = v;
    else if (!strcmp(a, "--ciphertext")) opt_cipher_hex = v;
    else if (!strcmp(a, "--password")) opt_password = v;
    else if (!strcmp(a, "--salt")) opt_salt = v;
    else if (!strcmp(a, "--apreq")) opt_apreq = v;
    else if (!strcmp(a, "--principal")) opt_principal = v;
    else if (!strcmp(a, "--kdc-key")) opt_kdc_key_hex = v;
    else if (!strcmp(a, "--authtime")) opt_authtime = atol(v);
    else if (!strcmp(a, "--usage")) opt_usage = atoi(v);
    else if (!strcmp(a, "--kvno")) opt_kvno = atoi(v);
    else if (!strcmp(a, "--etype")) opt_etype = atoi(v);
    else if (!strcmp(a, "--target-ms")) opt_target_ms = atof(v);
    else if (!strcmp(a, "--warmup-ms")) opt_warmup_ms = atof(v);
    else if (!strcmp(a, "--samples")) opt_samples = atoi(v);
    else if (!strcmp(a, "--serve")) opt_serve = atoi(v);
    else if (!strcmp(a, "--clock")) {
      if (!strcmp(v, "cpu")) opt_clock = CLOCK_PROCESS_CPUTIME_ID;
      else if (!strcmp(v, "wall")) opt_clock = CLOCK_MONOTONIC;
      else die("--clock must be cpu or wall", v);
    }
    else die("unknown option", a);
  }
  if (opt_samples < 1) opt_samples = 1;
  if (opt_target_ms <= 0) opt_target_ms = 1;

  check(krb5_init_context(&ctx), "krb5_init_context");
  if (!strcmp(cmd, "encrypt")) {
    cmd_cipher(0, npos, pos);
  } else if (!strcmp(cmd, "decrypt")) {
    cmd_cipher(1, npos, pos);
  } else if (!strcmp(cmd, "string-to-key")) {
    cmd_s2k(npos, pos);
  } else if (!strncmp(cmd, "decode-", 7) || !strncmp(cmd, "encode-", 7)) {
    cmd_codec(cmd, npos, pos);
  } else if (!strcmp(cmd, "rd-req")) {
    cmd_rd_req();
  } else if (!strncmp(cmd, "pac-", 4)) {
    cmd_pac(cmd, npos, pos);
  } else if (!strcmp(cmd, "make-samples")) {
    cmd_make_samples();
  } else {
    die("unknown command", cmd);
  }
  fflush(stdout);
  krb5_free_context(ctx);
  free(pos);
  return 0;
}
