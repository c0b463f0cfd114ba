#include "server/relayservice.h"

#include "server/acceptor.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTcpSocket>

Q_LOGGING_CATEGORY(lcWebhook, "streams.relay.webhook")
Q_LOGGING_CATEGORY(lcRelay, "streams.relay")

namespace streams::relay {
namespace {

constexpr int kTokenCacheMs = 5 * 60 * 1000;
const char *const kScopes[] = {"moderator:read:followers", "user:read:follows",
                               "user:read:moderated_channels"};

HeaderList headersOf(const QHttpServerRequest &request) {
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    HeaderList out;
    const QHttpHeaders headers = request.headers();
    for (qsizetype i = 0; i < headers.size(); ++i)
        out.append({headers.nameAt(i).toString().toLatin1(), headers.valueAt(i).toByteArray()});
    return out;
#else
    return request.headers();
#endif
}

QByteArray pathOf(const QHttpServerRequest &request) {
    return request.url().path().toUtf8();
}

} // namespace

RelayService::RelayService(RelayConfig config, QByteArray webhookSecret, QObject *parent)
    : QAbstractHttpServer(parent)
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
    const QString dbPath = QDir(m_config.dataDir).filePath(QStringLiteral("relay.sqlite3"));
    m_store = EventStore::open(dbPath, {m_config.retentionDays, m_config.retentionEvents},
                               m_config.fsyncEveryCommit ? Durability::Fsync : Durability::OsBuffers, error);
    if (!m_store)
        return 0;
    m_store->setCommitHandler([this](const CommittedBatch &batch) {
        m_metrics.eventsStored(qint64(batch.events.size()));
        if (m_hub)
            m_hub->publish(batch.events);
        // Acknowledge on the intake thread, after the commit.
        auto results = std::make_shared<std::vector<StoreResult>>(batch.results);
        QMetaObject::invokeMethod(
            this,
            [this, results] {
                onCommitted(CommittedBatch{*results, {}});
            },
            Qt::QueuedConnection);
    });
    m_storeThread.setObjectName(QStringLiteral("storage"));
    m_store->moveToThread(&m_storeThread);
    m_storeThread.start();
    m_checkpointer = std::make_unique<Checkpointer>(dbPath, m_store->walBytes());
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
    QMetaObject::invokeMethod(m_store.get(), &EventStore::prune, Qt::QueuedConnection);
    m_retention.setInterval(10 * 60 * 1000);
    connect(&m_retention, &QTimer::timeout, this,
            [this] { QMetaObject::invokeMethod(m_store.get(), &EventStore::prune, Qt::QueuedConnection); });
    m_retention.start();

    HubOptions hubOptions;
    hubOptions.helloTimeoutMs = m_config.helloTimeoutSeconds * 1000;
    hubOptions.deadPeerMs = m_config.idleTimeoutSeconds * 1000;
    hubOptions.pingIntervalMs = hubOptions.deadPeerMs / 3;
    m_hub = std::make_unique<Hub>(*this, m_metrics, dbPath, m_store->epoch(), m_config.hubThreads,
                                  m_config.maxConnectionsPerIp, hubOptions);
    AcceptorLimits limits;
    limits.headTimeoutMs = m_config.requestTimeoutSeconds * 1000;
    limits.idleTimeoutMs = qMax(limits.headTimeoutMs, 30000);
    m_acceptor = new Acceptor(*m_hub, limits, this);
    if (!m_acceptor->listen(m_config.listenAddress, m_config.listenPort)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(m_config.listenAddress.toString())
                     .arg(m_config.listenPort)
                     .arg(m_acceptor->errorString());
        return 0;
    }
    bind(m_acceptor);
    const quint16 port = m_acceptor->serverPort();

    m_api = std::make_unique<TwitchApi>(TwitchEndpoints{m_config.authUrl, m_config.helixUrl},
                                        m_config.clientId, m_config.clientSecret);
    EventStore *store = m_store.get();
    m_subscriptions =
        std::make_unique<SubscriptionManager>(*m_api, m_config.callbackUrl(port).toString(), m_webhookSecret,
                                              dbPath, [store](QString sql, QVariantList bindings) {
                                                  store->submitWrite(std::move(sql), std::move(bindings));
                                              });
    m_subscriptions->setUnusedAfter(m_config.subscriptionTtlSeconds);
    connect(m_subscriptions.get(), &SubscriptionManager::revoked, this,
            [this](const QString &b, const QString &m, const QString &type, const QString &reason) {
                m_hub->revoke(b, m, type, reason);
            });
    connect(m_api.get(), &TwitchApi::appTokenChanged, this, [this](bool available) {
        if (available && !m_subscriptions->reconciled())
            m_subscriptions->reconcile();
    });
    m_api->start();
    qCInfo(lcRelay).noquote() << "event log" << dbPath << "epoch" << m_store->epoch() << "last seq"
                              << m_store->lastSeq() << "; callback" << m_config.callbackUrl(port).toString();
    return port;
}

void RelayService::stop() {
    if (m_stopping || !m_store)
        return;
    m_stopping = true;
    if (m_acceptor) {
        m_acceptor->setAccepting(false);
        m_acceptor->pauseAccepting();
    }
    // Commit what is queued, then answer those webhooks before the sockets go.
    m_store->shutdown();
    QCoreApplication::sendPostedEvents(this);
    for (auto &[ticket, ack] : m_pending)
        if (ack.socket)
            respond(ack.socket, ack.responder, 503, "text/plain", "relay is shutting down\n");
    m_pending.clear();
    if (m_hub)
        m_hub->shutdown();
    m_storeThread.quit();
    m_storeThread.wait();
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

#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
// Since Qt 6.5 the request no longer comes with its socket (and since 6.8 the responder does not
// tell it either): the acceptor finds the connection by the peer's address and port.
bool RelayService::handleRequest(const QHttpServerRequest &request, QHttpServerResponder &responder) {
    route(request, m_acceptor->httpConnection(request.remoteAddress(), request.remotePort()), responder);
    return true;
}

#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
void RelayService::missingHandler(const QHttpServerRequest &request, QHttpServerResponder &responder) {
#else
void RelayService::missingHandler(const QHttpServerRequest &request, QHttpServerResponder &&responder) {
#endif
    respond(m_acceptor->httpConnection(request.remoteAddress(), request.remotePort()), responder, 404,
            "text/plain", "not found\n");
}
#else
bool RelayService::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) {
    QHttpServerResponder responder = makeResponder(request, socket);
    route(request, socket, responder);
    return true;
}

void RelayService::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) {
    QHttpServerResponder responder = makeResponder(request, socket);
    respond(socket, responder, 404, "text/plain", "not found\n");
}
#endif

void RelayService::route(const QHttpServerRequest &request, QTcpSocket *socket,
                         QHttpServerResponder &responder) {
    Acceptor::requestHandled(socket);
    const QByteArray path = pathOf(request);
    const auto method = request.method();
    auto reply = [&](int status, const QByteArray &type, const QByteArray &body) {
        respond(socket, responder, status, type, body);
    };
    if (path == "/eventsub") {
        if (method != QHttpServerRequest::Method::Post)
            reply(405, "text/plain", "POST only\n");
        else
            handleWebhook(request, socket, responder);
        return;
    }
    const bool known =
        path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/api/v1/config";
    if (!known) {
        reply(404, "text/plain", "not found\n");
    } else if (method != QHttpServerRequest::Method::Get) {
        reply(405, "text/plain", "GET only\n");
    } else if (path == "/healthz") {
        reply(200, "text/plain", "ok\n");
    } else if (path == "/readyz") {
        const bool storage = m_store != nullptr && !m_stopping;
        const bool token = m_api && m_api->hasAppToken();
        const bool reconciled = m_subscriptions && m_subscriptions->reconciled();
        const QByteArray body = QByteArray("storage: ") + (storage ? "ok" : "unavailable") +
                                "\ntwitch app token: " + (token ? "ok" : "missing") +
                                "\nsubscriptions reconciled: " + (reconciled ? "yes" : "not yet") + '\n';
        reply(storage && token && reconciled ? 200 : 503, "text/plain", body);
    } else if (path == "/metrics") {
        reply(200, "text/plain; version=0.0.4", m_metrics.prometheus());
    } else {
        reply(200, "application/json", configJson());
    }
}

QByteArray RelayService::configJson() const {
    QJsonArray scopes;
    for (const char *s : kScopes)
        scopes.append(QLatin1String(s));
    return QJsonDocument(QJsonObject{{"client_id", m_config.clientId},
                                     {"scopes", scopes},
                                     {"redirect_uri", m_config.redirectUri.toString()},
                                     {"protocol", 1}})
        .toJson(QJsonDocument::Compact);
}

void RelayService::respond(QTcpSocket *socket, QHttpServerResponder &responder, int status,
                           const QByteArray &contentType, const QByteArray &body) {
    if (!socket || socket->state() != QAbstractSocket::ConnectedState)
        return;
    responder.write(body, contentType, QHttpServerResponder::StatusCode(status));
}

void RelayService::handleWebhook(const QHttpServerRequest &request, QTcpSocket *socket,
                                 QHttpServerResponder &responder) {
    const qint64 receivedNs = monotonicNs();
    const QByteArray body = request.body();
    const WebhookCheck check =
        checkWebhook(headersOf(request), body, m_webhookSecret, QDateTime::currentDateTimeUtc());
    if (check.rejection) {
        const auto &r = *check.rejection;
        if (r.status == 403)
            m_metrics.signatureFailure();
        m_metrics.webhook(Metrics::Webhook::Unknown, Metrics::Outcome::Rejected);
        qCInfo(lcWebhook).noquote() << "refused webhook from" << request.remoteAddress().toString() << ":"
                                    << r.status << r.reason;
        respond(socket, responder, r.status, "text/plain", r.reason + '\n');
        return;
    }
    const WebhookMessage &message = *check.message;
    switch (message.type) {
    case WebhookType::Verification:
        m_metrics.webhook(Metrics::Webhook::Verification, Metrics::Outcome::Accepted);
        m_subscriptions->markVerified(message.subscription.id);
        qCInfo(lcWebhook).noquote() << "verified subscription" << message.subscription.type
                                    << message.subscription.id;
        respond(socket, responder, 200, "text/plain", message.challenge.toUtf8());
        return;
    case WebhookType::Revocation:
        m_metrics.webhook(Metrics::Webhook::Revocation, Metrics::Outcome::Accepted);
        m_subscriptions->markRevoked(message.subscription.id, message.subscription.status);
        respond(socket, responder, 204, "text/plain", {});
        return;
    case WebhookType::Notification:
        break;
    }
    if (m_stopping) {
        respond(socket, responder, 503, "text/plain", "relay is shutting down\n");
        return;
    }
    const quint64 ticket = m_nextTicket++;
    m_pending.emplace(ticket, PendingAck{std::move(responder), socket});
    m_store->submit(IncomingEvent{ticket, message.messageId, normalize(message), receivedNs});
}

void RelayService::onCommitted(const CommittedBatch &batch) {
    for (const StoreResult &r : batch.results) {
        auto it = m_pending.find(r.ticket);
        if (it == m_pending.end())
            continue;
        PendingAck ack = std::move(it->second);
        m_pending.erase(it);
        switch (r.outcome) {
        case StoreOutcome::Stored:
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Accepted);
            respond(ack.socket, ack.responder, 204, "text/plain", {});
            break;
        case StoreOutcome::Duplicate:
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Duplicate);
            respond(ack.socket, ack.responder, 204, "text/plain", {});
            break;
        case StoreOutcome::Failed:
            // Not stored: Twitch retries later with the same message id.
            m_metrics.webhook(Metrics::Webhook::Notification, Metrics::Outcome::Failed);
            respond(ack.socket, ack.responder, 503, "text/plain", "storage unavailable, retry later\n");
            break;
        }
    }
}

void RelayService::authenticate(const QString &token, QObject *context,
                                std::function<void(AuthResult)> done) {
    auto deliver = [context, done = std::move(done)](AuthResult r) {
        QMetaObject::invokeMethod(
            context, [done, r] { done(r); }, Qt::QueuedConnection);
    };
    QMetaObject::invokeMethod(this, [this, token, deliver] {
        const QByteArray key = QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
        auto cached = m_tokenCache.find(key);
        if (cached != m_tokenCache.end() && cached->age.elapsed() < kTokenCacheMs) {
            deliver(cached->result);
            return;
        }
        auto &waiting = m_validating[key];
        waiting.append(deliver);
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

void RelayService::subscribe(const QString &broadcasterId, const QString &userId, QObject *context,
                             std::function<void(EnsureResult)> done) {
    QMetaObject::invokeMethod(this, [=, this] {
        m_subscriptions->ensure(broadcasterId, userId, [context, done](EnsureResult r) {
            QMetaObject::invokeMethod(
                context, [done, r] { done(r); }, Qt::QueuedConnection);
        });
    });
}

void RelayService::release(const QString &broadcasterId, const QString &userId) {
    QMetaObject::invokeMethod(this, [=, this] {
        if (m_subscriptions)
            m_subscriptions->release(broadcasterId, userId);
    });
}

} // namespace streams::relay
