// Unit tests of the browser engine under Node: `node --test tests/browser_search/js/` (run by pytest too).
import test from "node:test";
import assert from "node:assert/strict";
import {normalize, ngrams, parseYears, pythonJSON, escapeHtml, makeSnippet, snippetParts, segment, pairsOf, fnv1a}
  from "../../../indexer/js/engine.mjs";

test("normalize folds width and case, drops zero-width characters, composes half-width kana", () => {
  assert.equal(normalize("ＤＭＯ"), "dmo");
  assert.equal(normalize("ｼｺﾞﾄ"), "シゴト");
  assert.equal(normalize("a\u200bb\tc"), "ab c");
  assert.equal(normalize("〜～"), "~~");
});

test("ngrams are bigrams per run of word characters, code points not UTF-16 units", () => {
  assert.deepEqual(ngrams("地方創生"), ["地方", "方創", "創生"]);
  assert.deepEqual(ngrams("a・𠮷野"), ["a", "𠮷野"]);
  assert.deepEqual(ngrams("!!"), []);
});

test("era years become fiscal years, with ranges", () => {
  assert.deepEqual(parseYears("平成28年度 移住").years, [2016]);
  assert.deepEqual(parseYears("令和元年").years, [2019]);
  assert.deepEqual(parseYears("h28~30").years, [2016, 2017, 2018]);
  assert.deepEqual(parseYears("2016年度").years, [2016]);
  assert.deepEqual(parseYears("移住").years, []);
});

test("segment finds the cheapest cut and counts a space as a position", () => {
  const lexicon = new Map([["地方", [0, 10]], ["創生", [0, 10]], ["地方創", [0, 5000]], ["の", ["", 1]]]);
  const words = segment("地方創生の 地方", lexicon, {longest: 3, wordCost: 1000});
  assert.deepEqual(words.map(w => [w.term, w.pos]), [["地方", 0], ["創生", 1], ["", 2], ["地方", 4]]);
  assert.deepEqual(pairsOf(words), ["地方 創生"]);
});

test("unknown kanji pairs that no case contains stay whole instead of matching single kanji", () => {
  const lexicon = new Map([["洋", [0, 10]], ["上", [0, 10]]]);
  const words = segment("洋上", lexicon, {longest: 1, wordCost: 1000, unseen: pair => pair === "洋上"});
  assert.deepEqual(words.map(w => w.term), ["洋上"]);
});

test("a katakana run known but for its last character is cut as MeCab cuts a word still being typed", () => {
  const lexicon = new Map([["シゴト", ["仕事", 10]], ["コンビニ", [0, 10]], ["コ", ["子", 10]], ["サテライト", [0, 10]],
                           ["ロケ", [0, 10]]]);
  const terms = text => segment(text, lexicon, {longest: 5, wordCost: 1000}).map(w => w.term);
  assert.deepEqual(terms("シゴトコンビニ"), ["仕事", "コンビニ"]);
  assert.deepEqual(terms("シゴトコ"), ["仕事", "子"]);  // MeCab: シゴト|コ
  assert.deepEqual(terms("サテライトオ"), ["サテライト", ""]);  // a lone katakana character is dropped
  assert.deepEqual(terms("サテライトオフィ"), ["サテライトオフィ"]);  // a longer rest: one unknown word
  assert.deepEqual(terms("ロケット"), ["ロケット"]);  // not ロケ|ット
});

test("snippets escape case text and mark only whole matches", () => {
  const plan = {units: [{surface: "移住", terms: ["移住"], alternatives: [], narrower: []}]};
  const html = makeSnippet("<script>alert(1)</script> 移住 & 定住", plan, () => []);
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("&lt;script&gt;"));
  assert.ok(html.includes("<mark>移住</mark>"));
  const parts = snippetParts(html);
  assert.equal(parts.filter(p => p.mark).map(p => p.text).join(), "移住");
  assert.ok(parts.map(p => p.text).join("").includes("<script>alert(1)</script>"));
  assert.equal(escapeHtml(`"'`), "&quot;&#x27;");
});

test("JSON is written as Python's json.dumps(sort_keys=True, ensure_ascii=False)", () => {
  assert.equal(pythonJSON({b: 1, a: [{score: 2}, {score: 1.5e-5}], "日": "本"}),
               '{"a": [{"score": 2.0}, {"score": 1.5e-05}], "b": 1, "日": "本"}');
});

test("shard hash is 32-bit FNV-1a over UTF-8", () => {
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
});

test("warm() after a failure waits, twice as long each time, before it downloads again", async () => {
  const {SearchIndex} = await import("../../../indexer/js/engine.mjs");
  const requested = [];
  let failing = true;
  const fetchJSON = async url => {
    const name = url.split("?")[0].replace("base/", "");
    requested.push(name);
    if (failing) throw new Error("offline");
    return {"warm.json": {lx: [], th: [], nw: [], full: ""}, "titles.json": [], "facets.json": {}}[name];
  };
  const manifest = {count: 0, scoring: {}, labels: {pref: []}, hash: "h"};
  const index = new SearchIndex("base/", manifest, fetchJSON);
  index.facetTable = async () => new Map();
  let clock = 1000;
  index.now = () => clock;
  assert.equal(await index.warm(), false);
  const afterFirst = requested.length;
  assert.equal(await index.warm(), false);  // within the pause: nothing requested
  assert.equal(requested.length, afterFirst);
  clock += 2000;
  assert.equal(await index.warm(), false);  // tried again, failed again: the pause is now 4 s
  assert.ok(requested.length > afterFirst);
  const afterSecond = requested.length;
  clock += 3999;
  assert.equal(await index.warm(), false);
  assert.equal(requested.length, afterSecond);
  clock += 1;
  failing = false;
  assert.equal(await index.warm(), true);
  assert.deepEqual(requested.slice(afterSecond).sort(), ["facets.json", "titles.json", "warm.json"]);
});
