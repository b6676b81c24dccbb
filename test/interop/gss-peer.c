/*
 * A GSS-API peer for krbsim's per-message token interop tests
 * (gss-peer.test.ts): one side of a Kerberos context, driven line by line
 * on stdin/stdout, built against MIT krb5 (-lgssapi_krb5) or Heimdal
 * (libgssapi.so.3). Only the RFC 2744 C bindings are used, so the same
 * source compiles against both; the OIDs are spelled out here because the
 * two libraries export their constants under different symbol names.
 *
 *   gss-peer init <service@host> <flags-hex> [spnego]   (the initiator)
 *   gss-peer accept                                     (the acceptor; KRB5_KTNAME)
 *
 * Context tokens go as "TOKEN <hex>" lines ("TOKEN -" for none) until
 * "READY <ret_flags-hex>". Then, one reply line per command:
 *
 *   WRAP <conf 0|1> <hex>   -> OK <token-hex>
 *   MIC <hex>               -> OK <token-hex>
 *   UNWRAP <token-hex>      -> OK <major-hex> <conf_state> <message-hex>
 *   VERIFY <hex> <token>    -> OK <major-hex>
 *   UNWRAP-STATUS <token-hex>    -> STATUS <major-hex> <minor-hex> <conf_state> <message-hex>
 *   VERIFY-STATUS <hex> <token>  -> STATUS <major-hex> <minor-hex>
 *   QUIT
 *
 * A failure is "ERR <major-hex> <GSS and mechanism messages>". Supplementary
 * statuses (duplicate, old, unseq, gap) are not errors in GSS-API: they come
 * back as OK with their major status. An empty message is "-". The -STATUS
 * forms answer every call alike, failed or not, with the major and minor
 * statuses as numbers (and, for UNWRAP-STATUS, whatever message came out).
 */

#include <gssapi/gssapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gss_OID_desc krb5_oid = {9, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc spnego_oid = {6, "\x2b\x06\x01\x05\x05\x02"};
static gss_OID_desc hostbased_oid = {10, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};

static char line[1 << 20];

static void put_hex(const void *p, size_t n) {
    const unsigned char *b = p;
    if (n == 0) fputc('-', stdout);
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

/* Parses hex (or "-") into buf; returns 0 on success. */
static int get_hex(const char *s, gss_buffer_desc *buf) {
    size_t n = strlen(s);
    if (strcmp(s, "-") == 0) {
        buf->length = 0;
        buf->value = malloc(1);
        return 0;
    }
    if (n % 2) return -1;
    buf->length = n / 2;
    buf->value = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        ((unsigned char *)buf->value)[i] = (unsigned char)v;
    }
    return 0;
}

static void status_text(OM_uint32 code, int type) {
    OM_uint32 min, ctx = 0;
    gss_buffer_desc msg;
    do {
        if (gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx, &msg) != GSS_S_COMPLETE) break;
        printf(" %.*s;", (int)msg.length, (char *)msg.value);
        gss_release_buffer(&min, &msg);
    } while (ctx != 0);
}

static void fail(OM_uint32 major, OM_uint32 minor) {
    printf("ERR %x", major);
    status_text(major, GSS_C_GSS_CODE);
    status_text(minor, GSS_C_MECH_CODE);
    printf("\n");
    fflush(stdout);
}

/* Reads "<word> <hex>" from stdin into buf; returns 0 on success. */
static int read_token(const char *word, gss_buffer_desc *buf) {
    size_t w = strlen(word);
    if (!fgets(line, sizeof line, stdin)) return -1;
    line[strcspn(line, "\r\n")] = 0;
    if (strncmp(line, word, w) != 0 || line[w] != ' ') return -1;
    return get_hex(line + w + 1, buf);
}

static void send_token(gss_buffer_desc *tok) {
    printf("TOKEN ");
    put_hex(tok->value, tok->length);
    printf("\n");
    fflush(stdout);
}

static int establish_init(gss_ctx_id_t *ctx, const char *target, OM_uint32 flags, int spnego) {
    OM_uint32 major, minor, ret_flags = 0;
    gss_buffer_desc name_buf = {strlen(target), (void *)target}, in = {0, NULL}, out;
    gss_name_t name;
    major = gss_import_name(&minor, &name_buf, &hostbased_oid, &name);
    if (GSS_ERROR(major)) return fail(major, minor), -1;
    for (;;) {
        major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ctx, name,
                                     spnego ? &spnego_oid : &krb5_oid, flags, 0,
                                     GSS_C_NO_CHANNEL_BINDINGS, in.length ? &in : GSS_C_NO_BUFFER,
                                     NULL, &out, &ret_flags, NULL);
        free(in.value);
        in.value = NULL;
        in.length = 0;
        if (GSS_ERROR(major)) return fail(major, minor), -1;
        if (out.length) send_token(&out);
        gss_release_buffer(&minor, &out);
        if (major != GSS_S_CONTINUE_NEEDED) break;
        if (read_token("TOKEN", &in)) return printf("ERR 0 bad TOKEN line\n"), -1;
    }
    printf("READY %x\n", ret_flags);
    fflush(stdout);
    return 0;
}

static int establish_accept(gss_ctx_id_t *ctx) {
    OM_uint32 major, minor, ret_flags = 0;
    gss_buffer_desc in, out;
    for (;;) {
        if (read_token("TOKEN", &in)) return printf("ERR 0 bad TOKEN line\n"), -1;
        /* A handle for delegated credentials: Heimdal reads a delegated KRB-CRED only into one. */
        gss_cred_id_t delegated = GSS_C_NO_CREDENTIAL;
        major = gss_accept_sec_context(&minor, ctx, GSS_C_NO_CREDENTIAL, &in,
                                       GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &out, &ret_flags,
                                       NULL, &delegated);
        if (delegated != GSS_C_NO_CREDENTIAL) {
            OM_uint32 ignored;
            gss_release_cred(&ignored, &delegated);
        }
        free(in.value);
        if (GSS_ERROR(major)) {
            if (out.length) send_token(&out);
            return fail(major, minor), -1;
        }
        send_token(&out);
        gss_release_buffer(&minor, &out);
        if (major != GSS_S_CONTINUE_NEEDED) break;
    }
    printf("READY %x\n", ret_flags);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 major, minor;
    if (argc >= 4 && strcmp(argv[1], "init") == 0) {
        if (establish_init(&ctx, argv[2], (OM_uint32)strtoul(argv[3], NULL, 16),
                           argc > 4 && strcmp(argv[4], "spnego") == 0))
            return 1;
    } else if (argc == 2 && strcmp(argv[1], "accept") == 0) {
        if (establish_accept(&ctx)) return 1;
    } else {
        fprintf(stderr, "usage: gss-peer init <service@host> <flags-hex> [spnego] | gss-peer accept\n");
        return 2;
    }
    while (fgets(line, sizeof line, stdin)) {
        char *cmd = strtok(line, " \r\n"), *a = strtok(NULL, " \r\n"), *b = strtok(NULL, " \r\n");
        gss_buffer_desc x = {0, NULL}, y = {0, NULL}, out = {0, NULL};
        int conf = 0;
        if (cmd == NULL || strcmp(cmd, "QUIT") == 0) break;
        if (strcmp(cmd, "WRAP") == 0 && a && b && !get_hex(b, &x)) {
            major = gss_wrap(&minor, ctx, atoi(a), GSS_C_QOP_DEFAULT, &x, &conf, &out);
        } else if (strcmp(cmd, "MIC") == 0 && a && !get_hex(a, &x)) {
            major = gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &x, &out);
        } else if (strcmp(cmd, "UNWRAP") == 0 && a && !get_hex(a, &x)) {
            major = gss_unwrap(&minor, ctx, &x, &out, &conf, NULL);
            if (!GSS_ERROR(major)) {
                printf("OK %x %d ", major, conf);
                put_hex(out.value, out.length);
                printf("\n");
                fflush(stdout);
                gss_release_buffer(&minor, &out);
                free(x.value);
                continue;
            }
        } else if (strcmp(cmd, "VERIFY") == 0 && a && b && !get_hex(a, &x) && !get_hex(b, &y)) {
            major = gss_verify_mic(&minor, ctx, &x, &y, NULL);
            if (!GSS_ERROR(major)) {
                printf("OK %x\n", major);
                fflush(stdout);
                free(x.value);
                free(y.value);
                continue;
            }
        } else if (strcmp(cmd, "UNWRAP-STATUS") == 0 && a && !get_hex(a, &x)) {
            major = gss_unwrap(&minor, ctx, &x, &out, &conf, NULL);
            printf("STATUS %x %x %d ", major, minor, conf);
            put_hex(out.value, out.length);
            printf("\n");
            fflush(stdout);
            gss_release_buffer(&minor, &out);
            free(x.value);
            continue;
        } else if (strcmp(cmd, "VERIFY-STATUS") == 0 && a && b && !get_hex(a, &x) && !get_hex(b, &y)) {
            major = gss_verify_mic(&minor, ctx, &x, &y, NULL);
            printf("STATUS %x %x\n", major, minor);
            fflush(stdout);
            free(x.value);
            free(y.value);
            continue;
        } else {
            printf("ERR 0 bad command\n");
            fflush(stdout);
            continue;
        }
        if (GSS_ERROR(major)) {
            fail(major, minor);
        } else {
            printf("OK ");
            put_hex(out.value, out.length);
            printf("\n");
            fflush(stdout);
            gss_release_buffer(&minor, &out);
        }
        free(x.value);
        free(y.value);
    }
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return 0;
}
