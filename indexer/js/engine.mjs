// Yokoten browser search engine: one ES module, no dependencies, the same file in the browser and in Node.
//
// It reads the static index written by indexer/browser_export.py and reproduces `python -m indexer search`:
// the same normalisation and query plan as indexer/analysis.py (MeCab is replaced by a lexicon of the
// surfaces the index holds), the same scoring as indexer/search/scoring.py (its constants come from the
// manifest, never from this file), the same weak/drop rule, filters, facet counts and sorting.
//
//   const index = await SearchIndex.open(new URL("index/", import.meta.url));
//   const result = await index.search("九州 移住", {filters: {theme: ["migration-active-life"]}});

export const FORMAT = 5;
const FACETS = ["theme", "pref", "region", "program", "type", "year", "size", "status"];
const MAX_ROUNDS = 16;  // tiers read one after the other before a query reads its lists whole
const MAX_ROUNDS_WARM = 3;  // the same after the first query
const MAX_WORK = 400000;  // or cases times lists evaluated while proving (after the first query)
const MAX_WORK_FIRST = 1600000;  // the same for the first: every list's head is there from the start
const MAX_LISTS = 256;  // posting lists kept in memory across queries (one array of impacts per case each)
const WARM_RETRY_MS = 2000;  // the first pause before warm() tries again after a failure
const WARM_RETRY_MAX_MS = 300000;

// ------------------------------------------------------------------------------------------ normalisation

const ZERO_WIDTH = new Set(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]);
const COMBINING_KANA = new Set(["\u3099", "\u309a"]);
const CONTROL = /^\p{Cc}$/u;
const charCache = new Map();

function normChar(ch) {
  let mapped = charCache.get(ch);
  if (mapped === undefined) {
    if (ZERO_WIDTH.has(ch)) mapped = "";
    else if (CONTROL.test(ch)) mapped = " ";
    else mapped = ch.normalize("NFKC").toLowerCase().replaceAll("\u301c", "~");
    charCache.set(ch, mapped);
  }
  return mapped;
}

/** NFKC and case folding character by character, as analysis.normalize does (code points, not UTF-16). */
export function normalize(text) {
  const out = [];
  for (const ch of String(text ?? "")) {
    let mapped = normChar(ch);
    if (!mapped) continue;
    const first = String.fromCodePoint(mapped.codePointAt(0));
    if (COMBINING_KANA.has(first) && out.length) {
      const composed = (out[out.length - 1] + first).normalize("NFC");
      if ([...composed].length === 1) {
        out[out.length - 1] = composed;
        mapped = mapped.slice(first.length);
      }
    }
    for (const piece of mapped) out.push(piece);
  }
  return out.join("");
}

const NGRAM_SPLIT = /[^\p{L}\p{N}_]+|_+/u;

/** Character bigrams of each run of word characters (a one-character run gives itself). */
export function ngrams(text) {
  const result = [];
  for (const part of text.split(NGRAM_SPLIT)) {
    const run = [...part];
    if (run.length === 1) result.push(run[0]);
    else for (let i = 0; i + 1 < run.length; i++) result.push(run[i] + run[i + 1]);
  }
  return result;
}

const encoder = new TextEncoder();

export function fnv1a(text) {
  let value = 0x811c9dc5;
  for (const byte of encoder.encode(text)) value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  return value >>> 0;
}

// ------------------------------------------------------------------------------------------ segmentation

const KANJI = /^[\p{sc=Han}々〆ヵヶ]$/u;
const KATAKANA = /^[\p{sc=Katakana}ー]$/u;
const HIRAGANA = /^\p{sc=Hiragana}$/u;
const LATIN = /^\p{sc=Latin}$/u;
const WORDCHAR = /^[\p{L}\p{N}_]$/u;

const UNSEEN = Symbol("unseen pair");
const SMALL_KANA = /^[ァィゥェォッャュョヮヵヶー]$/u;

function charClass(ch) {
  if (KANJI.test(ch)) return "kanji";
  if (KATAKANA.test(ch)) return "katakana";
  if (HIRAGANA.test(ch)) return "hiragana";
  if (/^\p{N}$/u.test(ch)) return "digit";
  if (WORDCHAR.test(ch)) return "alpha";
  return "symbol";
}

/**
 * Cut normalised text into words with the lexicon: the cheapest sequence of known surfaces (a word costs
 * word_cost plus its lexicon cost), unknown characters grouped by script as MeCab's unknown-word rules do.
 * Returns [{term, surface, pos}] where pos counts words and a space counts one more, as analysis.words.
 */
export function segment(text, lexicon, options) {
  const {longest, wordCost, unseen = () => false} = options;
  const unknownCost = wordCost * 3;
  // Two kanji that never stand next to each other in any case form a word the index does not know
  // (洋上, 港湾…): MeCab's dictionary knows it, the lexicon does not, and cutting it into known single
  // kanji (洋|上) would match unrelated cases. Such a pair costs a little more than one known word.
  const unseenPairCost = wordCost + wordCost / 5;
  // Whether a known word of two or more characters starts inside [from, to) and runs past it, or ends
  // inside it having started before: then the characters belong to that word, not to an unseen pair.
  const inKnownWord = (chars, from, to) => {
    for (let a = Math.max(0, from - longest + 1); a < to; a++) {
      let surface = "";
      for (let len = 1; len <= Math.min(longest, chars.length - a); len++) {
        surface += chars[a + len - 1];
        const b = a + len;
        if (len >= 2 && lexicon.has(surface) && b > from && a < to && (a < from || b > to)) return true;
      }
    }
    return false;
  };
  // The fewest known katakana words (two characters or more, none starting with a small kana or ー)
  // that make up a run, or null: MeCab cuts シゴトコンビニ into 仕事|コンビニ but keeps ロケット whole.
  const coverRun = chars => {
    const n = chars.length;
    const best = new Array(n + 1).fill(Infinity);
    const back = new Array(n + 1).fill(null);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === Infinity || SMALL_KANA.test(chars[i])) continue;
      let surface = chars[i];
      for (let len = 2; len <= Math.min(longest, n - i); len++) {
        surface += chars[i + len - 1];
        const entry = lexicon.get(surface);
        if (entry !== undefined && best[i] + 1 < best[i + len]) { best[i + len] = best[i] + 1; back[i + len] = [i, entry]; }
      }
    }
    if (best[n] === Infinity) return null;
    const pieces = [];
    for (let j = n; j > 0;) { const [i, entry] = back[j]; pieces.push({surface: chars.slice(i, j).join(""), entry}); j = i; }
    return pieces.reverse();
  };
  // A run that known words cover but for its last character is, as MeCab reads it, those words and that
  // character (シゴトコ: 仕事|コ, サテライトオ: サテライト|オ): what a search box holds while someone is still
  // typing the next word. A longer rest keeps the run one unknown word (サテライトオフィ, ロケット).
  const partialCover = runChars => {
    const head = runChars.length > 2 ? coverRun(runChars.slice(0, -1)) : null;
    return head ? [...head, ...cut(runChars.slice(-1))] : [{surface: runChars.join(""), entry: UNSEEN}];
  };
  const cut = chars => {
    const n = chars.length;
    const best = new Array(n + 1).fill(Infinity);
    const back = new Array(n + 1).fill(null);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === Infinity) continue;
      let surface = "";
      for (let len = 1; len <= Math.min(longest, n - i); len++) {
        surface += chars[i + len - 1];
        const entry = lexicon.get(surface);
        if (entry === undefined) continue;
        const cost = best[i] + wordCost + entry[1];
        if (cost < best[i + len]) { best[i + len] = cost; back[i + len] = [i, entry]; }
      }
      const cost = best[i] + unknownCost;
      if (cost < best[i + 1]) { best[i + 1] = cost; back[i + 1] = [i, null]; }
      if (i + 1 < n && KANJI.test(chars[i]) && KANJI.test(chars[i + 1]) && unseen(chars[i] + chars[i + 1])
          && !lexicon.has(chars[i] + chars[i + 1]) && !inKnownWord(chars, i, i + 2)) {
        const pair = best[i] + unseenPairCost;
        if (pair < best[i + 2]) { best[i + 2] = pair; back[i + 2] = [i, UNSEEN]; }
      }
    }
    const pieces = [];
    for (let j = n; j > 0;) {
      const [i, entry] = back[j];
      pieces.push({surface: chars.slice(i, j).join(""), entry});
      j = i;
    }
    return pieces.reverse();
  };
  const result = [];
  let ordinal = -1;
  for (const chunk of text.split(" ")) {
    if (!chunk) { continue; }
    const alone = lexicon.get(chunk);
    if (alone && alone[2]) {
      // A known word alone in its query word: as MeCab reads it alone (試し, not 試す; a lone 高 dropped).
      alone[2].forEach(([surface, term], k) => {
        ordinal += k === 0 && ordinal >= 0 ? 2 : 1;
        result.push({term, surface, pos: ordinal});
      });
      continue;
    }
    const chars = [...chunk];
    // A katakana run the lexicon does not hold is either known loanwords in a row (シゴト|コンビニ) or one
    // loanword the index does not hold (ロケット, a misspelt オフイス), which MeCab keeps whole.
    // A run of Latin letters is one word, as MeCab groups them (iphone, wifi): never lexicon pieces (i|ph|on|e).
    const pieces = [];
    let start = 0;
    for (let i = 0; i < chars.length;) {
      let j = i;
      while (j < chars.length && KATAKANA.test(chars[j])) j++;
      const before = i > 0 && KATAKANA.test(chars[i - 1]);
      if (j - i >= 2 && !before) {
        const run = chars.slice(i, j).join("");
        if (!lexicon.has(run)) {
          pieces.push(...cut(chars.slice(start, i)), ...(coverRun(chars.slice(i, j)) || partialCover(chars.slice(i, j))));
          start = j;
        }
      }
      if (j === i) {
        while (j < chars.length && LATIN.test(chars[j])) j++;
        if (j - i >= 2) {
          const run = chars.slice(i, j).join("");
          pieces.push(...cut(chars.slice(start, i)), {surface: run, entry: lexicon.has(run) ? lexicon.get(run) : UNSEEN});
          start = j;
        }
      }
      i = j > i ? j : i + 1;
    }
    pieces.push(...cut(chars.slice(start)));
    const words = [];
    let unknown = [];
    const flush = () => {
      // Unknown characters: one word per script run; kanji runs in two-character words (most Sino-Japanese
      // words are two characters long); symbols one by one, dropped like MeCab's 補助記号.
      let k = 0;
      while (k < unknown.length) {
        const cls = charClass(unknown[k]);
        let m = k + 1;
        while (m < unknown.length && charClass(unknown[m]) === cls && cls !== "symbol") m++;
        if (cls === "kanji") {
          for (let s = k; s < m; s += 2) {
            const surface = unknown.slice(s, Math.min(s + 2, m)).join("");
            words.push({term: surface, surface});
          }
        } else {
          const surface = unknown.slice(k, m).join("");
          // Hiragana the lexicon does not know are endings and particles (MeCab drops them); so is a lone
          // katakana character, which MeCab tags as a symbol or interjection.
          const dropped = cls === "symbol" || cls === "hiragana" || (cls === "katakana" && m - k === 1);
          words.push({term: dropped ? "" : surface, surface});
        }
        k = m;
      }
      unknown = [];
    };
    for (const piece of pieces) {
      if (piece.entry === null) { unknown.push(piece.surface); continue; }
      flush();
      if (piece.entry === UNSEEN) { words.push({term: piece.surface, surface: piece.surface}); continue; }
      const term = piece.entry[0] === 0 ? piece.surface : piece.entry[0];
      words.push({term, surface: piece.surface});
    }
    flush();
    words.forEach((word, k) => {
      ordinal += k === 0 && ordinal >= 0 ? 2 : 1;
      result.push({term: word.term, surface: word.surface, pos: ordinal});
    });
  }
  return result;
}

/** Adjacent content-word pairs, as analysis.pairs_of. */
export function pairsOf(items) {
  const result = [];
  let previous = null;
  for (const word of items) {
    if (!word.term) { previous = null; continue; }
    if (previous !== null && word.pos === previous.pos + 1) result.push(previous.term + " " + word.term);
    previous = word;
  }
  return result;
}

// ------------------------------------------------------------------------------------------ query plan

const KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9};
const ERA_BASE = {"平成": 1988, "令和": 2018, "h": 1988, "r": 2018};
const NUM = String.raw`(元|\p{Nd}{1,2}|[〇一二三四五六七八九十]{1,3})`;
const ERA_YEAR = new RegExp(String.raw`(平成|令和)\s*${NUM}\s*(?:年度|年)?|(?<![a-z0-9])([hr])\s?(\p{Nd}{1,2})(?:\s*年度|\s*年)?(?![0-9a-z])`, "gu");
const WESTERN_YEAR = /(?<![0-9])((?:19[89]|20[0-4])[0-9])\s*(?:年度|年)?(?![0-9])/gu;
const RANGE_TAIL = new RegExp(String.raw`\s*[~ー-]\s*(?:平成|令和|[hr])?\s*${NUM}\s*(?:年度|年)?`, "uy");

function kanjiNumber(text) {
  if (text === "元") return 1;
  if (/^\p{Nd}+$/u.test(text)) return parseInt(text.normalize("NFKC"), 10);
  if (!text.includes("十")) return parseInt([...text].map(ch => KANJI_DIGITS[ch]).join(""), 10);  // 二八 → 28
  let value = 0, current = 0;
  for (const ch of text) {
    if (ch === "十") { value += (current || 1) * 10; current = 0; }
    else current = KANJI_DIGITS[ch];
  }
  return value + current;
}

// Regular expressions index UTF-16 units; the Python side counts code points. Queries are converted
// to arrays of code points wherever an index leaves this function.
function cpIndex(text, unitIndex) { return [...text.slice(0, unitIndex)].length; }

/** Fiscal years named in normalised text, and the code-point spans they used (analysis.parse_years). */
export function parseYears(text) {
  const years = [];
  const spans = [];
  const add = (first, matchEnd, base) => {
    RANGE_TAIL.lastIndex = matchEnd;
    const tail = RANGE_TAIL.exec(text);
    let last = first;
    if (tail) {
      const number = kanjiNumber(tail[1]);
      const candidate = base !== null ? base + number : number;
      if (first < candidate && candidate <= first + 10) { last = candidate; matchEnd = RANGE_TAIL.lastIndex; }
    }
    for (let y = first; y <= last; y++) years.push(y);
    return matchEnd;
  };
  for (const match of text.matchAll(ERA_YEAR)) {
    const era = match[1] || match[3];
    const number = kanjiNumber(match[2] || match[4]);
    if (number >= 1 && number <= 40) {
      const end = add(ERA_BASE[era] + number, match.index + match[0].length, ERA_BASE[era]);
      spans.push([match.index, end]);
    }
  }
  for (const match of text.matchAll(WESTERN_YEAR)) {
    if (!spans.some(([s, e]) => s <= match.index && match.index < e)) {
      spans.push([match.index, add(parseInt(match[1], 10), match.index + match[0].length, null)]);
    }
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {years: [...new Set(years)], spans};
}

function blank(text, spans) {
  let out = text;
  for (const [start, end] of spans) out = out.slice(0, start) + " ".repeat(end - start) + out.slice(end);
  return out;
}

function findPlaces(items, places, suffixes) {
  const found = [];
  const used = new Set();
  let i = 0;
  while (i < items.length) {
    let matched = false;
    for (const size of [3, 2, 1]) {
      const span = items.slice(i, i + size);
      if (span.length < size) continue;
      let adjacent = true;
      for (let k = 1; k < span.length; k++) if (span[k].pos !== span[k - 1].pos + 1) adjacent = false;
      if (!adjacent) continue;
      const name = span.map(w => w.surface).join("");
      const after = i + size < items.length ? items[i + size] : null;
      if (Object.hasOwn(places, name) && !(after && after.pos === span[span.length - 1].pos + 1 && suffixes.has(after.surface))) {
        found.push(name);
        for (let k = i; k < i + size; k++) used.add(k);
        i += size;
        matched = true;
        break;
      }
    }
    if (!matched) i += 1;
  }
  return {found, used};
}

function queryNgrams(kept) {
  const runs = [];
  let previous = null;
  for (const word of kept) {
    if (previous !== null && word.pos === previous.pos + 1) runs[runs.length - 1] += word.surface;
    else runs.push(word.surface);
    previous = word;
  }
  return [...new Set(runs.flatMap(run => ngrams(run)))];
}

const key = seq => seq.join(" ");

function compareText(a, b) {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
  }
  return x.length - y.length;
}

/** Python's ordering of tuples of strings. */
function compareSeq(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareText(a[i], b[i]);
    if (c) return c;
  }
  return a.length - b.length;
}

/** Precomputed lookups of query.json (the thesaurus and the place names). */
export function prepareQueryData(data) {
  const th = data.thesaurus;
  return {
    // Synonym groups are loaded per query (th/<n>.json): analyzeQuery records the ones it lacks.
    loaded: new Map(),
    missing: new Set(),
    group(n) {
      if (this.loaded.has(n)) return this.loaded.get(n);
      this.missing.add(n);
      return [];
    },
    entries: new Map(th.entries.map(([seq, group]) => [key(seq), group])),
    narrower: new Map(th.narrower.map(([seq, seqs]) => [key(seq), seqs])),
    narrowerFiles: new Map(th.narrower.map(([seq], n) => [key(seq), n])),  // nw/<n>.json
    stopwords: new Set(th.stopwords.map(key)),
    longest: th.longest,
    groupCount: th.groups,
    places: data.places,
    maxChars: data.max_chars,
    maxUnits: data.max_units,
    // Words after which a place name is no place preference: 京都市 (a municipality), 東京から.
    suffixes: new Set([...data.municipality_suffix, ...(data.place_not_before || [])]),
  };
}

/**
 * The query plan of analysis.analyze_query: units with thesaurus alternatives, pairs, n-grams, years, places.
 * `words` is a function text -> [{term, surface, pos}] (the lexicon segmentation).
 */
export function analyzeQuery(text, words, q) {
  const normalizedFull = normalize(text || "").split(/\s+/u).filter(Boolean).join(" ");
  const cps = [...normalizedFull];
  let truncated = cps.length > q.maxChars;
  const normalized = cps.slice(0, q.maxChars).join("");
  const {years, spans} = parseYears(normalized);
  const rest = blank(normalized, spans);
  const items = words(rest);
  const {found: places, used} = findPlaces(items, q.places, q.suffixes);
  const prefectures = [];
  const regions = [];
  for (const name of places) {
    const [codes, region] = q.places[name];
    prefectures.push(...codes);
    if (region) regions.push(region);
  }
  const content = items.filter((w, i) => w.term && !used.has(i));
  const units = [];
  const ignored = [];
  const kept = [];
  const seen = new Set();
  let k = 0;
  while (k < content.length) {
    let seq = null;
    for (let size = Math.min(q.longest, content.length - k); size > 0; size--) {
      const candidate = content.slice(k, k + size).map(w => w.term);
      if (q.entries.has(key(candidate))) { seq = candidate; break; }
    }
    const size = seq ? seq.length : 1;
    const chunk = content.slice(k, k + size);
    k += size;
    const surface = chunk.map(w => w.surface).join("");
    if (seq && q.stopwords.has(key(seq))) { ignored.push(surface); continue; }
    const own = seq || [chunk[0].term];
    kept.push(...chunk);
    if (seen.has(key(own))) continue;
    seen.add(key(own));
    const group = q.entries.has(key(own)) ? q.entries.get(key(own)) : -1;
    const alternatives = group >= 0 ? q.group(group).filter(p => key(p.terms) !== key(own)) : [];
    const known = new Set([key(own), ...alternatives.map(p => key(p.terms))]);
    const narrowMap = new Map();
    for (const variant of known) {
      for (const n of q.narrower.get(variant) || []) if (!known.has(key(n.terms))) narrowMap.set(key(n.terms), n);
    }
    const narrow = [...narrowMap.values()].sort((a, b) => compareSeq(a.terms, b.terms));
    units.push({surface, terms: own, alternatives, narrower: narrow});
  }
  const uniq = list => [...new Set(list)];
  if (!units.length && ignored.length) {
    // Only stop words (e.g. 事例): search for them after all, each word a plain unit.
    const keptAll = content;
    const byTerm = new Map();
    for (const w of keptAll) byTerm.set(w.term, w);
    const plain = [...byTerm.values()].map(w => ({surface: w.surface, terms: [w.term], alternatives: [], narrower: []}));
    return {text: text || "", normalized, units: plain.slice(0, q.maxUnits), pairs: uniq(pairsOf(keptAll)),
            ngrams: queryNgrams(keptAll), years, prefectures: uniq(prefectures), regions: uniq(regions), places,
            truncated, ignored: []};
  }
  truncated = truncated || units.length > q.maxUnits;
  return {text: text || "", normalized, units: units.slice(0, q.maxUnits), pairs: uniq(pairsOf(kept)),
          ngrams: queryNgrams(kept), years, prefectures: uniq(prefectures), regions: uniq(regions), places,
          truncated, ignored};
}

// ------------------------------------------------------------------------------------------ snippets

const HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#x27;"};
/** HTML escaping exactly as Python's html.escape (quotes included). */
export function escapeHtml(text) { return text.replace(/[&<>"']/g, ch => HTML_ESCAPES[ch]); }
const escapeRegExp = text => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** normalize() with, for every output code point, the index of the source code point (analysis.normalize_with_offsets). */
export function normalizeWithOffsets(chars) {
  const out = [];
  const offsets = [];
  chars.forEach((ch, index) => {
    let mapped = normChar(ch);
    if (!mapped) return;
    const first = String.fromCodePoint(mapped.codePointAt(0));
    if (COMBINING_KANA.has(first) && out.length) {
      const composed = (out[out.length - 1] + first).normalize("NFC");
      if ([...composed].length === 1) { out[out.length - 1] = composed; mapped = mapped.slice(first.length); }
    }
    for (const piece of mapped) { out.push(piece); offsets.push(index); }
  });
  offsets.push(chars.length);
  return {out, offsets};
}

const SNIPPET_CHARS = 120;
const LEAD_CHARS = 20;
const ONE_KANA = /^[ぁ-ゖー]$/u;

/** A case's snippet text cut into code points and normalised once (kept with the case's record). */
export function prepareText(rawText) {
  const chars = [...rawText.split(/\s+/u).filter(Boolean).join(" ")];
  const {out, offsets} = normalizeWithOffsets(chars);
  // UTF-16 positions of the normalised string (where regular expressions match) -> code-point indexes.
  const unitToCp = new Int32Array(out.reduce((n, ch) => n + ch.length, 0) + 1);
  let unit = 0;
  out.forEach((ch, cp) => { unitToCp[unit] = cp; unit += ch.length; });
  unitToCp[unit] = out.length;
  return {chars, normalised: out.join(""), offsets, unitToCp};
}

// The words a snippet marks, as one regular expression per query plan (longest first, as in Python).
const patterns = new WeakMap();

function snippetPattern(plan, surfacesOf) {
  const terms = new Set();
  const phrases = new Set();
  for (const unit of plan.units) {
    // A one-character part of a longer unit (版 of 日本版CCRC, 金 of 奨学金) would mark unrelated text.
    unit.terms.forEach(t => { if ([...t].length > 1 || unit.terms.length === 1) terms.add(t); });
    for (const variant of [...unit.alternatives, ...unit.narrower]) {
      // Alternatives count only as whole phrases: 日本版DMO, not every 日本.
      phrases.add(variant.text);
      if (variant.terms.length === 1) terms.add(variant.terms[0]);
    }
  }
  const surfaces = new Set();
  for (const t of terms) for (const s of surfacesOf(t)) surfaces.add(s);
  terms.forEach(t => surfaces.add(t));
  phrases.forEach(p => surfaces.add(p));
  plan.units.forEach(u => surfaces.add(u.surface));
  const targets = [...surfaces].filter(s => s.trim() && !ONE_KANA.test(s))
    .sort((a, b) => ([...b].length - [...a].length) || compareText(a, b));
  return targets.length ? new RegExp(targets.map(escapeRegExp).join("|"), "gu") : null;
}

/** The snippet of search/snippets.py: the window with most distinct query words, escaped, <mark>ed. */
export function makeSnippet(text, plan, surfacesOf, width = SNIPPET_CHARS) {
  const prepared = typeof text === "string" ? prepareText(text) : text;
  const {chars} = prepared;
  let targets = patterns.get(plan);
  if (targets === undefined) {
    targets = snippetPattern(plan, surfacesOf);
    patterns.set(plan, targets);
  }
  const matches = [];
  if (targets) {
    const {normalised, offsets, unitToCp} = prepared;
    for (const found of normalised.matchAll(targets)) {
      const s = unitToCp[found.index];
      const e = unitToCp[found.index + found[0].length];
      const start = offsets[s];
      const end = e < offsets.length - 1 ? offsets[e] : chars.length;
      matches.push([start, Math.max(end, start + 1), found[0]]);
    }
  }
  let begin = 0;
  if (matches.length) {
    let best = [-1, 0];
    matches.forEach(([start], index) => {
      // Matches are in order of their start, and end after it: past the window's end none can count.
      const limit = start + width - LEAD_CHARS;
      const distinct = new Set();
      for (let j = index; j < matches.length && matches[j][0] <= limit; j++) if (matches[j][1] <= limit) distinct.add(matches[j][2]);
      if (distinct.size > best[0]) best = [distinct.size, start];
    });
    begin = Math.max(0, best[1] - LEAD_CHARS);
  }
  const end = Math.min(chars.length, begin + width);
  if (end === chars.length) begin = Math.max(0, end - width);
  const parts = begin > 0 ? ["…"] : [];
  let cursor = begin;
  for (const [start, stop] of matches) {
    if (start < cursor || stop > end) continue;
    parts.push(escapeHtml(chars.slice(cursor, start).join("")));
    parts.push(`<mark>${escapeHtml(chars.slice(start, stop).join(""))}</mark>`);
    cursor = stop;
  }
  parts.push(escapeHtml(chars.slice(cursor, end).join("")));
  if (end < chars.length) parts.push("…");
  return parts.join("");
}

/** A snippet as text parts [{text, mark}] (for building DOM nodes without innerHTML). */
export function snippetParts(snippet) {
  const unescape = s => s.replace(/&(amp|lt|gt|quot|#x27);/g, (_, e) => ({amp: "&", lt: "<", gt: ">", quot: "\"", "#x27": "'"})[e]);
  const parts = [];
  const re = /<mark>(.*?)<\/mark>/gs;
  let last = 0;
  for (const m of snippet.matchAll(re)) {
    if (m.index > last) parts.push({text: unescape(snippet.slice(last, m.index)), mark: false});
    parts.push({text: unescape(m[1]), mark: true});
    last = m.index + m[0].length;
  }
  if (last < snippet.length) parts.push({text: unescape(snippet.slice(last)), mark: false});
  return parts;
}

// ------------------------------------------------------------------------------------------ scoring

/** Python's round(x, digits) for the values scores take (correct rounding of the exact double). */
function roundTo(value, digits) {
  // n / 10^digits is the double nearest to the decimal, as parseFloat(toFixed) gives; n is certain
  // unless value sits (within float error) half-way between two decimals, where toFixed decides.
  const scale = 10 ** digits;
  const scaled = value * scale;
  if (Math.abs(scaled) < 2 ** 52 && Math.abs(Math.abs(scaled - Math.trunc(scaled)) - 0.5) > 1e-3) return Math.round(scaled) / scale;
  return parseFloat(value.toFixed(digits));
}

class Scoring {
  constructor(constants) { this.c = constants; }
  idf(df, count) { return Math.log(1.0 + (count - df + 0.5) / (df + 0.5)); }
  saturate(tf) { return tf * (this.c.K1 + 1.0) / (this.c.K1 + tf); }
  finalScore(text, inPlace, inYear) {
    const score = text * (inPlace ? this.c.PLACE_FACTOR : 1.0) * (inYear ? this.c.YEAR_FACTOR : 1.0);
    return roundTo(score, this.c.SCORE_DECIMALS);
  }
  isDropped(coverage, ngramCoverage) { return coverage < this.c.DROP_COVERAGE && ngramCoverage < this.c.NGRAM_KEEP; }
  isWeak(coverage) { return coverage < this.c.WEAK_COVERAGE; }
}

// ------------------------------------------------------------------------------------------ the index

const defaultFetchJSON = async (url, init) => {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
};

/**
 * What scoring found: `docs` the docnums of the results (any order), and by docnum their `score` and
 * whether they are `weak`; `complete` when every posting was read. Typed arrays, not a Map of arrays:
 * a broad query scores every case, and an array each kept the garbage collector busy for tens of ms.
 */
class Scored {
  constructor(count) {
    this.docs = [];
    this.score = new Float64Array(count);
    this.weak = new Uint8Array(count);
    this.found = new Uint8Array(count);  // while scoring: whether the case is a result so far
    this.complete = false;
  }
}

/** An opened static index. Files are fetched on demand and kept in memory (then work offline). */
export class SearchIndex {
  constructor(base, manifest, fetchJSON) {
    this.base = base;
    this.manifest = manifest;
    this.fetchJSON = fetchJSON;
    this.count = manifest.count;
    this.scoring = new Scoring(manifest.scoring);
    this.files = new Map();
    this.lexicon = new Map();
    this.lexiconShards = new Set();
    this.impactCache = new Map();
    this.entries = new Map();  // term -> its term-shard entry, from the files of synonym groups and narrower terms
    this.phraseFiles = new Map();  // term -> the file with its complete entry (thf/<n>.json, nwf/<n>.json)
    this.full = null;  // once warm: the bitmap of term shards with an f/ file (see useFullShards)
    this.prepared = new Map();  // docnum -> its snippet text, normalised once
    this.records = new Map();  // docnum -> its case file, once in memory
    this.titles = null;  // {id, title} by docnum, once warm() has read titles.json
    this._warmFailures = 0;
    this._warmNotBefore = 0;
    this.now = () => Date.now();  // replaced in tests
    this.prefRegion = new Map(manifest.labels.pref.map(([code, , region]) => [code, region]));
  }

  /** Open the index at `base` (a URL or path ending in /); `options.fetchJSON(url)` replaces fetch. */
  static async open(base, options = {}) {
    const fetchJSON = options.fetchJSON || defaultFetchJSON;
    const root = String(base).endsWith("/") ? String(base) : String(base) + "/";
    const manifest = await fetchJSON(root + "manifest.json");
    if (manifest.format !== FORMAT) throw new Error(`索引の形式 ${manifest.format} はこのエンジン（${FORMAT}）では読めません`);
    return new SearchIndex(root, manifest, fetchJSON);
  }

  file(name, init) {
    let pending = this.files.get(name);
    if (!pending) {
      pending = this.fetchJSON(`${this.base}${name}?v=${this.manifest.hash}`, init);
      this.files.set(name, pending);
      pending.catch(() => this.files.delete(name));  // a failed download may be retried later
    }
    return pending;
  }

  async queryData() {
    if (!this._query) this._query = this.file("query.json").then(prepareQueryData);
    return this._query;
  }

  async facetTable() {
    if (!this._facets) this._facets = this.file("facets.json").then(columns => this._docFacets(columns));
    return this._facets;
  }

  _docFacets(columns) {
    // Cases share their facet values (eight themes, 47 prefectures, a few dozen year spans): each distinct
    // list is made once and shared, read only. At 10,000 cases this takes a few ms instead of a hundred.
    const labels = this.manifest.labels;
    const caches = {};
    const once = (kind, key, make) => {
      const cache = caches[kind] || (caches[kind] = new Map());
      let value = cache.get(key);
      if (value === undefined) { value = make(); cache.set(key, value); }
      return value;
    };
    const single = facet => i => once(facet, i, () => (i >= 0 ? [labels[facet][i][0]] : []));
    const [program, type, size, status] = ["program", "type", "size", "status"].map(single);
    const themes = mask => labels.theme.filter((_, i) => mask & (1 << i)).map(row => row[0]);
    const prefsOf = value => (Array.isArray(value) ? value : [value]).map(p => String(p).padStart(2, "0"));
    const docs = new Array(this.count);
    for (let n = 0; n < this.count; n++) {
      const prefValue = columns.pref[n];
      const key = Array.isArray(prefValue) ? prefValue.join(",") : prefValue;  // a number for one prefecture
      const prefs = once("pref", key, () => prefsOf(prefValue));
      const start = columns.start[n];
      const span = columns.span[n];
      docs[n] = {
        theme: once("theme", columns.theme[n], () => themes(columns.theme[n])),
        pref: prefs,
        region: once("region", key, () => [...new Set(prefs.map(p => this.prefRegion.get(p)))]),
        program: program(columns.program[n]), type: type(columns.type[n]),
        year: once("year", start * 1000 + span, () => Array.from({length: span + 1}, (_, i) => String(start + i))),
        size: size(columns.size[n]), status: status(columns.status[n]),
        start, updated: columns.updated[n],
      };
    }
    return docs;
  }

  async loadLexicon(text) {
    const shards = new Set();
    for (const ch of text) if (ch !== " ") shards.add(fnv1a(ch) % this.manifest.shards.lexicon);
    const missing = [...shards].filter(s => !this.lexiconShards.has(s));
    const loaded = await Promise.all(missing.map(s => this.file(`lx/${s}.json`)));
    missing.forEach((s, i) => this.addLexiconShard(s, loaded[i]));
  }

  addLexiconShard(number, shard) {
    if (this.lexiconShards.has(number)) return;
    this.lexiconShards.add(number);
    for (const [surface, entry] of Object.entries(shard)) this.lexicon.set(surface, entry);
  }

  /**
   * Fetch in the background what later keystrokes would otherwise wait for, once the first results show:
   * the whole lexicon, the thesaurus and narrower-term files, and the id and title of every case (with
   * them a result list shows before the case files its snippets are cut from; see `snippets: "deferred"`).
   * Three files (warm.json, titles.json, then facets.json), a few hundred KB gzipped at 10,000 cases, at low priority.
   * Resolves to true when done. After a failure it resolves to false; the files are then fetched on demand,
   * and warm() tries again only after a pause that doubles with each failure (2 s, 4 s, … up to 5 minutes),
   * so a flaky connection is not asked for the same few hundred KB on every keystroke.
   */
  warm() {
    if (this._warm) return this._warm;
    if (this.now() < this._warmNotBefore) return Promise.resolve(false);
    const keep = (name, data) => { if (!this.files.has(name)) this.files.set(name, Promise.resolve(data)); };
    const bundle = this.file("warm.json", {priority: "low"}).then(({lx, th, nw, full}) => {
      lx.forEach((shard, i) => { keep(`lx/${i}.json`, shard); this.addLexiconShard(i, shard); });
      th.forEach((group, i) => keep(`th/${i}.json`, group));
      nw.forEach((entries, i) => keep(`nw/${i}.json`, entries));
      this.useFullShards(full);
    });
    const titles = this.file("titles.json", {priority: "low"}).then(data => { this.titles = data; });
    // The facet table, which a query naming a place or a year needs (tens of ms to build at 10,000 cases).
    const table = Promise.all([bundle, titles]).then(() => this.file("facets.json", {priority: "low"})).then(() => this.facetTable());
    this._warm = Promise.all([bundle, titles, table]).then(() => true, () => {
      this._warm = null;
      this._warmFailures += 1;
      this._warmNotBefore = this.now() + Math.min(WARM_RETRY_MAX_MS, WARM_RETRY_MS * 2 ** (this._warmFailures - 1));
      return false;
    });
    return this._warm;
  }

  /**
   * From now on, read term shards with complete lists (f/<n>.json where `full`, a base64 bitmap, has bit n;
   * t/<n>.json is complete elsewhere): a new term costs one request and no tiers. Lists kept from before
   * that still miss tiers are dropped, so they are read again complete (and offline, from what prefetchAll
   * fetched).
   */
  useFullShards(full) {
    const bits = Uint8Array.from(atob(full), ch => ch.charCodeAt(0));
    if (!bits.some(byte => byte)) return;  // every list fits its t/ shard: nothing to switch to
    this.full = bits;
    for (const [key, list] of this.impactCache) {
      list.then(found => { if (found.bound > 0 && this.impactCache.get(key) === list) this.impactCache.delete(key); }, () => {});
    }
  }

  /** The file of term shard `number`: complete lists once useFullShards() has run, else heads and tiers. */
  shardName(number) {
    return this.full && this.full[number >> 3] & (1 << (number & 7)) ? `f/${number}.json` : `t/${number}.json`;
  }

  words(text, unseen) {
    return segment(text, this.lexicon, {longest: this.manifest.lexicon.longest, wordCost: this.manifest.lexicon.word_cost, unseen});
  }

  /** The query plan (analysis.analyze_query), loading the lexicon and term shards the text needs. */
  async plan(text) {
    const q = await this.queryData();
    const normalized = [...normalize(text || "")].slice(0, q.maxChars * 2).join("");
    const grams = [...new Set(ngrams(normalized).filter(g => [...g].length === 2))];
    const gramEntries = Promise.all(grams.map(g => this.termEntry(g)));
    await this.loadLexicon(normalized.split(/\s+/u).join(" "));
    if (this.full) {
      // Warm: the words are known but for the pairs no case contains (in the bigram shards just asked
      // for), and the synonym groups are in memory. Ask for the shards of the plan in the same round,
      // guessing every pair is seen; it nearly always is.
      const guess = await this.analyze(text, t => this.words(t), q);
      await this.narrowerEntries(guess, q);
      for (const [, term] of this.compile(guess).lists) this.termEntry(term).catch(() => {});
    }
    const entries = await gramEntries;
    const seen = new Map(grams.map((g, i) => [g, Boolean(entries[i][1] && entries[i][1].g)]));
    // The narrower-term files of the first plan are fetched with its synonym groups, then any more the full plan needs.
    const plan = await this.analyze(text, t => this.words(t, pair => seen.get(pair) === false), q, first => this.narrowerEntries(first, q));
    await this.narrowerEntries(plan, q);
    return plan;
  }

  /**
   * analyzeQuery, with the synonym groups it needs loaded (th/<n>.json: their phrases and the entries of
   * their terms); `alongside(plan)`, if given, runs on the plan before the groups while they download.
   */
  async analyze(text, words, q, alongside = null) {
    q.missing.clear();
    const plan = analyzeQuery(text, words, q);
    if (!q.missing.size) return plan;
    const wanted = [...q.missing];
    const [groups] = await Promise.all([Promise.all(wanted.map(n => this.file(`th/${n}.json`))), alongside && alongside(plan)]);
    wanted.forEach((n, i) => {
      q.loaded.set(n, groups[i].phrases);
      for (const [term, entry] of Object.entries(groups[i].entries)) {
        this.entries.set(term, entry);
        this.phraseFiles.set(term, `thf/${n}.json`);
      }
    });
    q.missing.clear();
    return analyzeQuery(text, words, q);
  }

  /** The term-shard entries of the narrower terms a plan searches for (nw/<n>.json: one file, not a shard each). */
  async narrowerEntries(plan, q) {
    const wanted = new Set();
    for (const unit of plan.units) {
      for (const terms of [unit.terms, ...unit.alternatives.map(a => a.terms)]) {
        const n = q.narrowerFiles.get(key(terms));
        if (n !== undefined) wanted.add(n);
      }
    }
    const numbers = [...wanted];
    const files = await Promise.all(numbers.map(n => this.file(`nw/${n}.json`)));
    files.forEach((entries, i) => {
      for (const [term, entry] of Object.entries(entries)) {
        this.entries.set(term, entry);
        if (!this.phraseFiles.has(term)) this.phraseFiles.set(term, `nwf/${numbers[i]}.json`);
      }
    });
  }

  async termEntry(term) {
    const number = fnv1a(term) % this.manifest.shards.terms;
    if (this.full && this.phraseFiles.has(term)) {
      // A term of a synonym group or narrower-terms file: its complete entry is in that file's full twin.
      const found = await this.file(this.phraseFiles.get(term));
      return [number, Object.hasOwn(found, term) ? found[term] : null];
    }
    // From a synonym group's or narrower-terms file: no request (every such term has a full twin, above).
    if (this.entries.has(term)) return [number, this.entries.get(term)];
    const shard = await this.file(this.shardName(number));
    return Object.hasOwn(shard, term) ? [number, shard[term]] : [number, null];
  }

  /**
   * The posting list of a term, head first: {idf, dense, docs, bound, next, files}. kind is "w" (words),
   * "p" (pairs) or "g" (bigrams). `dense[docnum]` is the impact (0: not loaded or not there), `docs` the
   * docnums loaded. A long list is loaded tier by tier (`ensure`): `bound` is the largest impact a case
   * not yet loaded may have (0 once the list is complete). The most recent lists are kept across queries,
   * so typing reuses what earlier keystrokes loaded.
   */
  postings(kind, term) {
    const cacheKey = kind + "\u0000" + term;
    let list = this.impactCache.get(cacheKey);
    if (list) {
      this.impactCache.delete(cacheKey);  // most recently used last
    } else {
      list = this.termEntry(term).then(([number, entry]) => {
        const postings = entry && entry[kind];
        const df = postings ? postings[0] : 0;
        const idf = this.scoring.idf(df, this.count);
        // A short list is in the shard: [df, deltas, values]; a long one is [df, bounds, head, k]: its
        // first tier [deltas, values] and the number k of the file of its second; the other tiers follow,
        // the last file holding every posting after the head.
        const tiered = Boolean(postings) && postings.length === 4;
        const bounds = tiered ? postings[1] : [0];
        const files = bounds.slice(1).map((_, j) => (j ? `t/${number}-${postings[3] + j - 1}.json` : null));
        const found = {idf, dense: new Float64Array(this.count), docs: [], bounds, files, next: 0,
                       bound: idf * this.scoring.saturate(bounds[0])};
        if (postings && !tiered) this.addPostings(found, postings[1], postings[2]);
        if (tiered) {
          this.addPostings(found, postings[2][0], postings[2][1]);
          found.next = 1;
          found.bound = idf * this.scoring.saturate(bounds[1]);
        }
        return found;
      });
    }
    this.impactCache.set(cacheKey, list);
    if (this.impactCache.size > MAX_LISTS) this.impactCache.delete(this.impactCache.keys().next().value);
    return list;
  }

  /** Load the tiers of a list up to `level` (Infinity: all). */
  async ensure(list, level) {
    const upto = Math.min(level, list.files.length);
    if (list.next >= upto) return;
    // To the end: the last file alone, which holds every posting after the head.
    const from = upto === list.files.length ? upto - 1 : list.next;
    const tiers = await Promise.all(list.files.slice(from, upto).map(name => this.file(name)));
    // Postings already loaded (earlier tiers, or another query meanwhile) are skipped.
    for (const [deltas, values] of tiers) this.addPostings(list, deltas, values, true);
    if (upto > list.next) {
      list.next = upto;
      list.bound = list.idf * this.scoring.saturate(list.bounds[upto]);
    }
  }

  addPostings(list, deltas, values, skipLoaded = false) {
    let docnum = 0;
    for (let i = 0; i < deltas.length; i++) {
      docnum += deltas[i];
      if (skipLoaded && list.dense[docnum] !== 0) continue;  // impacts are never 0
      list.dense[docnum] = list.idf * this.scoring.saturate(values[i]);
      list.docs.push(docnum);
    }
  }

  /** [idf, Map(docnum -> impact)] of a term's complete list. */
  async impacts(kind, term) {
    const list = await this.postings(kind, term);
    await this.ensure(list, Infinity);
    return [list.idf, new Map([...list.docs].sort((a, b) => a - b).map(d => [d, list.dense[d]]))];
  }

  async surfaces(term) {
    const [, entry] = await this.termEntry(term);
    return entry && entry.s ? entry.s : [];
  }

  /** The plan as indexes into one array of posting lists [kind, term] (each list fetched once). */
  compile(plan) {
    const c = this.manifest.scoring;
    const keys = new Map();
    const lists = [];
    const at = (kind, term) => {
      const k = kind + "\u0000" + term;
      if (!keys.has(k)) { keys.set(k, lists.length); lists.push([kind, term]); }
      return keys.get(k);
    };
    const units = plan.units.map(unit => ({
      own: unit.terms.map(t => at("w", t)),
      variants: [...unit.alternatives.map(a => [c.SYNONYM_WEIGHT, a]), ...unit.narrower.map(n => [c.NARROWER_WEIGHT, n])]
        .map(([weight, v]) => ({weight, terms: v.terms.map(t => at("w", t)), pairs: v.pairs.map(p => at("p", p))})),
    }));
    return {lists, units, pairs: plan.pairs.map(p => at("p", p)), grams: plan.ngrams.map(g => at("g", g))};
  }

  /** Per-unit idf sums and weights of a compiled plan, once its lists are loaded. */
  weights(compiled, lists) {
    for (const unit of compiled.units) {
      unit.ownIdfs = unit.own.map(i => lists[i].idf);
      unit.ownIdf = unit.ownIdfs.reduce((sum, idf) => sum + idf, 0.0) || 1.0;
      unit.weight = Math.max(...unit.ownIdfs);
      unit.shares = unit.ownIdfs.map(idf => idf / unit.ownIdf);
      for (const variant of unit.variants) variant.idfs = variant.terms.map(i => lists[i].idf);
    }
    compiled.totalWeight = compiled.units.reduce((sum, unit) => sum + unit.weight, 0.0);
  }

  /**
   * The score of one case as indexer/search/searcher.py computes it, with `vals[i]` the impact of the case
   * in list i (0: not there). Returns -1 when the case is not a result, else its score (rounded as the CLI
   * rounds it unless `exact` is false), and sets `this.weak` (no array per case: a query may score 10,000).
   * Every step only grows with a list's presence and impact, which makes bounds from partial lists safe.
   */
  evaluate(compiled, vals, factor, exact = true) {
    const c = this.manifest.scoring;
    let text = 0.0;
    let covered = 0.0;
    for (const unit of compiled.units) {
      let score = 0.0;
      let share = 0.0;
      for (let j = 0; j < unit.own.length; j++) {
        const v = vals[unit.own[j]];
        if (v !== 0) { score += v; share += unit.shares[j]; }
      }
      for (const variant of unit.variants) {
        // The alternative stands for the query's own words: their idf, its term frequencies (scoring.py).
        let sum = 0.0;
        let all = true;
        for (let j = 0; j < variant.terms.length && all; j++) {
          const v = vals[variant.terms[j]];
          if (v === 0) all = false; else sum += v / variant.idfs[j];
        }
        for (let j = 0; j < variant.pairs.length && all; j++) if (vals[variant.pairs[j]] === 0) all = false;
        if (!all) continue;
        const found = variant.weight * unit.ownIdf * (sum / variant.terms.length);
        if (found > score) score = found;
        share = 1.0;
      }
      text += score;
      covered += share * unit.weight;
    }
    for (const i of compiled.pairs) { const v = vals[i]; if (v !== 0) text += v * c.PAIR_WEIGHT; }
    let grams = 0.0;
    let count = 0;
    for (const i of compiled.grams) { const v = vals[i]; if (v !== 0) { grams += v; count += 1; } }
    return this.conclude(compiled, text, covered, grams, count, factor, exact);
  }

  /**
   * The last step of evaluate() and evaluateMany(), from a case's sums (text score, covered weight,
   * n-gram impacts and how many n-grams it has): the drop rule, then the score (-1: not a result) and
   * `this.weak`.
   */
  conclude(compiled, text, covered, grams, count, factor, exact) {
    const c = this.manifest.scoring;
    const gramTotal = compiled.grams.length;
    const hasUnits = compiled.units.length > 0;
    if (hasUnits || gramTotal) {
      if (!(text > 0 || (gramTotal && count >= c.NGRAM_KEEP * gramTotal - 1e-9))) return -1;
    }
    let coverage = 1.0;
    if (hasUnits) {
      coverage = covered / compiled.totalWeight;
      if (this.scoring.isDropped(coverage, gramTotal ? count / gramTotal : 0.0)) return -1;
    } else if (gramTotal) {
      coverage = count / gramTotal;
    }
    const score = (!hasUnits && !gramTotal ? 1.0 : gramTotal ? text + c.NGRAM_WEIGHT * grams : text) * factor;
    this.weak = this.scoring.isWeak(coverage);
    return exact ? roundTo(score, c.SCORE_DECIMALS) : score;
  }

  /**
   * evaluate() for many cases at once, list by list: for each case the same operations in the same order,
   * so the same scores to the last bit, in tight loops over typed arrays instead of one call per case.
   * Writes `found`, `score` and `weak` of each case of `batch` into `result` (a Scored).
   */
  evaluateMany(compiled, lists, batch, factor, result) {
    const c = this.manifest.scoring;
    const n = batch.length;
    const text = new Float64Array(n);
    const covered = new Float64Array(n);
    const unitScore = new Float64Array(n);
    const unitShare = new Float64Array(n);
    const sum = new Float64Array(n);
    const all = new Uint8Array(n);
    for (const unit of compiled.units) {
      unitScore.fill(0);
      unitShare.fill(0);
      for (let j = 0; j < unit.own.length; j++) {
        const dense = lists[unit.own[j]].dense;
        const share = unit.shares[j];
        for (let b = 0; b < n; b++) {
          const v = dense[batch[b]];
          if (v !== 0) { unitScore[b] += v; unitShare[b] += share; }
        }
      }
      for (const variant of unit.variants) {
        sum.fill(0);
        all.fill(1);
        for (let j = 0; j < variant.terms.length; j++) {
          const dense = lists[variant.terms[j]].dense;
          const idf = variant.idfs[j];
          for (let b = 0; b < n; b++) {
            if (!all[b]) continue;
            const v = dense[batch[b]];
            if (v === 0) all[b] = 0; else sum[b] += v / idf;
          }
        }
        for (const i of variant.pairs) {
          const dense = lists[i].dense;
          for (let b = 0; b < n; b++) if (all[b] && dense[batch[b]] === 0) all[b] = 0;
        }
        const scale = variant.weight * unit.ownIdf;
        const terms = variant.terms.length;
        for (let b = 0; b < n; b++) {
          if (!all[b]) continue;
          const found = scale * (sum[b] / terms);
          if (found > unitScore[b]) unitScore[b] = found;
          unitShare[b] = 1.0;
        }
      }
      const weight = unit.weight;
      for (let b = 0; b < n; b++) { text[b] += unitScore[b]; covered[b] += unitShare[b] * weight; }
    }
    for (const i of compiled.pairs) {
      const dense = lists[i].dense;
      for (let b = 0; b < n; b++) { const v = dense[batch[b]]; if (v !== 0) text[b] += v * c.PAIR_WEIGHT; }
    }
    const grams = sum.fill(0);
    const count = new Uint32Array(n);
    for (const i of compiled.grams) {
      const dense = lists[i].dense;
      for (let b = 0; b < n; b++) { const v = dense[batch[b]]; if (v !== 0) { grams[b] += v; count[b] += 1; } }
    }
    for (let b = 0; b < n; b++) {
      const docnum = batch[b];
      const score = this.conclude(compiled, text[b], covered[b], grams[b], count[b], factor(docnum), true);
      result.found[docnum] = score >= 0 ? 1 : 0;
      result.score[docnum] = score;
      result.weak[docnum] = this.weak ? 1 : 0;
    }
  }

  /**
   * Scores of the cases for a plan (a Scored). With `early` = k, long lists are read
   * tier by tier until the first k results are proven (only those are returned), else in full.
   */
  async score(plan, docs, allowed, early = 0) {
    const c = this.manifest.scoring;
    const compiled = this.compile(plan);
    const lists = await Promise.all(compiled.lists.map(([kind, term]) => this.postings(kind, term)));
    if (!early) await Promise.all(lists.map(list => this.ensure(list, Infinity)));
    this.weights(compiled, lists);
    const prefs = new Set(plan.prefectures);
    const years = new Set(plan.years.map(String));
    const inPlace = n => prefs.size > 0 && docs[n].pref.some(p => prefs.has(p));
    const inYear = n => years.size > 0 && docs[n].year.some(y => years.has(y));  // docs is null only when both sets are empty
    const factors = new Float64Array(prefs.size || years.size ? this.count : 0);  // 0: not yet known
    const factor = factors.length
      ? n => factors[n] || (factors[n] = (inPlace(n) ? c.PLACE_FACTOR : 1.0) * (inYear(n) ? c.YEAR_FACTOR : 1.0))
      : () => 1.0;
    // Rounds read deeper tiers, which only add postings: a case is scored again only when one of its
    // impacts arrived since the last round (`fresh`); `seen` keeps every case met so far, `taken` how
    // many postings of each list were looked at.
    const mark = new Uint8Array(this.count);
    const stamp = new Uint32Array(this.count);
    const taken = lists.map(() => 0);
    const seen = [];
    const result = new Scored(this.count);  // scores of every case seen so far, `found` or not
    let rounds = 0;
    let work = 0;
    for (;;) {
      const fresh = [];
      const meet = docnum => {
        if (stamp[docnum] === rounds + 1 || (allowed && !allowed(docnum))) return;
        stamp[docnum] = rounds + 1;
        fresh.push(docnum);
        if (!mark[docnum]) { mark[docnum] = 1; seen.push(docnum); }
      };
      if (!compiled.units.length && !compiled.grams.length) {
        if (!rounds) for (let n = 0; n < this.count; n++) if (inPlace(n) || inYear(n)) meet(n);
      } else {
        lists.forEach((list, i) => {
          for (let j = taken[i]; j < list.docs.length; j++) meet(list.docs[j]);
          taken[i] = list.docs.length;
        });
      }
      this.evaluateMany(compiled, lists, fresh, factor, result);
      if (lists.every(list => list.bound === 0.0)) {
        result.docs = seen.filter(docnum => result.found[docnum]);
        result.complete = true;
        return result;
      }
      const deeper = this.prove(compiled, lists, result, seen, factor, early, prefs.size > 0, years.size > 0);
      if (deeper === result) return result;
      // Each round costs a download and a pass over the cases seen: when a few do not settle the
      // first results, the scores are flat and reading the lists whole is faster.
      // The first query of a page reads as little as it can; later ones (someone typing, the index
      // warm) trade bytes for fewer requests, which cost more than bytes in a browser: the lists that
      // block the proof are read whole (one file each), and every list after a few rounds.
      rounds += 1;
      work += seen.length * lists.length;
      const warm = this.searches > 1;
      const level = rounds >= (warm ? MAX_ROUNDS_WARM : MAX_ROUNDS) || work >= (warm ? MAX_WORK : MAX_WORK_FIRST) ? Infinity : null;
      const step = warm ? Infinity : 1;
      await Promise.all(level ? lists.map(list => this.ensure(list, level)) : [...deeper].map(i => this.ensure(lists[i], lists[i].next + step)));
    }
  }

  /**
   * Whether the first k results are known although some lists are not complete. A case missing from a
   * list that is not complete may still be in it with at most its `bound`. The first k are proven when
   * each has the same score at its lowest (missing = absent) and its highest (missing = bound), and no
   * other case, seen in some list or in none, can reach the k-th. Returns the proven results, or the
   * lists to read further.
   */
  prove(compiled, lists, result, seen, factor, k, place, year) {
    const c = this.manifest.scoring;
    const weakLast = Boolean(c.WEAK_LAST);
    const before = (a, b) => (weakLast && a[1] !== b[1] ? !a[1] : a[0] > b[0] || (a[0] === b[0] && a[2] < b[2]));
    const top = [];  // the k best, in order
    for (const docnum of seen) {
      if (!result.found[docnum]) continue;
      const item = [result.score[docnum], Boolean(result.weak[docnum]), docnum];
      if (top.length === k && !before(item, top[k - 1])) continue;
      let at = top.length;
      while (at > 0 && before(item, top[at - 1])) at--;
      top.splice(at, 0, item);
      if (top.length > k) top.pop();
    }
    const last = top.length === k ? top[top.length - 1] : null;
    const open = lists.map(list => list.bound > 0);
    const vals = new Float64Array(lists.length);
    // The highest a case may score: present at the bound in every list that is not complete and lacks it
    // (docnum -1: a case in no list read so far), optionally absent from list `without`. Null: not a result.
    const highest = (docnum, f, without = -1, exact = true) => {
      for (let i = 0; i < lists.length; i++) {
        const v = docnum >= 0 ? lists[i].dense[docnum] : 0;
        vals[i] = v === 0 && open[i] && i !== without ? lists[i].bound : v;
      }
      const score = this.evaluate(compiled, vals, f, exact);
      return score >= 0 ? [score, this.weak] : null;
    };
    // The same, as a score only (-1: not a result), for the many cases that are far below the k-th.
    const roughly = (docnum, f) => {
      for (let i = 0; i < lists.length; i++) {
        const v = lists[i].dense[docnum];
        vals[i] = v === 0 && open[i] ? lists[i].bound : v;
      }
      return this.evaluate(compiled, vals, f, false);
    };
    const blocking = [];  // [highest score, docnum (-1: a case in no list read so far), factor]
    for (const [score, weak, docnum] of top) {
      const high = highest(docnum, factor(docnum));
      if (!high || high[0] !== score || high[1] !== weak) blocking.push([high ? high[0] : 0, docnum, factor(docnum)]);
    }
    const chosen = new Set(top.map(item => item[2]));
    for (const docnum of seen) {
      if (chosen.has(docnum)) continue;
      const f = factor(docnum);
      const rough = roughly(docnum, f);
      if (rough < 0) continue;
      // Rounding moves a score by at most half a unit of its last decimal: far below the k-th, no tie.
      if (last && rough < last[0] - 1e-5 && (!weakLast || this.weak === last[1] || this.weak)) continue;
      const high = highest(docnum, f);
      if (high && (!last || !before(last, [high[0], high[1], docnum]))) blocking.push([high[0], docnum, f]);
      if (blocking.length >= 32) break;  // enough to choose the lists to read next: this round fails anyway
    }
    const most = (place ? c.PLACE_FACTOR : 1.0) * (year ? c.YEAR_FACTOR : 1.0);
    const unseen = highest(-1, most);
    if (unseen && (!last || !(weakLast && unseen[1] && !last[1]) && !(unseen[0] < last[0]))) blocking.push([unseen[0], -1, most]);
    if (!blocking.length) {
      result.docs = top.map(item => item[2]);
      return result;
    }
    // Read further the lists whose bounds lift the strongest blocking cases most (one round trip each).
    blocking.sort((a, b) => b[0] - a[0]);
    const deeper = new Set();
    for (const [high, docnum, f] of blocking.slice(0, 8)) {
      const gains = [];
      lists.forEach((list, i) => {
        if (!open[i] || (docnum >= 0 && list.dense[docnum] !== 0)) return;
        const lower = highest(docnum, f, i);
        gains.push([high - (lower ? lower[0] : 0), i]);
      });
      gains.sort((a, b) => b[0] - a[0]);
      for (const [gain, i] of gains) if (gain >= gains[0][0] / 4) deeper.add(i);
    }
    if (!deeper.size) lists.forEach((_, i) => { if (open[i]) deeper.add(i); });
    return deeper;
  }

  async doc(docnum) {
    const record = await this.file(`d/${docnum}.json`);
    this.records.set(docnum, record);
    return record;
  }

  /**
   * Search like `python -m indexer search --json`. Options: filters {facet: [ids]}, sort ("relevance" or
   * "newest"), limit, offset, snippets (default true), facets (default true), early (default false).
   * Returns {query, total, results, facets} and, apart from those keys, `plan`, `messages`, `docnums` and
   * `records` (for the UI). With `snippets: "deferred"`, once warm() has read the titles, results whose case
   * files are not in memory yet come at once with empty snippets and `snippetsPending` (the others with
   * theirs); `withSnippets()` gives the same response with every snippet (on any response: itself when
   * nothing is pending). With `early` (relevance order, no facets) the results may come from the heads of long
   * posting lists only, proven to be the same as with every posting: then `total` is null and
   * `complete()` gives the whole response (tails fetched).
   */
  async search(query, options = {}) {
    const {filters = {}, sort: requested = "relevance", limit = 10, offset = 0, snippets = true, facets: wantFacets = true} = options;
    const early = Boolean(options.early) && !wantFacets && requested === "relevance" && limit > 0;
    this.searches = (this.searches || 0) + 1;
    let sort = requested;
    const active = Object.entries(filters).filter(([, values]) => values && values.length)
      .map(([facet, values]) => [facet, new Set(values.map(String))]);
    // The facet table (a column per facet for every case) is the largest file a query may need; a header
    // box that shows no facets skips it unless filters, places, years or sorting by date need it.
    const plan = await this.plan(query);
    const needTable = wantFacets || active.length || sort === "newest" || !plan.normalized.trim()
      || plan.prefectures.length || plan.years.length;
    const docs = needTable ? await this.facetTable() : null;
    const messages = [];
    const q = await this.queryData();
    if (plan.truncated) messages.push(`検索語が長いため、先頭の ${q.maxChars} 文字（${q.maxUnits} 語まで）で検索しました`);
    if (plan.ignored.length) messages.push("次の語は検索に使いませんでした: " + plan.ignored.join("、"));
    // Whether a case passes every filter but the one on `skip` (null: every filter).
    const matches = (docnum, skip) => active.every(([facet, wanted]) => facet === skip || (docs[docnum][facet] || []).some(v => wanted.has(v)));
    let scored = new Scored(0);
    let partial = false;
    const isEmpty = !(plan.units.length || plan.ngrams.length || plan.years.length || plan.prefectures.length);
    if (!plan.normalized.trim()) {
      scored = new Scored(this.count);
      for (let n = 0; n < this.count; n++) scored.docs.push(n);
      if (sort === "relevance") sort = "newest";
    } else if (isEmpty) {
      messages.push("検索できる語がありません（記号や絵文字だけでは検索できません）");
    } else {
      // With facet counts every result is scored: a filter in use is counted over the other filters' results.
      const allowed = active.length && !wantFacets ? docnum => matches(docnum, null) : null;
      scored = await this.score(plan, docs, allowed, early ? offset + limit : 0);
      // Fewer proven results than asked for are all there are: the total is known then.
      partial = early && !scored.complete && scored.docs.length >= offset + limit;
    }
    const unfiltered = scored.docs;
    if (active.length) scored.docs = scored.docs.filter(docnum => matches(docnum, null));
    let order = scored.docs.slice();
    // Weak results come last only when the scoring module says so (WEAK_LAST), as in the searcher.
    const weakLast = Boolean(this.manifest.scoring.WEAK_LAST);
    const {score: scoreOf, weak: weakOf} = scored;
    const weakFirst = (a, b) => (weakLast ? weakOf[a] - weakOf[b] : 0);
    // docnums follow case ids, so comparing docnums breaks ties by id as the CLI does.
    if (sort === "newest") {
      order.sort((a, b) => weakFirst(a, b) || (docs[b].start - docs[a].start)
        || (docs[b].updated - docs[a].updated) || (scoreOf[b] - scoreOf[a]) || (a - b));
    } else {
      const compare = (a, b) => weakFirst(a, b) || (scoreOf[b] - scoreOf[a]) || (a - b);
      const wanted = offset + Math.max(0, limit);
      if (wanted >= 64 || wanted * 4 >= order.length) {
        order.sort(compare);
      } else {
        // Only the first page is shown (facets count all results, in any order): keep the best few.
        const best = [];
        for (const docnum of order) {
          if (best.length === wanted && compare(docnum, best[wanted - 1]) >= 0) continue;
          let at = best.length;
          while (at > 0 && compare(docnum, best[at - 1]) < 0) at--;
          best.splice(at, 0, docnum);
          if (best.length > wanted) best.pop();
        }
        const shown = new Set(best);
        order = [...best, ...order.filter(docnum => !shown.has(docnum))];
      }
    }
    // A facet counts the results of the query and of the filters on the other facets, so that the values
    // of a facet in use stay there to add or switch to (the searcher counts the same way).
    const facets = {};
    for (const facet of wantFacets ? FACETS : []) {
      const counts = {};
      const pool = active.some(([name]) => name === facet) ? unfiltered.filter(docnum => matches(docnum, facet)) : order;
      for (const docnum of pool) for (const value of docs[docnum][facet]) counts[value] = (counts[value] || 0) + 1;
      if (Object.keys(counts).length) facets[facet] = counts;
    }
    const page = order.slice(offset, offset + Math.max(0, limit));
    const respond = ([results, records]) => {
      const response = {query: plan.text, total: partial ? null : order.length, results, facets};
      const pending = !records;
      Object.defineProperties(response, {
        complete: {value: () => (partial ? this.search(query, Object.assign({}, options, {early: false})) : Promise.resolve(response)),
                   enumerable: false},
        plan: {value: plan, enumerable: false},
        messages: {value: messages, enumerable: false},
        docnums: {value: page, enumerable: false},
        records: {value: records, enumerable: false},
        snippetsPending: {value: pending, enumerable: false},
        withSnippets: {value: () => (pending ? this.hits(page, scored, plan, snippets).then(respond) : Promise.resolve(response)),
                       enumerable: false},
      });
      return response;
    };
    if (snippets === "deferred" && this.titles && page.some(n => !this.records.has(n))) {
      return respond(await this.hits(page, scored, plan, snippets, true));
    }
    return respond(await this.hits(page, scored, plan, snippets));
  }

  hit(docnum, scored, id, title, snippet) {
    const found = {id, score: scored.score[docnum], title, snippet};
    if (scored.weak[docnum]) found.weak = true;
    return found;
  }

  /**
   * [results, records] of a page of docnums: their case files fetched, snippets cut when asked. With
   * `inMemory`, nothing is fetched: cases whose files are not in memory get their title from the titles
   * and an empty snippet, and records is null (a list that shows at once, and keeps the snippets of the
   * cases it showed before).
   */
  async hits(page, scored, plan, snippets, inMemory = false) {
    const records = inMemory ? page.map(n => this.records.get(n) || null) : await Promise.all(page.map(n => this.doc(n)));
    let surfaceOf = () => [];
    if (snippets) {
      const terms = new Set();
      for (const unit of plan.units) {
        unit.terms.forEach(t => terms.add(t));
        for (const variant of [...unit.alternatives, ...unit.narrower]) if (variant.terms.length === 1) terms.add(variant.terms[0]);
      }
      const table = new Map(await Promise.all([...terms].map(async t => [t, await this.surfaces(t)])));
      surfaceOf = t => table.get(t) || [];
    }
    const results = page.map((docnum, i) => {
      if (!records[i]) return this.hit(docnum, scored, this.titles.id[docnum], this.titles.title[docnum], "");
      let prepared = this.prepared.get(docnum);
      if (snippets && !prepared) { prepared = prepareText(records[i].text); this.prepared.set(docnum, prepared); }
      return this.hit(docnum, scored, records[i].id, records[i].title, snippets ? makeSnippet(prepared, plan, surfaceOf) : "");
    });
    return [results, inMemory ? null : records];
  }

  /** The URL of a case page relative to the site root. */
  url(id) { return this.manifest.url.replace("{id}", encodeURIComponent(id)); }

  /** Every file of the index not yet in memory, fetched with at most `parallel` requests at a time. */
  async prefetchAll(parallel = 8) {
    if (!(await this.warm())) throw new Error("索引の一部を読み込めませんでした");
    const names = ["query.json", "facets.json", "titles.json"];
    for (let i = 0; i < this.manifest.shards.lexicon; i++) names.push(`lx/${i}.json`);
    const q = await this.queryData();
    for (let i = 0; i < q.groupCount; i++) names.push(`th/${i}.json`);
    for (let i = 0; i < q.narrowerFiles.size; i++) names.push(`nw/${i}.json`);
    // Every list complete (no tier files): what a warmed-up search reads.
    for (let i = 0; i < this.manifest.shards.terms; i++) names.push(this.shardName(i));
    if (this.full) {
      for (let i = 0; i < q.groupCount; i++) names.push(`thf/${i}.json`);
      for (let i = 0; i < q.narrowerFiles.size; i++) names.push(`nwf/${i}.json`);
    }
    for (let i = 0; i < this.count; i++) names.push(`d/${i}.json`);
    const todo = names.filter(name => !this.files.has(name));
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const name = todo[next++];
        try { await this.file(name); } catch { /* fetched again on demand */ }
      }
    };
    await Promise.all(Array.from({length: parallel}, worker));
    return todo.length;
  }
}

// ------------------------------------------------------------------------------------------ JSON like Python

function pyFloat(value) {
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
  if (Object.is(value, -0)) return "-0.0";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split("e");
    const exp = parseInt(exponent, 10);
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? text + ".0" : text;
}

/**
 * JSON as Python's json.dumps(data, ensure_ascii=False, sort_keys=True) writes it. Numbers listed in
 * `floatKeys` are floats on the Python side and keep their ".0".
 */
export function pythonJSON(data, floatKeys = new Set(["score"])) {
  const write = (value, keyName) => {
    if (value === null || value === undefined) return "null";
    if (typeof value === "boolean") return value ? "true" : "false";
    if (typeof value === "number") return floatKeys.has(keyName) ? pyFloat(value) : String(value);
    if (typeof value === "string") return JSON.stringify(value).replace(/[\u2028\u2029]/g, ch => ch);
    if (Array.isArray(value)) return "[" + value.map(v => write(v, keyName)).join(", ") + "]";
    const keys = Object.keys(value).sort((a, b) => {
      const x = [...a].map(c => c.codePointAt(0)), y = [...b].map(c => c.codePointAt(0));
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    });
    return "{" + keys.map(k => JSON.stringify(k) + ": " + write(value[k], k)).join(", ") + "}";
  };
  return write(data, "");
}
