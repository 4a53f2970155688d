// Word and line splitting shared by the quality filters. Spaced languages split on
// whitespace with punctuation stripped from word edges; unspaced scripts (Chinese,
// Japanese, Thai...) count each character as a word, the character-based measure
// FineWeb-2's Chinese settings are closest to without a segmenter.

const UNSPACED_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const TOKEN_UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{P}]+|\p{P}/gu;

/** True when a language is written without spaces between words. */
export function isUnspaced(lang: string | undefined): boolean {
  return lang === 'zh' || lang === 'ja' || lang === 'th';
}

/** Words of a text; for unspaced languages, characters (and runs of other scripts). */
export function splitWords(text: string, lang: string | undefined): string[] {
  if (isUnspaced(lang) || (lang === undefined && UNSPACED_CHAR.test(text))) return text.match(TOKEN_UNSPACED) ?? [];
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** Words of a document, cached on it while its text and language stay the same. */
export function wordsOf(doc: { text: string; lang?: string; wordCache?: { text: string; lang?: string; words: string[] } }): string[] {
  const c = doc.wordCache;
  if (c && c.text === doc.text && c.lang === doc.lang) return c.words;
  const words = splitWords(doc.text, doc.lang);
  doc.wordCache = { text: doc.text, lang: doc.lang, words };
  return words;
}

const NOT_SYMBOL = /[^\p{P}\p{S}]/u;

/** True when every character is punctuation or a symbol (ASCII fast path, then Unicode). */
export function isSymbolWord(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) return false;
    if (c > 127) return !NOT_SYMBOL.test(word);
  }
  return true;
}

const LETTER = /\p{L}/u;
/** True when the word has a letter of any script (ASCII fast path, then Unicode). */
export function hasLetter(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if ((c | 32) >= 97 && (c | 32) <= 122) return true;
    if (c > 127) return LETTER.test(word);
  }
  return false;
}

/** Non-empty trimmed lines. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}
