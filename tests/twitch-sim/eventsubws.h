#pragma once

// The EventSub WebSocket transport as Twitch runs it (../shared/docs/twitch-platform.md §3, README.md here):
// sessions on ws://…/eventsub/ws with a welcome, keepalives, pings, the close codes 4001-4007, and
// session_reconnect to a second URL (/eventsub/ws/reconnect?id=…) that carries the session over. What a
// session's subscriptions are is WebSocketSubscriptions' business; this class only says when a session
// ends and with which subscription status.

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <deque>
#include <functional>
#include <optional>

namespace twitchsim {

// One EventSub WebSocket message: {"metadata":{message_id, message_type, message_timestamp, …extra},
// "payload":…}; `timestamp` defaults to now.
QByteArray eventSubMessage(const QString &messageType, const QJsonObject &payload,
                           const QJsonObject &extraMetadata = {}, const QString &messageId = {},
                           const QDateTime &timestamp = {});

class EventSubSessions : public QObject {
    Q_OBJECT
public:
    // defaultKeepalive: seconds when the URL names none; the clamp is min(10, defaultKeepalive)..600.
    EventSubSessions(std::function<QUrl()> baseUrl, int defaultKeepalive, QObject *parent = nullptr);
    ~EventSubSessions() override;

    // A new connection on /eventsub/ws or on the reconnect path.
    void accept(QWebSocket *socket);
    void acceptReconnect(QWebSocket *socket);

    struct Owner {
        QString userId;
        QString clientId;
    };
    bool isOpen(const QString &sessionId) const;
    // The user and client whose subscription came first; nullopt before that (or for no such session).
    std::optional<Owner> owner(const QString &sessionId) const;
    void setOwner(const QString &sessionId, const Owner &owner);
    // A subscription was created on the session: it is in use (no 4003).
    void markSubscribed(const QString &sessionId);
    QString connectedAt(const QString &sessionId) const;
    QStringList sessionIds() const;

    // Queues a frame for the session; the next one goes delayAfterMs later (0: the next event-loop turn).
    void enqueue(const QString &sessionId, const QByteArray &frame, int delayAfterMs = 0);
    // Queues a session_reconnect; the old socket has graceSeconds from when it is sent.
    bool enqueueReconnect(const QString &sessionId, int graceSeconds);
    bool setKeepalives(const QString &sessionId, bool enabled);
    // The sim closes the session's socket with `code` (4000-4007).
    bool close(const QString &sessionId, int code, const QString &reason);
    // GET /sim/eventsub/sessions; subscriptionCount answers the "subscriptions" field.
    QJsonObject state(const std::function<int(const QString &)> &subscriptionCount) const;

signals:
    // The session is gone; its subscriptions take `subscriptionStatus` (websocket_disconnected, …).
    void ended(const QString &sessionId, const QString &subscriptionStatus);

private:
    struct Outgoing {
        QByteArray frame; // empty: a session_reconnect
        int delayAfterMs = 0;
        int graceSeconds = 30;
    };
    class Session;

    void attach(Session *session, QWebSocket *socket);
    void write(Session *session, const QByteArray &frame);
    void pump(Session *session);
    void drainOne(Session *session);
    void sendReconnect(Session *session, int graceSeconds);
    void welcome(Session *session);
    void onDisconnected(const QString &sessionId, QWebSocket *socket);
    void onGraceOver(Session *session);
    // Closes the session's current socket with `code` and ends the session.
    void closeWith(Session *session, int code, const QString &reason);
    void end(Session *session, const QString &subscriptionStatus);
    void recordClose(const QString &sessionId, int code, const QString &reason, const QString &by);
    Session *find(const QString &sessionId) const;

    std::function<QUrl()> m_baseUrl;
    int m_defaultKeepalive;
    int m_minKeepalive;
    QHash<QString, Session *> m_sessions;
    QHash<QString, QString> m_reconnectIds; // reconnect URL id -> session id
    QJsonArray m_closed;
};

} // namespace twitchsim
