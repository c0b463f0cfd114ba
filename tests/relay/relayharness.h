#pragma once

// A relay and twitch-sim as real processes on 127.0.0.1, and protocol clients to talk to the relay.

#include "serverprocess.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

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
        QElapsedTimer t;
        t.start();
        for (;;) {
            for (int i = from; i < frames.size(); ++i)
                if (frames[i].value("type").toString() == type)
                    return i;
            if (t.elapsed() > timeoutMs)
                return -1;
            QTest::qWait(20);
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
    std::unique_ptr<Client> subscribedAt(const QUrl &relay, const QString &userId,
                                         const QString &broadcasterId, QJsonObject after = {});
    std::unique_ptr<Client> subscribed(const QString &userId, const QString &broadcasterId,
                                       QJsonObject after = {});
    void trigger(const QJsonObject &body);
    qint64 metric(const QByteArray &name);
    HttpResult postWebhook(const QByteArray &body, const QByteArray &type, const QByteArray &id,
                           QByteArray timestamp = {}, QByteArray secret = kWebhookSecret);
    QJsonArray simSubscriptions();

protected:
    std::unique_ptr<ServerProcess> m_sim;
    std::unique_ptr<ServerProcess> m_relay;
    QTemporaryDir m_dataDir;
    QStringList m_issuedTokens; // every user token handed out, to check that no log shows one
};

} // namespace streams::test
