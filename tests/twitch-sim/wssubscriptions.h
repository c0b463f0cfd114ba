#pragma once

// Helix /eventsub/subscriptions with transport {"method":"websocket","session_id":…}: a user access token,
// a session of that user, the authorizing user in the condition being the token's user (broadcaster or
// moderator in the world) with the scope, cost and Twitch's per-user limits, 409 on duplicates. Delivers
// notifications and revocations over the sessions, and serves the /sim/eventsub/… control endpoints and
// the two WebSocket paths (README.md here).

#include "auth.h"
#include "eventsubws.h"

namespace twitchsim {

struct WsSubscription {
    QString id;
    QString type;
    QString version;
    QString status;
    QJsonObject condition;
    QString sessionId;
    QString userId;
    QString clientId;
    QString createdAt;
    QString connectedAt;
    QString disconnectedAt;
    int cost = 0;
    // Helix's form; in messages over the socket the transport has only method and session_id.
    QJsonObject json(bool connectionTimes = true) const;
};

class WebSocketSubscriptions : public QObject, public Area {
    Q_OBJECT
public:
    static constexpr int kMaxTotalCost = 10;
    static constexpr int kMaxSubscriptionsPerSession = 300;
    static constexpr int kMaxSessionsPerUser = 3;

    WebSocketSubscriptions(World &world, Tokens &tokens, WebSockets &sockets, std::function<QUrl()> baseUrl,
                           int defaultKeepalive, QObject *parent = nullptr);
    void registerRoutes(QHttpServer &server) override;

    // Helix, for a request EventSubApi found to carry a user token (or, for create, websocket transport).
    QHttpServerResponse create(const QHttpServerRequest &request, const QJsonObject &body);
    QHttpServerResponse list(const QHttpServerRequest &request);
    QHttpServerResponse remove(const QHttpServerRequest &request);

    struct Delivery {
        int repeat = 1;
        int timestampAgeSeconds = 0;
        int intervalMs = 0;
        int reconnectAfter = 0; // 0: none
        int graceSeconds = 30;
        QString sessionId; // empty: every session
    };
    static Delivery deliveryFrom(const QJsonObject &triggerBody);
    // Notifications of `events` (in order) to every enabled subscription they reach; their message ids.
    QStringList notify(const QString &type, const QList<QJsonObject> &events, const Delivery &delivery);
    // Revokes a websocket subscription (revocation message to its session); false if there is none.
    bool revoke(const QString &subscriptionId, const QString &status);

private:
    // The token of `Authorization: Bearer …` with a matching Client-Id, or the 401 Twitch answers.
    std::variant<const Token *, QHttpServerResponse> userToken(const QHttpServerRequest &request) const;
    int enabledCost(const QString &userId, const QString &clientId) const;
    int enabledCount(const QString &sessionId) const;
    void onSessionEnded(const QString &sessionId, const QString &status);

    World &m_world;
    Tokens &m_tokens;
    EventSubSessions m_sessions;
    QList<WsSubscription> m_subscriptions;
};

} // namespace twitchsim
