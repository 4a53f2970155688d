// The hand-written scanners must split exactly as the regexes written into tokenizer.json.

import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PATTERNS, regexSplitter, scanner, splitText, type PatternName } from './pretokenize.js';

const NAMES: PatternName[] = ['gpt2', 'gpt4', 'cjk'];
// characters where the patterns differ: letters, Han, digits (incl. non-ASCII), every
// kind of space and newline, apostrophes and contraction letters, punctuation, emoji,
// a lone surrogate, U+0085 (White_Space in Rust/Oniguruma, not in JS's \s), U+FEFF (the reverse)
const ALPHABET = [..."aZsStTdDmMlLrReEvV'  \t\n\r\u00a0\u0085\u3000\ufeff\u2028.,!?()-_#{}中文字汉語ひらがなカタカナ한국어0129٣५〇Ⅻ😀👍🏽\ud800\udfff", 'é', 'ß', '𠀀', '\u{1d400}'];

test('scanner splits like the regex on fixed examples', () => {
  const samples = [
    "Hello world, it's a TEST! I'M HERE we'll   spaces   \n\n\tend",
    '中文文本测试，你好世界。类型“{0}”不能赋给类型“{1}”。mixed中文English123',
    'def foo(x):\n    return x ** 2  # comment\r\n\r\n',
    '😀🎉 emoji 👍🏽 ' + ' '.repeat(50) + '\n'.repeat(5) + '  \n  x',
    "12345678 ٣٤٥ 3.14159 'abc' ''s 'S 'Ll",
  ];
  for (const name of NAMES) {
    const fast = scanner(name);
    const slow = regexSplitter(PATTERNS[name]);
    for (const s of samples) assert.deepEqual(splitText(fast, s), splitText(slow, s), `${name}: ${JSON.stringify(s)}`);
  }
});

test('scanner splits like the regex on random strings', () => {
  for (const name of NAMES) {
    const fast = scanner(name);
    const slow = regexSplitter(PATTERNS[name]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }), (chars) => {
        const s = chars.join('');
        assert.deepEqual(splitText(fast, s), splitText(slow, s));
      }),
      { numRuns: 3000 },
    );
  }
});

test('the cjk pattern keeps Han runs apart from Latin letters, digits and punctuation', () => {
  assert.deepEqual(splitText(scanner('cjk'), '我们用GPU训练了3个模型，效果很好。'), ['我们用', 'GPU', '训练了', '3', '个模型', '，', '效果很好', '。']);
  assert.deepEqual(splitText(scanner('gpt4'), '我们用GPU训练了3个模型'), ['我们用GPU训练了', '3', '个模型']);
});
