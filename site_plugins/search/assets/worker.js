// Material's header search box talks to a web worker (SETUP → READY, QUERY → RESULT); this worker answers
// with the Yokoten engine instead of lunr. Material hands us search/search_index.json, a stub whose
// `config.yokoten` says where the index is; the index itself is fetched in shards when someone types.
/* global self */
"use strict";

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;
let ready = null;
let settings = {index: "search/index/", page: "search/", limit: 10, offset: true};
let siteRoot = "";
let chain = Promise.resolve();

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, ch => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#x27;"})[ch]);
}

async function setup(config) {
  settings = Object.assign(settings, (config && config.yokoten) || {});
  // The worker lives at <site>/search/worker.js: the site root is one folder up.
  siteRoot = new URL("../", self.location.href).href;
  const engine = await import(new URL("engine.js", self.location.href).href);
  return engine.SearchIndex.open(new URL(settings.index, siteRoot).href);
}

function items(index, query, response) {
  // Material renders `title` and `text` as HTML: everything from a case is escaped here; the snippet
  // is already escaped by the engine, with <mark> around the matches.
  const found = response.results.map(hit => [{
    location: index.url(hit.id),
    title: escapeHtml(hit.title) + (hit.weak ? " <small>（一部だけ一致）</small>" : ""),
    text: hit.snippet,
    score: hit.score,
    terms: {},
  }]);
  if (settings.page && (response.total === null || response.total > 0)) {
    // The total is null while only the first results are known (see the engine's `early`).
    const more = response.total === null ? "すべての結果を絞り込みつきで見る"
      : response.total > response.results.length ? `すべての結果（${response.total} 件）を絞り込みつきで見る`
      : `この ${response.total} 件を検索ページで絞り込む`;
    found.push([{location: `${settings.page}?q=${encodeURIComponent(query)}`, title: escapeHtml(more), text: "", score: 0, terms: {}}]);
  }
  return {items: found};
}

let latest = 0;
let completed = 0;  // the ticket whose complete response (with the total) is shown
const COMPLETE_AFTER_MS = 300;

async function answer(query, ticket) {
  // Material asks with an empty query when the box opens: no results (it then shows its prompt to type),
  // and nothing downloaded for someone who has not typed yet.
  if (!String(query).trim()) return {items: []};
  const index = await ready;
  // The first results come from the first tiers of long posting lists when they prove them; the rest
  // (and so the total) is read only once typing pauses, for the query still shown. Once the titles are
  // in memory (warm), the list shows at once and again with its snippets when their case files arrive.
  const response = await index.search(query, {limit: settings.limit, facets: false, early: true, snippets: "deferred"});
  if (response.snippetsPending) {
    response.withSnippets().then(full => {
      if (ticket === latest && completed !== ticket) self.postMessage({type: RESULT, data: items(index, query, full)});
    }, error => console.warn("Yokoten search:", error));
  }
  if (response.total === null) {
    setTimeout(() => {
      if (ticket !== latest) return;
      response.complete().then(done => done.withSnippets()).then(done => {
        if (ticket !== latest) return;
        completed = ticket;
        self.postMessage({type: RESULT, data: items(index, query, done)});
      }, error => console.warn("Yokoten search:", error));
    }, COMPLETE_AFTER_MS);
  }
  // After the first results: what the next keystrokes need, and everything when the site asks for offline use.
  index.warm().then(ready => {
    if (ready && settings.offline && !self.prefetching) {
      self.prefetching = true;
      index.prefetchAll().catch(() => { self.prefetching = false; });
    }
  });
  return items(index, query, response);
}

self.addEventListener("message", event => {
  const message = event.data;
  if (message.type === SETUP) {
    ready = setup(message.data && message.data.config);
    ready.then(() => self.postMessage({type: READY}), error => { console.warn("Yokoten search:", error); });
  } else if (message.type === QUERY) {
    // Answer in order: a slow first query (downloads) must not overwrite a later one.
    const ticket = ++latest;
    // A query typed over before its turn came is not searched at all.
    chain = chain.then(() => (ticket === latest ? answer(message.data, ticket) : null)).then(
      data => { if (data) self.postMessage({type: RESULT, data}); },
      error => { console.warn("Yokoten search:", error); self.postMessage({type: RESULT, data: {items: []}}); });
  }
});
