/*
 * MIT krb5 (1.20) as the oracle for @krbsim/pac: parses and verifies PACs
 * and tickets with libkrb5's own PAC code, and signs tickets with it.
 * Built by test/interop/helpers/pac-mit.ts; driven by
 * test/interop/pac-mit.test.ts. Keys are given as <etype>:<hex>, "-" for
 * none; PACs and tickets as hex. Prints one result per line.
 *
 *   pac-mit verify <pac> <server-key> <kdc-key> [<authtime> <principal> [with-realm]]
 *     krb5_pac_parse, then krb5_pac_verify_ext (server and KDC checksums,
 *     and PAC_CLIENT_INFO against authtime and principal when given):
 *       PARSE OK | PARSE ERR <code> <message>
 *       TYPES <type> ...
 *       VERIFY OK | VERIFY ERR <code> <message>
 *       CLIENT <authtime> <name> | CLIENT ERR <code> <message>   (krb5_pac_get_client_info)
 *       UPN <upn> DNS <dns> FLAGS <n> [SAM <sam> SID <sid>] | UPN none
 *     (UPN_DNS_INFO is parsed here, by hand, from krb5_pac_get_buffer.)
 *
 *   pac-mit verify-ticket <ticket> <server-principal> <server-key> <kdc-key>
 *     krb5_decode_ticket, krb5_decrypt_tkt_part, krb5_kdc_verify_ticket
 *     (ticket, server and KDC signatures), then krb5_pac_verify with the
 *     ticket's client and authtime and no keys:
 *       VERIFY OK | VERIFY ERR <code> <message>
 *       CLIENT OK | CLIENT ERR <code> <message>
 *
 *   pac-mit sign-ticket <ticket> <server-principal> <server-key> <kdc-key> <pac>
 *     decrypts the ticket (whose EncTicketPart holds no PAC), then
 *     krb5_kdc_sign_ticket with the unsigned PAC <pac> and no client
 *     principal:
 *       AD <hex of the AD-IF-RELEVANT element's ad-data>
 *       PAC <hex of the signed PAC>
 */

#include <krb5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exported by libkrb5 but declared only in its private headers. */
krb5_error_code KRB5_CALLCONV krb5_decrypt_tkt_part(krb5_context, const krb5_keyblock *, krb5_ticket *);

static krb5_context ctx;

static void fail(const char *what, krb5_error_code code) {
    const char *m = krb5_get_error_message(ctx, code);
    printf("%s ERR %ld %s\n", what, (long)code, m);
    krb5_free_error_message(ctx, m);
}

static int unhex(const char *s, krb5_data *out) {
    size_t n = strlen(s);
    if (n % 2 != 0) return -1;
    out->length = n / 2;
    out->data = malloc(out->length + 1);
    for (size_t i = 0; i < out->length; i++) {
        unsigned int b;
        if (sscanf(s + 2 * i, "%2x", &b) != 1) return -1;
        out->data[i] = (char)b;
    }
    return 0;
}

static void puthex(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

/* "<etype>:<hex>" or "-". */
static krb5_keyblock *parse_key(const char *s, krb5_keyblock *kb) {
    if (strcmp(s, "-") == 0) return NULL;
    const char *colon = strchr(s, ':');
    krb5_data d;
    if (colon == NULL || unhex(colon + 1, &d) != 0) {
        fprintf(stderr, "bad key %s\n", s);
        exit(2);
    }
    kb->magic = KV5M_KEYBLOCK;
    kb->enctype = atoi(s);
    kb->length = d.length;
    kb->contents = (krb5_octet *)d.data;
    return kb;
}

/* Prints UTF-16LE as UTF-8. */
static void put_utf16(const unsigned char *p, size_t bytes) {
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        uint32_t c = p[i] | (p[i + 1] << 8);
        if (c >= 0xd800 && c < 0xdc00 && i + 3 < bytes) {
            uint32_t lo = p[i + 2] | (p[i + 3] << 8);
            if (lo >= 0xdc00 && lo < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            }
        }
        if (c < 0x80) putchar((int)c);
        else if (c < 0x800) printf("%c%c", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
        else if (c < 0x10000) printf("%c%c%c", 0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
        else printf("%c%c%c%c", 0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    }
}

static unsigned int le16(const unsigned char *p) { return p[0] | (p[1] << 8); }
static uint32_t le32(const unsigned char *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }

/* UPN_DNS_INFO (MS-PAC 2.10), read independently of krbsim. */
static void print_upn(krb5_pac pac) {
    krb5_data d;
    if (krb5_pac_get_buffer(ctx, pac, KRB5_PAC_UPN_DNS_INFO, &d) != 0) {
        printf("UPN none\n");
        return;
    }
    const unsigned char *p = (const unsigned char *)d.data;
    if (d.length < 12) {
        printf("UPN short\n");
        krb5_free_data_contents(ctx, &d);
        return;
    }
    unsigned int ul = le16(p), uo = le16(p + 2), dl = le16(p + 4), dof = le16(p + 6);
    uint32_t flags = le32(p + 8);
    if (uo + ul > d.length || dof + dl > d.length) {
        printf("UPN bad\n");
        krb5_free_data_contents(ctx, &d);
        return;
    }
    printf("UPN ");
    put_utf16(p + uo, ul);
    printf(" DNS ");
    put_utf16(p + dof, dl);
    printf(" FLAGS %u", (unsigned)flags);
    if ((flags & 2) && d.length >= 20) {
        unsigned int sl = le16(p + 12), so = le16(p + 14), il = le16(p + 16), io = le16(p + 18);
        if (so + sl <= d.length && io + il <= d.length && il >= 8) {
            const unsigned char *s = p + io;
            printf(" SAM ");
            put_utf16(p + so, sl);
            uint64_t auth = 0;
            for (int i = 0; i < 6; i++) auth = (auth << 8) | s[2 + i];
            printf(" SID S-%u-%llu", s[0], (unsigned long long)auth);
            for (unsigned int i = 0; i < s[1] && 8 + 4 * i + 4 <= il; i++) printf("-%u", (unsigned)le32(s + 8 + 4 * i));
        }
    }
    printf("\n");
    krb5_free_data_contents(ctx, &d);
}

static int cmd_verify(int argc, char **argv) {
    krb5_data pd;
    krb5_pac pac;
    krb5_keyblock skb, kkb;
    if (argc < 5 || unhex(argv[2], &pd) != 0) return 2;
    krb5_keyblock *server = parse_key(argv[3], &skb), *privsvr = parse_key(argv[4], &kkb);
    krb5_error_code ret = krb5_pac_parse(ctx, pd.data, pd.length, &pac);
    if (ret) {
        fail("PARSE", ret);
        return 0;
    }
    printf("PARSE OK\n");
    size_t n;
    krb5_ui_4 *types;
    if (krb5_pac_get_types(ctx, pac, &n, &types) == 0) {
        printf("TYPES");
        for (size_t i = 0; i < n; i++) printf(" %u", (unsigned)types[i]);
        printf("\n");
        free(types);
    }
    krb5_principal princ = NULL;
    krb5_timestamp authtime = 0;
    if (argc >= 7) {
        authtime = (krb5_timestamp)strtoll(argv[5], NULL, 10);
        ret = krb5_parse_name(ctx, argv[6], &princ);
        if (ret) {
            fail("NAME", ret);
            return 0;
        }
    }
    krb5_boolean with_realm = argc >= 8 && strcmp(argv[7], "with-realm") == 0;
    ret = krb5_pac_verify_ext(ctx, pac, authtime, princ, server, privsvr, with_realm);
    if (ret) fail("VERIFY", ret);
    else printf("VERIFY OK\n");
    char *name;
    krb5_timestamp at;
    ret = krb5_pac_get_client_info(ctx, pac, &at, &name);
    if (ret) fail("CLIENT", ret);
    else {
        printf("CLIENT %ld %s\n", (long)at, name);
        free(name);
    }
    print_upn(pac);
    krb5_pac_free(ctx, pac);
    return 0;
}

static krb5_ticket *open_ticket(const char *hex, krb5_keyblock *server) {
    krb5_data td;
    krb5_ticket *t;
    if (unhex(hex, &td) != 0) return NULL;
    krb5_error_code ret = krb5_decode_ticket(&td, &t);
    if (ret) {
        fail("DECODE", ret);
        return NULL;
    }
    ret = krb5_decrypt_tkt_part(ctx, server, t);
    if (ret) {
        fail("DECRYPT", ret);
        return NULL;
    }
    return t;
}

static int cmd_verify_ticket(int argc, char **argv) {
    krb5_keyblock skb, kkb;
    krb5_principal sprinc;
    if (argc < 6) return 2;
    krb5_keyblock *server = parse_key(argv[4], &skb), *privsvr = parse_key(argv[5], &kkb);
    krb5_error_code ret = krb5_parse_name(ctx, argv[3], &sprinc);
    if (ret) {
        fail("NAME", ret);
        return 0;
    }
    krb5_ticket *t = open_ticket(argv[2], server);
    if (t == NULL) return 0;
    krb5_pac pac = NULL;
    ret = krb5_kdc_verify_ticket(ctx, t->enc_part2, sprinc, server, privsvr, &pac);
    if (ret) {
        fail("VERIFY", ret);
        return 0;
    }
    printf(pac == NULL ? "VERIFY NOPAC\n" : "VERIFY OK\n");
    if (pac != NULL) {
        ret = krb5_pac_verify(ctx, pac, t->enc_part2->times.authtime, t->enc_part2->client, NULL, NULL);
        if (ret) fail("CLIENT", ret);
        else printf("CLIENT OK\n");
        krb5_pac_free(ctx, pac);
    }
    krb5_free_ticket(ctx, t);
    return 0;
}

static int cmd_sign_ticket(int argc, char **argv) {
    krb5_keyblock skb, kkb;
    krb5_principal sprinc;
    krb5_data pd;
    krb5_pac pac;
    if (argc < 7 || unhex(argv[6], &pd) != 0) return 2;
    krb5_keyblock *server = parse_key(argv[4], &skb), *privsvr = parse_key(argv[5], &kkb);
    krb5_error_code ret = krb5_parse_name(ctx, argv[3], &sprinc);
    if (ret) {
        fail("NAME", ret);
        return 0;
    }
    krb5_ticket *t = open_ticket(argv[2], server);
    if (t == NULL) return 0;
    ret = krb5_pac_parse(ctx, pd.data, pd.length, &pac);
    if (ret) {
        fail("PARSE", ret);
        return 0;
    }
    ret = krb5_kdc_sign_ticket(ctx, t->enc_part2, pac, sprinc, NULL, server, privsvr, FALSE);
    if (ret) {
        fail("SIGN", ret);
        return 0;
    }
    krb5_authdata *ad = t->enc_part2->authorization_data[0];
    printf("AD ");
    puthex(ad->contents, ad->length);
    printf("\n");
    krb5_authdata **inner;
    ret = krb5_decode_authdata_container(ctx, KRB5_AUTHDATA_IF_RELEVANT, ad, &inner);
    if (ret) {
        fail("CONTAINER", ret);
        return 0;
    }
    printf("PAC ");
    puthex(inner[0]->contents, inner[0]->length);
    printf("\n");
    krb5_free_authdata(ctx, inner);
    krb5_pac_free(ctx, pac);
    krb5_free_ticket(ctx, t);
    return 0;
}

int main(int argc, char **argv) {
    if (krb5_init_context(&ctx) != 0) return 3;
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) rc = cmd_verify(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "verify-ticket") == 0) rc = cmd_verify_ticket(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "sign-ticket") == 0) rc = cmd_sign_ticket(argc, argv);
    if (rc == 2) fprintf(stderr, "usage: see the comment at the top of pac-mit.c\n");
    fflush(stdout);
    krb5_free_context(ctx);
    return rc;
}
