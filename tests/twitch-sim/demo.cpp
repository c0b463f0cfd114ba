#include "demo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSet>

namespace twitchsim {

DemoDriver::DemoDriver(World &world, std::function<QUrl()> baseUrl, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_baseUrl(std::move(baseUrl)) {
    m_network.setAutoDeleteReplies(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &DemoDriver::tick);
    m_timer.start();
}

void DemoDriver::tick() {
    // Who is watched: the broadcasters of EventSub subscriptions (webhook, then WebSocket), and the channels
    // joined in chat.
    auto *subs =
        m_network.get(QNetworkRequest(m_baseUrl().resolved(QUrl(QStringLiteral("/sim/subscriptions")))));
    connect(subs, &QNetworkReply::finished, this, [this, subs] {
        QSet<QString> watched;
        const QJsonArray data = QJsonDocument::fromJson(subs->readAll()).object().value("data").toArray();
        for (const QJsonValue s : data)
            if (s.toObject().value("status").toString() == u"enabled")
                watched.insert(
                    s.toObject().value("condition").toObject().value("broadcaster_user_id").toString());
        auto *ws = m_network.get(
            QNetworkRequest(m_baseUrl().resolved(QUrl(QStringLiteral("/sim/eventsub/subscriptions")))));
        connect(ws, &QNetworkReply::finished, this, [this, ws, watched]() mutable {
            QHash<QString, QSet<QString>> webSocketTypes; // broadcaster -> types
            const QJsonArray data = QJsonDocument::fromJson(ws->readAll()).object().value("data").toArray();
            for (const QJsonValue v : data) {
                const QJsonObject s = v.toObject();
                const QJsonObject condition = s.value("condition").toObject();
                const QString broadcaster = condition.contains("to_broadcaster_user_id")
                                                ? condition.value("to_broadcaster_user_id").toString()
                                                : condition.value("broadcaster_user_id").toString();
                if (s.value("status").toString() == u"enabled" && !broadcaster.isEmpty()) {
                    watched.insert(broadcaster);
                    webSocketTypes[broadcaster].insert(s.value("type").toString());
                }
            }
            auto *irc =
                m_network.get(QNetworkRequest(m_baseUrl().resolved(QUrl(QStringLiteral("/sim/irc")))));
            connect(irc, &QNetworkReply::finished, this, [this, irc, watched, webSocketTypes]() mutable {
                const QJsonArray clients =
                    QJsonDocument::fromJson(irc->readAll()).object().value("clients").toArray();
                for (const QJsonValue c : clients)
                    for (const QJsonValue channel : c.toObject().value("channels").toArray())
                        if (const User *u = m_world.userByLogin(channel.toString().mid(1)))
                            watched.insert(u->id);
                for (const QString &id : std::as_const(watched))
                    if (m_world.userById(id))
                        emitFor(id, webSocketTypes.value(id));
                ++m_round;
            });
        });
    });
}

void DemoDriver::emitFor(const QString &broadcasterId, const QSet<QString> &webSocketTypes) {
    // Someone else from the world: a fan of this streamer.
    QStringList others;
    for (const User &u : m_world.users())
        if (u.id != broadcasterId)
            others.append(u.id);
    if (others.isEmpty())
        return;
    auto *random = QRandomGenerator::global();
    const QString fan = others.at(random->bounded(int(others.size())));
    // A chat-borne kind goes over EventSub instead where the streamer subscribed to it over WebSocket.
    auto send = [&](const QString &chatType, const QString &eventSubType, int amount) {
        QJsonObject body{{"broadcaster_user_id", broadcasterId}, {"user_id", fan}, {"amount", amount}};
        if (webSocketTypes.contains(eventSubType)) {
            body.insert("type", eventSubType);
            post(QStringLiteral("/sim/trigger"), body);
        } else {
            body.insert("type", chatType);
            post(QStringLiteral("/sim/chat"), body);
        }
    };
    // Follows half the time (EventSub: the relay's webhooks and WebSocket subscribers), the rest from chat.
    switch (random->bounded(10)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
        post(QStringLiteral("/sim/trigger"),
             {{"type", "channel.follow"}, {"broadcaster_user_id", broadcasterId}, {"user_id", fan}});
        break;
    case 5:
        send(QStringLiteral("cheer"), QStringLiteral("channel.cheer"), 100 * (1 + random->bounded(10)));
        break;
    case 6:
        send(QStringLiteral("sub"), QStringLiteral("channel.subscribe"), 1);
        break;
    case 7:
        send(QStringLiteral("resub"), QStringLiteral("channel.subscription.message"),
             2 + random->bounded(30));
        break;
    case 8:
        send(QStringLiteral("giftbomb"), QStringLiteral("channel.subscription.gift"),
             1 + random->bounded(10));
        break;
    default:
        send(QStringLiteral("raid"), QStringLiteral("channel.raid"), 5 + random->bounded(400));
    }
}

void DemoDriver::post(const QString &path, const QJsonObject &body) {
    QNetworkRequest request(m_baseUrl().resolved(QUrl(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    m_network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

} // namespace twitchsim
