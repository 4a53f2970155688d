// Main-text extraction from HTML: keeps the title, headings and paragraphs; drops
// scripts, styles, navigation, headers, footers, asides, forms, cookie banners and other
// boilerplate found by tag, role, class or id; drops link lists (blocks whose text is
// mostly inside links). When the page marks its content with <main> or <article>, only
// that content is kept. Not a trafilatura port: a small, fast heuristic extractor.

import { Parser } from 'htmlparser2';

const SKIP_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'nav', 'footer', 'aside', 'form', 'button', 'select', 'textarea', 'menu', 'dialog', 'head']);
const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol', 'dl', 'dt', 'dd',
  'blockquote', 'pre', 'table', 'tr', 'td', 'th', 'br', 'hr', 'figure', 'figcaption', 'address', 'body', 'title', 'caption', 'summary', 'details',
]);
const BOILERPLATE = /(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|header|masthead|sidebar|cookies?|consent|gdpr|banner|advert|ads?|sponsor|promo|share|social|subscribe|newsletter|related|popup|modal|skip|signup|login|copyright|widget|pagination|comments?)(?:$|[\s_-])/i;
const BOILER_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'dialog', 'alert', 'menu', 'menubar']);

interface Block {
  text: string;
  linkChars: number;
  inMain: boolean;
  heading: boolean;
}

/** Extracts the title and main text of an HTML page as plain text with one block per line. */
export function extractHtml(html: string): { title: string; text: string } {
  const blocks: Block[] = [];
  let cur = '';
  let curLink = 0;
  let skipDepth = 0; // > 0 inside a skipped subtree
  const stack: { tag: string; skip: boolean; main: boolean }[] = [];
  let mainDepth = 0;
  let linkDepth = 0;
  let inTitle = false;
  let title = '';
  let headingDepth = 0;
  let blockHeading = false;

  const flush = () => {
    const t = cur.replace(/\s+/g, ' ').trim();
    if (t) blocks.push({ text: t, linkChars: Math.min(curLink, t.length), inMain: mainDepth > 0, heading: blockHeading });
    cur = '';
    curLink = 0;
    blockHeading = headingDepth > 0;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'title' && skipDepth <= 1 && !title) inTitle = true;
        const role = attribs.role?.toLowerCase();
        const marker = `${attribs.class ?? ''} ${attribs.id ?? ''}`;
        const skip =
          SKIP_TAGS.has(name) ||
          (role !== undefined && BOILER_ROLES.has(role)) ||
          (name !== 'body' && name !== 'html' && name !== 'main' && name !== 'article' && BOILERPLATE.test(marker)) ||
          attribs.hidden !== undefined ||
          attribs['aria-hidden'] === 'true' ||
          /display\s*:\s*none/i.test(attribs.style ?? '');
        const main = name === 'main' || name === 'article' || role === 'main';
        stack.push({ tag: name, skip, main });
        if (skip) skipDepth++;
        if (main) mainDepth++;
        if (name === 'a') linkDepth++;
        if (BLOCK_TAGS.has(name)) flush();
        if (/^h[1-6]$/.test(name)) {
          headingDepth++;
          blockHeading = true;
        }
      },
      ontext(text) {
        if (inTitle) {
          title += text;
          return;
        }
        if (skipDepth > 0) return;
        cur += text;
        if (linkDepth > 0) curLink += text.replace(/\s+/g, ' ').trim().length;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        // Pop to the matching open tag (htmlparser2 closes implied tags for us in order).
        for (let i = stack.length - 1; i >= 0; i--) {
          if (stack[i]!.tag !== name) continue;
          while (stack.length > i) {
            const e = stack.pop()!;
            if (e.skip) skipDepth--;
            if (e.main) mainDepth--;
            if (e.tag === 'a') linkDepth--;
            if (BLOCK_TAGS.has(e.tag)) flush();
            if (/^h[1-6]$/.test(e.tag)) headingDepth--;
          }
          break;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  flush();

  const hasMain = blocks.some((b) => b.inMain);
  const lines: string[] = [];
  const t = title.replace(/\s+/g, ' ').trim();
  for (const b of blocks) {
    if (hasMain && !b.inMain) continue;
    // A block that is mostly link text is a menu or a list of related links.
    if (b.linkChars > 0 && b.linkChars / b.text.length > 0.5) continue;
    lines.push(b.text);
  }
  // The title goes first unless the first heading already says it.
  if (t && !(lines[0] && (t.includes(lines[0]) || lines[0].includes(t)))) lines.unshift(t);
  return { title: t, text: lines.join('\n') };
}
