#!/usr/bin/env node
// Run the browser engine under Node on an exported index and print what `python -m indexer search --json`
// prints. Usage: node search-cli.mjs --index DIR [--filters JSON] [--sort relevance|newest] [--limit N] [QUERY]
import {readFile} from "node:fs/promises";
import {pathToFileURL} from "node:url";
import path from "node:path";
import {SearchIndex, pythonJSON} from "./engine.mjs";

function parse(argv) {
  const options = {index: null, filters: {}, sort: "relevance", limit: 10, query: ""};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--index") options.index = argv[++i];
    else if (arg === "--filters") options.filters = JSON.parse(argv[++i]);
    else if (arg === "--sort") options.sort = argv[++i];
    else if (arg === "--limit") options.limit = parseInt(argv[++i], 10);
    else if (arg === "--") { options.query = argv.slice(i + 1).join(" "); break; }
    else options.query = arg;
  }
  return options;
}

const options = parse(process.argv.slice(2));
if (!options.index) {
  process.stderr.write("使い方: node search-cli.mjs --index 索引フォルダ [--filters JSON] [--sort relevance|newest] [--limit N] 検索語\n");
  process.exit(2);
}
const fetchJSON = async url => JSON.parse(await readFile(new URL(url), "utf-8"));
const base = pathToFileURL(path.resolve(options.index) + path.sep).href;
try {
  const index = await SearchIndex.open(base, {fetchJSON: url => fetchJSON(url.split("?")[0])});
  const response = await index.search(options.query, {filters: options.filters, sort: options.sort, limit: options.limit});
  for (const message of response.messages) process.stderr.write(message + "\n");
  process.stdout.write(pythonJSON(response) + "\n");
} catch (error) {
  process.stderr.write(`検索できませんでした: ${error.message}\n`);
  process.exit(1);
}
