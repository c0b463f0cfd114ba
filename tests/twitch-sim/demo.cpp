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
    // Who is watched: the broadcasters of EventSub subscriptions, and the channels joined in chat.
    auto *subs =
        m_network.get(QNetworkRequest(m_baseUrl().resolved(QUrl(QStringLiteral("/sim/subscriptions")))));
    connect(subs, &QNetworkReply::finished, this, [this, subs] {
        QSet<QString> watched;
        const QJsonArray data = QJsonDocument::fromJson(subs->readAll()).object().value("data").toArray();
        for (const QJsonValue s : data)
            if (s.toObject().value("status").toString() == u"enabled")
                watched.insert(
                    s.toObject().value("condition").toObject().value("broadcaster_user_id").toString());
        auto *irc = m_network.get(QNetworkRequest(m_baseUrl().resolved(QUrl(QStringLiteral("/sim/irc")))));
        connect(irc, &QNetworkReply::finished, this, [this, irc, watched]() mutable {
            const QJsonArray clients =
                QJsonDocument::fromJson(irc->readAll()).object().value("clients").toArray();
            for (const QJsonValue c : clients)
                for (const QJsonValue channel : c.toObject().value("channels").toArray())
                    if (const User *u = m_world.userByLogin(channel.toString().mid(1)))
                        watched.insert(u->id);
            for (const QString &id : std::as_const(watched))
                if (m_world.userById(id))
                    emitFor(id);
            ++m_round;
        });
    });
}

void DemoDriver::emitFor(const QString &broadcasterId) {
    // Someone else from the world: a fan of this streamer.
    QStringList others;
    for (const User &u : m_world.users())
        if (u.id != broadcasterId)
            others.append(u.id);
    if (others.isEmpty())
        return;
    auto *random = QRandomGenerator::global();
    const QString fan = others.at(random->bounded(int(others.size())));
    // Follows half the time (the relay's path), the rest from chat.
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
        post(QStringLiteral("/sim/chat"), {{"type", "cheer"},
                                           {"broadcaster_user_id", broadcasterId},
                                           {"user_id", fan},
                                           {"amount", 100 * (1 + random->bounded(10))}});
        break;
    case 6:
        post(QStringLiteral("/sim/chat"),
             {{"type", "sub"}, {"broadcaster_user_id", broadcasterId}, {"user_id", fan}});
        break;
    case 7:
        post(QStringLiteral("/sim/chat"), {{"type", "resub"},
                                           {"broadcaster_user_id", broadcasterId},
                                           {"user_id", fan},
                                           {"amount", 2 + random->bounded(30)}});
        break;
    case 8:
        post(QStringLiteral("/sim/chat"), {{"type", "giftbomb"},
                                           {"broadcaster_user_id", broadcasterId},
                                           {"user_id", fan},
                                           {"amount", 1 + random->bounded(10)}});
        break;
    default:
        post(QStringLiteral("/sim/chat"), {{"type", "raid"},
                                           {"broadcaster_user_id", broadcasterId},
                                           {"user_id", fan},
                                           {"amount", 5 + random->bounded(400)}});
    }
}

void DemoDriver::post(const QString &path, const QJsonObject &body) {
    QNetworkRequest request(m_baseUrl().resolved(QUrl(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    m_network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

} // namespace twitchsim
