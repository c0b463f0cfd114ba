#pragma once

// A relay and twitch-sim as real processes on 127.0.0.1, and protocol clients to talk to the relay.

#include "dbservers.h"
#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <functional>
#include <memory>

namespace streams::test {

inline const QByteArray kWebhookSecret = "relay-test-webhook-secret";
inline const QString kClientId = QStringLiteral("simclient0000000000000000000001");
// World: 1001 lumenwave (mods 1003, 1007), 1002 ironquill, 1004 nightjarfm.
inline const QString kBroadcaster = QStringLiteral("1001");
inline const QString kModerator = QStringLiteral("1003");
inline const QString kViewer = QStringLiteral("1002");

// A protocol client that keeps every frame it receives.
class Client {
public:
    explicit Client(const QUrl &relay) {
        QUrl url = relay;
        url.setScheme(QStringLiteral("ws"));
        url.setPath(QStringLiteral("/ws"));
        QObject::connect(&socket, &QWebSocket::textMessageReceived, [this](const QString &text) {
            frames.append(QJsonDocument::fromJson(text.toUtf8()).object());
        });
        socket.open(url);
    }
    bool connected() {
        return socket.state() == QAbstractSocket::ConnectedState ||
               QSignalSpy(&socket, &QWebSocket::connected).wait(5000);
    }
    void send(const QJsonObject &o) {
        socket.sendTextMessage(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
    }
    // Waits until a frame of `type` beyond index `from` arrives; returns its index or -1.
    int waitFor(const QString &type, int from = 0, int timeoutMs = 10000) {
        return waitFor([&](const QJsonObject &frame) { return frame.value("type").toString() == type; }, from,
                       timeoutMs);
    }
    // Waits until a frame beyond index `from` matches; returns its index or -1. Each arriving frame wakes it.
    int waitFor(const std::function<bool(const QJsonObject &)> &matches, int from = 0,
                int timeoutMs = 10000) {
        const QDeadlineTimer deadline(timeoutMs);
        for (int i = from;;) {
            for (; i < frames.size(); ++i)
                if (matches(frames[i]))
                    return i;
            QSignalSpy arrived(&socket, &QWebSocket::textMessageReceived);
            if (deadline.hasExpired() || !arrived.wait(int(deadline.remainingTime())))
                return -1;
        }
    }
    QList<QJsonObject> ofType(const QString &type) const {
        QList<QJsonObject> out;
        for (const auto &f : frames)
            if (f.value("type").toString() == type)
                out.append(f);
        return out;
    }
    QWebSocket socket;
    QList<QJsonObject> frames;
};

// A stream.online/offline notification for `broadcaster`, padded with `padding` bytes of description
// (Twitch's event object is passed through to clients unchanged, so the padding makes big frames).
QByteArray streamBody(const QString &broadcaster, bool online, const QByteArray &eventId, int padding = 0);

class RelayHarness {
public:
    bool startSim();
    // Both servers, for a test case's init and cleanup.
    bool startServers() { return startSim() && startRelay(); }
    void stopServers() {
        m_relay.reset();
        m_sim.reset();
    }
    // Starts (or restarts) the relay on `port` with the harness's data directory and extra settings.
    bool startRelay(quint16 port = 0, const QHash<QString, QString> &extraEnv = {});
    QString userToken(const QString &userId,
                      const QString &scopes = QStringLiteral("moderator:read:followers"));
    // Another relay process on the same sim (its own data directory).
    std::unique_ptr<ServerProcess> launchRelay(const QString &dataDir, quint16 port = 0,
                                               const QHash<QString, QString> &extraEnv = {},
                                               const QStringList &extraArgs = {});
    std::unique_ptr<Client> login(const QString &userId);
    std::unique_ptr<Client> loginAt(const QUrl &relay, const QString &userId);
    // A client subscribed to the broadcaster, once Twitch has verified every subscription its events of the
    // `subscribed` kinds come through (the relay answers `subscribed` when Twitch accepted them; Twitch
    // sends nothing until it has verified the callback).
    std::unique_ptr<Client> subscribedAt(const QUrl &relay, const QString &userId,
                                         const QString &broadcasterId, QJsonObject after = {});
    std::unique_ptr<Client> subscribed(const QString &userId, const QString &broadcasterId,
                                       QJsonObject after = {});
    void trigger(const QJsonObject &body);
    // Like trigger(); the Twitch message ids of the notifications the sim sends (one per subscription).
    QStringList triggered(const QJsonObject &body);
    // Sends a stream.offline of `broadcasterId` and waits until every client has it. The relay delivers a
    // broadcaster's events in the order it stores them, so whatever it was going to deliver before (of
    // what it has handled) has arrived too: a test can then check that something did not come. False (with
    // a warning) when a client did not get it.
    bool sentinel(const QString &broadcasterId, const QList<Client *> &clients);
    // Waits until Twitch (the sim) has an enabled subscription of `type` of the broadcaster (with this
    // moderator, for channel.follow) pointing at the relay: before that, Twitch sends nothing for it.
    bool waitForEnabled(const QString &type, const QString &broadcasterId, const QString &moderatorId = {}) {
        return waitForEnabledAt(m_relay->url(), type, broadcasterId, moderatorId);
    }
    bool waitForEnabledAt(const QUrl &relay, const QString &type, const QString &broadcasterId,
                          const QString &moderatorId = {});
    // Notification webhooks the relay has answered, stored or as duplicates.
    qint64 notificationsHandled();
    qint64 metric(const QByteArray &name);
    HttpResult postWebhook(const QByteArray &body, const QByteArray &type, const QByteArray &id,
                           QByteArray timestamp = {}, QByteArray secret = kWebhookSecret);
    // The same to another relay.
    static HttpResult postWebhookTo(const QUrl &relay, const QByteArray &body, const QByteArray &type,
                                    const QByteArray &id, QByteArray timestamp = {},
                                    QByteArray secret = kWebhookSecret);
    QJsonArray simSubscriptions();
    // STREAMS_TEST_DATABASE=postgres: relays keep their log in PostgreSQL (a server the test process starts).
    static bool usesPostgres();
    static PostgresServer *postgres();
    // The database a relay on `dataDir` uses (created on first use); empty when PostgreSQL cannot start.
    static QUrl databaseFor(const QString &dataDir);

protected:
    // Where Twitch calls a relay back: itself, or the public URL that several relays share.
    QUrl callbackOf(const QUrl &relay) const {
        return m_sharedPublicUrl.isEmpty() ? relay : m_sharedPublicUrl;
    }
    QUrl m_sharedPublicUrl;
    std::unique_ptr<ServerProcess> m_sim;
    std::unique_ptr<ServerProcess> m_relay;
    QTemporaryDir m_dataDir;
    QStringList m_issuedTokens; // every user token handed out, to check that no log shows one
};

} // namespace streams::test
