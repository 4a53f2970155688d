// Shared by the tokenizer tests: a small training corpus and a compatibility corpus of
// English, Chinese, code, emoji and long whitespace runs, all from text shipped in the
// installed `typescript` package (its zh-cn/zh-tw/ja message catalogues, lib .d.ts files
// with English doc comments, and its own JavaScript), so no download is needed.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const tsLib = dirname(createRequire(import.meta.url).resolve('typescript/lib/typescript.js'));

function messages(lang: string): string[] {
  return Object.values(JSON.parse(readFileSync(join(tsLib, lang, 'diagnosticMessages.generated.json'), 'utf8')) as Record<string, string>);
}

/** About 1.5 MB of mixed text for training small tokenizers in tests. */
export function trainingText(): string {
  return [
    messages('zh-cn').join('\n'),
    messages('ja').slice(0, 500).join('\n'),
    readFileSync(join(tsLib, 'lib.es5.d.ts'), 'utf8'),
    readFileSync(join(tsLib, 'typescript.js'), 'utf8').slice(0, 600_000),
  ].join('\n');
}

/** Texts the compatibility tests compare ids on. */
export function compatCorpus(): string[] {
  const zhTw = messages('zh-tw');
  const code = readFileSync(join(tsLib, 'typescript.js'), 'utf8');
  const dom = readFileSync(join(tsLib, 'lib.dom.d.ts'), 'utf8');
  return [
    "Hello world, it's a test! I'M SHOUTING, they'll see. Don't we've?",
    'The quick brown fox jumps over the lazy dog 1234567890 times; 3.14159, 2,718.',
    '中文文本测试，你好世界。我们用GPU训练了3个模型，效果很好！“引号”和《书名》',
    zhTw.slice(0, 200).join('\n'),
    'def foo(x):\n    return x ** 2  # comment\n\n\nclass Bar:\n\tpass\r\n',
    code.slice(100_000, 130_000),
    dom.slice(50_000, 80_000),
    '😀🎉 emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 ✓ ★ ❤️',
    ' '.repeat(300) + 'x' + '\n'.repeat(40) + '\t'.repeat(17) + ' \n \n' + ' '.repeat(1000),
    'Ünïcödé àccents, ß, Ελληνικά, русский текст, العربية, हिन्दी, 한국어, ひらがなカタカナ',
    "<|endoftext|> is ordinary text here; so is <|im_start|>.",
  ];
}
