// HTML extraction and charset decoding: main text kept, boilerplate dropped; charsets
// from headers and meta tags, GBK/GB18030/Big5 included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { extractHtml } from './html.js';
import { decodeBytes } from './charset.js';
import { Rng, enDoc, htmlPage } from './synth.js';

test('keeps title and paragraphs, drops navigation, cookie banner, sidebar, footer, scripts', () => {
  const r = new Rng(1);
  const body = enDoc(r, 3);
  const { title, text } = extractHtml(htmlPage(r, 'A long walk along the northern coast', body));
  assert.equal(title, 'A long walk along the northern coast');
  const lines = text.split('\n');
  assert.equal(lines[0], 'A long walk along the northern coast');
  assert.deepEqual(lines.slice(1), body.split('\n\n'));
  for (const junk of ['cookies', 'Copyright', 'Related stories', 'Travel', 'About us', 'tracking', 'margin']) assert.ok(!text.includes(junk), junk);
});

test('without <main>, link lists are dropped and block structure becomes lines', () => {
  const html = `<html><body><div class="content"><h2>Opening hours</h2><p>The museum opens at nine &amp; closes at five.</p>
  <ul><li><a href="/1">One</a></li><li><a href="/2">Two</a></li></ul><p>Entry is free on <a href="/s">Sundays</a> for everyone.</p></div></body></html>`;
  assert.equal(extractHtml(html).text, 'Opening hours\nThe museum opens at nine & closes at five.\nEntry is free on Sundays for everyone.');
});

test('charset from meta tag, Content-Type header, or sniffed; GBK, GB18030 and Big5', () => {
  const zh = '<html><head><meta charset="gbk"></head><body><p>数据处理很重要。</p></body></html>';
  assert.equal(decodeBytes(iconv.encode(zh, 'gbk')).text, zh);
  const big5 = '<meta http-equiv="Content-Type" content="text/html; charset=big5"><p>資料處理很重要。</p>';
  assert.equal(decodeBytes(iconv.encode(big5, 'big5')).text, big5);
  const plain = '<p>中文网页没有声明编码。</p>';
  const d = decodeBytes(iconv.encode(plain, 'gb18030'));
  assert.equal(d.text, plain);
  assert.equal(d.charset, 'gb18030');
  assert.equal(decodeBytes(iconv.encode('<p>café</p>', 'windows-1252'), 'text/html; charset=ISO-8859-1').text, '<p>café</p>');
  assert.equal(decodeBytes(Buffer.from('<p>naïve</p>')).charset, 'utf-8');
  const broken = decodeBytes(Buffer.from([0x3c, 0x70, 0x3e, 0xff, 0xfe, 0x41]), 'text/html; charset=utf-8');
  assert.ok(broken.invalid);
});
