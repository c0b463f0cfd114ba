#!/usr/bin/env node
'use strict';
// A plain single-process Node relay with streams-relay's command line, environment, routes and wire
// protocol v1: the "plain Node 20 relay (ws + better-sqlite3, WAL, synchronous=FULL, group commit per event
// loop turn)" that issue 10 measures streams-relay against. relay-bench drives it exactly like
// streams-relay (scripts/bench-node-peer.sh). Written the way a Node developer would write such a server,
// not tuned either way; it is a benchmark peer, not a product.
//
//   node relay.js [--listen HOST:PORT] [--public-url URL] [--data-dir DIR] [--log-format text|json]

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { WebSocketServer } = require('ws');

const MAX_BODY = 64 * 1024;
const REPLAY_WINDOW_MS = 10 * 60 * 1000;
const TOKEN_CACHE_MS = 5 * 60 * 1000;
const REFUSAL_CACHE_MS = 10 * 60 * 1000;
const HELLO_TIMEOUT_MS = 10 * 1000;
const PING_INTERVAL_MS = 30 * 1000;
const MAX_QUEUED_BYTES = 1024 * 1024;
const MAX_BROADCASTERS_PER_CONNECTION = 10;
const SCOPES = ['moderator:read:followers', 'user:read:follows', 'user:read:moderated_channels'];

// ---------------------------------------------------------------------------------------------- settings

function fail(message) {
  process.stderr.write(`streams-relay-node: ${message}\n`);
  process.exit(2);
}

function readConfig(argv, env) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '--version') {
      process.stdout.write('streams-relay-node 1 (relay-bench peer); see tests/bench/nodepeer/relay.js\n');
      process.exit(0);
    }
    const m = /^--(listen|public-url|data-dir|log-format)(?:=(.*))?$/.exec(arg);
    if (!m) fail(`unknown argument ${arg}`);
    flags[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
    if (flags[m[1]] === undefined) fail(`${arg} needs a value`);
  }
  const listen = flags.listen || env.STREAMS_RELAY_LISTEN || '127.0.0.1:8080';
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(colon + 1));
  if (colon < 0 || !host || !Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--listen takes HOST:PORT, got ${listen}`);
  const clientId = env.TWITCH_CLIENT_ID;
  let clientSecret = env.TWITCH_CLIENT_SECRET;
  if (!clientSecret && env.TWITCH_CLIENT_SECRET_FILE)
    clientSecret = fs.readFileSync(env.TWITCH_CLIENT_SECRET_FILE, 'utf8').trim();
  if (!clientId || !clientSecret) fail('TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET (or _FILE) are required');
  const dataDir = flags['data-dir'] || env.STREAMS_RELAY_DATA_DIR ||
    path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'streams-relay-node');
  const durability = env.STREAMS_RELAY_DURABILITY || 'fsync';
  if (durability !== 'fsync' && durability !== 'os') fail('STREAMS_RELAY_DURABILITY is fsync or os');
  return {
    host, port, dataDir, durability, clientId, clientSecret,
    publicUrl: (flags['public-url'] || env.STREAMS_RELAY_PUBLIC_URL || '').replace(/\/+$/, ''),
    authUrl: (env.TWITCH_AUTH_URL || 'https://id.twitch.tv/oauth2').replace(/\/+$/, ''),
    helixUrl: (env.TWITCH_HELIX_URL || 'https://api.twitch.tv/helix').replace(/\/+$/, ''),
    secretFromEnv: env.STREAMS_RELAY_WEBHOOK_SECRET,
    retentionDays: Number(env.STREAMS_RELAY_RETENTION_DAYS || 30),
    retentionEvents: Number(env.STREAMS_RELAY_RETENTION_EVENTS || 10000),
  };
}

function webhookSecret(config) {
  const valid = (s) => typeof s === 'string' && /^[\x20-\x7e]{10,100}$/.test(s);
  if (config.secretFromEnv !== undefined) {
    if (!valid(config.secretFromEnv)) fail('STREAMS_RELAY_WEBHOOK_SECRET must be 10-100 printable ASCII characters');
    return config.secretFromEnv;
  }
  const file = path.join(config.dataDir, 'webhook-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

// ---------------------------------------------------------------------------------------------- storage

// The event log: one SQLite file, seq counting up over all broadcasters within one epoch.
class EventLog {
  constructor(file, durability) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL,
        broadcaster_id TEXT NOT NULL, kind TEXT NOT NULL, dedup_key TEXT UNIQUE, received_at INTEGER NOT NULL,
        frame TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_by_broadcaster ON events(broadcaster_id, seq);
      CREATE TABLE IF NOT EXISTS seen_messages(message_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS pruned(broadcaster_id TEXT PRIMARY KEY, through_seq INTEGER NOT NULL);`);
    this.db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES('epoch', ?)")
      .run(crypto.randomBytes(8).readBigUInt64BE().toString(36));
    this.epoch = this.db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get();
    const last = this.db.prepare(
      'SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0), COALESCE((SELECT MAX(through_seq) FROM pruned), 0))',
    ).pluck().get();
    this.nextSeq = last + 1;

    const markSeen = this.db.prepare('INSERT OR IGNORE INTO seen_messages(message_id, received_at) VALUES (?, ?)');
    const insert = this.db.prepare(`INSERT OR IGNORE INTO events(seq, message_id, broadcaster_id, kind, dedup_key,
      received_at, frame) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    // One transaction for a whole batch: the stored events (with their frames), or null for a repeat.
    this.append = this.db.transaction((batch) => {
      const now = Math.floor(Date.now() / 1000);
      let seq = this.nextSeq;
      const stored = batch.map(({ messageId, event }) => {
        if (markSeen.run(messageId, now).changes === 0 || !event) return null;
        const frame = JSON.stringify({
          type: 'event', seq, id: messageId, broadcaster_id: event.broadcasterId, kind: event.kind,
          occurred_at: event.occurredAt, user: event.user, data: event.data,
        });
        if (insert.run(seq, messageId, event.broadcasterId, event.kind, event.dedupKey, now, frame).changes === 0)
          return null; // the same follow or stream start under another message id
        return { seq: seq++, broadcasterId: event.broadcasterId, kind: event.kind, frame };
      });
      this.nextSeq = seq; // only once the transaction commits (a throw rolls it back and skips this)
      return stored;
    });
    this.after = this.db.prepare('SELECT seq, kind, frame FROM events WHERE broadcaster_id = ? AND seq > ? ORDER BY seq');
    this.prunedFor = this.db.prepare('SELECT through_seq FROM pruned WHERE broadcaster_id = ?').pluck();
  }

  prunedThrough(broadcasterId) {
    return this.prunedFor.get(broadcasterId) || 0;
  }

  // Keeps the newest `perBroadcaster` events of each broadcaster, none older than `days`.
  prune(days, perBroadcaster) {
    const db = this.db;
    const cutoff = Math.floor(Date.now() / 1000) - days * 86400;
    db.transaction(() => {
      const doomed = new Map();
      for (const { b, through } of db.prepare(
        'SELECT broadcaster_id AS b, MAX(seq) AS through FROM events WHERE received_at < ? GROUP BY broadcaster_id',
      ).all(cutoff)) doomed.set(b, through);
      const crowded = db.prepare('SELECT broadcaster_id AS b FROM events GROUP BY broadcaster_id HAVING COUNT(*) > ?');
      const nth = db.prepare('SELECT seq FROM events WHERE broadcaster_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck();
      for (const { b } of crowded.all(perBroadcaster))
        doomed.set(b, Math.max(doomed.get(b) || 0, nth.get(b, perBroadcaster)));
      for (const [b, through] of doomed) {
        db.prepare('DELETE FROM events WHERE broadcaster_id = ? AND seq <= ?').run(b, through);
        db.prepare(`INSERT INTO pruned(broadcaster_id, through_seq) VALUES (?, ?)
          ON CONFLICT(broadcaster_id) DO UPDATE SET through_seq = MAX(through_seq, excluded.through_seq)`).run(b, through);
      }
      db.prepare('DELETE FROM seen_messages WHERE received_at < ?').run(Math.floor(Date.now() / 1000) - 86400);
    })();
  }
}

// ---------------------------------------------------------------------------------------------- Twitch

class Twitch {
  constructor(config) {
    this.config = config;
    this.appToken = null;
  }

  async fetchAppToken() {
    const { authUrl, clientId, clientSecret } = this.config;
    const res = await fetch(`${authUrl}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' }),
    });
    if (!res.ok) throw new Error(`app token: HTTP ${res.status}`);
    this.appToken = (await res.json()).access_token;
  }

  // Twitch's answer for a user token: 200 with { client_id, user_id, login }, or its status.
  async validate(token) {
    const res = await fetch(`${this.config.authUrl}/validate`, { headers: { Authorization: `OAuth ${token}` } });
    return { status: res.status, body: res.ok ? await res.json() : null };
  }

  // POST a webhook subscription; retries Twitch's busy answers and a stale app token.
  async createSubscription(type, version, condition, callback, secret) {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const res = await fetch(`${this.config.helixUrl}/eventsub/subscriptions`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${this.appToken}`, 'Client-Id': this.config.clientId, 'Content-Type': 'application/json',
          },
          body: JSON.stringify({ type, version, condition, transport: { method: 'webhook', callback, secret } }),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        status = 0;
      }
      if (status === 401 && attempt === 1) {
        await this.fetchAppToken().catch(() => {});
        continue;
      }
      if ((status === 0 || status === 429 || status >= 500) && attempt < 4) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
        continue;
      }
      return status;
    }
  }
}

// ---------------------------------------------------------------------------------------------- main

const config = readConfig(process.argv.slice(2), process.env);
fs.mkdirSync(config.dataDir, { recursive: true });
const secret = webhookSecret(config);
const log = new EventLog(path.join(config.dataDir, 'relay.sqlite3'), config.durability);
const twitch = new Twitch(config);
const counters = { notifications: 0, duplicates: 0, signatureFailures: 0, deliveries: 0 };
let callbackUrl = config.publicUrl ? `${config.publicUrl}/eventsub` : null;
let stopping = false;

// -------------------------------------------------------------------- who may see what (EventSub subscriptions)

// type|broadcaster|moderator -> { promise of Twitch's status, until }: each subscription is asked for once;
// Twitch's refusal of a follow subscription is remembered for a while, other failures are not.
const subscriptions = new Map();

function ensureOne(type, version, condition) {
  const key = `${type}|${condition.broadcaster_user_id}|${condition.moderator_user_id || ''}`;
  const known = subscriptions.get(key);
  if (known && known.until > Date.now()) return known.promise;
  const entry = { until: Infinity };
  entry.promise = twitch.createSubscription(type, version, condition, callbackUrl, secret).then((status) => {
    const ok = status === 202 || status === 409; // 409: it exists already
    if (!ok) {
      if (status === 403 && type === 'channel.follow') entry.until = Date.now() + REFUSAL_CACHE_MS;
      else subscriptions.delete(key);
    }
    return status;
  });
  subscriptions.set(key, entry);
  return entry.promise;
}

function errorFor(type, status) {
  if (type === 'channel.follow' && (status === 403 || status === 400))
    return { code: 'forbidden', message: 'Twitch shows follows only to the broadcaster and moderators who granted moderator:read:followers. Online and offline still arrive.' };
  if (status === 400) return { code: 'bad_request', message: 'Twitch refused the subscription' };
  if (status === 429) return { code: 'rate_limited', message: 'Twitch is rate-limiting the relay; try again in a minute.' };
  return { code: 'unavailable', message: `Twitch refused or did not answer (HTTP ${status}); try again later.` };
}

// The kinds user `userId` gets of broadcaster `b`, and the error or warning to send with them.
async function ensure(b, userId) {
  const wanted = [
    ['follow', 'channel.follow', '2', { broadcaster_user_id: b, moderator_user_id: userId }],
    ['online', 'stream.online', '1', { broadcaster_user_id: b }],
    ['offline', 'stream.offline', '1', { broadcaster_user_id: b }],
  ];
  const statuses = await Promise.all(wanted.map(([, type, version, condition]) => ensureOne(type, version, condition)));
  const result = { kinds: [], warning: null, error: null };
  statuses.forEach((status, i) => {
    const [kind, type] = wanted[i];
    if (status === 202 || status === 409) result.kinds.push(kind);
    else if (kind === 'follow') result.warning = errorFor(type, status);
    else result.error = errorFor(type, status);
  });
  return result;
}

// ---------------------------------------------------------------------------------------------- clients

const rooms = new Map(); // broadcaster id -> Set of clients

function sendJson(ws, message) {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function leave(client, b) {
  if (!client.rooms.delete(b)) return;
  const room = rooms.get(b);
  room.delete(client);
  if (room.size === 0) rooms.delete(b);
}

// Sends an event to one client unless it is not theirs to see or they had it already.
function sendEvent(client, sub, seq, kind, frame) {
  if ((kind === 'follow' && !sub.follows) || seq <= sub.lastSeq) return;
  sub.lastSeq = seq;
  const { ws } = client;
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_QUEUED_BYTES) {
    ws.close(1008, 'too much unread; reconnect and resume');
    return;
  }
  ws.send(frame, { binary: false });
  counters.deliveries++;
}

function deliver(event) {
  const room = rooms.get(event.broadcasterId);
  if (!room) return;
  const frame = Buffer.from(event.frame); // encoded once, the same bytes for every recipient
  for (const client of room) sendEvent(client, client.rooms.get(event.broadcasterId), event.seq, event.kind, frame);
}

// With a cursor: what the client missed, from the log, before any live event.
function replay(client, b, sub, after) {
  if (after.epoch !== log.epoch || log.prunedThrough(b) > after.seq) {
    sendJson(client.ws, { type: 'reset', broadcaster_id: b });
    after = { seq: 0 };
  }
  for (const row of log.after.iterate(b, Math.max(after.seq, sub.lastSeq)))
    sendEvent(client, sub, row.seq, row.kind, row.frame);
}

async function onHello(client, message) {
  if (message.protocol !== 1)
    return sendJson(client.ws, { type: 'error', code: 'unsupported_protocol', message: 'this relay speaks protocol 1' });
  if (typeof message.token !== 'string' || !message.token)
    return sendJson(client.ws, { type: 'error', code: 'bad_request', message: 'token must be a string' });
  client.state = 'authenticating';
  const result = await authenticate(message.token);
  if (client.ws.readyState !== client.ws.OPEN) return;
  if (!result.user) {
    client.state = 'closing';
    sendJson(client.ws, { type: 'error', ...result.error });
    client.ws.close(1008, result.error.message.slice(0, 120));
    return;
  }
  clearTimeout(client.helloTimer);
  client.user = result.user;
  client.state = 'ready';
  sendJson(client.ws, { type: 'welcome', protocol: 1, epoch: log.epoch, user: result.user });
}

// token -> { promise, at }: Twitch is asked once per token every few minutes.
const tokens = new Map();

function authenticate(token) {
  const cached = tokens.get(token);
  if (cached && Date.now() - cached.at < TOKEN_CACHE_MS) return cached.promise;
  const promise = twitch.validate(token).then(({ status, body }) => {
    if (status === 200 && body.client_id === config.clientId && body.user_id)
      return { user: { id: body.user_id, login: body.login } };
    if (status === 200 || status === 401)
      return { error: { code: 'unauthorized', message: status === 401 ? 'Twitch says the token is invalid or expired; log in again' : 'this token is not a user token of this relay\'s client ID' } };
    throw new Error(`HTTP ${status}`);
  }).catch((err) => {
    tokens.delete(token); // not cached: Twitch could not be asked
    return { error: { code: 'unavailable', message: `cannot reach Twitch to check the token (${err.message}); retry later` } };
  });
  if (tokens.size > 10000) tokens.clear();
  tokens.set(token, { promise, at: Date.now() });
  return promise;
}

async function onSubscribe(client, message) {
  const b = message.broadcaster_id;
  const after = message.after;
  if (typeof b !== 'string' || !b || (after !== undefined && (typeof after !== 'object' || after === null ||
      typeof after.epoch !== 'string' || !Number.isInteger(after.seq) || after.seq < 0)))
    return sendJson(client.ws, { type: 'error', code: 'bad_request', message: 'subscribe needs broadcaster_id and an optional after {epoch, seq}' });
  if (!client.rooms.has(b) && client.rooms.size >= MAX_BROADCASTERS_PER_CONNECTION)
    return sendJson(client.ws, { type: 'error', code: 'limit', message: `at most ${MAX_BROADCASTERS_PER_CONNECTION} broadcasters on one connection` });
  const result = await ensure(b, client.user.id);
  if (client.ws.readyState !== client.ws.OPEN) return;
  if (result.kinds.length === 0) return sendJson(client.ws, { type: 'error', ...result.error });
  if (result.warning) sendJson(client.ws, { type: 'error', ...result.warning });
  let sub = client.rooms.get(b);
  if (!sub) {
    sub = { follows: false, lastSeq: 0 };
    client.rooms.set(b, sub);
    if (!rooms.has(b)) rooms.set(b, new Set());
    rooms.get(b).add(client);
  }
  sub.follows = result.kinds.includes('follow');
  sendJson(client.ws, { type: 'subscribed', broadcaster_id: b, kinds: result.kinds });
  if (after) replay(client, b, sub, after);
}

function onMessage(client, data, isBinary) {
  let message;
  try {
    message = isBinary ? null : JSON.parse(data.toString('utf8'));
  } catch {
    message = null;
  }
  if (message === null || typeof message !== 'object' || typeof message.type !== 'string')
    return sendJson(client.ws, { type: 'error', code: 'bad_request', message: 'a frame must be a JSON object with a type' });
  if (client.state !== 'ready') {
    if (message.type !== 'hello' || client.state !== 'new')
      return sendJson(client.ws, { type: 'error', code: 'unauthorized', message: 'the first frame must be hello, and only one' });
    return onHello(client, message);
  }
  if (message.type === 'subscribe') return onSubscribe(client, message);
  if (message.type === 'unsubscribe') return leave(client, String(message.broadcaster_id));
  sendJson(client.ws, { type: 'error', code: 'bad_request', message: `${message.type} is not a message a client sends` });
}

const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  const client = { ws, state: 'new', user: null, rooms: new Map(), alive: true };
  client.helloTimer = setTimeout(() => ws.close(4001, 'hello not received within 10 s'), HELLO_TIMEOUT_MS);
  ws.on('pong', () => { client.alive = true; });
  ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
  ws.on('error', () => {});
  ws.on('close', () => {
    clearTimeout(client.helloTimer);
    for (const b of [...client.rooms.keys()]) leave(client, b);
  });
  ws.client = client;
});

// Every 30 s a ping; a client that did not answer the previous one is dropped.
const pinger = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.client.alive) {
      ws.terminate();
      continue;
    }
    ws.client.alive = false;
    ws.ping();
  }
}, PING_INTERVAL_MS);

// ---------------------------------------------------------------------------------------------- webhooks

// Notifications of this event-loop turn, committed together in one transaction, then answered.
let pending = [];

function commitPending() {
  const batch = pending;
  pending = [];
  let stored;
  try {
    stored = log.append(batch);
  } catch (err) {
    process.stderr.write(`streams-relay-node: storing ${batch.length} events failed: ${err.message}\n`);
    for (const { res } of batch) text(res, 503, 'storage unavailable, retry later\n');
    return;
  }
  for (const { res } of batch) {
    res.writeHead(204);
    res.end();
  }
  stored.forEach((event, i) => {
    if (event) deliver(event);
    else if (batch[i].event) counters.duplicates++;
  });
  counters.notifications += batch.length;
}

function text(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}

// What a notification becomes on the wire, or null for a type this relay does not pass on.
function normalize(type, event, timestamp) {
  const b = event.broadcaster_user_id;
  if (typeof b !== 'string' || !b) return null;
  if (type === 'channel.follow') {
    if (!event.user_id || !event.followed_at) return null;
    return {
      broadcasterId: b, kind: 'follow', occurredAt: event.followed_at, data: event,
      user: { id: event.user_id, login: event.user_login || '', name: event.user_name || '' },
      dedupKey: `follow:${b}:${event.user_id}:${event.followed_at}`,
    };
  }
  if (type === 'stream.online' || type === 'stream.offline') {
    const online = type === 'stream.online';
    return {
      broadcasterId: b, kind: online ? 'online' : 'offline', data: event,
      occurredAt: online && event.started_at ? event.started_at : new Date(timestamp).toISOString(),
      user: { id: b, login: event.broadcaster_user_login || '', name: event.broadcaster_user_name || '' },
      dedupKey: online && event.id ? `online:${b}:${event.id}` : null,
    };
  }
  return null;
}

function revoke(subscription) {
  const condition = subscription.condition || {};
  const b = condition.broadcaster_user_id;
  const moderator = condition.moderator_user_id || '';
  subscriptions.delete(`${subscription.type}|${b}|${moderator}`);
  for (const client of rooms.get(b) || []) {
    const sub = client.rooms.get(b);
    if (subscription.type === 'channel.follow') {
      if (client.user.id !== moderator) continue;
      sub.follows = false;
    }
    sendJson(client.ws, { type: 'revoked', broadcaster_id: b, reason: subscription.status });
  }
}

function onWebhook(req, res, body) {
  const id = req.headers['twitch-eventsub-message-id'];
  const timestamp = req.headers['twitch-eventsub-message-timestamp'];
  const signature = req.headers['twitch-eventsub-message-signature'];
  const type = req.headers['twitch-eventsub-message-type'];
  if (!id || !timestamp || !signature)
    return text(res, 403, 'missing Twitch-Eventsub-Message-Id, -Timestamp or -Signature\n');
  const expected = Buffer.from('sha256=' + crypto.createHmac('sha256', secret).update(id).update(timestamp).update(body).digest('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    counters.signatureFailures++;
    return text(res, 403, 'signature does not match\n');
  }
  const sentAt = Date.parse(timestamp);
  if (Number.isNaN(sentAt)) return text(res, 400, 'malformed Twitch-Eventsub-Message-Timestamp\n');
  if (Math.abs(Date.now() - sentAt) > REPLAY_WINDOW_MS) return text(res, 403, 'timestamp outside the 10-minute window\n');
  let message;
  try {
    message = JSON.parse(body);
  } catch {
    message = null;
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return text(res, 400, 'body is not a JSON object\n');
  const subscription = message.subscription;
  if (!subscription || !subscription.id || !subscription.type) return text(res, 400, 'subscription.id or subscription.type missing\n');
  if (type === 'webhook_callback_verification') {
    if (typeof message.challenge !== 'string' || !message.challenge) return text(res, 400, 'challenge missing\n');
    return text(res, 200, message.challenge);
  }
  if (type === 'revocation') {
    revoke(subscription);
    res.writeHead(204);
    return res.end();
  }
  if (type !== 'notification') return text(res, 400, 'unknown Twitch-Eventsub-Message-Type\n');
  if (typeof message.event !== 'object' || message.event === null) return text(res, 400, 'event missing\n');
  if (stopping) return text(res, 503, 'relay is shutting down\n');
  pending.push({ messageId: id, event: normalize(subscription.type, message.event, sentAt), res });
  if (pending.length === 1) setImmediate(commitPending);
}

// ---------------------------------------------------------------------------------------------- HTTP

function onRequest(req, res) {
  const pathname = req.url.split('?')[0];
  if (pathname === '/eventsub') {
    if (req.method !== 'POST') return text(res, 405, 'POST only\n');
    if (Number(req.headers['content-length']) > MAX_BODY) {
      res.setHeader('Connection', 'close');
      return text(res, 413, 'body over 64 KiB\n');
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        res.setHeader('Connection', 'close');
        return text(res, 413, 'body over 64 KiB\n');
      }
      onWebhook(req, res, Buffer.concat(chunks, size));
    });
    return;
  }
  const routes = {
    '/healthz': () => text(res, 200, 'ok\n'),
    '/readyz': () => {
      const ready = twitch.appToken !== null && !stopping;
      text(res, ready ? 200 : 503, `storage: ok\ntwitch app token: ${twitch.appToken ? 'ok' : 'missing'}\n`);
    },
    '/metrics': () => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end([
        `streams_relay_webhook_notifications_total ${counters.notifications}`,
        `streams_relay_webhook_duplicates_total ${counters.duplicates}`,
        `streams_relay_webhook_signature_failures_total ${counters.signatureFailures}`,
        `streams_relay_clients ${wss.clients.size}`,
        `streams_relay_deliveries_total ${counters.deliveries}`,
        '',
      ].join('\n'));
    },
    '/api/v1/config': () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ client_id: config.clientId, scopes: SCOPES, protocol: 1 }));
    },
  };
  const route = routes[pathname];
  if (!route) return text(res, 404, 'not found\n');
  if (req.method !== 'GET') return text(res, 405, 'GET only\n');
  route();
}

const server = http.createServer({ requestTimeout: 10000, headersTimeout: 10000 }, onRequest);
server.keepAliveTimeout = 30000;
server.on('upgrade', (req, socket, head) => {
  if (req.url.split('?')[0] !== '/ws') {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

server.listen(config.port, config.host, () => {
  const { address, port } = server.address();
  const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (!callbackUrl) {
    if (!/^(127\.|::1$|localhost$)/.test(config.host)) fail('--public-url is required off loopback');
    callbackUrl = `${base}/eventsub`;
  }
  process.stdout.write(`streams-relay-node listening on ${base}\n`);
  (async function obtainAppToken(delayMs) {
    try {
      await twitch.fetchAppToken();
    } catch (err) {
      process.stderr.write(`streams-relay-node: ${err.message}; retrying\n`);
      setTimeout(() => obtainAppToken(Math.min(delayMs * 2, 30000)), delayMs);
    }
  })(500);
});

const pruner = setInterval(() => log.prune(config.retentionDays, config.retentionEvents), 10 * 60 * 1000);

function shutdown() {
  if (stopping) return;
  stopping = true;
  clearInterval(pinger);
  clearInterval(pruner);
  if (pending.length > 0) commitPending();
  for (const ws of wss.clients) ws.close(1001, 'relay shutting down');
  const exit = () => {
    if (log.db.open) log.db.close();
    process.exit(0);
  };
  server.close(exit);
  server.closeIdleConnections();
  setTimeout(exit, 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
