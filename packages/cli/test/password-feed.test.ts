/**
 * The feed of password changes a replica follows (`password-feed.ts`): whole
 * lines in order, a line still being written left for the next read, a line
 * that is no change skipped, a feed begun again by a restarted process (its
 * id line) read from its start, and the file created 0600.
 */

import { appendFileSync, chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendPasswordChange, createPasswordFeed, PasswordFeedReader } from '../src/password-feed';

const dir = mkdtempSync(join(tmpdir(), 'krbsim-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const change = (password: string) => ({ realm: 'A.TEST', principal: 'alice@A.TEST', password });

describe('the password-change feed', () => {
  it('is created 0600, and read in order, whole lines only', () => {
    const file = join(dir, 'order.jsonl');
    createPasswordFeed(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const reader = new PasswordFeedReader(file);
    expect(reader.read()).toEqual([]);
    appendPasswordChange(file, change('one'));
    appendPasswordChange(file, change('two'));
    expect(reader.read()).toEqual([change('one'), change('two')]);
    expect(reader.read()).toEqual([]);
    appendFileSync(file, '{"realm":"A.TEST","principal":"alice@A.TEST",');
    expect(reader.read()).toEqual([]);
    appendFileSync(file, '"password":"three"}\nnot a change\n{"realm":1}\n');
    expect(reader.read()).toEqual([change('three')]);
    expect(reader.skipped).toBe(2);
  });

  it('replaces a file already there, so its lines get 0600 whatever mode that one had', () => {
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, 'stale\n');
    chmodSync(file, 0o644);
    createPasswordFeed(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new PasswordFeedReader(file).read()).toEqual([]);
  });

  it('reads nothing, and says it is missing, while its file is gone (the primary stopped); then follows it again', () => {
    const file = join(dir, 'gone.jsonl');
    createPasswordFeed(file);
    const reader = new PasswordFeedReader(file);
    appendPasswordChange(file, change('one'));
    expect(reader.read()).toEqual([change('one')]);
    rmSync(file);
    expect(reader.read()).toEqual([]);
    expect(reader.missing).toBe(true);
    createPasswordFeed(file); // a primary started again: a new feed
    appendPasswordChange(file, change('two'));
    expect(reader.read()).toEqual([change('two')]);
    expect(reader.missing).toBe(false);
  });

  it('is read from its start again when its process began a new one, however long the new one grows', () => {
    const file = join(dir, 'restart.jsonl');
    createPasswordFeed(file);
    const reader = new PasswordFeedReader(file);
    appendPasswordChange(file, change('before-the-restart'));
    expect(reader.read()).toHaveLength(1);
    createPasswordFeed(file); // the process restarted: a new feed, under a new id
    for (const p of ['a-much-longer-password-than-before', 'another', 'and-a-third'])
      appendPasswordChange(file, change(p));
    expect(reader.read().map((c) => c.password)).toEqual([
      'a-much-longer-password-than-before',
      'another',
      'and-a-third',
    ]);
    expect(reader.restarts).toBe(1);
    expect(reader.skipped).toBe(0);
  });
});
