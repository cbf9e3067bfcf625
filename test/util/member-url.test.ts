import { describe, expect, it } from 'vitest';
import { memberUrlProblem } from '../../src/util/member-url.js';

describe('memberUrlProblem (flags and member add/update share it)', () => {
  it.each([
    'http://127.0.0.1:2380',
    'https://m1.example:2380',
    'http://[::1]:2380',
    'http://127.0.0.1:2380/',
  ])('accepts %s', (url) => {
    expect(memberUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://127.0.0.1:2380', 'must use http:// or https://'],
    ['unix://sock:1', 'must use http:// or https://'],
    ['http://127.0.0.1', 'needs an explicit port'],
    ['http://127.0.0.1:2380/raft', 'must not have a path'],
    ['http://127.0.0.1:2380?x=1', 'must not have a query or fragment'],
    ['http://127.0.0.1:2380/?', 'must not have a query or fragment'],
    ['http://127.0.0.1:2380#peer', 'must not have a query or fragment'],
    ['http://user:pw@127.0.0.1:2380', 'must not have user info'],
  ])('refuses %s: %s', (url, problem) => {
    expect(memberUrlProblem(url)).toBe(problem);
  });
});
