// Personal-data detection: every planted type is found (recall >= 0.95 over many random
// instances), no look-alike is touched, and the validators match their published rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactPii, luhn, validIban, validCnId, validSsn, globalIPv4, globalIPv6 } from './pii.js';
import { Rng, plantPii, lookAlikes } from './synth.js';

test('validators follow the published check rules', () => {
  assert.ok(luhn('4111111111111111'));
  assert.ok(!luhn('4111111111111112'));
  assert.ok(validIban('GB82 WEST 1234 5698 7654 32'));
  assert.ok(validIban('DE89370400440532013000'));
  assert.ok(!validIban('DE89370400440532013001'));
  // GB 11643 example from the standard's annex.
  assert.ok(validCnId('11010519491231002X'));
  assert.ok(!validCnId('110105194912310021'));
  assert.ok(!validCnId('110105194913310024'), 'month 13 is no birth date');
  assert.ok(validSsn('123-45-6789'));
  for (const s of ['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000']) assert.ok(!validSsn(s), s);
  assert.ok(globalIPv4('8.8.8.8'));
  for (const ip of ['10.1.2.3', '192.168.0.1', '172.20.1.1', '127.0.0.1', '203.0.113.9', '224.0.0.1', '100.64.0.1']) assert.ok(!globalIPv4(ip), ip);
  assert.ok(globalIPv6('2a03:2880:f12f:83:face:b00c:0:25de'));
  for (const ip of ['::1', 'fe80::1', 'fd00::1', '2001:db8::1']) assert.ok(!globalIPv6(ip), ip);
});

test('recall on planted personal data of every type is at least 0.95, with typed placeholders', () => {
  const r = new Rng(42);
  const found: Record<string, [number, number]> = {};
  for (let i = 0; i < 200; i++) {
    for (const p of plantPii(r)) {
      const out = redactPii(p.sentence);
      const hit = !out.text.includes(p.value) && out.text.includes(`<${p.type}>`) && (out.counts as Record<string, number>)[p.type]! >= 1;
      const f = (found[p.type] ??= [0, 0]);
      f[0] += hit ? 1 : 0;
      f[1]++;
    }
  }
  assert.deepEqual(Object.keys(found).sort(), ['ACCESS_KEY', 'CN_ID', 'CREDIT_CARD', 'EMAIL', 'IBAN', 'IP_ADDRESS', 'PHONE', 'PRIVATE_KEY', 'TOKEN', 'US_SSN']);
  for (const [type, [hit, n]] of Object.entries(found)) assert.ok(hit / n >= 0.95, `${type}: recall ${hit}/${n}`);
});

test('no look-alike is redacted (order numbers, timestamps, versions, private IPs, bad checksums)', () => {
  for (const seed of [1, 2, 3]) {
    for (const l of lookAlikes(new Rng(seed))) {
      const out = redactPii(l.sentence);
      assert.equal(out.text, l.sentence, `${l.type} "${l.value}" was changed to: ${out.text}`);
    }
  }
});

test('surrounding text is kept and each item is counted once', () => {
  const out = redactPii('Mail ana@example.org, then bob@example.com; card 4111 1111 1111 1111 or IBAN GB82 WEST 1234 5698 7654 32 OK.');
  assert.equal(out.text, 'Mail <EMAIL>, then <EMAIL>; card <CREDIT_CARD> or IBAN <IBAN> OK.');
  assert.deepEqual(out.counts, { EMAIL: 2, IBAN: 1, CREDIT_CARD: 1 });
});

test('the prechecks only skip detectors that could not match', () => {
  // Texts from pieces of every kind of item, look-alikes and separators, glued at random:
  // redaction with the prechecks equals redaction running every detector.
  const r = new Rng(23);
  const pieces = [' ', '.', ':', '::', '-', '+', '(', ')', '\n', 'Note: ', 'fe80', 'db8', 'ab', 'AB', 'GB', 'DE', '12', '2001', '192', '8', '10.0', 'x', ' 2606::1 ', ' 2a00::5 ', ' 2a00:: ', ' 8.8.8.8 '];
  for (let i = 0; i < 400; i++) pieces.push(...plantPii(r).map((p) => p.sentence), ...lookAlikes(r).map((p) => p.sentence));
  for (let i = 0; i < 3000; i++) {
    let t = '';
    for (let j = 1 + r.int(12); j > 0; j--) t += pieces[r.int(pieces.length)];
    assert.deepEqual(redactPii(t), redactPii(t, { precheck: false }), JSON.stringify(t));
  }
});
