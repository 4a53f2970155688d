// The PII prechecks (a regex search for digit runs, substring hints, colon counts) only
// skip detectors that could not match: redaction with them equals redaction running every
// detector, on texts built to sit at the edges of each fact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactPii } from './pii.js';
import { Rng, plantPii, lookAlikes } from './synth.js';

function same(t: string): void {
  assert.deepEqual(redactPii(t), redactPii(t, { precheck: false }), JSON.stringify(t));
}

// Items that make detectors fire, and pieces that continue, break or join their runs.
const r = new Rng(7);
const ITEMS = [...plantPii(r), ...plantPii(r), ...lookAlikes(r)].map((p) => p.value);
const GLUE = [
  ...'0123456789 .-()+:@_=ABXZafgz\n',
  '::',
  '00',
  '+86 ',
  'GB82',
  'DE89',
  'AKIA',
  'sk-',
  '.eyJ',
  'xoxb-',
  '_live_',
  'ghp_',
  'aws_secret_key=',
  '-----BEGIN ',
  'tel ',
  'version ',
  '中文',
  '\u3000',
  '\ud83d\ude00',
  '<EMAIL>',
];

test('prechecks agree with running every detector: items glued with run-joining pieces', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...ITEMS), fc.constantFrom(...GLUE)), { maxLength: 16 }), (parts) => same(parts.join(''))),
    { numRuns: 3000 },
  );
});

test('prechecks agree with running every detector: digit, dot and colon runs of any length', () => {
  const run = fc.array(fc.constantFrom(...'0123456789.:- ()+'), { maxLength: 40 }).map((cs) => cs.join(''));
  fc.assert(
    fc.property(fc.array(fc.oneof(run, fc.constantFrom(...GLUE)), { maxLength: 8 }), (parts) => same(parts.join(''))),
    { numRuns: 3000 },
  );
});

test('prechecks agree with running every detector: scans that start near the first hint', () => {
  // Local parts up to and past the 64 characters an email may have before its '@', with
  // other '@' and '+' before and after.
  const local = fc.array(fc.constantFrom(...'ab9.+-_%'), { minLength: 0, maxLength: 70 }).map((cs) => 'x' + cs.join(''));
  const piece = fc.oneof(local, fc.constantFrom('@', '@example.org', '.com', ' ', '+44 20 7946 0958', 'a@b', '@@', '\n', '中'));
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }), (parts) => same(parts.join(''))),
    { numRuns: 3000 },
  );
});

test('an IPv6 address ending in a bare "::" passes the colon precheck (once a gap)', () => {
  for (const t of ['a 2a00:: b', '2a00::', 'net 2a00:: and fe80::1', 'x 2a00::1 y']) {
    assert.equal(redactPii(t).text, redactPii(t, { precheck: false }).text, t);
  }
  assert.equal(redactPii('a 2a00:: b').text, 'a <IP_ADDRESS> b');
  assert.equal(redactPii('Note: a 12:30 b').text, 'Note: a 12:30 b');
});

test('prechecks agree with running every detector: odd texts', () => {
  const odd = ['', ' ', '1', '12', 'AB12', 'A', ':', '::', '::1', '1.2.3.4', '8.8.8.8', '中文 8.8.8.8 中文', '\ud83d\ude00+1 415 555 0100'];
  for (const t of [...odd, '0'.repeat(5000), ' 1'.repeat(3000)]) same(t);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (t) => same(t)),
    { numRuns: 2000 },
  );
});
