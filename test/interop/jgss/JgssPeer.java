/*
 * A GSS-API peer on Java's own Kerberos (JGSS, sun.security.krb5), for
 * krbsim's interop tests (jgss.test.ts): the third Kerberos implementation
 * beside MIT's and Heimdal's, the one behind Java's JDBC drivers
 * (authenticationScheme=JavaKerberos), Hadoop and Kafka. It speaks the line
 * protocol of gss-peer.c, so gss-peer.ts drives both:
 *
 *   JgssPeer init <target> <flags-hex> [krb5|spnego] [principal|hostbased]
 *       the initiator; JGSS_USER and JGSS_PASSWORD name the user, whose
 *       credentials Java's Krb5LoginModule gets in its own AS exchange. With
 *       JGSS_IMPERSONATE, that user is a service which initiates on behalf of
 *       the user named there (ExtendedGSSCredential.impersonate: MS-SFU's
 *       S4U2Self, then S4U2Proxy for the target).
 *       <target> is a Kerberos principal name (`MSSQLSvc/host:1433`, the
 *       default realm's when it names none, as a JDBC driver imports it) or,
 *       with `hostbased`, `service@host`.
 *   JgssPeer accept <principal> <keytab> [krb5|spnego]
 *       the acceptor, with the principal's keys from the keytab.
 *
 * Flags are RFC 2744's bits (deleg 1, mutual 2, replay 4, sequence 8, conf
 * 16, integ 32) and GSS_C_DELEG_POLICY_FLAG 0x8000 (ExtendedGSSContext's
 * delegation policy). Context tokens go as "TOKEN <hex>" lines ("TOKEN -"
 * for none) until "READY <flags-hex>"; then one reply line per command:
 *
 *   WRAP <conf 0|1> <hex>   -> OK <token-hex>
 *   MIC <hex>               -> OK <token-hex>
 *   UNWRAP <token-hex>      -> OK <major-hex> <conf_state> <message-hex>
 *   VERIFY <hex> <token>    -> OK <major-hex>
 *   NAMES                   -> OK <initiator> <acceptor>
 *   DELEG                   -> OK <delegated principal, or ->
 *   QUIT
 *
 * A failure is "ERR <major-hex> <message>", the major status in RFC 2744's
 * numbering (Java numbers its GSSException codes otherwise). Supplementary
 * statuses (duplicate, old, unseq, gap) come back as OK with their bits.
 */

import com.sun.security.jgss.ExtendedGSSContext;
import com.sun.security.jgss.ExtendedGSSCredential;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedExceptionAction;
import java.util.HashMap;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSCredential;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.GSSName;
import org.ietf.jgss.MessageProp;
import org.ietf.jgss.Oid;

public final class JgssPeer {
    private static final BufferedReader IN =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));

    private static String hex(byte[] b) {
        if (b == null || b.length == 0) return "-";
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    private static byte[] unhex(String s) {
        if (s.equals("-")) return new byte[0];
        if (s.length() % 2 != 0) throw new IllegalArgumentException("odd hex");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    private static void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static byte[] readToken() throws Exception {
        String l = IN.readLine();
        if (l == null || !l.startsWith("TOKEN ")) throw new IllegalStateException("expected a TOKEN line, got: " + l);
        return unhex(l.substring(6).trim());
    }

    /** RFC 2744 section 3.9.1's routine error for one of Java's GSSException codes. */
    private static int rfc2744Major(GSSException e) {
        switch (e.getMajor()) {
            case GSSException.BAD_MECH: return 1 << 16;
            case GSSException.BAD_NAME: return 2 << 16;
            case GSSException.BAD_NAMETYPE: return 3 << 16;
            case GSSException.BAD_BINDINGS: return 4 << 16;
            case GSSException.BAD_STATUS: return 5 << 16;
            case GSSException.BAD_MIC: return 6 << 16;
            case GSSException.NO_CRED: return 7 << 16;
            case GSSException.NO_CONTEXT: return 8 << 16;
            case GSSException.DEFECTIVE_TOKEN: return 9 << 16;
            case GSSException.DEFECTIVE_CREDENTIAL: return 10 << 16;
            case GSSException.CREDENTIALS_EXPIRED: return 11 << 16;
            case GSSException.CONTEXT_EXPIRED: return 12 << 16;
            case GSSException.FAILURE: return 13 << 16;
            case GSSException.BAD_QOP: return 14 << 16;
            case GSSException.UNAUTHORIZED: return 15 << 16;
            case GSSException.UNAVAILABLE: return 16 << 16;
            case GSSException.DUPLICATE_ELEMENT: return 17 << 16;
            case GSSException.NAME_NOT_MN: return 18 << 16;
            case GSSException.DUPLICATE_TOKEN: return 1 << 1;
            case GSSException.OLD_TOKEN: return 1 << 2;
            case GSSException.UNSEQ_TOKEN: return 1 << 3;
            case GSSException.GAP_TOKEN: return 1 << 4;
            default: return 13 << 16;
        }
    }

    private static int supplementary(MessageProp p) {
        return (p.isDuplicateToken() ? 1 << 1 : 0) | (p.isOldToken() ? 1 << 2 : 0)
            | (p.isUnseqToken() ? 1 << 3 : 0) | (p.isGapToken() ? 1 << 4 : 0);
    }

    private static void fail(Throwable e) {
        Throwable t = e;
        while (!(t instanceof GSSException) && t.getCause() != null) t = t.getCause();
        int major = t instanceof GSSException ? rfc2744Major((GSSException) t) : 13 << 16;
        StringBuilder why = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) why.append(' ').append(c).append(';');
        out(String.format("ERR %x%s", major, why.toString().replace('\n', ' ')));
    }

    private static int flagsOf(GSSContext ctx) {
        return (ctx.getCredDelegState() ? 1 : 0) | (ctx.getMutualAuthState() ? 2 : 0)
            | (ctx.getReplayDetState() ? 4 : 0) | (ctx.getSequenceDetState() ? 8 : 0)
            | (ctx.getConfState() ? 16 : 0) | (ctx.getIntegState() ? 32 : 0);
    }

    /** Java's Krb5LoginModule with these options, the password (if any) given to its callback. */
    static Subject login(Map<String, String> options, String password) throws Exception {
        Configuration conf = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {
                    new AppConfigurationEntry("com.sun.security.auth.module.Krb5LoginModule",
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options),
                };
            }
        };
        LoginContext lc = new LoginContext("krbsim", null, callbacks -> {
            for (Callback c : callbacks) {
                if (c instanceof NameCallback) ((NameCallback) c).setName(options.get("principal"));
                else if (c instanceof PasswordCallback && password != null)
                    ((PasswordCallback) c).setPassword(password.toCharArray());
                else throw new UnsupportedCallbackException(c);
            }
        }, conf);
        lc.login();
        return lc.getSubject();
    }

    private static Oid mech(String name) throws GSSException {
        return new Oid("spnego".equals(name) ? "1.3.6.1.5.5.2" : "1.2.840.113554.1.2.2");
    }

    private static GSSContext establishInit(String[] args) throws Exception {
        String target = args[1];
        int flags = Integer.parseInt(args[2], 16);
        Oid mech = mech(args.length > 3 ? args[3] : "krb5");
        String form = args.length > 4 ? args[4] : "principal";
        Map<String, String> options = new HashMap<>();
        options.put("principal", System.getenv("JGSS_USER"));
        options.put("useTicketCache", "false");
        options.put("storeKey", "false");
        Subject subject = login(options, System.getenv("JGSS_PASSWORD"));
        return Subject.doAs(subject, (PrivilegedExceptionAction<GSSContext>) () -> {
            GSSManager manager = GSSManager.getInstance();
            GSSName name = manager.createName(target, form.equals("hostbased") ? GSSName.NT_HOSTBASED_SERVICE
                : form.equals("user") ? GSSName.NT_USER_NAME : null);
            GSSCredential cred = null;
            String impersonate = System.getenv("JGSS_IMPERSONATE");
            if (impersonate != null) {
                GSSCredential self = manager.createCredential(
                    null, GSSCredential.DEFAULT_LIFETIME, mech(null), GSSCredential.INITIATE_ONLY);
                cred = ((ExtendedGSSCredential) self).impersonate(
                    manager.createName(impersonate, GSSName.NT_USER_NAME));
            }
            GSSContext ctx = manager.createContext(name, mech, cred, GSSContext.DEFAULT_LIFETIME);
            ctx.requestCredDeleg((flags & 1) != 0);
            ctx.requestMutualAuth((flags & 2) != 0);
            ctx.requestReplayDet((flags & 4) != 0);
            ctx.requestSequenceDet((flags & 8) != 0);
            ctx.requestConf((flags & 16) != 0);
            ctx.requestInteg((flags & 32) != 0);
            if ((flags & 0x8000) != 0) ((ExtendedGSSContext) ctx).requestDelegPolicy(true);
            byte[] in = new byte[0];
            for (;;) {
                byte[] token = ctx.initSecContext(in, 0, in.length);
                if (token != null && token.length > 0) out("TOKEN " + hex(token));
                if (ctx.isEstablished()) break;
                in = readToken();
            }
            return ctx;
        });
    }

    private static GSSContext establishAccept(String[] args) throws Exception {
        String principal = args[1];
        Oid mech = mech(args.length > 3 ? args[3] : "krb5");
        Map<String, String> options = new HashMap<>();
        options.put("principal", principal);
        options.put("useKeyTab", "true");
        options.put("keyTab", args[2]);
        options.put("storeKey", "true");
        options.put("isInitiator", "false");
        options.put("doNotPrompt", "true");
        Subject subject = login(options, null);
        return Subject.doAs(subject, (PrivilegedExceptionAction<GSSContext>) () -> {
            GSSManager manager = GSSManager.getInstance();
            GSSCredential cred = manager.createCredential(
                manager.createName(principal, null), GSSCredential.INDEFINITE_LIFETIME, mech,
                GSSCredential.ACCEPT_ONLY);
            GSSContext ctx = manager.createContext(cred);
            while (!ctx.isEstablished()) {
                byte[] in = readToken();
                byte[] token = ctx.acceptSecContext(in, 0, in.length);
                out("TOKEN " + hex(token));
            }
            return ctx;
        });
    }

    public static void main(String[] args) throws Exception {
        GSSContext ctx;
        try {
            if (args.length >= 3 && args[0].equals("init")) ctx = establishInit(args);
            else if (args.length >= 3 && args[0].equals("accept")) ctx = establishAccept(args);
            else {
                System.err.println("usage: JgssPeer init <target> <flags-hex> [krb5|spnego] [principal|hostbased]"
                    + " | JgssPeer accept <principal> <keytab> [krb5|spnego]");
                System.exit(2);
                return;
            }
        } catch (Exception e) {
            fail(e);
            System.exit(1);
            return;
        }
        out(String.format("READY %x", flagsOf(ctx)));
        for (String line; (line = IN.readLine()) != null; ) {
            String[] w = line.trim().split(" ");
            if (w[0].isEmpty() || w[0].equals("QUIT")) break;
            try {
                MessageProp prop = new MessageProp(0, false);
                switch (w[0]) {
                    case "WRAP": {
                        byte[] m = unhex(w[2]);
                        out("OK " + hex(ctx.wrap(m, 0, m.length, new MessageProp(0, w[1].equals("1")))));
                        break;
                    }
                    case "MIC": {
                        byte[] m = unhex(w[1]);
                        out("OK " + hex(ctx.getMIC(m, 0, m.length, prop)));
                        break;
                    }
                    case "UNWRAP": {
                        byte[] t = unhex(w[1]);
                        byte[] m = ctx.unwrap(t, 0, t.length, prop);
                        out(String.format("OK %x %d %s", supplementary(prop), prop.getPrivacy() ? 1 : 0, hex(m)));
                        break;
                    }
                    case "VERIFY": {
                        byte[] m = unhex(w[1]);
                        byte[] t = unhex(w[2]);
                        ctx.verifyMIC(t, 0, t.length, m, 0, m.length, prop);
                        out(String.format("OK %x", supplementary(prop)));
                        break;
                    }
                    case "NAMES":
                        out("OK " + ctx.getSrcName() + " " + ctx.getTargName());
                        break;
                    case "DELEG": {
                        GSSCredential d = ctx.getCredDelegState() ? ctx.getDelegCred() : null;
                        out("OK " + (d == null ? "-" : d.getName().toString()));
                        break;
                    }
                    default:
                        out("ERR 0 bad command");
                }
            } catch (Exception e) {
                fail(e);
            }
        }
        ctx.dispose();
    }
}
