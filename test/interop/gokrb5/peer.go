// A Kerberos peer on gokrb5 (github.com/jcmturner/gokrb5/v8), the pure Go
// implementation behind Go's Kerberos clients and SPNEGO services, for
// krbsim's interop tests (gokrb5.test.ts). It uses gokrb5 as its README
// shows and Debian packages it (golang-github-jcmturner-gokrb5.v8-dev),
// built in GOPATH mode against /usr/share/gocode:
//
//	peer init <krb5.conf> <user> <realm> <spn>
//	    logs the user in (the password in GOKRB5_PASSWORD), gets a ticket
//	    for the SPN, referrals followed, and prints "TOKEN <hex>": the
//	    SPNEGO NegTokenInit of gokrb5's SPNEGO client.
//	peer krb5 <krb5.conf> <user> <realm> <spn>
//	    as init, but the token is the raw RFC 4121 krb5 token that Go's SQL
//	    Server driver (go-mssqldb's krb5 authenticator) puts in LOGIN7:
//	    NewKRB5TokenAPREQ with the integrity and confidentiality flags.
//	peer passwd <krb5.conf> <user> <realm>
//	    changes the user's password (RFC 3244, gokrb5's ChangePasswd: an
//	    AS exchange for kadmin/changepw, then KRB-PRIV to the realm's
//	    kpasswd_server) from GOKRB5_PASSWORD to GOKRB5_NEW_PASSWORD, then logs
//	    in with the new one; prints "OK".
//	peer accept <keytab>
//	    reads "TOKEN <hex>", accepts it with gokrb5's SPNEGO service (the
//	    PAC's server signature checked with the keytab's key, the PAC
//	    decoded), and prints "OK <json>": the user, the realm and what
//	    gokrb5 read from the PAC.
//
// A failure is "ERR <message>".
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// The context key gokrb5's SPNEGO service puts the verified credentials under.
const ctxCredentials = "github.com/jcmturner/gokrb5/v8/ctxCredentials"

func fail(format string, v ...interface{}) {
	fmt.Printf("ERR %s\n", strings.ReplaceAll(fmt.Sprintf(format, v...), "\n", " "))
	os.Exit(1)
}

// login logs the user in, the password in GOKRB5_PASSWORD.
func login(krb5conf, user, realm string) *client.Client {
	cfg, err := config.Load(krb5conf)
	if err != nil {
		fail("krb5.conf: %v", err)
	}
	cl := client.NewWithPassword(user, realm, os.Getenv("GOKRB5_PASSWORD"), cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		fail("login: %v", err)
	}
	return cl
}

func krb5Token(krb5conf, user, realm, spn string) {
	cl := login(krb5conf, user, realm)
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		fail("GetServiceTicket: %v", err)
	}
	token, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, []int{gssapi.ContextFlagInteg, gssapi.ContextFlagConf}, []int{})
	if err != nil {
		fail("NewKRB5TokenAPREQ: %v", err)
	}
	printToken(&token)
}

// printToken prints "TOKEN <hex>" of a context token.
func printToken(token interface{ Marshal() ([]byte, error) }) {
	b, err := token.Marshal()
	if err != nil {
		fail("marshal: %v", err)
	}
	fmt.Printf("TOKEN %s\n", hex.EncodeToString(b))
}

func initiate(krb5conf, user, realm, spn string) {
	cl := login(krb5conf, user, realm)
	token, err := spnego.SPNEGOClient(cl, spn).InitSecContext()
	if err != nil {
		fail("InitSecContext: %v", err)
	}
	printToken(token)
}

func passwd(krb5conf, user, realm string) {
	cfg, err := config.Load(krb5conf)
	if err != nil {
		fail("krb5.conf: %v", err)
	}
	cl := client.NewWithPassword(user, realm, os.Getenv("GOKRB5_PASSWORD"), cfg, client.DisablePAFXFAST(true))
	if ok, err := cl.ChangePasswd(os.Getenv("GOKRB5_NEW_PASSWORD")); !ok || err != nil {
		fail("ChangePasswd: %v", err)
	}
	again := client.NewWithPassword(user, realm, os.Getenv("GOKRB5_NEW_PASSWORD"), cfg, client.DisablePAFXFAST(true))
	if err := again.Login(); err != nil {
		fail("login with the new password: %v", err)
	}
	fmt.Println("OK")
}

func accept(keytabPath string) {
	kt, err := keytab.Load(keytabPath)
	if err != nil {
		fail("keytab: %v", err)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "TOKEN ") {
		fail("expected a TOKEN line")
	}
	b, err := hex.DecodeString(strings.TrimSpace(line[6:]))
	if err != nil {
		fail("hex: %v", err)
	}
	var token spnego.SPNEGOToken
	if err := token.Unmarshal(b); err != nil {
		fail("unmarshal: %v", err)
	}
	ok, ctx, status := spnego.SPNEGOService(kt).AcceptSecContext(&token)
	if !ok {
		fail("AcceptSecContext: %v", status)
	}
	creds, _ := ctx.Value(ctxCredentials).(*credentials.Credentials)
	if creds == nil {
		fail("no credentials in the context")
	}
	out, err := json.Marshal(map[string]interface{}{
		"user":  creds.UserName(),
		"realm": creds.Domain(),
		"pac":   creds.GetADCredentials(),
	})
	if err != nil {
		fail("json: %v", err)
	}
	fmt.Printf("OK %s\n", out)
}

func main() {
	switch {
	case len(os.Args) == 6 && os.Args[1] == "init":
		initiate(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	case len(os.Args) == 6 && os.Args[1] == "krb5":
		krb5Token(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	case len(os.Args) == 5 && os.Args[1] == "passwd":
		passwd(os.Args[2], os.Args[3], os.Args[4])
	case len(os.Args) == 3 && os.Args[1] == "accept":
		accept(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: peer init|krb5 <krb5.conf> <user> <realm> <spn> | peer passwd <krb5.conf> <user> <realm> | peer accept <keytab>")
		os.Exit(2)
	}
}
