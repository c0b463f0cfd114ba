#include "wssubscriptions.h"

#include "events.h"
#include "httpcompat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUuid>

namespace twitchsim {
namespace {

struct WsRule {
    const char *type;
    const char *version;
    const char *scope; // the token user's scope; nullptr: no authorization needed
};

const WsRule *ruleFor(const QString &type, const QString &version) {
    static const WsRule rules[] = {
        {"channel.follow", "2", "moderator:read:followers"},
        {"channel.cheer", "1", "bits:read"},
        {"channel.subscribe", "1", "channel:read:subscriptions"},
        {"channel.subscription.message", "1", "channel:read:subscriptions"},
        {"channel.subscription.gift", "1", "channel:read:subscriptions"},
        {"channel.raid", "1", nullptr},
        {"stream.online", "1", nullptr},
        {"stream.offline", "1", nullptr},
        {"channel.update", "2", nullptr},
    };
    for (const WsRule &r : rules)
        if (type == QLatin1String(r.type) && version == QLatin1String(r.version))
            return &r;
    return nullptr;
}

QHttpServerResponse badRequest(const QString &message) {
    return twitchError(400, QStringLiteral("Bad Request"), message);
}

QString now() {
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

} // namespace

QJsonObject WsSubscription::json(bool connectionTimes) const {
    QJsonObject transport{{"method", "websocket"}, {"session_id", sessionId}};
    if (connectionTimes)
        transport.insert("connected_at", connectedAt);
    if (connectionTimes && !disconnectedAt.isEmpty())
        transport.insert("disconnected_at", disconnectedAt);
    return {{"id", id},
            {"status", status},
            {"type", type},
            {"version", version},
            {"condition", condition},
            {"created_at", createdAt},
            {"transport", transport},
            {"cost", cost}};
}

WebSocketSubscriptions::WebSocketSubscriptions(World &world, Tokens &tokens, WebSockets &sockets,
                                               std::function<QUrl()> baseUrl, int defaultKeepalive,
                                               QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_tokens(tokens)
    , m_sessions(std::move(baseUrl), defaultKeepalive) {
    sockets.serve(QStringLiteral("/eventsub/ws"), [this](QWebSocket *s) { m_sessions.accept(s); });
    sockets.serve(QStringLiteral("/eventsub/ws/reconnect"),
                  [this](QWebSocket *s) { m_sessions.acceptReconnect(s); });
    connect(&m_sessions, &EventSubSessions::ended, this, &WebSocketSubscriptions::onSessionEnded);
}

void WebSocketSubscriptions::registerRoutes(QHttpServer &server) {
    server.route("/sim/eventsub/subscriptions", QHttpServerRequest::Method::Get, [this] {
        QJsonArray data;
        for (const WsSubscription &s : std::as_const(m_subscriptions)) {
            QJsonObject o = s.json();
            o.insert("user_id", s.userId);
            data.append(o);
        }
        return QHttpServerResponse(QJsonObject{{"data", data}});
    });
    server.route("/sim/eventsub/sessions", QHttpServerRequest::Method::Get, [this] {
        return QHttpServerResponse(m_sessions.state([this](const QString &id) { return enabledCount(id); }));
    });
    // The sessions a control request names: its session_id, or every session; empty if that one is gone.
    auto sessionsOf = [this](const QJsonObject &body) {
        const QString id = body.value("session_id").toString();
        if (id.isEmpty())
            return m_sessions.sessionIds();
        return m_sessions.isOpen(id) ? QStringList{id} : QStringList{};
    };
    auto noSession = [] {
        return twitchError(404, QStringLiteral("Not Found"), QStringLiteral("no such session"));
    };
    server.route("/sim/eventsub/reconnect", QHttpServerRequest::Method::Post,
                 [this, sessionsOf, noSession](const QHttpServerRequest &r) {
                     const QJsonObject body = QJsonDocument::fromJson(r.body()).object();
                     const QStringList ids = sessionsOf(body);
                     if (ids.isEmpty() && body.contains("session_id"))
                         return noSession();
                     for (const QString &id : ids)
                         m_sessions.enqueueReconnect(id, body.value("grace_seconds").toInt(30));
                     return QHttpServerResponse(QJsonObject{{"sessions", QJsonArray::fromStringList(ids)}});
                 });
    server.route("/sim/eventsub/keepalive", QHttpServerRequest::Method::Post,
                 [this, sessionsOf, noSession](const QHttpServerRequest &r) {
                     const QJsonObject body = QJsonDocument::fromJson(r.body()).object();
                     const QStringList ids = sessionsOf(body);
                     if (ids.isEmpty() && body.contains("session_id"))
                         return noSession();
                     for (const QString &id : ids)
                         m_sessions.setKeepalives(id, body.value("enabled").toBool(false));
                     return QHttpServerResponse(QJsonObject{{"sessions", QJsonArray::fromStringList(ids)}});
                 });
    server.route(
        "/sim/eventsub/close", QHttpServerRequest::Method::Post,
        [this, noSession](const QHttpServerRequest &r) {
            const QJsonObject body = QJsonDocument::fromJson(r.body()).object();
            const int code = body.value("code").toInt(4000);
            if (code < 4000 || code > 4007)
                return badRequest(QStringLiteral("code must be 4000..4007"));
            if (!m_sessions.close(body.value("session_id").toString(), code,
                                  body.value("reason").toString(QStringLiteral("closed by twitch-sim"))))
                return noSession();
            return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
        });
}

std::variant<const Token *, QHttpServerResponse>
WebSocketSubscriptions::userToken(const QHttpServerRequest &request) const {
    const QByteArray auth = request.value("Authorization");
    if (auth.isEmpty())
        return twitchError(401, QStringLiteral("Unauthorized"), QStringLiteral("OAuth token is missing"));
    const Token *t =
        auth.startsWith("Bearer ") ? m_tokens.find(QString::fromLatin1(auth.mid(7).trimmed())) : nullptr;
    if (!t)
        return twitchError(401, QStringLiteral("Unauthorized"), QStringLiteral("Invalid OAuth token"));
    if (request.value("Client-Id") != t->clientId.toUtf8())
        return twitchError(401, QStringLiteral("Unauthorized"),
                           QStringLiteral("Client ID and OAuth token do not match"));
    if (t->userId.isEmpty())
        return badRequest(QStringLiteral("websocket transport requires a user access token"));
    return t;
}

int WebSocketSubscriptions::enabledCost(const QString &userId, const QString &clientId) const {
    int cost = 0;
    for (const WsSubscription &s : m_subscriptions)
        if (s.status == u"enabled" && s.userId == userId && s.clientId == clientId)
            cost += s.cost;
    return cost;
}

int WebSocketSubscriptions::enabledCount(const QString &sessionId) const {
    int n = 0;
    for (const WsSubscription &s : m_subscriptions)
        n += s.status == u"enabled" && s.sessionId == sessionId ? 1 : 0;
    return n;
}

QHttpServerResponse WebSocketSubscriptions::create(const QHttpServerRequest &request,
                                                   const QJsonObject &body) {
    auto token = userToken(request);
    if (auto *denied = std::get_if<QHttpServerResponse>(&token))
        return std::move(*denied);
    const Token *t = std::get<const Token *>(token);
    const QString type = body.value("type").toString();
    const QString version = body.value("version").toString();
    const QJsonObject condition = body.value("condition").toObject();
    const QString sessionId = body.value("transport").toObject().value("session_id").toString();

    const WsRule *rule = ruleFor(type, version);
    if (!rule)
        return badRequest(QStringLiteral("invalid combination of subscription type and version"));
    QStringList required;
    if (type == u"channel.follow") {
        required = {QStringLiteral("broadcaster_user_id"), QStringLiteral("moderator_user_id")};
    } else if (type == u"channel.raid") {
        const bool from = condition.contains("from_broadcaster_user_id");
        if (from == condition.contains("to_broadcaster_user_id"))
            return badRequest(
                QStringLiteral("exactly one of from_broadcaster_user_id and to_broadcaster_user_id"));
        required = {from ? QStringLiteral("from_broadcaster_user_id")
                         : QStringLiteral("to_broadcaster_user_id")};
    } else {
        required = {QStringLiteral("broadcaster_user_id")};
    }
    for (const QString &field : std::as_const(required)) {
        const QString id = condition.value(field).toString();
        if (id.isEmpty())
            return badRequest(QStringLiteral("missing or invalid condition"));
        if (!m_world.userById(id))
            return badRequest(QStringLiteral("the user specified in the condition object does not exist"));
    }
    if (sessionId.isEmpty())
        return badRequest(QStringLiteral("missing transport session_id"));
    if (!m_sessions.isOpen(sessionId))
        return badRequest(
            QStringLiteral("websocket transport session does not exist or has already disconnected"));
    const auto owner = m_sessions.owner(sessionId);
    if (owner && (owner->userId != t->userId || owner->clientId != t->clientId))
        return badRequest(QStringLiteral("websocket transport session belongs to another user"));

    // The user who authorizes the subscription must be the token's user, in the role the type needs.
    if (rule->scope) {
        const QString broadcaster = condition.value("broadcaster_user_id").toString();
        const QString authorizer =
            type == u"channel.follow" ? condition.value("moderator_user_id").toString() : broadcaster;
        const bool role = authorizer == broadcaster || m_world.isModerator(broadcaster, authorizer);
        if (authorizer != t->userId || !role || !t->scopes.contains(QLatin1String(rule->scope)))
            return twitchError(403, QStringLiteral("Forbidden"),
                               QStringLiteral("subscription missing proper authorization"));
    }
    for (const WsSubscription &s : std::as_const(m_subscriptions))
        if (s.status == u"enabled" && s.sessionId == sessionId && s.type == type && s.version == version &&
            s.condition == condition)
            return twitchError(409, QStringLiteral("Conflict"),
                               QStringLiteral("subscription already exists"));

    // Types that need authorization cost nothing; the others 1, unless the user in the condition has
    // authorized this client.
    const int cost =
        rule->scope || m_tokens.hasAuthorized(condition.value(required.first()).toString()) ? 0 : 1;
    if (enabledCount(sessionId) >= kMaxSubscriptionsPerSession)
        return twitchError(429, QStringLiteral("Too Many Requests"),
                           QStringLiteral("websocket transport session subscription limit reached"));
    QSet<QString> otherSessions;
    for (const WsSubscription &s : std::as_const(m_subscriptions))
        if (s.status == u"enabled" && s.userId == t->userId && s.clientId == t->clientId &&
            s.sessionId != sessionId)
            otherSessions.insert(s.sessionId);
    if (enabledCount(sessionId) == 0 && otherSessions.size() >= kMaxSessionsPerUser)
        return twitchError(429, QStringLiteral("Too Many Requests"),
                           QStringLiteral("websocket transports limit exceeded"));
    if (enabledCost(t->userId, t->clientId) + cost > kMaxTotalCost)
        return twitchError(429, QStringLiteral("Too Many Requests"), QStringLiteral("total cost exceeded"));

    WsSubscription s;
    s.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    s.type = type;
    s.version = version;
    s.status = QStringLiteral("enabled");
    s.condition = condition;
    s.sessionId = sessionId;
    s.userId = t->userId;
    s.clientId = t->clientId;
    s.createdAt = now();
    s.connectedAt = m_sessions.connectedAt(sessionId);
    s.cost = cost;
    m_subscriptions.append(s);
    m_sessions.setOwner(sessionId, {t->userId, t->clientId});
    m_sessions.markSubscribed(sessionId);
    int total = 0;
    for (const WsSubscription &x : std::as_const(m_subscriptions))
        total += x.status == u"enabled" && x.userId == t->userId && x.clientId == t->clientId ? 1 : 0;
    return QHttpServerResponse(QJsonObject{{"data", QJsonArray{s.json()}},
                                           {"total", total},
                                           {"total_cost", enabledCost(t->userId, t->clientId)},
                                           {"max_total_cost", kMaxTotalCost}},
                               QHttpServerResponder::StatusCode::Accepted);
}

QHttpServerResponse WebSocketSubscriptions::list(const QHttpServerRequest &request) {
    auto token = userToken(request);
    if (auto *denied = std::get_if<QHttpServerResponse>(&token))
        return std::move(*denied);
    const Token *t = std::get<const Token *>(token);
    const QUrlQuery q = request.query();
    int filters = 0;
    for (const char *f : {"status", "type", "user_id", "subscription_id"})
        filters += q.hasQueryItem(QLatin1String(f)) ? 1 : 0;
    if (filters > 1)
        return badRequest(QStringLiteral("only one filter may be used"));
    QList<const WsSubscription *> mine, matching;
    for (const WsSubscription &s : std::as_const(m_subscriptions)) {
        if (s.userId != t->userId || s.clientId != t->clientId)
            continue;
        mine.append(&s);
        if (q.hasQueryItem("status") && s.status != q.queryItemValue("status"))
            continue;
        if (q.hasQueryItem("type") && s.type != q.queryItemValue("type"))
            continue;
        if (q.hasQueryItem("subscription_id") && s.id != q.queryItemValue("subscription_id"))
            continue;
        if (q.hasQueryItem("user_id")) {
            bool mentions = false;
            for (const QJsonValue v : s.condition)
                mentions |= v.toString() == q.queryItemValue("user_id");
            if (!mentions)
                continue;
        }
        matching.append(&s);
    }
    const int pageSize = 100;
    const int start = qMax(0, q.queryItemValue("after").toInt());
    QJsonArray data;
    for (int i = start; i < matching.size() && i < start + pageSize; ++i)
        data.append(matching[i]->json());
    QJsonObject pagination;
    if (start + pageSize < matching.size())
        pagination.insert("cursor", QString::number(start + pageSize));
    return QHttpServerResponse(QJsonObject{{"data", data},
                                           {"total", int(mine.size())},
                                           {"total_cost", enabledCost(t->userId, t->clientId)},
                                           {"max_total_cost", kMaxTotalCost},
                                           {"pagination", pagination}});
}

QHttpServerResponse WebSocketSubscriptions::remove(const QHttpServerRequest &request) {
    auto token = userToken(request);
    if (auto *denied = std::get_if<QHttpServerResponse>(&token))
        return std::move(*denied);
    const Token *t = std::get<const Token *>(token);
    const QString id = request.query().queryItemValue("id");
    for (qsizetype i = 0; i < m_subscriptions.size(); ++i)
        if (m_subscriptions[i].id == id && m_subscriptions[i].userId == t->userId &&
            m_subscriptions[i].clientId == t->clientId) {
            m_subscriptions.removeAt(i);
            return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
        }
    return twitchError(404, QStringLiteral("Not Found"), QStringLiteral("subscription not found"));
}

WebSocketSubscriptions::Delivery WebSocketSubscriptions::deliveryFrom(const QJsonObject &body) {
    Delivery d;
    d.repeat = qBound(1, body.value("repeat").toInt(1), 5);
    d.timestampAgeSeconds = qMax(0, body.value("timestamp_age_seconds").toInt(0));
    d.intervalMs = qBound(0, body.value("interval_ms").toInt(0), 10000);
    d.reconnectAfter = qMax(0, body.value("reconnect_after").toInt(0));
    d.graceSeconds = qBound(0, body.value("grace_seconds").toInt(30), 600);
    d.sessionId = body.value("session_id").toString();
    return d;
}

QStringList WebSocketSubscriptions::notify(const QString &type, const QList<QJsonObject> &events,
                                           const Delivery &delivery) {
    QStringList ids;
    QHash<QString, int> sent; // per session
    for (const QJsonObject &event : events) {
        for (const WsSubscription &s : std::as_const(m_subscriptions)) {
            if (s.type != type || s.status != u"enabled" ||
                !EventFactory::reaches(type, s.condition, event) ||
                (!delivery.sessionId.isEmpty() && s.sessionId != delivery.sessionId))
                continue;
            const QString messageId = QUuid::createUuid().toString(QUuid::WithoutBraces);
            const QByteArray frame = eventSubMessage(
                QStringLiteral("notification"), {{"subscription", s.json(false)}, {"event", event}},
                {{"subscription_type", s.type}, {"subscription_version", s.version}}, messageId,
                QDateTime::currentDateTimeUtc().addSecs(-delivery.timestampAgeSeconds));
            for (int i = 0; i < delivery.repeat; ++i)
                m_sessions.enqueue(s.sessionId, frame, delivery.intervalMs);
            ids.append(messageId);
            if (++sent[s.sessionId] == delivery.reconnectAfter)
                m_sessions.enqueueReconnect(s.sessionId, delivery.graceSeconds);
        }
    }
    return ids;
}

bool WebSocketSubscriptions::revoke(const QString &subscriptionId, const QString &status) {
    for (WsSubscription &s : m_subscriptions)
        if (s.id == subscriptionId) {
            s.status = status;
            m_sessions.enqueue(
                s.sessionId,
                eventSubMessage(QStringLiteral("revocation"), {{"subscription", s.json(false)}},
                                {{"subscription_type", s.type}, {"subscription_version", s.version}}));
            return true;
        }
    return false;
}

void WebSocketSubscriptions::onSessionEnded(const QString &sessionId, const QString &status) {
    for (WsSubscription &s : m_subscriptions)
        if (s.sessionId == sessionId && s.status == u"enabled") {
            s.status = status;
            s.disconnectedAt = now();
        }
}

} // namespace twitchsim
