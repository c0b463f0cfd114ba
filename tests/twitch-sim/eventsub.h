#pragma once

// Helix EventSub webhook subscriptions as Twitch runs them: create (verification challenge to the
// callback, enabled only on an exact echo), list with mutually exclusive filters, delete; signed
// notifications with retries; revocations. Control: POST /sim/trigger, POST /sim/revoke. Requests with a
// user token or websocket transport go to WebSocketSubscriptions, and a trigger reaches both transports.

#include "auth.h"
#include "events.h"

#include <QNetworkAccessManager>
#include <QNetworkRequest>

namespace twitchsim {

struct Subscription {
    QString id;
    QString type;
    QString version;
    QString status;
    QJsonObject condition;
    QString callback;
    QByteArray secret;
    QString createdAt;
    QJsonObject json() const;
};

class WebSocketSubscriptions;

class EventSubApi : public QObject, public Area {
    Q_OBJECT
public:
    EventSubApi(World &world, Tokens &tokens, WebSocketSubscriptions &websocket, QObject *parent = nullptr);
    void registerRoutes(QHttpServer &server) override;

private:
    QHttpServerResponse create(const QHttpServerRequest &request);
    QHttpServerResponse list(const QHttpServerRequest &request);
    QHttpServerResponse remove(const QHttpServerRequest &request);
    QHttpServerResponse trigger(const QHttpServerRequest &request);
    QHttpServerResponse revoke(const QHttpServerRequest &request);
    std::optional<QHttpServerResponse> checkApp(const QHttpServerRequest &request) const;
    bool hasUserToken(const QHttpServerRequest &request) const;
    void verify(const QString &id);
    // Sends one signed message; retries up to 4 more times on failure with the same id.
    void deliver(const QString &subscriptionId, const QByteArray &messageType, const QByteArray &body,
                 const QByteArray &messageId, int attempt = 0);
    QNetworkRequest signedRequest(const Subscription &s, const QByteArray &messageType,
                                  const QByteArray &messageId, const QByteArray &body, int retry) const;
    QByteArray notificationBody(const Subscription &s, const QJsonObject &event) const;

    World &m_world;
    Tokens &m_tokens;
    WebSocketSubscriptions &m_websocket;
    EventFactory m_events;
    std::optional<QHttpServerResponse> injectedFailure(const char *method);
    QList<Subscription> m_subscriptions;
    // POST /sim/fail: the next `count` calls of a method on /helix/eventsub/subscriptions answer `status`.
    QHash<QString, QPair<int, int>> m_failures; // method -> (status, remaining)
    int m_createRequests = 0;
    QNetworkAccessManager m_network;
};

} // namespace twitchsim
