'use strict';
// Reads two relay-bench outputs (the Node peer's, then streams-relay's) and prints their key figures side by
// side: the median over the runs (and the range with several), and how many times better streams-relay is.
//
//   node compare.js PEER.log RELAY.log

const fs = require('node:fs');

const KEY_FIGURES = [
  /^intake, .* idle clients: stored \+ acknowledged \+ delivered$/,
  /^relay CPU per delivered webhook, [\d,]+ idle clients$/,
  /^… of which in the kernel on its behalf, [\d,]+ idle clients$/,
  /^ack latency at .*, p99$/,
  /^delivery at .*, p99$/,
  /^fan-out: one event to /,
  /^memory per idle authenticated client/,
];

// Figure name -> { values of every run, unit }, from the lines relay-bench prints as it measures (the
// "Ranges over N runs" summary at the end repeats them and is skipped).
function figuresOf(file) {
  const figures = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('Ranges over')) break;
    const at = line.indexOf('   target ');
    if (at < 0) continue;
    const [name, shown] = line.slice(0, at).split(/\s{2,}/);
    const m = /^([+-]?[\d,]+(?:\.\d+)?)\s*(.*)$/.exec((shown || '').trim());
    if (!m) continue;
    if (!figures.has(name)) figures.set(name, { values: [], unit: m[2] });
    figures.get(name).values.push(Number(m[1].replace(/,/g, '')));
  }
  return figures;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function shown(figure) {
  if (!figure) return 'not measured';
  const fmt = (x) => x.toLocaleString('en-US', { maximumFractionDigits: x >= 100 ? 0 : x >= 10 ? 1 : 2 });
  const m = `${fmt(median(figure.values))} ${figure.unit}`;
  if (figure.values.length < 2) return m;
  return `${m} (${fmt(Math.min(...figure.values))} – ${fmt(Math.max(...figure.values))})`;
}

function checks(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('relay-bench: ') && !l.includes(' phases, '));
}

const [peerFile, relayFile] = process.argv.slice(2);
const peer = figuresOf(peerFile);
const relay = figuresOf(relayFile);
const names = [...relay.keys(), ...[...peer.keys()].filter((n) => !relay.has(n))]
  .filter((n) => KEY_FIGURES.some((re) => re.test(n)));

const rows = [['figure', 'Node peer', 'streams-relay', 'streams-relay vs peer']];
for (const name of names) {
  const p = peer.get(name);
  const r = relay.get(name);
  let ratio = '';
  if (p && r && median(p.values) > 0 && median(r.values) > 0) {
    // Throughput: more is better; everything else (CPU, latency, memory): less is better.
    const higherIsBetter = r.unit.endsWith('/s');
    const x = higherIsBetter ? median(r.values) / median(p.values) : median(p.values) / median(r.values);
    ratio = `${x.toFixed(2)}x ${higherIsBetter ? 'the throughput' : x >= 1 ? 'less' : 'more'}`;
    if (!higherIsBetter && x < 1) ratio = `${(1 / x).toFixed(2)}x more`;
  }
  rows.push([name, shown(p), shown(r), ratio]);
}
const width = rows[0].map((_, c) => Math.max(...rows.map((row) => [...row[c]].length)));
for (const row of rows) console.log(row.map((cell, c) => cell + ' '.repeat(width[c] - [...cell].length)).join('  ').trimEnd());
console.log('\nmedian over the runs (min – max with several); "Nx less": streams-relay takes N times less than the peer');
for (const [who, file] of [['Node peer', peerFile], ['streams-relay', relayFile]])
  for (const line of checks(file)) console.log(`${who}: ${line.replace(/^relay-bench: /, '')}`);
