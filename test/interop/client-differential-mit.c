/*
 * client-differential-mit: MIT krb5's client side of the AS and TGS
 * exchanges, for client-differential-mit.test.ts. Built by the test with
 *   gcc -o helper client-differential-mit.c -lkrb5
 * and run with a private KRB5_CONFIG (the realm's KDC is the test's).
 *
 *   helper as  CLIENT PASSWORD OPTIONS
 *       Initial credentials with krb5_get_init_creds_password, as kinit
 *       gets them (the profile's defaults, the password given as the
 *       prompter's answer).
 *   helper tgs CLIENT PASSWORD OPTIONS SERVICE
 *       The same, the TGT kept in a MEMORY ccache, then a ticket for SERVICE
 *       with krb5_get_credentials, as kvno gets it.
 *
 * OPTIONS: any of f (forwardable), r (renewable, 7 days), C (canonicalize
 * the AS exchange), or "-" for none.
 *
 * Prints one line: "OK <client> <server> <flags> <authtime> <starttime>
 * <endtime> <renew-till> <keytype> <keylength>" (flags in hex, RFC bit
 * order; times in seconds since the epoch, 0 when absent) for the last
 * credential obtained, or "ERR as|tgs <code> <message>" with the com_err
 * code as a number.
 */
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static krb5_context ctx;
static const char *password;

static int fail(const char *step, krb5_error_code code) {
  const char *msg = krb5_get_error_message(ctx, code);
  printf("ERR %s %ld %s\n", step, (long)code, msg);
  krb5_free_error_message(ctx, msg);
  return 0;
}

/* Answers every prompt with the password, as a user at kinit's prompt would. */
static krb5_error_code prompter(krb5_context c, void *data, const char *name, const char *banner,
                                int n, krb5_prompt prompts[]) {
  (void)c;
  (void)data;
  (void)name;
  (void)banner;
  for (int i = 0; i < n; i++) {
    size_t len = strlen(password);
    if (len > prompts[i].reply->length) return KRB5_LIBOS_CANTREADPWD;
    memcpy(prompts[i].reply->data, password, len);
    prompts[i].reply->length = len;
  }
  return 0;
}

static int print_creds(krb5_creds *c) {
  char *client = NULL, *server = NULL;
  krb5_error_code code = krb5_unparse_name(ctx, c->client, &client);
  if (code == 0) code = krb5_unparse_name(ctx, c->server, &server);
  if (code != 0) return fail("print", code);
  printf("OK %s %s %08x %ld %ld %ld %ld %d %u\n", client, server, (unsigned)c->ticket_flags,
         (long)c->times.authtime, (long)c->times.starttime, (long)c->times.endtime,
         (long)c->times.renew_till, (int)c->keyblock.enctype, (unsigned)c->keyblock.length);
  krb5_free_unparsed_name(ctx, client);
  krb5_free_unparsed_name(ctx, server);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5 || (strcmp(argv[1], "tgs") == 0 && argc < 6)) {
    fprintf(stderr, "usage: %s as|tgs CLIENT PASSWORD OPTIONS [SERVICE]\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1], *options = argv[4];
  password = argv[3];
  krb5_error_code code = krb5_init_context(&ctx);
  if (code != 0) {
    printf("ERR init %ld krb5_init_context\n", (long)code);
    return 0;
  }
  krb5_principal client = NULL;
  if ((code = krb5_parse_name(ctx, argv[2], &client)) != 0) return fail("as", code);
  krb5_get_init_creds_opt *opt = NULL;
  if ((code = krb5_get_init_creds_opt_alloc(ctx, &opt)) != 0) return fail("as", code);
  if (strchr(options, 'f') != NULL) krb5_get_init_creds_opt_set_forwardable(opt, 1);
  if (strchr(options, 'r') != NULL) krb5_get_init_creds_opt_set_renew_life(opt, 7 * 24 * 3600);
  if (strchr(options, 'C') != NULL) krb5_get_init_creds_opt_set_canonicalize(opt, 1);
  krb5_creds tgt;
  memset(&tgt, 0, sizeof tgt);
  code = krb5_get_init_creds_password(ctx, &tgt, client, NULL, prompter, NULL, 0, NULL, opt);
  if (code != 0) return fail("as", code);
  if (strcmp(mode, "as") == 0) return print_creds(&tgt);

  krb5_ccache cc = NULL;
  if ((code = krb5_cc_new_unique(ctx, "MEMORY", NULL, &cc)) != 0) return fail("tgs", code);
  if ((code = krb5_cc_initialize(ctx, cc, tgt.client)) != 0) return fail("tgs", code);
  if ((code = krb5_cc_store_cred(ctx, cc, &tgt)) != 0) return fail("tgs", code);
  krb5_creds in, *out = NULL;
  memset(&in, 0, sizeof in);
  in.client = tgt.client;
  if ((code = krb5_parse_name(ctx, argv[5], &in.server)) != 0) return fail("tgs", code);
  code = krb5_get_credentials(ctx, 0, cc, &in, &out);
  if (code != 0) return fail("tgs", code);
  return print_creds(out);
}
