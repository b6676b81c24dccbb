/**
 * The common case in one call: a lab with an on-prem user, a managed
 * instance enabled for Windows authentication with a login for that user,
 * the cloud trust, and a signed-in Windows client, so a test that needs a
 * token the instance accepts writes one line:
 *
 * ```ts
 * await using qs = createAzureSqlMiLab.quickStart();
 * const session = await qs.connect(); // session.login === 'CONTOSO\\alice'
 * ```
 *
 * Everything it sets up is an ordinary lab object (`qs.lab`, `qs.user`,
 * `qs.instance`, `qs.client`), so a test can change any of it afterwards to
 * make one step fail.
 *
 * @module
 */

import type { AdJoinedClient } from './ad-joined-client';
import type { AzureAdJoinedClient } from './azure-ad-joined-client';
import { downLevelLogonName, type OnPremUser } from './directory';
import type { AzureSqlMiLab, AzureSqlMiLabOptions } from './lab';
import type {
  AuthenticationMetadataMode,
  ManagedInstance,
  ManagedInstanceOptions,
  SqlSession,
} from './managed-instance';

/** Options for `createAzureSqlMiLab.quickStart`: the lab's own, and what to set up in it. */
export interface AzureSqlMiQuickStartOptions extends AzureSqlMiLabOptions {
  /** The on-prem user's sAMAccountName. Default `alice`. */
  readonly user?: string;
  /** Its password. Default `correct horse battery staple`. */
  readonly password?: string;
  /** The managed instance. Default `{ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' }`. */
  readonly instance?: ManagedInstanceOptions;
  /**
   * Which client signs in: `trust` (default), an AD-joined client with the
   * incoming trust-based flow, or `modern`, an Azure AD-joined client with
   * the modern interactive flow (cloud TGT from the PRT).
   */
  readonly flow?: 'trust' | 'modern';
  /**
   * The instance's authentication metadata mode, and so the login made for
   * the user: `Windows` (default; `[CONTOSO\alice] FROM WINDOWS`), `AzureAD`
   * (`[alice@contoso.com] FROM EXTERNAL PROVIDER`) or `Paired` (both).
   */
  readonly authenticationMetadata?: AuthenticationMetadataMode;
}

/** What `createAzureSqlMiLab.quickStart` returns: everything a test needs, ready. */
export interface AzureSqlMiQuickStart {
  readonly lab: AzureSqlMiLab;
  /** The on-prem user, synced to the tenant. */
  readonly user: OnPremUser;
  /** The managed instance: every prerequisite met, a login for the user, Proxy connections. */
  readonly instance: ManagedInstance;
  /** The Windows client the user is signed in to (AD-joined for `trust`, Azure AD-joined for `modern`). */
  readonly client: AdJoinedClient | AzureAdJoinedClient;
  /**
   * A fresh security token (SPNEGO) for the instance's SPN, from the client:
   * the first call runs the whole flow (AS, TGS, referral, Azure AD through
   * the KDC proxy), later ones reuse the cached service ticket.
   */
  getToken(): Promise<Uint8Array>;
  /**
   * Logs in to the instance: a token from {@link getToken}, accepted by the
   * instance, and the instance's answer checked by the client (mutual
   * authentication). Resolves with the SQL session.
   */
  connect(): Promise<SqlSession>;
  /** Closes what the lab opened (`lab[Symbol.asyncDispose]`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Sets up the common case in `lab` (see the module documentation). */
export function quickStartIn(
  lab: AzureSqlMiLab,
  opts: AzureSqlMiQuickStartOptions = {},
): AzureSqlMiQuickStart {
  const user = lab.onPrem.addUser(opts.user ?? 'alice', {
    password: opts.password ?? 'correct horse battery staple',
  });
  const instance = lab.addManagedInstance(
    opts.instance ?? { name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' },
  );
  instance.enableWindowsAuthenticationPrerequisites();
  const mode = opts.authenticationMetadata ?? 'Windows';
  instance.authenticationMetadata = mode;
  if (mode !== 'AzureAD') instance.createLogin(downLevelLogonName(user), 'WINDOWS');
  if (mode !== 'Windows') instance.createLogin(user.upn, 'EXTERNAL PROVIDER');
  lab.setupCloudTrust();
  const client = opts.flow === 'modern' ? lab.azureAdJoinedClient(user) : lab.adJoinedClient(user);
  const context = () => client.initSecurityContext(instance.spn);
  return {
    lab,
    user,
    instance,
    client,
    getToken: async () => (await context()).token,
    async connect() {
      const ctx = await context();
      const session = instance.accept(ctx.token, client.participant);
      if (session.responseToken !== undefined) ctx.complete(session.responseToken);
      return session;
    },
    [Symbol.asyncDispose]: () => lab[Symbol.asyncDispose](),
  };
}
