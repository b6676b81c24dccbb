"""Run one of Impacket's example tools against krbsim's listeners on loopback.

Impacket sends Kerberos to port 88 of the realm's name (or of -dc-ip) and
connects to SQL Server at the target's name and -port; krbsim's test KDCs and
TDS listeners sit on ports the OS chose. Rather than bind port 88, this driver
rewrites the destinations inside this one process, then runs the tool's entry
point as if it had been started from its own file:

    python3 impacket-run.py --map CONTOSO.COM:88=127.0.0.1:40123 getTGT CONTOSO.COM/alice:pw
    python3 impacket-run.py --ports /tmp/lab/ports.json getTGT CONTOSO.COM/alice:pw

--map HOST:PORT=ADDR:PORT (repeatable) sends connections to HOST:PORT (the
host compared without regard to case) to ADDR:PORT. --ports FILE reads the
ports.json `krbsim serve` wrote and maps each realm's port 88 to its KDC's
TCP port and, for a lab, each managed instance's host:1433 to its listener. Any other destination
must already be a loopback address: a name that is not mapped fails to
resolve, so no query for a lab name (CONTOSO.COM, mi1.abc123.database.windows.net)
ever leaves the machine.

--absent-times-as-zero: Impacket 0.10.0 reads a reply's starttime and
renew-till unconditionally when it writes a ccache, and fails on a KDC that
leaves them out (RFC 4120 5.4.2 makes both OPTIONAL; without starttime,
authtime stands in). With this option an absent one is written as a ccache's
0, "not set", as MIT writes it. Nothing Impacket sends changes.

An empty KRB5CCNAME is removed from the environment (Impacket opens any it
finds). TOOL is an example's name (getTGT, getST, mssqlclient, ticketer, ...),
looked for where Debian installs them (/usr/share/doc/python3-impacket/examples/NAME.py),
then as NAME.py on PATH (pip), or a path to the script.
"""

import ipaddress
import json
import os
import runpy
import shutil
import socket
import sys

EXAMPLE_DIRS = ("/usr/share/doc/python3-impacket/examples",)


def parse_map(spec):
    """'HOST:PORT=ADDR:PORT' -> ((host, port), (addr, port))."""
    src, _, dst = spec.partition("=")
    host, _, port = src.rpartition(":")
    addr, _, to_port = dst.rpartition(":")
    if not host or not addr:
        raise SystemExit(f"impacket-run: bad --map {spec!r}: want HOST:PORT=ADDR:PORT")
    return (host.lower(), int(port)), (addr, int(to_port))


def ports_map(path):
    """The --map table of a `krbsim serve` ports.json: realms' KDCs and a lab's instances."""
    with open(path) as f:
        ports = json.load(f)
    table = {}
    for realm, kdc in {**ports.get("realms", {}), **ports.get("kdcs", {})}.items():
        table[(realm.lower(), 88)] = (kdc["host"], int(kdc["tcp"]))
    for listener in ports.get("tds", {}).values():
        # The SPN names the instance as clients do: MSSQLSvc/<host>:<port>.
        host, _, port = listener["spn"].split("/", 1)[1].rpartition(":")
        table[(host.lower(), int(port))] = (listener["host"], int(listener["port"]))
    return table


def find_tool(name):
    if os.sep in name:
        return name
    for d in EXAMPLE_DIRS:
        candidate = os.path.join(d, name + ".py")
        if os.path.isfile(candidate):
            return candidate
    found = shutil.which(name + ".py")
    if found is None:
        raise SystemExit(f"impacket-run: no Impacket example {name!r} (install python3-impacket)")
    return found


def is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install_redirects(table):
    """Make getaddrinfo, connect and sendto see `table`'s destinations instead of the ones asked for."""

    def target(host, port):
        if isinstance(host, bytes):
            host = host.decode()
        try:
            port = int(port)
        except (TypeError, ValueError):
            pass
        mapped = table.get((str(host).lower(), port))
        if mapped is not None:
            return mapped
        if is_loopback(host):
            return host, port
        raise socket.gaierror(socket.EAI_NONAME, f"impacket-run: {host}:{port} is not mapped (--map)")

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real_getaddrinfo(*target(host, port), *args, **kwargs)

    def redirected(method):
        def wrapper(self, *args):
            address = args[-1]
            if isinstance(address, tuple) and len(address) >= 2:
                args = (*args[:-1], (*target(address[0], address[1]), *address[2:]))
            return method(self, *args)

        return wrapper

    socket.getaddrinfo = getaddrinfo
    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, redirected(getattr(socket.socket, name)))


def absent_times_as_zero():
    """Let Impacket's ccache writer take an absent starttime or renew-till as a ccache's 0."""
    from impacket.krb5 import types

    real = types.KerberosTime.from_asn1

    def from_asn1(data):
        if hasattr(data, "hasValue") and not data.hasValue():
            return types.KerberosTime.INDEFINITE  # 1970-01-01: 0 in a ccache, "not set"
        return real(data)

    types.KerberosTime.from_asn1 = staticmethod(from_asn1)


def main(argv):
    table = {}
    while argv and argv[0].startswith("--"):
        if argv[0] == "--map" and len(argv) >= 2:
            src, dst = parse_map(argv[1])
            table[src] = dst
            argv = argv[2:]
        elif argv[0] == "--ports" and len(argv) >= 2:
            table.update(ports_map(argv[1]))
            argv = argv[2:]
        elif argv[0] == "--absent-times-as-zero":
            absent_times_as_zero()
            argv = argv[1:]
        else:
            raise SystemExit(f"impacket-run: unknown option {argv[0]!r}")
    if not argv:
        raise SystemExit(__doc__)
    script = find_tool(argv[0])
    # Impacket opens any KRB5CCNAME it finds, even an empty one: empty means no ccache here.
    if os.environ.get("KRB5CCNAME") == "":
        del os.environ["KRB5CCNAME"]
    install_redirects(table)
    sys.argv = [script, *argv[1:]]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
