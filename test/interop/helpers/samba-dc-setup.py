"""Fills a freshly provisioned Samba AD domain for krbsim's Samba oracle test.

Run with the Python that runs samba-tool (Samba's bindings are in its
dist-packages): samba-dc-setup.py <smb.conf> <sam.ldb>, the domain's groups
and accounts as JSON on standard input (see SambaDomainSpec in samba-dc.ts).
Prints the domain SID and each group's and account's RID as JSON.
"""

import json
import sys

from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack, ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

# groupType values (MS-ADTS 2.2.12): security groups of each scope.
GROUP_TYPES = {
    "global": -2147483646,
    "domain-local": -2147483644,
    "universal": -2147483640,
}
# userAccountControl bits (MS-ADTS 2.2.16).
UF_ACCOUNTDISABLE = 0x2
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_NOT_DELEGATED = 0x100000
UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION = 0x1000000
UF_DONT_REQUIRE_PREAUTH = 0x400000
UF_NO_AUTH_DATA_REQUIRED = 0x2000000
# accountExpires for an account that expired on 2020-01-01 (a FILETIME).
EXPIRED_2020 = 132223104000000000


def ldb_message(db, dn, attribute, value):
    import ldb

    msg = ldb.Message()
    msg.dn = dn
    msg[attribute] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attribute)
    return msg


def main():
    lp = LoadParm()
    lp.load(sys.argv[1])
    db = SamDB(url=sys.argv[2], lp=lp, session_info=system_session())
    spec = json.load(sys.stdin)

    def dn_of(name):
        res = db.search(expression="(sAMAccountName=%s)" % name, attrs=["userAccountControl"])
        return res[0]

    def sid_of(name):
        res = db.search(expression="(sAMAccountName=%s)" % name, attrs=["objectSid"])
        return str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))

    def modify(name, lines):
        entry = dn_of(name)
        db.modify_ldif("dn: %s\nchangetype: modify\n%s\n" % (entry.dn, "\n-\n".join(lines)))

    # The domain's lockout policy (MS-SAMR 3.1.5.14.6): intervals are negative 100 ns counts.
    lockout = spec.get("lockout")
    if lockout:
        minutes = lambda m: -int(m * 60 * 10_000_000)
        db.modify_ldif(
            "dn: %s\nchangetype: modify\n"
            "replace: lockoutThreshold\nlockoutThreshold: %d\n-\n"
            "replace: lockoutDuration\nlockoutDuration: %d\n-\n"
            "replace: lockOutObservationWindow\nlockOutObservationWindow: %d\n"
            % (
                db.domain_dn(),
                lockout["threshold"],
                minutes(lockout["durationMinutes"]),
                minutes(lockout["observationMinutes"]),
            )
        )
    for g in spec["groups"]:
        db.newgroup(g["name"], grouptype=GROUP_TYPES[g["scope"]])
    for a in spec["accounts"]:
        if a["kind"] == "computer":
            db.newcomputer(a["name"].rstrip("$"))
            db.setpassword("(sAMAccountName=%s)" % a["name"], a["password"])
        else:
            db.newuser(a["name"], a["password"])
        lines = []
        for spn in a.get("spns", []):
            lines.append("add: servicePrincipalName\nservicePrincipalName: %s" % spn)
        if "enctypes" in a:
            lines.append("replace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: %d" % a["enctypes"])
        if a.get("expired"):
            lines.append("replace: accountExpires\naccountExpires: %d" % EXPIRED_2020)
        if a.get("mustChangePassword"):
            lines.append("replace: pwdLastSet\npwdLastSet: 0")
        if a.get("noLogonHours"):
            lines.append("replace: logonHours\nlogonHours:: %s" % "AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        if "upn" in a:
            lines.append("replace: userPrincipalName\nuserPrincipalName: %s" % a["upn"])
        for target in a.get("allowedToDelegateTo", []):
            lines.append("add: msDS-AllowedToDelegateTo\nmsDS-AllowedToDelegateTo: %s" % target)
        uac = int(dn_of(a["name"])["userAccountControl"][0])
        # Users' passwords do not expire, as krbsim's do not unless given an expiry (a password
        # that must be changed is one that can expire); a machine's password never does.
        if a["kind"] == "user" and not a.get("mustChangePassword"):
            uac |= UF_DONT_EXPIRE_PASSWD
        if a.get("disabled"):
            uac |= UF_ACCOUNTDISABLE
        if a.get("notDelegated"):
            uac |= UF_NOT_DELEGATED
        if a.get("trustedToAuthenticate"):
            uac |= UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION
        if a.get("noPreauth"):
            uac |= UF_DONT_REQUIRE_PREAUTH
        if a.get("noAuthDataRequired"):
            uac |= UF_NO_AUTH_DATA_REQUIRED
        lines.append("replace: userAccountControl\nuserAccountControl: %d" % uac)
        modify(a["name"], lines)
        for g in a.get("groups", []):
            db.add_remove_group_members(g, [a["name"]], add_members_operation=True)

    # Resource-based delegation (msDS-AllowedToActOnBehalfOfOtherIdentity): a security descriptor
    # granting each named account the right to act, once every account has its SID.
    for a in spec["accounts"]:
        if not a.get("allowedToActFrom"):
            continue
        aces = "".join("(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;%s)" % sid_of(n) for n in a["allowedToActFrom"])
        sd = security.descriptor.from_sddl("O:BAD:" + aces, security.dom_sid(str(db.domain_sid)))
        entry = dn_of(a["name"])
        msg = ldb_message(db, entry.dn, "msDS-AllowedToActOnBehalfOfOtherIdentity", ndr_pack(sd))
        db.modify(msg)

    rids = {}
    for name in [g["name"] for g in spec["groups"]] + [a["name"] for a in spec["accounts"]]:
        rids[name] = int(sid_of(name).rsplit("-", 1)[1])
    json.dump({"domainSid": str(db.domain_sid), "rids": rids}, sys.stdout)


main()
