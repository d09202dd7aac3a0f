/* kbgen's site search worker under node, for tuning: the same scores as in Chromium, in a second.

   Runs the built site's theme worker behind kbgen's worker (the built copy, or WORKER=path for
   the one being edited) on the site's whole search index, types each query of
   site_search_queries.json and prints top-1, top-3 (result cards) and links-3 by kind and by
   half, the share of unanswered queries left without a sure result, and the misses: the even
   half's only with `even` (the tuning half: read its misses, never the odd half's), every one
   with `all`. Figures for the record come from site_search.py in Chromium; this only makes
   trying a change cheap.

     kbgen build -d /tmp/site && node benchmarks/site_search_node.js /tmp/site benchmarks/site_search_queries.json even
*/
"use strict";
const fs = require("fs"), path = require("path"), vm = require("vm");
const [site, queriesFile, mode = "quiet"] = process.argv.slice(2);
if (!site || !queriesFile) {
  console.error("usage: node site_search_node.js SITE QUERIES.json [quiet|even|all]");
  process.exit(2);
}
const workers = path.join(site, "assets/javascripts/workers");
const theme = fs.readdirSync(workers).find(f => /^search\..*\.min\.js$/.test(f));
const ctx = { setImmediate, console, URL, URLSearchParams, Promise, Map, Set, Math, JSON, setTimeout };
ctx.self = ctx;
ctx.location = { search: "?theme=" + theme, href: "http://site/assets/javascripts/workers/kbgen-search.js?theme=" + theme };
const listeners = [];
let out = [];
ctx.addEventListener = (type, listener) => { if (type === "message") listeners.push(listener); };
ctx.postMessage = message => out.push(message);
ctx.importScripts = url => vm.runInContext(fs.readFileSync(path.join(workers, path.basename(new URL(url).pathname)), "utf8"), ctx);
ctx.fetch = () => Promise.resolve({ ok: false, json: () => null });  // the whole index: no pieces
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.env.WORKER || path.join(workers, "kbgen-search.js"), "utf8"), ctx);
const index = JSON.parse(fs.readFileSync(path.join(site, "search/search_index.json"), "utf8"));
const queries = JSON.parse(fs.readFileSync(queriesFile, "utf8"));
const send = data => listeners.forEach(listener => listener.call(ctx, { data }));
const tick = () => new Promise(resolve => setImmediate(resolve));

async function reply(type) {
  for (let i = 0; i < 100000; i++) {
    const found = out.find(m => m.type === type);
    if (found) return found;
    await tick();
  }
  return null;
}

const slugOf = doc => doc.location.split("#")[0].replace(/\/$/, "").split("/").pop() || "index";

/* The cards (one an article) and the links as the theme lists them: an article's sections scoring
   as high as its best item show inside its card. */
async function search(text) {
  out = [];
  send({ type: 2, data: text });
  const result = await reply(3);
  const items = result ? result.data.items : [];
  const links = [];
  items.forEach(group => {
    const sections = group.filter(doc => doc.location.includes("#"));
    let shown = sections.findIndex(doc => doc.score < group[0].score);
    if (shown < 0) shown = sections.length;
    for (let i = 0; i <= shown; i++) links.push(slugOf(group[0]));
  });
  return { cards: items.map(group => slugOf(group[0])), links, sure: items.length > 0 && items[0][0].score >= 0 };
}

(async () => {
  send({ type: 0, data: { config: index.config, docs: index.docs, options: { suggest: true } } });
  await reply(1);
  const rows = [];
  for (const [n, item] of queries.answered.entries()) {
    const found = await search(item.query);
    const right = slug => item.expect.includes(slug);
    rows.push({ n, kind: item.kind, query: item.query, expect: item.expect, got: found.cards.slice(0, 3),
      top1: found.cards.length > 0 && right(found.cards[0]), top3: found.cards.slice(0, 3).some(right),
      links3: found.links.slice(0, 3).some(right) });
  }
  const unanswered = [];
  for (const [n, item] of queries.unanswered.entries()) {
    const found = await search(item.query);
    unanswered.push({ n, query: item.query, got: found.cards.slice(0, 3), offered: !found.sure });
  }
  const share = (list, key) => (list.filter(r => r[key]).length / list.length).toFixed(3);
  console.log(`${"queries".padEnd(14)}${"n".padStart(4)}  top-1  top-3  links-3`);
  [["all", rows], ...["word", "phrase", "question", "misspelling"].map(k => [k, rows.filter(r => r.kind === k)]),
    ["even", rows.filter(r => r.n % 2 === 0)], ["odd", rows.filter(r => r.n % 2 === 1)]].forEach(([label, list]) => {
    console.log(`${label.padEnd(14)}${String(list.length).padStart(4)}  ${share(list, "top1")}  ${share(list, "top3")}  ${share(list, "links3")}`);
  });
  console.log(`unanswered, no sure result: ${share(unanswered, "offered")}`);
  if (mode === "quiet") return;
  rows.filter(r => !r.top1 && (mode === "all" || r.n % 2 === 0)).forEach(r =>
    console.log(`miss #${r.n} [${r.kind}] ${r.query} -> expected ${r.expect.join("|")}, got ${r.got.join(", ")}`));
  unanswered.filter(u => !u.offered && (mode === "all" || u.n % 2 === 0)).forEach(u =>
    console.log(`sure #${u.n} ${u.query} -> ${u.got.join(", ")}`));
})();
