#pragma once

// twitch-sim --demo: every few seconds, for each streamer someone watches (an EventSub subscription, webhook
// or WebSocket, or a joined chat channel), one realistic event: a follow through EventSub, or a cheer, sub,
// resub, gift bomb or raid — as an EventSub notification where the streamer has a WebSocket subscription of
// that type, in chat otherwise. It drives the simulator through its own public control API, as a test would.

#include "simserver.h"

#include <QNetworkAccessManager>
#include <QSet>
#include <QTimer>

namespace twitchsim {

class DemoDriver : public QObject {
    Q_OBJECT
public:
    DemoDriver(World &world, std::function<QUrl()> baseUrl, int intervalMs, QObject *parent = nullptr);

private:
    void tick();
    // webSocketTypes: the types the broadcaster has enabled WebSocket subscriptions for.
    void emitFor(const QString &broadcasterId, const QSet<QString> &webSocketTypes);
    void post(const QString &path, const QJsonObject &body);

    World &m_world;
    std::function<QUrl()> m_baseUrl;
    QNetworkAccessManager m_network;
    QTimer m_timer;
    int m_round = 0;
};

} // namespace twitchsim
