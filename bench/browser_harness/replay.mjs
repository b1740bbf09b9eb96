// Replays typed keystrokes against a Yokoten export under Node and counts, per keystroke, the files the
// engine asks for and the rounds it waits for (bench/browser_replay.py runs it; deterministic, unlike the
// Chromium times). A round is every request made before the previous round was answered: files are
// "served" only once the engine has nothing left to do, so the rounds are the engine's critical path.
//
//   node replay.mjs ENGINE_URL INDEX_DIR < {"cold": [...], "first": "...", "keystrokes": ["...", ...], "warm": false}
//
// Each "cold" query runs on a freshly opened index (its manifest counted); then "first" opens the index
// for the keystrokes that follow, as the bench page does. With "warm", what the engine reads after its
// first results (warm()) is read before the keystrokes, as a search box does while someone types.
import {readFileSync} from "node:fs";
import {gzipSync} from "node:zlib";

const [engineUrl, indexDir] = process.argv.slice(2);
const {SearchIndex} = await import(engineUrl);
const base = "file://" + indexDir.replace(/\/?$/, "/");

let waiting = [];
let scheduled = false;
let log = null;  // the current keystroke's rounds: [[name, raw bytes, gzip bytes], ...]
let readMs = 0;  // time spent reading files, taken out of the engine's time
const gzipSizes = new Map();

function serve() {
  scheduled = false;
  const round = waiting;
  waiting = [];
  const entries = [];
  const t0 = performance.now();
  for (const request of round) {
    try {
      const data = readFileSync(indexDir + "/" + request.name);
      if (!gzipSizes.has(request.name)) gzipSizes.set(request.name, gzipSync(data, {level: 6}).length);
      entries.push([request.name, data.length, gzipSizes.get(request.name)]);
      request.resolve(JSON.parse(data.toString("utf-8")));
    } catch (error) {
      request.reject(error);
    }
  }
  if (log) log.push(entries);
  readMs += performance.now() - t0;
}

const fetchJSON = url => new Promise((resolve, reject) => {
  waiting.push({name: url.slice(base.length).split("?")[0], resolve, reject});
  // setImmediate runs after every pending promise job: the engine is waiting for all it asked for.
  if (!scheduled) { scheduled = true; setImmediate(serve); }
});

let input = "";
for await (const chunk of process.stdin) input += chunk;
const {cold = [], first, keystrokes, warm = false} = JSON.parse(input);
const options = {limit: 10, facets: false, early: true};  // as the header box and the bench pages ask
let current = null;
const run = async (q, fresh = false) => {
  log = [];
  readMs = 0;
  const t0 = performance.now();
  if (fresh) current = await SearchIndex.open(base, {fetchJSON});
  const response = await current.search(q, options);
  const ms = performance.now() - t0 - readMs;
  const rounds = log;
  log = null;
  return {q, rounds, ms, ids: response.results.map(r => r.id), snippets: response.results.map(r => r.snippet),
          total: response.total};
};
const out = {cold: [], keystrokes: []};
for (const q of cold) out.cold.push(await run(q, true));
out.first = await run(first, true);
if (warm && !(await current.warm())) throw new Error("warm() failed");
for (const q of keystrokes) out.keystrokes.push(await run(q));
process.stdout.write(JSON.stringify(out));
