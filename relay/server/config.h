#pragma once

// The relay's settings from its command line and environment (flags win; secrets only from the
// environment or files). Every problem is one line that names the setting.

#include <QHostAddress>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace streams::relay {

struct StorageTarget;

// Not the relay's public configuration that the app fetches (/api/v1/config, app::ServerConfig).
struct ServerConfig {
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 8080;
    QUrl publicUrl; // empty: derived from the bound port (loopback only)
    QString dataDir;
    bool jsonLogs = false;
    QString clientId;
    QByteArray clientSecret;
    QByteArray webhookSecret; // empty: generated and kept in the data directory
    QUrl authUrl;
    QUrl helixUrl;
    int retentionDays = 30;
    int retentionEvents = 10000;
    int ioThreads = 2;             // STREAMS_RELAY_IO_THREADS: epoll threads owning every client socket
    int maxConnections = 50000;    // STREAMS_RELAY_MAX_CONNECTIONS: HTTP and WebSocket together
    int maxConnectionsPerIp = 256; // STREAMS_RELAY_MAX_CONNECTIONS_PER_IP: WebSocket clients per address
    QStringList trustedProxies;    // STREAMS_RELAY_TRUSTED_PROXIES: addresses or CIDR ranges
    int maxBroadcastersPerConnection = 10; // STREAMS_RELAY_MAX_BROADCASTERS_PER_CONNECTION
    int maxBroadcastersPerUser = 50;       // STREAMS_RELAY_MAX_BROADCASTERS_PER_USER, across connections
    int maxQueuedKiB = 1024;      // STREAMS_RELAY_MAX_QUEUED_KIB: a client with more unsent is closed (1008)
    int helloTimeoutSeconds = 10; // STREAMS_RELAY_HELLO_TIMEOUT_SECONDS
    int idleTimeoutSeconds = 60;  // STREAMS_RELAY_IDLE_TIMEOUT_SECONDS: silent WebSocket peers are dropped
    int requestTimeoutSeconds = 10; // STREAMS_RELAY_REQUEST_TIMEOUT_SECONDS: an HTTP request head must arrive
    int subscriptionTtlSeconds = 7 * 86400; // STREAMS_RELAY_SUBSCRIPTION_TTL_SECONDS: unused ones are deleted
    QUrl redirectUri; // STREAMS_RELAY_REDIRECT_URI: the app's registered OAuth redirect, for /api/v1/config
    bool fsyncEveryCommit = true; // STREAMS_RELAY_DURABILITY=fsync (default) or os
    QUrl databaseUrl; // STREAMS_RELAY_DATABASE_URL: PostgreSQL shared by several relays; empty: SQLite
    QUrl redisUrl;    // STREAMS_RELAY_REDIS_URL: fan-out between relays; needs databaseUrl

    QUrl callbackUrl(quint16 boundPort) const;
};

struct ConfigResult {
    std::optional<ServerConfig> config;
    QString error;        // one line naming the setting
    bool exitNow = false; // --help / --version were answered
};

ConfigResult parseServerConfig(const QStringList &arguments, const QHash<QString, QString> &environment);

// Reads the webhook secret from the data directory, creating it (0600) when missing.
std::optional<QByteArray> loadOrCreateWebhookSecret(const QString &dataDir, QString *error);
bool isValidWebhookSecret(const QByteArray &secret);
// Several relays on one PostgreSQL share one secret, kept in its meta table (created by the first).
std::optional<QByteArray> loadOrCreateSharedWebhookSecret(const StorageTarget &database, QString *error);
QByteArray generateWebhookSecret();

} // namespace streams::relay
