#include "server/relayservice.h"

#include "eventsub/webhook.h"
#include "server/routes.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcWebhook, "streams.relay.webhook")
Q_LOGGING_CATEGORY(lcRelay, "streams.relay")

namespace streams::relay {
namespace {

constexpr int kTokenCacheMs = 5 * 60 * 1000;
const char *const kScopes[] = {"moderator:read:followers", "user:read:follows",
                               "user:read:moderated_channels"};

net::HttpResponse text(unsigned status, std::string body) {
    return {status, "text/plain", std::move(body)};
}

QByteArray headerOf(const net::Request &request, std::string_view name) {
    const auto it = request.find(name);
    if (it == request.end())
        return {};
    return QByteArray(it->value().data(), qsizetype(it->value().size()));
}

} // namespace

RelayService::RelayService(ServerConfig config, QByteArray webhookSecret, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_webhookSecret(std::move(webhookSecret)) {}

RelayService::~RelayService() {
    stop();
}

quint16 RelayService::start(QString *error) {
    if (!QDir().mkpath(m_config.dataDir)) {
        *error = QStringLiteral("cannot create data directory %1").arg(m_config.dataDir);
        return 0;
    }
    QFile::setPermissions(m_config.dataDir,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    StorageTarget storage;
    storage.postgres = m_config.databaseUrl;
    if (!storage.isPostgres())
        storage.sqlitePath = QDir(m_config.dataDir).filePath(QStringLiteral("relay.sqlite3"));
    m_store = EventStore::open(storage, {m_config.retentionDays, m_config.retentionEvents},
                               m_config.fsyncEveryCommit ? Durability::Fsync : Durability::OsBuffers, error);
    if (!m_store)
        return 0;
    m_replay = ReplayReader::open(storage, error);
    if (!m_replay)
        return 0;
    m_started = true;
    m_store->setCommitHandler([this](const CommittedBatch &batch) {
        m_metrics.eventsStored(qint64(batch.events.size()));
        if (m_bus) { // the other relays' clients, and this one's in order with what the others store
            m_bus->publish(batch.events);
            m_sequencer->local(batch.events);
        } else if (m_hub) {
            m_hub->publish(batch.events);
        }
    });
    m_storeThread.setObjectName(QStringLiteral("storage"));
    m_store->moveToThread(&m_storeThread);
    m_storeThread.start();
    if (!storage.isPostgres())
        startCheckpoints(storage.sqlitePath);
    QMetaObject::invokeMethod(m_store.get(), &EventStore::prune, Qt::QueuedConnection);
    m_retention.setInterval(10 * 60 * 1000);
    connect(&m_retention, &QTimer::timeout, this,
            [this] { QMetaObject::invokeMethod(m_store.get(), &EventStore::prune, Qt::QueuedConnection); });
    m_retention.start();

    QJsonArray scopes;
    for (const char *s : kScopes)
        scopes.append(QLatin1String(s));
    m_configJson = QJsonDocument(QJsonObject{{"client_id", m_config.clientId},
                                             {"scopes", scopes},
                                             {"redirect_uri", m_config.redirectUri.toString()},
                                             {"protocol", 1}})
                       .toJson(QJsonDocument::Compact)
                       .toStdString();

    m_pool = std::make_unique<net::IoPool>(m_config.ioThreads, "io");
    HubOptions hubOptions;
    hubOptions.helloTimeout = std::chrono::seconds(m_config.helloTimeoutSeconds);
    hubOptions.deadPeer = std::chrono::seconds(m_config.idleTimeoutSeconds);
    hubOptions.handshakeTimeout = std::chrono::seconds(m_config.requestTimeoutSeconds);
    hubOptions.maxConnectionsPerAddress = m_config.maxConnectionsPerIp;
    hubOptions.maxBroadcastersPerConnection = m_config.maxBroadcastersPerConnection;
    hubOptions.maxBroadcastersPerUser = m_config.maxBroadcastersPerUser;
    hubOptions.maxQueuedBytes = std::size_t(m_config.maxQueuedKiB) * 1024;
    m_hub = std::make_unique<Hub>(*m_pool, *this, m_metrics, *m_replay, m_store->epoch(), hubOptions);
    if (!m_config.redisUrl.isEmpty() && !startFanout(storage, error))
        return 0;

    net::HttpLimits limits;
    limits.headTimeout = std::chrono::seconds(m_config.requestTimeoutSeconds);
    limits.bodyTimeout = limits.headTimeout;
    limits.idleTimeout = std::max<std::chrono::milliseconds>(limits.headTimeout, std::chrono::seconds(30));
    limits.maxConnections = m_config.maxConnections;
    net::TrustedProxies trusted;
    std::vector<std::string> proxies;
    for (const QString &proxy : m_config.trustedProxies)
        proxies.push_back(proxy.toStdString());
    std::string bad;
    if (!trusted.parse(proxies, &bad)) {
        *error = QStringLiteral("STREAMS_RELAY_TRUSTED_PROXIES: '%1' is not an address or CIDR range")
                     .arg(QString::fromStdString(bad));
        return 0;
    }
    m_http = std::make_unique<net::HttpServer>(
        *m_pool, limits, std::move(trusted),
        [this](net::Request &&request, const net::Peer &peer, net::Responder respond) {
            handleRequest(std::move(request), peer, std::move(respond));
        },
        [this](net::beast::tcp_stream &stream, net::Request &request, const net::Peer &peer,
               std::size_t thread,
               net::ConnectionSlot &slot) { return m_hub->upgrade(stream, request, peer, thread, slot); });
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(m_config.listenAddress.toString().toStdString(), ec);
    std::string why;
    if (ec || !m_http->listen(address, m_config.listenPort, &why)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(m_config.listenAddress.toString())
                     .arg(m_config.listenPort)
                     .arg(QString::fromStdString(ec ? ec.message() : why));
        return 0;
    }
    const quint16 port = m_http->port();

    m_api = std::make_unique<TwitchApi>(TwitchApiUrls{m_config.authUrl, m_config.helixUrl}, m_config.clientId,
                                        m_config.clientSecret);
    EventStore *store = m_store.get();
    m_subscriptions =
        std::make_unique<SubscriptionManager>(*m_api, m_config.callbackUrl(port).toString(), m_webhookSecret,
                                              storage, [store](QString sql, QVariantList bindings) {
                                                  store->submitWrite(std::move(sql), std::move(bindings));
                                              });
    m_subscriptions->setUnusedAfter(m_config.subscriptionTtlSeconds);
    auto revokeForClients = [this](const QString &b, const QString &m, const QString &type,
                                   const QString &reason) { m_hub->revoke(b, m, type, reason); };
    if (storage.isPostgres()) {
        // Relays sharing the database: one of them talks to Twitch about subscriptions.
        m_coordinator = std::make_unique<SubscriptionCoordinator>(storage, *m_subscriptions);
        connect(m_coordinator.get(), &SubscriptionCoordinator::revoked, this, revokeForClients);
        connect(m_coordinator.get(), &SubscriptionCoordinator::ownershipChanged, this, [this](bool owner) {
            if (owner && m_api->hasAppToken())
                m_subscriptions->reconcile();
        });
    } else {
        connect(m_subscriptions.get(), &SubscriptionManager::revoked, this, revokeForClients);
    }
    connect(m_api.get(), &TwitchApi::appTokenChanged, this, [this](bool available) {
        if (available && m_subscriptions->owner() && !m_subscriptions->reconciled())
            m_subscriptions->reconcile();
    });
    if (m_coordinator && !m_coordinator->start(error))
        return 0;
    m_api->start();
    m_pool->start();
    qCInfo(lcRelay).noquote() << "event log" << storage.describe() << "epoch" << m_store->epoch()
                              << (storage.isPostgres()
                                      ? QStringLiteral("(seq per broadcaster)")
                                      : QStringLiteral("last seq %1").arg(m_store->lastSeq()))
                              << "; callback" << m_config.callbackUrl(port).toString() << ";"
                              << m_pool->size() << "I/O threads";
    return port;
}

bool RelayService::startFanout(const StorageTarget &storage, QString *error) {
    m_sequencer = Sequencer::start(
        storage, [this](const std::vector<StoredEventPtr> &events) { m_hub->publish(events); },
        [this](const std::string &broadcasterId, bool on) {
            if (on)
                m_bus->watch(broadcasterId);
            else
                m_bus->unwatch(broadcasterId);
        },
        error);
    if (!m_sequencer)
        return false;
    RedisBus::Callbacks callbacks;
    callbacks.received = [this](StoredEventPtr e) { m_sequencer->remote(std::move(e)); };
    callbacks.listening = [this](const std::string &broadcasterId) { m_sequencer->listening(broadcasterId); };
    callbacks.reconnected = [this] { m_sequencer->resync(); };
    m_bus = RedisBus::start(m_config.redisUrl, std::move(callbacks), error);
    if (!m_bus)
        return false;
    m_hub->setInterestListener(
        [this](const std::string &broadcasterId, bool on) { m_sequencer->watched(broadcasterId, on); });
    QUrl shown = m_config.redisUrl;
    shown.setPassword({});
    qCInfo(lcRelay).noquote() << "fan-out between relays through" << shown.toString();
    return true;
}

QByteArray RelayService::fanoutMetrics() const {
    if (!m_bus)
        return {};
    QByteArray out;
    auto metric = [&out](const char *name, const char *type, const char *help, qint64 value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name +
               ' ' + QByteArray::number(value) + '\n';
    };
    metric("streams_relay_redis_connected", "gauge",
           "Whether the relay is connected to Redis (publisher and subscriber).", m_bus->connected() ? 1 : 0);
    metric("streams_relay_redis_published_total", "counter", "Events this relay published to the others.",
           m_bus->published());
    metric("streams_relay_redis_received_total", "counter", "Events received from Redis (its own included).",
           m_bus->receivedCount());
    metric("streams_relay_fanout_gap_events_total", "counter",
           "Events read from the log because Redis did not bring them.", m_sequencer->stats().gapsFilled);
    return out;
}

void RelayService::startCheckpoints(const QString &sqlitePath) {
    m_checkpointer = std::make_unique<Checkpointer>(sqlitePath, m_store->walBytes());
    m_checkpointer->moveToThread(&m_checkpointThread);
    m_checkpointThread.setObjectName(QStringLiteral("checkpoint"));
    m_checkpointThread.start();
    QMetaObject::invokeMethod(m_checkpointer.get(), [this] {
        m_checkpointTimer = new QTimer(m_checkpointer.get());
        connect(m_checkpointTimer, &QTimer::timeout, m_checkpointer.get(), &Checkpointer::checkpoint);
        // Often, so each checkpoint (and its fsync of the database file, which the commits' fsyncs queue
        // behind) stays small: relay-bench's acknowledgement p99 was 16-19 ms at 100 ms, 20-24 at 500,
        // 28 at 2 s, and worse again at 50 ms.
        m_checkpointTimer->start(100);
    });
}

void RelayService::stop() {
    if (!m_started || m_stopping.exchange(true))
        return;
    if (m_http)
        m_http->stopAccepting();
    // Commit what is queued; its webhooks are answered on their I/O threads before the sockets go.
    m_store->shutdown();
    // Nothing more comes from the other relays, nor goes to them; clients leaving from here on tell no one.
    if (m_hub)
        m_hub->setInterestListener({});
    // The bus's thread first (it hands events to the sequencer), then the sequencer (whose last tasks may
    // still tell the bus what to watch), then the bus.
    if (m_bus)
        m_bus->stop();
    m_sequencer.reset();
    m_bus.reset();
    if (m_hub && m_pool)
        m_hub->closeAll(std::chrono::milliseconds(500));
    // No answer from Twitch may reach a connection from here on.
    m_coordinator.reset();
    m_subscriptions.reset();
    m_api.reset();
    m_validating.clear();
    if (m_pool)
        m_pool->stop();
    // The I/O threads are gone; now everything bound to their contexts goes, before the contexts do.
    m_replay.reset(); // pages still queued for sessions are dropped
    m_http.reset();
    if (m_hub)
        m_hub->stop();
    m_pool.reset(); // every connection goes with its context (they still reach the hub as they go)
    m_storeThread.quit();
    m_storeThread.wait();
    if (m_checkpointer) {
        QMetaObject::invokeMethod(
            m_checkpointer.get(),
            [this] {
                m_checkpointer->checkpoint();
                delete m_checkpointTimer;
            },
            Qt::BlockingQueuedConnection);
        m_checkpointThread.quit();
        m_checkpointThread.wait();
    }
}

void RelayService::handleRequest(net::Request &&request, const net::Peer &peer, net::Responder respond) {
    switch (routeOf(request.method(), request.target())) {
    case Route::Webhook:
        handleWebhook(request, peer, std::move(respond));
        return;
    case Route::Health:
        respond(text(200, "ok\n"));
        return;
    case Route::Ready:
        // The control plane's state lives on its thread: ask it there.
        QMetaObject::invokeMethod(this, [this, respond = std::move(respond)] {
            bool ready = false;
            const QByteArray body = readiness(&ready);
            respond(text(ready ? 200 : 503, body.toStdString()));
        });
        return;
    case Route::Metrics:
        respond({200, "text/plain; version=0.0.4", (m_metrics.prometheus() + fanoutMetrics()).toStdString()});
        return;
    case Route::Config:
        respond({200, "application/json", m_configJson});
        return;
    case Route::NotFound:
        respond(text(404, "not found\n"));
        return;
    case Route::PostOnly:
        respond(text(405, "POST only\n"));
        return;
    case Route::GetOnly:
        respond(text(405, "GET only\n"));
        return;
    }
}

QByteArray RelayService::readiness(bool *ready) const {
    const bool storage = m_store != nullptr && !m_stopping;
    const bool token = m_api && m_api->hasAppToken();
    // With several relays, the owner of the subscriptions reconciles; the others need its database.
    const bool reconciled =
        m_subscriptions && (m_coordinator && !m_coordinator->isOwner() ? m_coordinator->connected()
                                                                       : m_subscriptions->reconciled());
    *ready = storage && token && reconciled;
    const QByteArray where = m_store ? " (" + m_store->target().describe().toUtf8() + ")" : QByteArray();
    return QByteArray("storage: ") + (storage ? "ok" : "unavailable") + where +
           "\ntwitch app token: " + (token ? "ok" : "missing") +
           "\nsubscriptions reconciled: " + (reconciled ? "yes" : "not yet") + '\n' +
           (m_coordinator ? QByteArray("subscriptions owner: ") +
                                (m_coordinator->isOwner() ? "this relay" : "another relay") + '\n'
                          : QByteArray()) +
           (m_bus ? QByteArray("redis: ") +
                        (m_bus->connected() ? "connected"
                                            : "disconnected (events of the "
                                              "other relays come late)") +
                        '\n'
                  : QByteArray());
}

void RelayService::handleWebhook(const net::Request &request, const net::Peer &peer, net::Responder respond) {
    const qint64 receivedNs = monotonicNs();
    HeaderList headers;
    for (const char *name : {"Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp",
                             "Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Type"})
        headers.append({QByteArray(name), headerOf(request, name)});
    const QByteArray body(request.body().data(), qsizetype(request.body().size()));
    const WebhookCheck check = checkWebhook(headers, body, m_webhookSecret, QDateTime::currentDateTimeUtc());
    if (check.rejection) {
        const auto &r = *check.rejection;
        if (r.status == 403)
            m_metrics.signatureFailure();
        m_metrics.webhook(Metrics::Webhook::Unknown, Metrics::Outcome::Rejected);
        qCInfo(lcWebhook).noquote() << "refused webhook from" << QString::fromStdString(peer.text) << ":"
                                    << r.status << r.reason;
        respond(text(unsigned(r.status), (r.reason + '\n').toStdString()));
        return;
    }
    const WebhookMessage &message = *check.message;
    switch (message.type) {
    case WebhookType::Verification:
        m_metrics.webhook(Metrics::Webhook::Verification, Metrics::Outcome::Accepted);
        QMetaObject::invokeMethod(this,
                                  [this, id = message.subscription.id, type = message.subscription.type] {
                                      if (!m_subscriptions)
                                          return;
                                      if (m_coordinator)
                                          m_coordinator->verified(id);
                                      else
                                          m_subscriptions->markVerified(id);
                                      qCInfo(lcWebhook).noquote() << "verified subscription" << type << id;
                                  });
        respond(text(200, message.challenge.toStdString()));
        return;
    case WebhookType::Revocation:
        m_metrics.webhook(Metrics::Webhook::Revocation, Metrics::Outcome::Accepted);
        QMetaObject::invokeMethod(this,
                                  [this, id = message.subscription.id, status = message.subscription.status] {
                                      if (m_coordinator)
                                          m_coordinator->revokedByTwitch(id, status);
                                      else if (m_subscriptions)
                                          m_subscriptions->markRevoked(id, status);
                                  });
        respond(text(204, {}));
        return;
    case WebhookType::Notification:
        break;
    }
    if (m_stopping) {
        respond(text(503, "relay is shutting down\n"));
        return;
    }
    IncomingEvent incoming{message.messageId, std::nullopt, receivedNs, {}};
    if (auto normalized = normalize(message)) // serialised here, on this I/O thread: the store's is one
        incoming.event =
            PendingEvent{normalized->event.broadcasterId.toStdString(), normalized->event.kind.toStdString(),
                         normalized->dedupKey.toStdString(), std::move(normalized->frame)};
    incoming.done = [this, respond = std::move(respond)](StoreOutcome outcome) {
        switch (outcome) {
        case StoreOutcome::Stored:
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Accepted);
            respond(text(204, {}));
            break;
        case StoreOutcome::Duplicate:
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Duplicate);
            respond(text(204, {}));
            break;
        case StoreOutcome::Failed:
            // Not stored: Twitch retries later with the same message id.
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Failed);
            respond(text(503, "storage unavailable, retry later\n"));
            break;
        }
    };
    m_store->submit(std::move(incoming));
}

void RelayService::authenticate(const QString &token, std::function<void(AuthResult)> done) {
    QMetaObject::invokeMethod(this, [this, token, done = std::move(done)] {
        if (!m_api) {
            done(
                {std::nullopt, {protocol::ErrorCode::Unavailable, QStringLiteral("relay is shutting down")}});
            return;
        }
        const QByteArray key = QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
        auto cached = m_tokenCache.find(key);
        if (cached != m_tokenCache.end() && cached->age.elapsed() < kTokenCacheMs) {
            done(cached->result);
            return;
        }
        auto &waiting = m_validating[key];
        waiting.append(done);
        if (waiting.size() > 1)
            return;
        m_api->validateUserToken(token, [this, key](HttpOutcome out, TokenInfo info) {
            AuthResult r;
            bool cacheable = true;
            if (out.status == 200 && info.clientId == m_config.clientId && !info.userId.isEmpty()) {
                r.user = protocol::UserRef{info.userId, info.login, {}};
            } else if (out.status == 200) {
                r.error = {protocol::ErrorCode::Unauthorized,
                           info.userId.isEmpty()
                               ? QStringLiteral("an app token cannot log in; use a user token")
                               : QStringLiteral("this token belongs to another application's "
                                                "client ID; log in through this relay's config")};
            } else if (out.status == 401) {
                r.error = {protocol::ErrorCode::Unauthorized,
                           QStringLiteral("Twitch says the token is invalid or expired; log in again")};
            } else {
                cacheable = false;
                r.error = {protocol::ErrorCode::Unavailable,
                           QStringLiteral("cannot reach Twitch to check the token (%1); retry later")
                               .arg(out.describe())};
            }
            if (cacheable) {
                if (m_tokenCache.size() > 10000)
                    m_tokenCache.clear();
                CachedToken &entry = m_tokenCache[key];
                entry.result = r;
                entry.age.start();
            }
            for (const auto &callback : m_validating.take(key))
                callback(r);
        });
    });
}

void RelayService::subscribe(const QString &broadcasterId, const QString &userId,
                             std::function<void(EnsureResult)> done) {
    QMetaObject::invokeMethod(this, [this, broadcasterId, userId, done = std::move(done)] {
        if (!m_subscriptions) {
            EnsureResult r;
            r.error =
                protocol::Error{protocol::ErrorCode::Unavailable, QStringLiteral("relay is shutting down")};
            done(r);
            return;
        }
        if (m_coordinator)
            m_coordinator->ensure(broadcasterId, userId, done);
        else
            m_subscriptions->ensure(broadcasterId, userId, done);
    });
}

void RelayService::release(const QString &broadcasterId, const QString &userId) {
    QMetaObject::invokeMethod(this, [this, broadcasterId, userId] {
        if (m_coordinator)
            m_coordinator->release(broadcasterId, userId);
        else if (m_subscriptions)
            m_subscriptions->release(broadcasterId, userId);
    });
}

} // namespace streams::relay
