#pragma once

// twitch-sim --demo: every few seconds, for each streamer someone watches (an EventSub subscription or a
// joined chat channel), one realistic event: a follow through EventSub, or a cheer, sub, resub, gift bomb
// or raid in chat. It drives the simulator through its own public control API, as a test would.

#include "simserver.h"

#include <QNetworkAccessManager>
#include <QTimer>

namespace twitchsim {

class DemoDriver : public QObject {
    Q_OBJECT
public:
    DemoDriver(World &world, std::function<QUrl()> baseUrl, int intervalMs, QObject *parent = nullptr);

private:
    void tick();
    void emitFor(const QString &broadcasterId);
    void post(const QString &path, const QJsonObject &body);

    World &m_world;
    std::function<QUrl()> m_baseUrl;
    QNetworkAccessManager m_network;
    QTimer m_timer;
    int m_round = 0;
};

} // namespace twitchsim
