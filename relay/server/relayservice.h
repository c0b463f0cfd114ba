#pragma once

// The relay's control plane on the intake thread: webhook intake, the HTTP API, token validation
// for hub threads, and subscriptions with Twitch.

#include "eventsub/subscriptionmanager.h"
#include "eventsub/twitchapi.h"
#include "hub/gatekeeper.h"
#include "hub/hub.h"
#include "server/config.h"
#include "server/metrics.h"
#include "storage/eventstore.h"

#include <QAbstractHttpServer>
#include <QElapsedTimer>
#include <QHash>
#include <QHttpServerResponder>
#include <QPointer>
#include <QThread>

#include <memory>

namespace streams::relay {

class Acceptor;

class RelayService : public QAbstractHttpServer, public Gatekeeper {
    Q_OBJECT
public:
    RelayService(RelayConfig config, QByteArray webhookSecret, QObject *parent = nullptr);
    ~RelayService() override;

    // Opens storage, starts the threads and listens; returns the bound port or 0 with *error.
    quint16 start(QString *error);
    // Stops accepting, answers what is in flight, closes clients with 1001.
    void stop();

    // Gatekeeper (called from hub threads).
    void authenticate(const QString &token, QObject *context, std::function<void(AuthResult)> done) override;
    void subscribe(const QString &broadcasterId, const QString &userId, QObject *context,
                   std::function<void(EnsureResult)> done) override;
    void release(const QString &broadcasterId, const QString &userId) override;

protected:
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    bool handleRequest(const QHttpServerRequest &request, QHttpServerResponder &responder) override;
    void missingHandler(const QHttpServerRequest &request, QHttpServerResponder &responder) override;
#elif QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    bool handleRequest(const QHttpServerRequest &request, QHttpServerResponder &responder) override;
    void missingHandler(const QHttpServerRequest &request, QHttpServerResponder &&responder) override;
#else
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;
#endif

private:
    struct PendingAck {
        QHttpServerResponder responder;
        QPointer<QTcpSocket> socket;
    };
    struct CachedToken {
        AuthResult result;
        QElapsedTimer age;
    };

    // Answers every request (404 for unknown paths); a webhook's responder is kept until its commit.
    void route(const QHttpServerRequest &request, QTcpSocket *socket, QHttpServerResponder &responder);
    void handleWebhook(const QHttpServerRequest &request, QTcpSocket *socket,
                       QHttpServerResponder &responder);
    void onCommitted(const CommittedBatch &batch);
    void respond(QTcpSocket *socket, QHttpServerResponder &responder, int status,
                 const QByteArray &contentType, const QByteArray &body);
    QByteArray configJson() const;

    RelayConfig m_config;
    QByteArray m_webhookSecret;
    Metrics m_metrics;
    std::unique_ptr<EventStore> m_store;
    QThread m_storeThread;
    std::unique_ptr<Checkpointer> m_checkpointer;
    QThread m_checkpointThread;
    QTimer *m_checkpointTimer = nullptr;
    std::unique_ptr<TwitchApi> m_api;
    std::unique_ptr<SubscriptionManager> m_subscriptions;
    std::unique_ptr<Hub> m_hub;
    Acceptor *m_acceptor = nullptr;
    quint64 m_nextTicket = 1;
    std::unordered_map<quint64, PendingAck> m_pending;
    QHash<QByteArray, CachedToken> m_tokenCache; // key: SHA-256 of the token, never the token
    QHash<QByteArray, QList<std::function<void(AuthResult)>>> m_validating;
    QTimer m_retention;
    bool m_stopping = false;
};

} // namespace streams::relay
