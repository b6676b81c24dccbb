import { expect, it } from 'vitest';
import { connectableHost, connectableHostPort } from '../src/connect-address';

it('wildcard listen addresses become loopback; IPv6 is bracketed with a port', () => {
  expect(connectableHost('0.0.0.0')).toBe('127.0.0.1');
  expect(connectableHost('::')).toBe('::1');
  expect(connectableHost('[::]')).toBe('::1');
  expect(connectableHost('0:0:0:0:0:0:0:0')).toBe('::1');
  expect(connectableHost('127.0.0.2')).toBe('127.0.0.2');
  expect(connectableHost('kdc.contoso.com')).toBe('kdc.contoso.com');
  expect(connectableHostPort('0.0.0.0', 88)).toBe('127.0.0.1:88');
  expect(connectableHostPort('::', 88)).toBe('[::1]:88');
  expect(connectableHostPort('::1', 8888)).toBe('[::1]:8888');
  expect(connectableHostPort('localhost', 88)).toBe('localhost:88');
});
