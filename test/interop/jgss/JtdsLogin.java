/*
 * A SQL login with jTDS 1.3.1 (Debian's libjtds-java), a JDBC driver that
 * speaks TDS itself and authenticates with Java's own Kerberos when given
 * useKerberos=true, for krbsim's interop tests (jgss.test.ts):
 *
 *   JtdsLogin <jdbc-url> <sql> [manual]
 *
 * JGSS_USER and JGSS_PASSWORD name the user, logged in by Java's
 * Krb5LoginModule (JgssPeer.login); the driver connects as that Subject and
 * prints "TYPES" and each column's type as the driver reports it
 * (ResultSetMetaData: "<type name>(<precision>):<java.sql.Types code>"), then
 * "ROW <first column>" for each row of the query's result. A failure is
 * "ERR <SQL Server error number, or 0> <message>".
 *
 * With "manual", the connection leaves autocommit first (setAutoCommit(false),
 * which jTDS sends as SET IMPLICIT_TRANSACTIONS ON), runs the query, commits
 * with commit() (IF @@TRANCOUNT > 0 COMMIT TRAN) and prints "COMMIT"; runs it
 * again and then sends COMMIT TRAN itself, which SQL Server refuses (3902)
 * unless the query began a transaction, and prints "COMMIT TRAN"; then goes
 * back to autocommit.
 */

import java.security.PrivilegedExceptionAction;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import javax.security.auth.Subject;

public final class JtdsLogin {
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        options.put("principal", System.getenv("JGSS_USER"));
        options.put("useTicketCache", "false");
        options.put("storeKey", "false");
        try {
            // jTDS 1.3.1 registers itself when loaded (its jar names no JDBC service).
            Class.forName("net.sourceforge.jtds.jdbc.Driver");
            Subject subject = JgssPeer.login(options, System.getenv("JGSS_PASSWORD"));
            boolean manual = args.length > 2 && args[2].equals("manual");
            Subject.doAs(subject, (PrivilegedExceptionAction<Void>) () -> {
                try (Connection c = DriverManager.getConnection(args[0]);
                     Statement st = c.createStatement()) {
                    if (manual) c.setAutoCommit(false);
                    printRows(st, args[1]);
                    if (manual) {
                        c.commit();
                        System.out.println("COMMIT");
                        printRows(st, args[1]);
                        st.execute("COMMIT TRAN");
                        System.out.println("COMMIT TRAN");
                        c.setAutoCommit(true);
                    }
                }
                return null;
            });
        } catch (Exception e) {
            // A SQL Server error's number first (18456: login failed), 0 for anything else.
            Throwable cause = e;
            while (!(cause instanceof java.sql.SQLException) && cause.getCause() != null) cause = cause.getCause();
            int number = cause instanceof java.sql.SQLException ? ((java.sql.SQLException) cause).getErrorCode() : 0;
            StringBuilder why = new StringBuilder(" " + number);
            for (Throwable t = e; t != null; t = t.getCause()) why.append(' ').append(t).append(';');
            System.out.println("ERR" + why.toString().replace('\n', ' '));
            System.exit(1);
        }
    }

    private static void printRows(Statement st, String sql) throws java.sql.SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            StringBuilder types = new StringBuilder("TYPES");
            for (int i = 1; i <= md.getColumnCount(); i++) {
                types.append(' ').append(md.getColumnTypeName(i)).append('(').append(md.getPrecision(i))
                    .append("):").append(md.getColumnType(i));
            }
            System.out.println(types);
            while (rs.next()) System.out.println("ROW " + rs.getString(1));
        }
    }
}
