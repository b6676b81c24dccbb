import { createAzureSqlMiLab } from '@krbsim/azure';

/** The README's example; `log` stands in for console.log so tests can read what it prints. */
export async function quickStart(log: (...args: unknown[]) => void = console.log): Promise<void> {
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 42 });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites(); // Azure AD auth, service principal, admin consent
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust(); // Set-AzureADKerberosServer -SetupCloudTrust

  // Incoming trust-based flow: AS and TGS on-prem, referral, TGS at Azure AD through the KDC proxy.
  const pc = lab.adJoinedClient(alice);
  const ctx = await pc.initSecurityContext(mi.spn);
  const session = mi.accept(ctx.token, pc.participant);
  ctx.complete(session.responseToken!); // mutual authentication
  log(session.login); // CONTOSO\alice

  // Modern interactive flow: cloud TGT with the PRT, then the KDC proxy only.
  const cloudPc = lab.azureAdJoinedClient(alice);
  await cloudPc.signIn();
  log(mi.accept((await cloudPc.initSecurityContext(mi.spn)).token).login);

  log(lab.trace.toText());
  log(lab.trace.toMermaid());
}
