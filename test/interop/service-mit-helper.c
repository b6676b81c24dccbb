/*
 * service-mit-helper: MIT krb5's side of the AP exchange, for the krbsim
 * client/service interop tests. Built by the tests with
 *   gcc -o helper service-mit-helper.c -lgssapi_krb5 -lkrb5
 *
 *   helper init  raw|krb5|spnego SERVICE-PRINCIPAL [CB-HEX]
 *       Initiator, with the ccache in KRB5CCNAME. Prints the first token as
 *       one hex line, reads the acceptor's answer as one hex line on stdin,
 *       and prints "OK" when MIT accepts it (mutual authentication), or
 *       "ERR <text>".
 *   helper accept raw|krb5|spnego KEYTAB [CB-HEX]
 *       Acceptor. Reads one hex line (the initiator's token) and prints
 *       "OK <client principal> <answer hex or ->" or "ERR <text>".
 *   helper check raw|krb5 KEYTAB [SERVER-PRINCIPAL]
 *       Acceptor for the differential test, as accept but without channel
 *       bindings, and with every failure's codes as numbers: raw prints
 *       "ERR krb5_rd_req: <text> (<code>)" and passes SERVER-PRINCIPAL to
 *       krb5_rd_req (NULL without it: any key of the keytab); krb5 prints
 *       "ERR gss_accept_sec_context: major 0x<major> minor <code> / <text>".
 *       With KRBSIM_PEER_ADDR (an IPv4 or IPv6 address) in the environment,
 *       raw sets it as the auth context's remote address first, so that
 *       krb5_rd_req checks the ticket's addresses against it.
 *
 * raw uses krb5_mk_req_extended / krb5_rd_req / krb5_rd_rep / krb5_mk_rep;
 * krb5 and spnego use gss_init_sec_context / gss_accept_sec_context with the
 * krb5 or SPNEGO mechanism. Channel bindings (CB-HEX) are the application
 * data of a gss_channel_bindings_struct with no addresses.
 */
#include <arpa/inet.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

static void put_hex(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static unsigned char *get_hex(const char *s, size_t *n) {
  size_t len = strlen(s);
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
  unsigned char *out = malloc(len / 2 + 1);
  for (size_t i = 0; i + 1 < len; i += 2) {
    unsigned int v;
    sscanf(s + i, "%2x", &v);
    out[i / 2] = (unsigned char)v;
  }
  *n = len / 2;
  return out;
}

static char *read_line(void) {
  static char buf[1 << 16];
  if (fgets(buf, sizeof buf, stdin) == NULL) return NULL;
  return buf;
}

/* Set by the check mode: gss_fail also prints the minor code as a number. */
static int print_minor = 0;

static void gss_fail(const char *what, OM_uint32 major, OM_uint32 minor) {
  OM_uint32 ctx = 0, min;
  gss_buffer_desc msg;
  printf("ERR %s: major 0x%x", what, major);
  if (print_minor) printf(" minor %d", (int)minor);
  do {
    gss_display_status(&min, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &msg);
    printf(" / %.*s", (int)msg.length, (char *)msg.value);
    gss_release_buffer(&min, &msg);
  } while (ctx != 0);
  printf("\n");
  exit(0);
}

static void krb_fail(krb5_context c, const char *what, krb5_error_code code) {
  const char *m = krb5_get_error_message(c, code);
  printf("ERR %s: %s (%d)\n", what, m, (int)code);
  exit(0);
}

static gss_channel_bindings_t bindings(int argc, char **argv) {
  if (argc < 5) return GSS_C_NO_CHANNEL_BINDINGS;
  gss_channel_bindings_t cb = calloc(1, sizeof *cb);
  size_t n;
  cb->application_data.value = get_hex(argv[4], &n);
  cb->application_data.length = n;
  return cb;
}

static int gss_init(const char *mode, const char *service, gss_channel_bindings_t cb) {
  OM_uint32 major, minor;
  gss_buffer_desc namebuf = {strlen(service), (void *)service};
  gss_name_t name;
  major = gss_import_name(&minor, &namebuf, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &name);
  if (GSS_ERROR(major)) gss_fail("gss_import_name", major, minor);
  gss_OID mech = strcmp(mode, "spnego") == 0 ? &spnego_oid : (gss_OID)gss_mech_krb5;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER, in = GSS_C_EMPTY_BUFFER;
  OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
  major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, name, mech, flags, 0, cb, GSS_C_NO_BUFFER,
                               NULL, &out, NULL, NULL);
  if (major != GSS_S_CONTINUE_NEEDED) gss_fail("gss_init_sec_context (first)", major, minor);
  put_hex(out.value, out.length);
  printf("\n");
  fflush(stdout);
  gss_release_buffer(&minor, &out);
  char *line = read_line();
  if (line == NULL) return 1;
  size_t n;
  in.value = get_hex(line, &n);
  in.length = n;
  major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, name, mech, flags, 0, cb, &in, NULL, &out,
                               NULL, NULL);
  if (major != GSS_S_COMPLETE) gss_fail("gss_init_sec_context (answer)", major, minor);
  printf("OK\n");
  return 0;
}

static int gss_accept(const char *keytab, gss_channel_bindings_t cb) {
  OM_uint32 major, minor;
  char env[4096];
  snprintf(env, sizeof env, "KRB5_KTNAME=FILE:%s", keytab);
  putenv(strdup(env));
  char *line = read_line();
  if (line == NULL) return 1;
  size_t n;
  gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER, disp;
  in.value = get_hex(line, &n);
  in.length = n;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_name_t src;
  major = gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL, &in, cb, &src, NULL, &out, NULL, NULL, NULL);
  if (major != GSS_S_COMPLETE) gss_fail("gss_accept_sec_context", major, minor);
  gss_display_name(&minor, src, &disp, NULL);
  printf("OK %.*s ", (int)disp.length, (char *)disp.value);
  if (out.length == 0) printf("-");
  else put_hex(out.value, out.length);
  printf("\n");
  return 0;
}

static int raw_init(const char *service) {
  krb5_context c;
  krb5_ccache cc;
  krb5_creds in, *creds;
  krb5_auth_context ac = NULL;
  krb5_data apreq, reply;
  krb5_ap_rep_enc_part *rep;
  krb5_error_code code;
  if ((code = krb5_init_context(&c))) return 2;
  if ((code = krb5_cc_default(c, &cc))) krb_fail(c, "krb5_cc_default", code);
  memset(&in, 0, sizeof in);
  if ((code = krb5_cc_get_principal(c, cc, &in.client))) krb_fail(c, "krb5_cc_get_principal", code);
  if ((code = krb5_parse_name(c, service, &in.server))) krb_fail(c, "krb5_parse_name", code);
  if ((code = krb5_get_credentials(c, 0, cc, &in, &creds))) krb_fail(c, "krb5_get_credentials", code);
  if ((code = krb5_mk_req_extended(c, &ac, AP_OPTS_MUTUAL_REQUIRED, NULL, creds, &apreq)))
    krb_fail(c, "krb5_mk_req_extended", code);
  put_hex(apreq.data, apreq.length);
  printf("\n");
  fflush(stdout);
  char *line = read_line();
  if (line == NULL) return 1;
  size_t n;
  reply.data = (char *)get_hex(line, &n);
  reply.length = n;
  if ((code = krb5_rd_rep(c, ac, &reply, &rep))) krb_fail(c, "krb5_rd_rep", code);
  printf("OK\n");
  return 0;
}

static int raw_accept(const char *keytab, const char *server_name) {
  krb5_context c;
  krb5_keytab kt;
  krb5_principal server = NULL;
  krb5_auth_context ac = NULL;
  krb5_data in, out;
  krb5_flags options = 0;
  krb5_ticket *ticket;
  krb5_error_code code;
  char *client;
  if ((code = krb5_init_context(&c))) return 2;
  if ((code = krb5_kt_resolve(c, keytab, &kt))) krb_fail(c, "krb5_kt_resolve", code);
  if (server_name != NULL && (code = krb5_parse_name(c, server_name, &server)))
    krb_fail(c, "krb5_parse_name", code);
  char *line = read_line();
  if (line == NULL) return 1;
  size_t n;
  in.data = (char *)get_hex(line, &n);
  in.length = n;
  const char *peer = getenv("KRBSIM_PEER_ADDR");
  if (peer != NULL) {
    unsigned char octets[16];
    krb5_address remote = {KV5M_ADDRESS, ADDRTYPE_INET, 4, octets};
    if (inet_pton(AF_INET6, peer, octets) == 1) {
      remote.addrtype = ADDRTYPE_INET6;
      remote.length = 16;
    } else if (inet_pton(AF_INET, peer, octets) != 1) {
      fprintf(stderr, "KRBSIM_PEER_ADDR: not an IP address\n");
      return 2;
    }
    if ((code = krb5_auth_con_init(c, &ac))) krb_fail(c, "krb5_auth_con_init", code);
    if ((code = krb5_auth_con_setaddrs(c, ac, NULL, &remote))) krb_fail(c, "krb5_auth_con_setaddrs", code);
  }
  if ((code = krb5_rd_req(c, &ac, &in, server, kt, &options, &ticket))) krb_fail(c, "krb5_rd_req", code);
  if ((code = krb5_unparse_name(c, ticket->enc_part2->client, &client))) krb_fail(c, "krb5_unparse_name", code);
  printf("OK %s ", client);
  if (options & AP_OPTS_MUTUAL_REQUIRED) {
    if ((code = krb5_mk_rep(c, ac, &out))) krb_fail(c, "krb5_mk_rep", code);
    put_hex(out.data, out.length);
  } else {
    printf("-");
  }
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s init|accept|check raw|krb5|spnego SERVICE|KEYTAB [CB-HEX|SERVER]\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  int raw = strcmp(argv[2], "raw") == 0;
  if (strcmp(argv[1], "init") == 0) return raw ? raw_init(argv[3]) : gss_init(argv[2], argv[3], bindings(argc, argv));
  if (strcmp(argv[1], "accept") == 0) return raw ? raw_accept(argv[3], NULL) : gss_accept(argv[3], bindings(argc, argv));
  if (strcmp(argv[1], "check") == 0) {
    if (raw) return raw_accept(argv[3], argc > 4 ? argv[4] : NULL);
    print_minor = 1;
    return gss_accept(argv[3], GSS_C_NO_CHANNEL_BINDINGS);
  }
  return 2;
}
