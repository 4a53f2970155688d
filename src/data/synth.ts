// A deterministic synthetic corpus: English and Chinese prose from templates over a
// varied vocabulary (so that distinct documents are far apart for MinHash and pass the
// quality filters), plus the planted cases the tests and the benchmark need: duplicates,
// personal data and look-alikes, boilerplate HTML, mojibake and low-quality pages.

import iconv from 'iconv-lite';

/** mulberry32: a small seeded PRNG, so every corpus is reproducible. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
}

const W = (s: string) => s.trim().split(/\s+/);
const NOUN = W(`river mountain village teacher engineer garden library market bridge harbor forest valley museum festival
  orchard factory island desert canyon lighthouse workshop kitchen theater stadium meadow glacier volcano cathedral
  railway tunnel airport hospital bakery vineyard laboratory observatory monastery fortress castle cottage farmhouse
  painter sailor farmer doctor student author musician merchant soldier scientist carpenter gardener librarian pilot
  notebook lantern compass telescope violin piano bicycle wagon ladder basket blanket candle mirror window doorway
  committee council company school university newspaper journal archive exhibition conference tournament expedition
  storm harvest winter summer autumn spring morning evening midnight sunrise sunset journey voyage discovery argument
  recipe melody painting sculpture manuscript letter story legend rumor promise secret memory habit tradition custom
  machine engine battery circuit signal network protocol database algorithm satellite rocket microscope turbine`);
const ADJ = W(`quiet ancient modern careful patient curious brave gentle famous hidden narrow wide bright dark
  cold warm heavy light rapid slow silent noisy golden silver wooden broken fragile sturdy remote local foreign
  familiar strange humble proud clever honest generous stubborn cheerful anxious elegant simple complex rural urban
  northern southern eastern western coastal mountainous crowded empty fertile barren precise rough smooth tiny enormous`);
const VERB = W(`visited repaired described painted studied explored protected measured designed crossed opened
  closed built planted collected examined reported discovered improved organized celebrated translated published
  restored followed watched recorded questioned defended replaced carried abandoned mapped photographed inspected
  borrowed returned delivered prepared cleaned decorated admired criticized praised ignored remembered imagined`);
const ADV = W(`slowly quickly carefully quietly suddenly eventually rarely often gladly reluctantly proudly honestly
  easily barely nearly finally openly warmly briefly gently firmly`);
const NAME = W(`Maria Ahmed Lena Tomas Aiko Pavel Grace Omar Nadia Lucas Priya Jonas Elena Mateo Chloe Ivan Sara
  Diego Hannah Kenji Fatima Oliver Ingrid Samuel Leila Marco Anya Victor Rosa Daniel`);
const PLACE = W(`Lisbon Oslo Nairobi Kyoto Quito Krakow Dublin Hanoi Lima Tunis Bergen Porto Seville Tallinn
  Valparaiso Cork Lyon Gdansk Malmo Trieste Galway Bruges Salzburg Ghent Leuven Aarhus Turku Riga Vilnius Zagreb`);
const CONJ = W(`because although while after before since unless whenever`);

/** One English sentence from a random template. */
export function enSentence(r: Rng): string {
  const n = () => r.pick(NOUN);
  const a = () => r.pick(ADJ);
  const v = () => r.pick(VERB);
  const t = r.int(12);
  let s: string;
  switch (t) {
    case 0: s = `The ${a()} ${n()} in ${r.pick(PLACE)} was ${v()} by a ${a()} ${n()}`; break;
    case 1: s = `${r.pick(NAME)} ${r.pick(ADV)} ${v()} the ${n()} near the ${a()} ${n()}`; break;
    case 2: s = `When the ${n()} ${v()} our ${n()}, everyone ${v()} the ${a()} ${n()} with ${r.pick(NAME)}`; break;
    case 3: s = `Few people know that the ${n()} of ${r.pick(PLACE)} has ${v()} its ${a()} ${n()} for years`; break;
    case 4: s = `${r.pick(NAME)} and ${r.pick(NAME)} ${v()} a ${a()} ${n()} ${r.pick(CONJ)} the ${n()} was ${a()}`; break;
    case 5: s = `It is said that a ${a()} ${n()} once ${v()} every ${n()} in the ${a()} ${n()}`; break;
    case 6: s = `Why would anyone have ${v()} the ${n()} that ${r.pick(NAME)} ${v()} last ${r.pick(['week', 'month', 'year', 'spring'])}`; break;
    case 7: s = `After the ${n()}, the ${a()} ${n()} ${r.pick(ADV)} ${v()} to ${r.pick(PLACE)}`; break;
    case 8: s = `Our ${n()} has ${r.int(90) + 3} ${n()}s, and each of them ${v()} a ${a()} ${n()}`; break;
    case 9: s = `Nobody ${v()} the ${a()} ${n()} ${r.pick(CONJ)} ${r.pick(NAME)} ${v()} it with a ${n()}`; break;
    case 10: s = `In ${1800 + r.int(220)} a ${a()} ${n()} from ${r.pick(PLACE)} ${v()} the first ${n()}`; break;
    default: s = `They ${v()} ${r.pick(ADV)}, and the ${n()} ${v()} a ${a()} ${n()} with the ${n()}`;
  }
  return s + r.pick(['.', '.', '.', '.', '!', '?']).replace('?', t === 6 ? '?' : '.');
}

/** An English document of `paragraphs` paragraphs. */
export function enDoc(r: Rng, paragraphs = 3 + r.int(4)): string {
  const ps: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const ss: string[] = [];
    for (let i = 0, k = 3 + r.int(4); i < k; i++) ss.push(enSentence(r));
    ps.push(ss.join(' '));
  }
  return ps.join('\n\n');
}

const ZH_WHO = W(`我们 老师 学生 工程师 医生 农民 作家 记者 科学家 画家 厨师 司机 邻居 朋友 孩子们 父母 市长 研究人员 志愿者 游客`);
const ZH_PLACE = W(`北京 上海 杭州 成都 西安 广州 南京 武汉 昆明 青岛 苏州 重庆 厦门 大连 桂林 拉萨 哈尔滨 长沙 郑州 兰州`);
const ZH_WHERE = W(`图书馆 博物馆 公园 菜市场 火车站 学校 医院 工厂 山谷 河边 海港 村庄 广场 实验室 书店 剧院 花园 码头 古镇 田野`);
const ZH_VERB = W(`参观 修理 描述 研究 探索 保护 测量 设计 建造 种植 收集 检查 报道 发现 改进 组织 庆祝 翻译 出版 修复 记录 讨论 整理 拍摄`);
const ZH_OBJ = W(`古老的桥梁 新的铁路 一座灯塔 一片森林 传统节日 地方戏曲 手工艺品 历史档案 一台机器 城市地图 河流的源头 山上的寺庙
  老街的房子 学校的花园 村里的水井 博物馆的藏品 一本旧书 一首民歌 海边的渔船 山区的公路 新的图书馆 一份报告 一种新药 气象数据`);
const ZH_TIME = W(`去年 今年春天 上个月 昨天下午 那年冬天 很久以前 前几天 每天早上 周末 秋天的时候 夏天 二十年前`);
const ZH_ADJ = W(`安静 热闹 美丽 古老 现代 宽阔 狭窄 明亮 温暖 寒冷 干净 繁忙 偏远 著名 普通 特别`);

/** One Chinese sentence from a random template. */
export function zhSentence(r: Rng): string {
  const t = r.int(8);
  const who = () => r.pick(ZH_WHO);
  switch (t) {
    case 0: return `${r.pick(ZH_TIME)}，${who()}在${r.pick(ZH_PLACE)}的${r.pick(ZH_WHERE)}${r.pick(ZH_VERB)}了${r.pick(ZH_OBJ)}。`;
    case 1: return `${r.pick(ZH_PLACE)}是一个${r.pick(ZH_ADJ)}的地方，${who()}常常去${r.pick(ZH_WHERE)}${r.pick(ZH_VERB)}${r.pick(ZH_OBJ)}。`;
    case 2: return `为什么${who()}要${r.pick(ZH_VERB)}${r.pick(ZH_OBJ)}呢？`;
    case 3: return `${who()}和${who()}一起${r.pick(ZH_VERB)}了${r.pick(ZH_OBJ)}，大家都觉得很${r.pick(ZH_ADJ)}。`;
    case 4: return `据说${r.pick(ZH_TIME)}有${r.int(90) + 2}位${who()}在${r.pick(ZH_WHERE)}${r.pick(ZH_VERB)}过${r.pick(ZH_OBJ)}。`;
    case 5: return `${r.pick(ZH_WHERE)}里${r.pick(ZH_ADJ)}极了，${who()}正在${r.pick(ZH_VERB)}${r.pick(ZH_OBJ)}！`;
    case 6: return `${1900 + r.int(120)}年，${r.pick(ZH_PLACE)}的${who()}第一次${r.pick(ZH_VERB)}了${r.pick(ZH_OBJ)}。`;
    default: return `虽然${r.pick(ZH_WHERE)}很${r.pick(ZH_ADJ)}，但是${who()}还是${r.pick(ZH_VERB)}了${r.pick(ZH_OBJ)}。`;
  }
}

/** A Chinese document. */
export function zhDoc(r: Rng, paragraphs = 3 + r.int(3)): string {
  const ps: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    let s = '';
    for (let i = 0, k = 4 + r.int(4); i < k; i++) s += zhSentence(r);
    ps.push(s);
  }
  return ps.join('\n\n');
}

/** Changes about `fraction` of the words (or characters, for Chinese) of a text; at least one. */
export function perturb(r: Rng, text: string, fraction: number, zh = false): string {
  if (zh) {
    const out = text.replace(/[\u4e00-\u9fff]/g, (c) => (r.next() < fraction ? r.pick(ZH_CHARS) : c));
    return out !== text ? out : text.replace(/[\u4e00-\u9fff]/, (c) => (c === '山' ? '水' : '山'));
  }
  const words = text.split(' ');
  let changed = false;
  const out = words.map((w) => {
    if (r.next() >= fraction) return w;
    const n = r.pick(NOUN);
    changed ||= n !== w;
    return n;
  });
  if (!changed) out[out.length >> 1] = out[out.length >> 1] === 'lantern' ? 'compass' : 'lantern';
  return out.join(' ');
}

const ZH_CHARS = [...'的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经'];

// ---- personal data --------------------------------------------------------------------

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let x = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return String((10 - (sum % 10)) % 10);
}

function mod97(s: string): number {
  let m = 0;
  for (const ch of s) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) m = (m * 10 + Number(d)) % 97;
  }
  return m;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (r: Rng, set: string, n: number) => Array.from({ length: n }, () => set[r.int(set.length)]).join('');

/** A planted item: the exact string, its type, and the sentence that carries it. */
export interface Planted {
  type: string;
  value: string;
  sentence: string;
}

/** Valid personal data of every type, each in a short sentence. */
export function plantPii(r: Rng): Planted[] {
  const name = r.pick(NAME);
  const out: Planted[] = [];
  const add = (type: string, value: string, sentence: string) => out.push({ type, value, sentence });
  const email = `${name.toLowerCase()}.${r.pick(NOUN)}${r.int(100)}@${r.pick(['example.org', 'mail.example.com', 'uni-bergen.no', 'post.example.co.uk'])}`;
  add('EMAIL', email, `You can write to ${name} at ${email} about the ${r.pick(NOUN)}.`);
  const intl = `+44 20 7946 ${r.digits(4)}`;
  add('PHONE', intl, `The office in London answers on ${intl} during the week.`);
  const us = `(${2 + r.int(8)}${r.digits(2)}) ${2 + r.int(8)}${r.digits(2)}-${r.digits(4)}`;
  add('PHONE', us, `For the ${r.pick(NOUN)} tour, call ${us} before noon.`);
  const cn = `1${3 + r.int(7)}${r.digits(9)}`;
  add('PHONE', cn, `如有问题请拨打手机${cn}联系我们。`);
  const cn86 = `+86 1${3 + r.int(7)}${r.digits(1)} ${r.digits(4)} ${r.digits(4)}`;
  add('PHONE', cn86, `Our Shanghai desk is at ${cn86} for urgent questions.`);
  const ip4 = `${r.pick([23, 31, 45, 81, 88, 104, 151, 185])}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
  add('IP_ADDRESS', ip4, `The requests came from ${ip4} late at night.`);
  const ip6 = `2a0${r.int(9)}:${chars(r, '0123456789abcdef', 4)}:${chars(r, '0123456789abcdef', 3)}::${chars(r, '0123456789abcdef', 4)}`;
  add('IP_ADDRESS', ip6, `Another visitor used the address ${ip6} for the upload.`);
  const body = '4' + r.digits(14);
  const card = (body + luhnDigit(body)).replace(/(\d{4})(?=\d)/g, '$1 ');
  add('CREDIT_CARD', card, `She paid with the card ${card} at the market.`);
  const mc = '5' + (1 + r.int(5)) + r.digits(13);
  const mcCard = mc + luhnDigit(mc);
  add('CREDIT_CARD', mcCard, `The booking used card number ${mcCard} last month.`);
  const bban = r.digits(18);
  const check = String(98 - mod97(bban + 'DE00')).padStart(2, '0');
  const iban = `DE${check}${bban}`.replace(/(.{4})(?=.)/g, '$1 ');
  add('IBAN', iban, `Transfer the fee to ${iban} by Friday.`);
  const y = 1950 + r.int(55);
  const id17 = `110101${y}${String(1 + r.int(12)).padStart(2, '0')}${String(1 + r.int(28)).padStart(2, '0')}${r.digits(3)}`;
  const W17 = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...id17].reduce((s, d, i) => s + Number(d) * W17[i]!, 0);
  const cnid = id17 + '10X98765432'[sum % 11];
  add('CN_ID', cnid, `申请人的身份证号码是${cnid}，请核对。`);
  const ssn = `${100 + r.int(500)}-${String(1 + r.int(98)).padStart(2, '0')}-${String(1 + r.int(9998)).padStart(4, '0')}`;
  add('US_SSN', ssn, `His social security number, ${ssn}, was on the form.`);
  const key = `-----BEGIN RSA PRIVATE KEY-----\n${chars(r, B64, 64)}\n${chars(r, B64, 64)}\n${chars(r, B64, 20)}==\n-----END RSA PRIVATE KEY-----`;
  add('PRIVATE_KEY', key, `The leaked file contained\n${key}\nand nothing else.`);
  const aws = `AKIA${chars(r, UPNUM, 16)}`;
  add('ACCESS_KEY', aws, `The script used the access key ${aws} for uploads.`);
  const gkey = `AIza${chars(r, ALNUM + '_-', 35)}`;
  add('ACCESS_KEY', gkey, `The map widget embeds ${gkey} in its code.`);
  const gh = `ghp_${chars(r, ALNUM, 36)}`;
  add('TOKEN', gh, `Someone pasted the token ${gh} into the chat.`);
  const slack = `xoxb-${r.digits(12)}-${chars(r, ALNUM, 24)}`;
  add('TOKEN', slack, `The bot token ${slack} should have been rotated.`);
  return out;
}

/** Strings that look like personal data but are not, each in a sentence; none may be redacted. */
export function lookAlikes(r: Rng): Planted[] {
  const out: Planted[] = [];
  const add = (type: string, value: string, sentence: string) => out.push({ type, value, sentence });
  const body = '4' + r.digits(14);
  const bad = body + String((Number(luhnDigit(body)) + 1 + r.int(8)) % 10);
  add('order number (fails Luhn)', bad, `Your order number is ${bad} and it ships soon.`);
  add('unix timestamp', '1700000000', 'The log line was stamped 1700000000 by the server.');
  add('millisecond timestamp', '1712345678901', 'The event time 1712345678901 was stored in milliseconds.');
  add('date and time', '2024-03-05 12:30:45', 'The meeting ended at 2024-03-05 12:30:45 as planned.');
  add('version string', 'version 2.4.1.0', 'Please install version 2.4.1.0 of the tool.');
  add('private IPv4', '192.168.1.20', 'The printer sits at 192.168.1.20 on the office network.');
  add('loopback IPv4', '127.0.0.1', 'The service listens on 127.0.0.1 only.');
  add('documentation IPv4', '203.0.113.7', 'The manual uses 203.0.113.7 as its example.');
  add('documentation IPv6', '2001:db8::1', 'The example address 2001:db8::1 appears in every guide.');
  add('clock time', '12:30:45', 'The train left at 12:30:45 exactly.');
  add('MAC address', '00:1a:2b:3c:4d:5e', 'The device reported the hardware address 00:1a:2b:3c:4d:5e to us.');
  add('IBAN with a bad checksum', 'DE00 1234 5678 9012 3456 78', 'The form showed DE00 1234 5678 9012 3456 78 which is not valid.');
  add('resident id with a bad checksum', '110101199003071234', '样本编号110101199003071234不是身份证。');
  add('resident id with an impossible date', '110101199013401235', '批次110101199013401235已经入库。');
  add('never-issued SSN', '000-12-3456', 'The placeholder 000-12-3456 appears in the template.');
  add('never-issued SSN', '987-65-4321', 'The sample value 987-65-4321 is used in tests.');
  add('order number like a mobile', '13812345678', '订单13812345678已经发货。');
  add('ISBN', '978-3-16-148410-0', 'The book has ISBN 978-3-16-148410-0 on its cover.');
  add('UUID', '123e4567-e89b-12d3-a456-426614174000', 'The record 123e4567-e89b-12d3-a456-426614174000 was archived.');
  add('handle', '@maria_lopez', 'Follow @maria_lopez for the updates.');
  add('short key-like word', 'AKIA1234', 'The code AKIA1234 is only a label.');
  add('price', '$1,234.56', 'The repair cost $1,234.56 in total.');
  return out;
}

// ---- web pages and damaged text -----------------------------------------------------------

/** An HTML page with navigation, a cookie banner, a sidebar and a footer around an article. */
export function htmlPage(r: Rng, title: string, body: string, charset = 'utf-8'): string {
  const paras = body.split('\n\n').map((p) => `<p>${p.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`).join('\n');
  return `<!DOCTYPE html><html><head><meta charset="${charset}"><title>${title}</title>
<script>var tracking = {id: ${r.int(1000)}}; function go(){}</script><style>body{margin:0}</style></head>
<body><header class="site-header"><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></header>
<nav><ul><li><a href="/a">Travel</a></li><li><a href="/b">Culture</a></li><li><a href="/c">Science</a></li></ul></nav>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<main><article><h1>${title}</h1>
${paras}
</article></main>
<aside class="sidebar"><h3>Related stories</h3><a href="/x">Ten things you missed</a></aside>
<footer>Copyright 2024 Example Media. All rights reserved. <a href="/privacy">Privacy policy</a></footer>
</body></html>`;
}

/**
 * Text damaged the usual way: its UTF-8 bytes decoded as another charset. Windows-1252
 * follows the WHATWG decoder that browsers use: its five undefined bytes become C1 controls.
 */
export function mojibake(text: string, as: 'windows-1252' | 'latin1' | 'gbk'): string {
  const bytes = Buffer.from(text, 'utf8');
  if (as !== 'windows-1252') return iconv.decode(bytes, as);
  let out = '';
  for (const b of bytes) out += [0x81, 0x8d, 0x8f, 0x90, 0x9d].includes(b) ? String.fromCharCode(b) : iconv.decode(Buffer.from([b]), 'windows-1252');
  return out;
}

/** Pages that quality filters must reject, with the reason each should fail. */
export function lowQuality(r: Rng): { text: string; why: string }[] {
  const links = Array.from({ length: 30 }, () => `${r.pick(ADJ)} ${r.pick(NOUN)}`).join('\n');
  const line = enSentence(r);
  return [
    { text: 'Click here to continue.', why: 'too short' },
    { text: Array.from({ length: 40 }, () => line).join('\n'), why: 'repeated lines' },
    { text: links, why: 'a list of link titles' },
    { text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ' + enDoc(r, 2), why: 'lorem ipsum' },
    { text: Array.from({ length: 120 }, () => r.pick(['cheap', 'pills', 'casino', 'bonus', 'win', 'free', 'viagra', 'deal'])).join(' '), why: 'keyword spam without stop words' },
    { text: `function main() {\n  const x = ${r.int(9)};\n  return x * 2;\n}\n` + enDoc(r, 2), why: 'code with curly brackets' },
    { text: Array.from({ length: 60 }, (_, i) => `#tag${i} #${r.pick(NOUN)}`).join(' '), why: 'hashtags' },
  ];
}
