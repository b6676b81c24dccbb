"""Fills a freshly provisioned Samba AD domain for krbsim's Samba oracle test.

Run with the Python that runs samba-tool (Samba's bindings are in its
dist-packages): samba-dc-setup.py <smb.conf> <sam.ldb>, the domain's groups
and accounts as JSON on standard input (see SambaDomainSpec in samba-dc.ts).
Prints the domain SID and each group's and account's RID as JSON.
"""

import json
import sys

import ldb
import samba
from samba.auth import system_session
from samba.dcerpc import drsblobs, lsa, security
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
    msg = ldb.Message()
    msg.dn = dn
    msg[attribute] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attribute)
    return msg


# Trusted domain object values (MS-ADTS 6.1.6.7): an inbound forest trust, "the other domain trusts
# this one", of an Active Directory (uplevel) domain.
TRUST_DIRECTION_INBOUND = 1
TRUST_TYPE_UPLEVEL = 2
TRUST_ATTRIBUTE_FOREST_TRANSITIVE = 0x8
AES_ENCTYPES = 0x18


def trust_auth_blob(password, when):
    """A trustAuthIncoming/Outgoing value (MS-ADTS 6.1.6.9.1): the password in clear, or nothing."""
    blob = drsblobs.trustAuthInOutBlob()
    if password is None:
        blob.count = 0
        return ndr_pack(blob)
    clear = drsblobs.AuthInfoClear()
    secret = list(password.encode("utf-16-le"))
    clear.size = len(secret)
    clear.password = secret
    info = drsblobs.AuthenticationInformation()
    info.LastUpdateTime = when
    info.AuthType = lsa.TRUST_AUTH_TYPE_CLEAR
    info.AuthInfo = clear
    infos = drsblobs.AuthenticationInformationArray()
    infos.count = 1
    infos.array = [info]
    blob.count = 1
    blob.current = infos
    blob.previous = infos
    return ndr_pack(blob)


def forest_trust_info(trust, when):
    """msDS-TrustForestTrustInfo (MS-ADTS 6.1.6.9.3): the top-level names, then the domain."""

    def string(text):
        s = drsblobs.ForestTrustString()
        s.string = text
        return s

    def record(kind, data):
        r = drsblobs.ForestTrustInfoRecord()
        r.flags = 0
        r.timestamp = when
        r.type = kind
        r.data = data
        armor = drsblobs.ForestTrustInfoRecordArmor()
        armor.record = r
        return armor

    domain = drsblobs.ForestTrustDataDomainInfo()
    domain.sid = security.dom_sid(trust["sid"])
    domain.dns_name = string(trust["partner"].lower())
    domain.netbios_name = string(trust["flatName"])
    records = [record(lsa.LSA_FOREST_TRUST_TOP_LEVEL_NAME, string(t)) for t in trust["topLevelNames"]]
    records.append(record(lsa.LSA_FOREST_TRUST_DOMAIN_INFO, domain))
    info = drsblobs.ForestTrustInfo()
    info.version = 1
    info.count = len(records)  # before the records: the bindings pack `count` of them
    info.records = records
    return ndr_pack(info)


def add_forest_trust(db, trust):
    """A trusted domain object for an inbound forest trust, written straight into the directory.

    samba-tool would ask the other domain's DC for its name and SID; the other realm here has no DC,
    so the object is made as the DC's LSA would make it. The inter-realm key krbtgt/PARTNER@THIS
    derives from the password with that principal's usual salt.
    """
    when = samba.unix2nttime(samba.current_unix_time())
    msg = ldb.Message(ldb.Dn(db, "CN=%s,CN=System,%s" % (trust["partner"].lower(), db.domain_dn())))
    msg["objectClass"] = "trustedDomain"
    msg["trustPartner"] = trust["partner"].lower()
    msg["flatName"] = trust["flatName"]
    msg["securityIdentifier"] = ldb.MessageElement(
        ndr_pack(security.dom_sid(trust["sid"])), ldb.FLAG_MOD_ADD, "securityIdentifier"
    )
    msg["trustDirection"] = str(TRUST_DIRECTION_INBOUND)
    msg["trustType"] = str(TRUST_TYPE_UPLEVEL)
    msg["trustAttributes"] = str(TRUST_ATTRIBUTE_FOREST_TRANSITIVE)
    msg["trustPosixOffset"] = "-2147483648"
    msg["msDS-SupportedEncryptionTypes"] = str(AES_ENCTYPES)
    msg["trustAuthIncoming"] = ldb.MessageElement(
        trust_auth_blob(trust["password"], when), ldb.FLAG_MOD_ADD, "trustAuthIncoming"
    )
    msg["trustAuthOutgoing"] = ldb.MessageElement(trust_auth_blob(None, when), ldb.FLAG_MOD_ADD, "trustAuthOutgoing")
    msg["msDS-TrustForestTrustInfo"] = ldb.MessageElement(
        forest_trust_info(trust, when), ldb.FLAG_MOD_ADD, "msDS-TrustForestTrustInfo"
    )
    db.add(msg)


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
    # The domain's minimum password age (minPwdAge), in negative 100 ns units as well.
    min_age_days = spec.get("minPasswordAgeDays")
    if min_age_days is not None:
        db.modify_ldif(
            "dn: %s\nchangetype: modify\nreplace: minPwdAge\nminPwdAge: %d\n"
            % (db.domain_dn(), -int(min_age_days * 24 * 60 * 60 * 10_000_000))
        )
    for g in spec["groups"]:
        db.newgroup(g["name"], grouptype=GROUP_TYPES[g["scope"]])
    for a in spec["accounts"]:
        if a["kind"] == "computer":
            db.newcomputer(a["name"].rstrip("$"))
            db.setpassword("(sAMAccountName=%s)" % a["name"], a["password"])
        else:
            db.newuser(a["name"], a["password"])
            if "upn" in a:
                # The UPN first, then the password, whose keys a DC salts by the UPN the account
                # has when the password is set (smb_krb5_salt_principal; Windows alike).
                modify(a["name"], ["replace: userPrincipalName\nuserPrincipalName: %s" % a["upn"]])
                db.setpassword("(sAMAccountName=%s)" % a["name"], a["password"])
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
        if "displayName" in a:
            lines.append("replace: displayName\ndisplayName: %s" % a["displayName"])
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
        if "userAccountControl" in a:
            uac = a["userAccountControl"]
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

    for trust in spec.get("forestTrusts", []):
        add_forest_trust(db, trust)

    rids = {}
    for name in [g["name"] for g in spec["groups"]] + [a["name"] for a in spec["accounts"]]:
        rids[name] = int(sid_of(name).rsplit("-", 1)[1])
    json.dump({"domainSid": str(db.domain_sid), "rids": rids}, sys.stdout)


main()
