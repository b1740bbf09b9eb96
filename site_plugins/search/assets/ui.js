// The search page: query, facet filters with counts, sorting, highlighted snippets, suggestions, keyboard
// use, and the whole state in the URL (?q=…&theme=…&pref=…) so that a search can be shared.
// Every value from a case is put in the page with textContent, never as HTML.
import {SearchIndex, snippetParts} from "./engine.js";

const root = document.getElementById("yk-search");
const FACETS = [
  // [facet, heading, how labels are read from the manifest]
  ["theme", "テーマ"], ["region", "地方"], ["pref", "都道府県"], ["size", "人口規模"],
  ["type", "交付金のタイプ"], ["program", "交付金"], ["year", "実施年度"], ["status", "状況"],
];
const $ = id => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
};

const state = {q: "", filters: {}, sort: "relevance", page: 1};
let index = null;
let labels = null;
let ticket = 0;

function readURL(initial = false) {
  // On first load the inline script of the page has moved ?q= out of Material's sight (see site.py).
  const params = new URLSearchParams(initial && window.__ykSearchURL !== undefined ? window.__ykSearchURL : location.search);
  state.q = params.get("q") || "";
  state.sort = params.get("sort") === "newest" ? "newest" : "relevance";
  state.page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  state.filters = {};
  for (const [facet] of FACETS) {
    const values = params.getAll(facet).flatMap(v => v.split(",")).filter(Boolean);
    if (values.length) state.filters[facet] = values;
  }
}

function writeURL(push) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const [facet] of FACETS) for (const value of state.filters[facet] || []) params.append(facet, value);
  if (state.sort !== "relevance") params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  const url = `${location.pathname}${params.toString() ? "?" + params : ""}`;
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
}

function label(facet, value) {
  if (facet === "year") return `${value}年度`;
  const rows = labels[facet] || [];
  const row = rows.find(r => r[0] === value);
  if (!row) return value;
  return facet === "pref" ? row[1] : row[2] || row[1];
}

function order(facet, counts) {
  const values = Object.keys(counts);
  if (facet === "year") return values.sort();
  const rows = (labels[facet] || []).map(r => r[0]);
  return values.sort((a, b) => rows.indexOf(a) - rows.indexOf(b));
}

function renderFacets(facets) {
  const box = $("yk-facets");
  box.replaceChildren();
  const anyFilter = Object.keys(state.filters).length > 0;
  const chosen = Object.values(state.filters).reduce((n, values) => n + values.length, 0);
  $("yk-facets-toggle").textContent = chosen ? `絞り込み（${chosen} 件の条件）` : "絞り込み";
  if (anyFilter) {
    box.append(el("button", {type: "button", class: "yk-facets__clear", text: "絞り込みをすべて外す",
      onclick: () => { state.filters = {}; state.page = 1; update(true); }}));
  }
  for (const [facet, heading] of FACETS) {
    const counts = Object.assign({}, facets[facet] || {});
    for (const value of state.filters[facet] || []) if (!(value in counts)) counts[value] = 0;
    const values = order(facet, counts);
    if (!values.length) continue;
    const selected = new Set(state.filters[facet] || []);
    const list = el("ul", {class: "yk-facet__list"});
    for (const value of values) {
      const id = `yk-f-${facet}-${value}`;
      const input = el("input", {type: "checkbox", id, "data-facet": facet, value});
      input.checked = selected.has(value);
      input.addEventListener("change", () => {
        const current = new Set(state.filters[facet] || []);
        if (input.checked) current.add(value); else current.delete(value);
        if (current.size) state.filters[facet] = [...current]; else delete state.filters[facet];
        state.page = 1;
        update(true);
      });
      list.append(el("li", {}, input, el("label", {for: id}, label(facet, value), " ",
        el("span", {class: "yk-facet__count", text: `(${counts[value]})`}))));
    }
    const details = el("details", {class: "yk-facet", "data-facet": facet}, el("summary", {text: heading}), list);
    details.open = selected.size > 0 || ["theme", "region"].includes(facet);
    box.append(details);
  }
}

function renderResults(response) {
  const list = $("yk-list");
  list.replaceChildren();
  response.results.forEach((hit, i) => {
    const record = response.records[i];
    const link = el("a", {class: "yk-result__link", href: new URL(index.url(hit.id), siteRoot).href}, hit.title);
    const prefs = record.pref.map(p => label("pref", p)).join("・");
    const years = record.year[0] === record.year[1] ? `${record.year[0]}年度` : `${record.year[0]}〜${record.year[1]}年度`;
    const meta = el("p", {class: "yk-result__meta", text: `${prefs}｜${record.municipalities.join("・")}｜${years}`});
    const snippet = el("p", {class: "yk-result__snippet"});
    for (const part of snippetParts(hit.snippet)) snippet.append(part.mark ? el("mark", {text: part.text}) : part.text);
    const item = el("li", {class: "yk-result"}, el("h3", {class: "yk-result__title"}, link), meta);
    if (hit.weak) item.append(el("p", {class: "yk-result__weak", text: "検索語の一部だけに一致"}));
    if (hit.snippet) item.append(snippet);
    list.append(item);
  });
}

function renderPager(total, size) {
  const pager = $("yk-pager");
  pager.replaceChildren();
  const pages = Math.ceil(total / size);
  if (pages <= 1) return;
  const go = page => () => { state.page = page; update(true); root.scrollIntoView(); };
  if (state.page > 1) pager.append(el("button", {type: "button", text: "前へ", onclick: go(state.page - 1)}));
  pager.append(el("span", {class: "yk-pager__where", text: `${state.page} / ${pages} ページ`}));
  if (state.page < pages) pager.append(el("button", {type: "button", text: "次へ", onclick: go(state.page + 1)}));
}

async function suggest(response) {
  // Nothing found: say why and offer what would find something.
  const box = $("yk-suggest");
  box.replaceChildren();
  if (response.total > 0 || !state.q.trim()) return;
  const offers = [];
  if (Object.keys(state.filters).length) {
    const unfiltered = await index.search(state.q, {limit: 0, snippets: false});
    if (unfiltered.total) offers.push([`絞り込みを外すと ${unfiltered.total} 件あります`, () => { state.filters = {}; }]);
  }
  const units = response.plan.units;
  if (units.length > 1) {
    for (const unit of units) {
      const rest = units.filter(u => u !== unit).map(u => u.surface).join(" ");
      const found = await index.search(rest, {filters: state.filters, limit: 0, snippets: false});
      if (found.total) offers.push([`「${unit.surface}」を除いた「${rest}」なら ${found.total} 件`, () => { state.q = rest; }]);
    }
  }
  box.append(el("p", {text: `「${state.q}」に当てはまる事例は見つかりませんでした。`}));
  if (offers.length) {
    const list = el("ul");
    for (const [text, apply] of offers.slice(0, 4)) {
      list.append(el("li", {}, el("button", {type: "button", class: "yk-suggest__try", text,
        onclick: () => { apply(); state.page = 1; $("yk-q").value = state.q; update(true); }})));
    }
    box.append(list);
  } else {
    box.append(el("p", {text: "言葉を減らすか、別の言い方（例: 移住 → 定住、DMO → 観光地域づくり法人）で試してください。テーマや地域の一覧からも探せます。"}));
  }
}

async function update(push = false) {
  root.dataset.state = "busy";  // "ready" again once this update (not an earlier one) has drawn everything
  writeURL(push);
  const mine = ++ticket;
  const size = parseInt(root.dataset.pageSize || "20", 10);
  const started = performance.now();
  const options = {filters: state.filters, sort: state.sort, limit: size, offset: (state.page - 1) * size};
  // Results first; the facet counts (which need the facet table) follow in a second pass.
  let response = await index.search(state.q, Object.assign({facets: false}, options));
  if (mine !== ticket) return;  // a newer keystroke already answered
  const pages = Math.max(1, Math.ceil(response.total / size));
  if (state.page > pages) { state.page = pages; return update(false); }  // ?page=99 of a shorter list
  renderResults(response);
  const ms = Math.round(performance.now() - started);
  const status = $("yk-status");
  const filtered = Object.values(state.filters).some(values => values && values.length);
  const what = state.q.trim() ? `「${state.q.trim()}」の検索結果` : filtered ? "絞り込んだ事例" : "すべての事例";
  status.textContent = `${what}: ${response.total} 件`;
  if (response.plan.places.length) status.textContent += `（${response.plan.places.join("、")}の事例を優先）`;
  if (response.plan.years.length) status.textContent += `（${response.plan.years.join("・")}年度の事例を優先）`;
  for (const message of response.messages) status.append(el("span", {class: "yk-results__message", text: ` ${message}`}));
  status.dataset.ms = String(ms);
  root.dataset.total = String(response.total);
  response = await index.search(state.q, Object.assign({snippets: false}, options));
  if (mine !== ticket) return;
  renderFacets(response.facets);
  renderPager(response.total, size);
  await suggest(response);
  if (mine === ticket) root.dataset.state = "ready";
}

function keyboard() {
  const input = $("yk-q");
  document.addEventListener("keydown", event => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
    if (event.key === "/" && !typing) { event.preventDefault(); input.focus(); input.select(); return; }
    const links = [...document.querySelectorAll("#yk-list .yk-result__link")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && (document.activeElement === input || at >= 0)) {
      event.preventDefault();
      (links[at + 1] || links[at] || input).focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at > 0 ? links[at - 1] : input).focus();
    } else if (event.key === "Escape" && document.activeElement === input && input.value) {
      input.value = ""; state.q = ""; state.page = 1; update(false);
    }
  });
}

let siteRoot = "";

async function main() {
  siteRoot = new URL("../", import.meta.url).href;
  readURL(true);
  const input = $("yk-q");
  const sort = $("yk-sort");
  input.value = state.q;
  sort.value = state.sort;
  try {
    index = await SearchIndex.open(new URL("index/", import.meta.url).href);
  } catch (error) {
    $("yk-status").textContent = "検索の索引を読み込めませんでした。ページを再読み込みしてください。";
    throw error;
  }
  labels = index.manifest.labels;
  $("yk-form").addEventListener("submit", event => { event.preventDefault(); update(true); });
  input.addEventListener("input", () => { state.q = input.value; state.page = 1; update(false); });
  sort.addEventListener("change", () => { state.sort = sort.value; state.page = 1; update(true); });
  window.addEventListener("popstate", () => { readURL(); input.value = state.q; sort.value = state.sort; update(false); });
  const toggle = $("yk-facets-toggle");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    $("yk-facets").classList.toggle("yk-facets--open", open);
  });
  keyboard();
  await update(false);
  if (!state.q) input.focus();
  if (root.dataset.offline === "true") {
    // Fetch the rest of the index in the background: after this, search works with no network.
    index.prefetchAll().then(() => { root.dataset.offline = "ready"; }, () => {});
  }
}

main();
