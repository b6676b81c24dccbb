/**
 * MIT speaks HTTPS to KDC proxies (MS-KKDCP) through its k5tls plugin
 * (Debian: krb5-k5tls). Suites that need it are skipped with a reason where
 * it is missing, or fail under KRBSIM_REQUIRE_MIT=1, like a missing tool.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeUnavailable, describeWithTools } from '../mit-tools';

/** MIT's TLS plugin, where distributions install it. */
function findK5tls(): string | undefined {
  const dirs = ['/usr/lib64', '/usr/lib', '/usr/local/lib', '/opt/homebrew/opt/krb5/lib'];
  try {
    for (const d of readdirSync('/usr/lib', { withFileTypes: true })) {
      if (d.isDirectory() && d.name.endsWith('-linux-gnu')) dirs.unshift(join('/usr/lib', d.name));
    }
  } catch {
    // no /usr/lib
  }
  return dirs.map((d) => join(d, 'krb5/plugins/tls/k5tls.so')).find((p) => existsSync(p));
}

/** `describeWithTools`, with MIT's k5tls plugin required too. */
export function describeWithK5tls(
  title: string,
  tools: readonly string[],
  body: (tools: Readonly<Record<string, string>>) => void,
): void {
  if (findK5tls() !== undefined) {
    describeWithTools(title, tools, body);
    return;
  }
  describeUnavailable(title, "MIT's k5tls plugin (krb5-k5tls) not found", 'install krb5-k5tls');
}
