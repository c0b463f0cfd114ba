#pragma once

// The relay: the I/O threads (HTTP and WebSocket, Boost.Asio), the storage writer, and the control plane
// on the thread that owns this object (Twitch calls, token validation, subscriptions).

#include "eventsub/coordinator.h"
#include "eventsub/subscriptionmanager.h"
#include "eventsub/twitchapi.h"
#include "fanout/redisbus.h"
#include "fanout/sequencer.h"
#include "hub/gatekeeper.h"
#include "hub/hub.h"
#include "hub/replayreader.h"
#include "metrics/metrics.h"
#include "net/httpserver.h"
#include "net/iopool.h"
#include "server/config.h"
#include "storage/eventstore.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <memory>

namespace streams::relay {

class RelayService : public QObject, public Gatekeeper {
    Q_OBJECT
public:
    RelayService(ServerConfig config, QByteArray webhookSecret, QObject *parent = nullptr);
    ~RelayService() override;

    // Opens storage, starts the threads and listens; returns the bound port or 0 with *error.
    quint16 start(QString *error);
    // Stops accepting, answers what is in flight, closes clients with 1001.
    void stop();

    // Gatekeeper (called from I/O threads; answers from this object's thread).
    void authenticate(const QString &token, std::function<void(AuthResult)> done) override;
    void subscribe(const QString &broadcasterId, const QString &userId,
                   std::function<void(EnsureResult)> done) override;
    void release(const QString &broadcasterId, const QString &userId) override;

private:
    struct CachedToken {
        AuthResult result;
        QElapsedTimer age;
    };

    // On I/O threads: every route but the WebSocket upgrade.
    void handleRequest(net::Request &&request, const net::Peer &peer, net::Responder respond);
    void handleWebhook(const net::Request &request, const net::Peer &peer, net::Responder respond);
    QByteArray readiness(bool *ready) const; // on this object's thread
    void startCheckpoints(const QString &sqlitePath);
    bool startFanout(const StorageTarget &storage, QString *error);
    QByteArray fanoutMetrics() const;

    ServerConfig m_config;
    QByteArray m_webhookSecret;
    std::string m_configJson;
    Metrics m_metrics;
    std::atomic<bool> m_stopping{false};
    bool m_started = false;
    std::unique_ptr<EventStore> m_store;
    QThread m_storeThread;
    std::unique_ptr<Checkpointer> m_checkpointer;
    QThread m_checkpointThread;
    QTimer *m_checkpointTimer = nullptr;
    std::unique_ptr<TwitchApi> m_api;
    std::unique_ptr<SubscriptionManager> m_subscriptions;
    std::unique_ptr<SubscriptionCoordinator> m_coordinator; // with PostgreSQL: who owns the subscriptions
    QHash<QByteArray, CachedToken> m_tokenCache;            // key: SHA-256 of the token, never the token
    QHash<QByteArray, QList<std::function<void(AuthResult)>>> m_validating;
    QTimer m_retention;
    // Destroyed in reverse: the listener, then the I/O threads' contexts (and with them every connection,
    // which still reach the hub and the replay reader), then the hub.
    std::unique_ptr<ReplayReader> m_replay;
    std::unique_ptr<Hub> m_hub;
    // With several relays (STREAMS_RELAY_REDIS_URL): events from and to the others; they deliver to the hub.
    std::unique_ptr<Sequencer> m_sequencer;
    std::unique_ptr<RedisBus> m_bus;
    std::unique_ptr<net::IoPool> m_pool;
    std::unique_ptr<net::HttpServer> m_http;
};

} // namespace streams::relay
