/*
 * Removes credentials from a FILE credential cache with MIT krb5's own API
 * (krb5_cc_remove_cred), for test/interop/files-mit.test.ts. MIT 1.20 and
 * later do it in place, leaving each removed entry in the file.
 *
 * Usage: ccache-remove-mit CCACHE SERVER...
 * Prints "OK" or "ERR <code> <what>: <message>".
 */
#include <krb5.h>
#include <stdio.h>
#include <string.h>

static int fail(krb5_context ctx, const char *what, krb5_error_code code)
{
    const char *msg = krb5_get_error_message(ctx, code);
    printf("ERR %ld %s: %s\n", (long)code, what, msg);
    krb5_free_error_message(ctx, msg);
    return 1;
}

int main(int argc, char **argv)
{
    krb5_context ctx;
    krb5_ccache cc;
    krb5_creds match;
    krb5_error_code ret;
    int i;

    if (argc < 3) {
        fprintf(stderr, "usage: %s CCACHE SERVER...\n", argv[0]);
        return 2;
    }
    if ((ret = krb5_init_context(&ctx)) != 0)
        return 3;
    if ((ret = krb5_cc_resolve(ctx, argv[1], &cc)) != 0)
        return fail(ctx, "resolve", ret);
    memset(&match, 0, sizeof(match));
    if ((ret = krb5_cc_get_principal(ctx, cc, &match.client)) != 0)
        return fail(ctx, "get_principal", ret);
    for (i = 2; i < argc; i++) {
        if ((ret = krb5_parse_name(ctx, argv[i], &match.server)) != 0)
            return fail(ctx, "parse_name", ret);
        if ((ret = krb5_cc_remove_cred(ctx, cc, 0, &match)) != 0)
            return fail(ctx, "remove_cred", ret);
        krb5_free_principal(ctx, match.server);
    }
    printf("OK\n");
    krb5_free_principal(ctx, match.client);
    krb5_cc_close(ctx, cc);
    krb5_free_context(ctx);
    return 0;
}
