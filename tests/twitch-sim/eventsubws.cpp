#include "eventsubws.h"

#include "events.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUrlQuery>
#include <QUuid>

namespace twitchsim {
namespace {

QString randomId(int bytes) {
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(raw.data()), bytes / 4);
    return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

// The subscription status Twitch gives a session's subscriptions when the sim closed it with `code`.
QString statusForCloseCode(int code) {
    switch (code) {
    case 4000:
        return QStringLiteral("websocket_internal_error");
    case 4001:
        return QStringLiteral("websocket_received_inbound_traffic");
    case 4002:
        return QStringLiteral("websocket_failed_ping_pong");
    case 4003:
        return QStringLiteral("websocket_connection_unused");
    case 4004:
        return QStringLiteral("websocket_failed_to_reconnect");
    case 4005:
        return QStringLiteral("websocket_network_timeout");
    case 4006:
        return QStringLiteral("websocket_network_error");
    default:
        return QStringLiteral("websocket_disconnected");
    }
}

} // namespace

QByteArray eventSubMessage(const QString &messageType, const QJsonObject &payload,
                           const QJsonObject &extraMetadata, const QString &messageId,
                           const QDateTime &timestamp) {
    QJsonObject metadata = extraMetadata;
    metadata.insert("message_id",
                    messageId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : messageId);
    metadata.insert("message_type", messageType);
    metadata.insert("message_timestamp",
                    QString::fromLatin1(
                        nanoTimestamp(timestamp.isValid() ? timestamp : QDateTime::currentDateTimeUtc())));
    return QJsonDocument(QJsonObject{{"metadata", metadata}, {"payload", payload}})
        .toJson(QJsonDocument::Compact);
}

class EventSubSessions::Session : public QObject {
public:
    explicit Session(QObject *parent)
        : QObject(parent) {
        for (QTimer *t : {&keepalive, &unused, &grace, &drain})
            t->setSingleShot(true);
    }
    QString id;
    QPointer<QWebSocket> socket;    // where messages go
    QPointer<QWebSocket> oldSocket; // after a reconnect, until the client closes it or the grace ends
    int keepaliveSeconds = 10;
    QString connectedAt;
    std::optional<Owner> owner;
    bool subscribed = false;
    bool keepalives = true;
    bool reconnecting = false; // session_reconnect sent, the reconnect URL not opened yet
    QString reconnectId;
    bool pingOutstanding = false;
    int messagesSent = 0;
    int nextDelayMs = 0;
    std::deque<Outgoing> outbox;
    QTimer keepalive, unused, ping, grace, drain;
};

EventSubSessions::EventSubSessions(std::function<QUrl()> baseUrl, int defaultKeepalive, QObject *parent)
    : QObject(parent)
    , m_baseUrl(std::move(baseUrl))
    , m_defaultKeepalive(qBound(1, defaultKeepalive, 600))
    , m_minKeepalive(qMin(10, m_defaultKeepalive)) {}

EventSubSessions::~EventSubSessions() = default;

EventSubSessions::Session *EventSubSessions::find(const QString &sessionId) const {
    return m_sessions.value(sessionId);
}

void EventSubSessions::accept(QWebSocket *socket) {
    socket->setParent(this);
    bool numeric = false;
    const int asked = QUrlQuery(socket->requestUrl())
                          .queryItemValue(QStringLiteral("keepalive_timeout_seconds"))
                          .toInt(&numeric);
    auto *s = new Session(this);
    s->id = QStringLiteral("AQoQ") + randomId(16);
    s->keepaliveSeconds = numeric ? qBound(m_minKeepalive, asked, 600) : m_defaultKeepalive;
    m_sessions.insert(s->id, s);
    // A keepalive a little before the window ends, so a client waiting the whole window never misses one.
    s->keepalive.setInterval(s->keepaliveSeconds * 900);
    s->unused.setInterval(s->keepaliveSeconds * 1000);
    s->ping.setInterval(qMax(s->keepaliveSeconds, 5) * 1000);
    connect(&s->keepalive, &QTimer::timeout, s, [this, s] {
        if (s->keepalives && s->socket)
            write(s, eventSubMessage(QStringLiteral("session_keepalive"), {}));
        else
            s->keepalive.start();
    });
    connect(&s->unused, &QTimer::timeout, s, [this, s] {
        if (!s->subscribed)
            closeWith(s, 4003, QStringLiteral("connection unused"));
    });
    connect(&s->ping, &QTimer::timeout, s, [this, s] {
        if (!s->socket)
            return;
        if (s->pingOutstanding) {
            closeWith(s, 4002, QStringLiteral("failed ping pong"));
            return;
        }
        s->pingOutstanding = true;
        s->socket->ping();
    });
    connect(&s->grace, &QTimer::timeout, s, [this, s] { onGraceOver(s); });
    connect(&s->drain, &QTimer::timeout, s, [this, s] { drainOne(s); });
    attach(s, socket);
    s->ping.start();
    welcome(s);
    s->unused.start();
}

void EventSubSessions::acceptReconnect(QWebSocket *socket) {
    socket->setParent(this);
    const QString reconnectId = QUrlQuery(socket->requestUrl()).queryItemValue(QStringLiteral("id"));
    Session *s = reconnectId.isEmpty() ? nullptr : find(m_reconnectIds.value(reconnectId));
    if (!s || !s->reconnecting) {
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        recordClose({}, 4007, QStringLiteral("invalid reconnect"), QStringLiteral("server"));
        socket->close(QWebSocketProtocol::CloseCode(4007), QStringLiteral("invalid reconnect"));
        return;
    }
    m_reconnectIds.remove(reconnectId);
    s->reconnectId.clear();
    s->reconnecting = false;
    if (s->oldSocket) { // still open from an earlier reconnect
        recordClose(s->id, 4004, QStringLiteral("reconnect grace time expired"), QStringLiteral("server"));
        s->oldSocket->close(QWebSocketProtocol::CloseCode(4004),
                            QStringLiteral("reconnect grace time expired"));
    }
    s->oldSocket = s->socket;
    attach(s, socket);
    welcome(s);
}

void EventSubSessions::attach(Session *s, QWebSocket *socket) {
    s->socket = socket;
    s->pingOutstanding = false;
    s->connectedAt = QString::fromLatin1(nanoTimestamp(QDateTime::currentDateTimeUtc()));
    const QString id = s->id;
    auto inbound = [this, id, socket] {
        Session *session = find(id);
        if (!session)
            return;
        if (socket == session->socket) {
            closeWith(session, 4001, QStringLiteral("client sent inbound traffic"));
        } else if (socket == session->oldSocket) {
            recordClose(id, 4001, QStringLiteral("client sent inbound traffic"), QStringLiteral("server"));
            socket->close(QWebSocketProtocol::CloseCode(4001), QStringLiteral("client sent inbound traffic"));
        }
    };
    connect(socket, &QWebSocket::textMessageReceived, this, inbound);
    connect(socket, &QWebSocket::binaryMessageReceived, this, inbound);
    connect(socket, &QWebSocket::pong, this, [this, id, socket] {
        if (Session *session = find(id); session && session->socket == socket)
            session->pingOutstanding = false;
    });
    // Queued: a write error may emit disconnected in the middle of write(); this handler deletes the socket.
    connect(
        socket, &QWebSocket::disconnected, this, [this, id, socket] { onDisconnected(id, socket); },
        Qt::QueuedConnection);
}

void EventSubSessions::welcome(Session *s) {
    write(s, eventSubMessage(QStringLiteral("session_welcome"),
                             {{"session", QJsonObject{{"id", s->id},
                                                      {"status", "connected"},
                                                      {"connected_at", s->connectedAt},
                                                      {"keepalive_timeout_seconds", s->keepaliveSeconds},
                                                      {"reconnect_url", QJsonValue::Null}}}}));
}

void EventSubSessions::write(Session *s, const QByteArray &frame) {
    if (!s->socket)
        return; // the client left before opening the reconnect URL: lost, as on Twitch
    s->socket->sendTextMessage(QString::fromUtf8(frame));
    ++s->messagesSent;
    s->keepalive.start();
}

void EventSubSessions::enqueue(const QString &sessionId, const QByteArray &frame, int delayAfterMs) {
    if (Session *s = find(sessionId)) {
        s->outbox.push_back({frame, qMax(0, delayAfterMs), 0});
        pump(s);
    }
}

bool EventSubSessions::enqueueReconnect(const QString &sessionId, int graceSeconds) {
    Session *s = find(sessionId);
    if (!s)
        return false;
    s->outbox.push_back({{}, 0, qBound(0, graceSeconds, 600)});
    pump(s);
    return true;
}

void EventSubSessions::pump(Session *s) {
    if (!s->outbox.empty() && !s->drain.isActive())
        s->drain.start(s->nextDelayMs);
}

void EventSubSessions::drainOne(Session *s) {
    if (s->outbox.empty())
        return;
    const Outgoing next = s->outbox.front();
    s->outbox.pop_front();
    if (next.frame.isEmpty())
        sendReconnect(s, next.graceSeconds);
    else
        write(s, next.frame);
    s->nextDelayMs = s->outbox.empty() ? 0 : next.delayAfterMs;
    if (find(s->id) == s)
        pump(s);
}

void EventSubSessions::sendReconnect(Session *s, int graceSeconds) {
    if (!s->socket || s->reconnecting)
        return;
    s->reconnecting = true;
    s->reconnectId = randomId(24);
    m_reconnectIds.insert(s->reconnectId, s->id);
    QUrl url = m_baseUrl();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/eventsub/ws/reconnect"));
    url.setQuery(QStringLiteral("id=") + s->reconnectId);
    write(s, eventSubMessage(QStringLiteral("session_reconnect"),
                             {{"session", QJsonObject{{"id", s->id},
                                                      {"status", "reconnecting"},
                                                      {"keepalive_timeout_seconds", QJsonValue::Null},
                                                      {"reconnect_url", url.toString()},
                                                      {"connected_at", s->connectedAt}}}}));
    s->grace.start(graceSeconds * 1000);
}

void EventSubSessions::onGraceOver(Session *s) {
    if (s->reconnecting) { // the reconnect URL was never opened
        closeWith(s, 4004, QStringLiteral("reconnect grace time expired"));
        return;
    }
    if (s->oldSocket) {
        recordClose(s->id, 4004, QStringLiteral("reconnect grace time expired"), QStringLiteral("server"));
        s->oldSocket->close(QWebSocketProtocol::CloseCode(4004),
                            QStringLiteral("reconnect grace time expired"));
    }
}

void EventSubSessions::onDisconnected(const QString &sessionId, QWebSocket *socket) {
    socket->deleteLater();
    Session *s = find(sessionId);
    if (!s)
        return;
    if (socket == s->oldSocket) { // the client left the old socket after the reconnect, as it should
        s->oldSocket = nullptr;
        return;
    }
    if (socket != s->socket)
        return;
    s->socket = nullptr;
    if (s->reconnecting)
        return; // it may still open the reconnect URL within the grace time
    recordClose(s->id, socket->closeCode(), socket->closeReason(), QStringLiteral("client"));
    end(s, QStringLiteral("websocket_disconnected"));
}

void EventSubSessions::closeWith(Session *s, int code, const QString &reason) {
    recordClose(s->id, code, reason, QStringLiteral("server"));
    if (s->socket)
        s->socket->close(QWebSocketProtocol::CloseCode(code), reason);
    end(s, statusForCloseCode(code));
}

void EventSubSessions::end(Session *s, const QString &subscriptionStatus) {
    m_sessions.remove(s->id);
    m_reconnectIds.remove(s->reconnectId);
    for (QTimer *t : {&s->keepalive, &s->unused, &s->ping, &s->grace, &s->drain})
        t->stop();
    if (s->oldSocket)
        s->oldSocket->close(QWebSocketProtocol::CloseCodeGoingAway);
    emit ended(s->id, subscriptionStatus);
    s->deleteLater();
}

void EventSubSessions::recordClose(const QString &sessionId, int code, const QString &reason,
                                   const QString &by) {
    m_closed.append(QJsonObject{{"session_id", sessionId}, {"code", code}, {"reason", reason}, {"by", by}});
}

bool EventSubSessions::isOpen(const QString &sessionId) const {
    return find(sessionId) != nullptr;
}

std::optional<EventSubSessions::Owner> EventSubSessions::owner(const QString &sessionId) const {
    const Session *s = find(sessionId);
    return s ? s->owner : std::nullopt;
}

void EventSubSessions::setOwner(const QString &sessionId, const Owner &owner) {
    if (Session *s = find(sessionId))
        s->owner = owner;
}

void EventSubSessions::markSubscribed(const QString &sessionId) {
    if (Session *s = find(sessionId)) {
        s->subscribed = true;
        s->unused.stop();
    }
}

QString EventSubSessions::connectedAt(const QString &sessionId) const {
    const Session *s = find(sessionId);
    return s ? s->connectedAt : QString();
}

QStringList EventSubSessions::sessionIds() const {
    return m_sessions.keys();
}

bool EventSubSessions::setKeepalives(const QString &sessionId, bool enabled) {
    Session *s = find(sessionId);
    if (!s)
        return false;
    s->keepalives = enabled;
    return true;
}

bool EventSubSessions::close(const QString &sessionId, int code, const QString &reason) {
    Session *s = find(sessionId);
    if (!s)
        return false;
    closeWith(s, code, reason);
    return true;
}

QJsonObject EventSubSessions::state(const std::function<int(const QString &)> &subscriptionCount) const {
    QJsonArray sessions;
    for (const Session *s : m_sessions) {
        sessions.append(QJsonObject{
            {"id", s->id},
            {"status", s->reconnecting ? "reconnecting" : "connected"},
            {"user_id", s->owner ? QJsonValue(s->owner->userId) : QJsonValue(QJsonValue::Null)},
            {"client_id", s->owner ? QJsonValue(s->owner->clientId) : QJsonValue(QJsonValue::Null)},
            {"keepalive_timeout_seconds", s->keepaliveSeconds},
            {"connected_at", s->connectedAt},
            {"keepalives", s->keepalives},
            {"subscriptions", subscriptionCount(s->id)},
            {"sockets", int(bool(s->socket)) + int(bool(s->oldSocket))},
            {"messages_sent", s->messagesSent}});
    }
    return {{"sessions", sessions}, {"closed", m_closed}};
}

} // namespace twitchsim
