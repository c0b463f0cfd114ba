#include "eventsub.h"

#include "wssubscriptions.h"

#include "platform/backoff.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QNetworkReply>
#include <QTimer>
#include <QUuid>

namespace twitchsim {
namespace {

struct TypeRule {
    const char *type;
    const char *version;
    QStringList required;
};

const QList<TypeRule> &rules() {
    static const QList<TypeRule> r = {
        {"channel.follow", "2", {"broadcaster_user_id", "moderator_user_id"}},
        {"stream.online", "1", {"broadcaster_user_id"}},
        {"stream.offline", "1", {"broadcaster_user_id"}},
        {"channel.update", "2", {"broadcaster_user_id"}},
        {"channel.cheer", "1", {"broadcaster_user_id"}},
        {"channel.subscribe", "1", {"broadcaster_user_id"}},
    };
    return r;
}

QString uuid() {
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

bool isLoopbackCallback(const QUrl &url) {
    return url.host() == u"localhost" || QHostAddress(url.host()).isLoopback();
}

} // namespace

QJsonObject Subscription::json() const {
    return {{"id", id},
            {"status", status},
            {"type", type},
            {"version", version},
            {"condition", condition},
            {"created_at", createdAt},
            {"transport", QJsonObject{{"method", "webhook"}, {"callback", callback}}},
            {"cost", type == u"channel.follow" ? 0 : 1}};
}

EventSubApi::EventSubApi(World &world, Tokens &tokens, WebSocketSubscriptions &websocket, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_tokens(tokens)
    , m_websocket(websocket)
    , m_events(world) {
    m_network.setAutoDeleteReplies(true);
    m_network.setTransferTimeout(10000);
}

void EventSubApi::registerRoutes(QHttpServer &server) {
    server.route("/helix/eventsub/subscriptions", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &r) { return create(r); });
    server.route("/helix/eventsub/subscriptions", QHttpServerRequest::Method::Get,
                 [this](const QHttpServerRequest &r) { return list(r); });
    server.route("/helix/eventsub/subscriptions", QHttpServerRequest::Method::Delete,
                 [this](const QHttpServerRequest &r) { return remove(r); });
    server.route("/sim/trigger", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &r) { return trigger(r); });
    server.route("/sim/revoke", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &r) { return revoke(r); });
    server.route("/sim/fail", QHttpServerRequest::Method::Post, [this](const QHttpServerRequest &r) {
        const QJsonObject body = QJsonDocument::fromJson(r.body()).object();
        m_failures.insert(body.value("method").toString(QStringLiteral("POST")).toUpper(),
                          {body.value("status").toInt(503), body.value("count").toInt(1)});
        return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
    });
    server.route("/sim/subscriptions", QHttpServerRequest::Method::Get, [this] {
        QJsonArray data;
        for (const Subscription &s : std::as_const(m_subscriptions))
            data.append(s.json());
        // create_requests: every POST /helix/eventsub/subscriptions, answered or refused.
        return QHttpServerResponse(QJsonObject{{"data", data}, {"create_requests", m_createRequests}});
    });
}

std::optional<QHttpServerResponse> EventSubApi::checkApp(const QHttpServerRequest &request) const {
    const QByteArray auth = request.value("Authorization");
    if (auth.isEmpty())
        return twitchError(401, QStringLiteral("Unauthorized"), QStringLiteral("OAuth token is missing"));
    const Token *t = m_tokens.appTokenFrom(auth);
    if (!t) {
        const bool user =
            auth.startsWith("Bearer ") && m_tokens.find(QString::fromLatin1(auth.mid(7).trimmed()));
        return twitchError(401, QStringLiteral("Unauthorized"),
                           user ? QStringLiteral("An app access token is required.")
                                : QStringLiteral("Invalid OAuth token"));
    }
    if (request.value("Client-Id") != t->clientId.toUtf8())
        return twitchError(401, QStringLiteral("Unauthorized"),
                           QStringLiteral("Client ID and OAuth token do not match"));
    return std::nullopt;
}

bool EventSubApi::hasUserToken(const QHttpServerRequest &request) const {
    const QByteArray auth = request.value("Authorization");
    const Token *t =
        auth.startsWith("Bearer ") ? m_tokens.find(QString::fromLatin1(auth.mid(7).trimmed())) : nullptr;
    return t && !t->userId.isEmpty();
}

std::optional<QHttpServerResponse> EventSubApi::injectedFailure(const char *method) {
    auto it = m_failures.find(QLatin1String(method));
    if (it == m_failures.end() || it->second <= 0)
        return std::nullopt;
    --it->second;
    const int status = it->first;
    return twitchError(
        status, status == 429 ? QStringLiteral("Too Many Requests") : QStringLiteral("Internal Server Error"),
        QStringLiteral("injected failure"));
}

QHttpServerResponse EventSubApi::create(const QHttpServerRequest &request) {
    ++m_createRequests;
    const QJsonObject requestBody = QJsonDocument::fromJson(request.body()).object();
    if (requestBody.value("transport").toObject().value("method").toString() == u"websocket") {
        if (auto failure = injectedFailure("POST"))
            return std::move(*failure);
        return m_websocket.create(request, requestBody);
    }
    if (auto denied = checkApp(request))
        return std::move(*denied);
    if (auto failure = injectedFailure("POST"))
        return std::move(*failure);
    const QJsonObject body = QJsonDocument::fromJson(request.body()).object();
    const QString type = body.value("type").toString();
    const QString version = body.value("version").toString();
    const QJsonObject condition = body.value("condition").toObject();
    const QJsonObject transport = body.value("transport").toObject();
    auto bad = [](const QString &message) {
        return twitchError(400, QStringLiteral("Bad Request"), message);
    };

    const TypeRule *rule = nullptr;
    for (const TypeRule &r : rules())
        if (type == QLatin1String(r.type) && version == QLatin1String(r.version))
            rule = &r;
    if (!rule)
        return bad(QStringLiteral("invalid combination of subscription type and version"));
    for (const QString &field : rule->required) {
        const QString id = condition.value(field).toString();
        if (id.isEmpty())
            return bad(QStringLiteral("missing or invalid condition"));
        if (!m_world.userById(id))
            return bad(QStringLiteral("the user specified in the condition object does not exist"));
    }
    if (transport.value("method").toString() != u"webhook")
        return bad(QStringLiteral("transport method must be webhook for an app access token"));
    const QUrl callback(transport.value("callback").toString());
    if (!callback.isValid() || callback.host().isEmpty())
        return bad(QStringLiteral("missing or invalid callback"));
    // Twitch calls only HTTPS on 443; loopback callbacks stand in for a local test relay.
    if (!isLoopbackCallback(callback) && (callback.scheme() != u"https" || callback.port(443) != 443))
        return bad(QStringLiteral("invalid transport callback: must use https on port 443"));
    const QByteArray secret = transport.value("secret").toString().toLatin1();
    if (secret.size() < 10 || secret.size() > 100)
        return bad(QStringLiteral("invalid transport secret length"));

    if (type == u"channel.follow") {
        const QString broadcaster = condition.value("broadcaster_user_id").toString();
        const QString moderator = condition.value("moderator_user_id").toString();
        const bool allowed = moderator == broadcaster || m_world.isModerator(broadcaster, moderator);
        if (!allowed || !m_tokens.hasGranted(moderator, QStringLiteral("moderator:read:followers")))
            return twitchError(403, QStringLiteral("Forbidden"),
                               QStringLiteral("subscription missing proper authorization"));
    }
    for (const Subscription &s : std::as_const(m_subscriptions))
        if (s.type == type && s.condition == condition &&
            (s.status == u"enabled" || s.status == u"webhook_callback_verification_pending"))
            return twitchError(409, QStringLiteral("Conflict"),
                               QStringLiteral("subscription already exists"));

    Subscription s;
    s.id = uuid();
    s.type = type;
    s.version = version;
    s.status = QStringLiteral("webhook_callback_verification_pending");
    s.condition = condition;
    s.callback = callback.toString();
    s.secret = secret;
    s.createdAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    m_subscriptions.append(s);
    // The challenge goes out right after the 202, as on Twitch.
    QTimer::singleShot(0, this, [this, id = s.id] { verify(id); });
    int total = 0, cost = 0;
    for (const Subscription &x : std::as_const(m_subscriptions)) {
        ++total;
        cost += x.json().value("cost").toInt();
    }
    return QHttpServerResponse(QJsonObject{{"data", QJsonArray{s.json()}},
                                           {"total", total},
                                           {"total_cost", cost},
                                           {"max_total_cost", 10000}},
                               QHttpServerResponder::StatusCode::Accepted);
}

QHttpServerResponse EventSubApi::list(const QHttpServerRequest &request) {
    if (hasUserToken(request)) {
        if (auto failure = injectedFailure("GET"))
            return std::move(*failure);
        return m_websocket.list(request);
    }
    if (auto denied = checkApp(request))
        return std::move(*denied);
    const QUrlQuery q = request.query();
    int filters = 0;
    for (const char *f : {"status", "type", "user_id", "subscription_id"})
        filters += q.hasQueryItem(QLatin1String(f)) ? 1 : 0;
    if (filters > 1)
        return twitchError(400, QStringLiteral("Bad Request"), QStringLiteral("only one filter may be used"));
    QList<Subscription> matching;
    for (const Subscription &s : std::as_const(m_subscriptions)) {
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
        matching.append(s);
    }
    const int pageSize = 100;
    const int start = q.queryItemValue("after").toInt();
    QJsonArray data;
    for (int i = start; i < matching.size() && i < start + pageSize; ++i)
        data.append(matching[i].json());
    QJsonObject pagination;
    if (start + pageSize < matching.size())
        pagination.insert("cursor", QString::number(start + pageSize));
    return QHttpServerResponse(QJsonObject{{"data", data},
                                           {"total", int(m_subscriptions.size())},
                                           {"total_cost", 0},
                                           {"max_total_cost", 10000},
                                           {"pagination", pagination}});
}

QHttpServerResponse EventSubApi::remove(const QHttpServerRequest &request) {
    if (hasUserToken(request)) {
        if (auto failure = injectedFailure("DELETE"))
            return std::move(*failure);
        return m_websocket.remove(request);
    }
    if (auto denied = checkApp(request))
        return std::move(*denied);
    const QString id = request.query().queryItemValue("id");
    for (qsizetype i = 0; i < m_subscriptions.size(); ++i)
        if (m_subscriptions[i].id == id) {
            m_subscriptions.removeAt(i);
            return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
        }
    return twitchError(404, QStringLiteral("Not Found"), QStringLiteral("subscription not found"));
}

void EventSubApi::verify(const QString &id) {
    auto it =
        std::find_if(m_subscriptions.begin(), m_subscriptions.end(), [&](auto &s) { return s.id == id; });
    if (it == m_subscriptions.end())
        return;
    const QString challenge = uuid();
    QJsonObject sub = it->json();
    const QByteArray body = QJsonDocument(QJsonObject{{"challenge", challenge}, {"subscription", sub}})
                                .toJson(QJsonDocument::Compact);
    QNetworkReply *reply =
        m_network.post(signedRequest(*it, "webhook_callback_verification", uuid().toLatin1(), body, 0), body);
    connect(reply, &QNetworkReply::finished, this, [this, reply, id, challenge] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray echoed = reply->readAll();
        const QByteArray type = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        for (Subscription &s : m_subscriptions)
            if (s.id == id)
                s.status = status >= 200 && status < 300 && echoed == challenge.toUtf8() &&
                                   type.startsWith("text/plain")
                               ? QStringLiteral("enabled")
                               : QStringLiteral("webhook_callback_verification_failed");
    });
}

QNetworkRequest EventSubApi::signedRequest(const Subscription &s, const QByteArray &messageType,
                                           const QByteArray &messageId, const QByteArray &body,
                                           int retry) const {
    // Twitch's headers; the signature covers id + timestamp + the exact body bytes.
    const QByteArray timestamp = nanoTimestamp(QDateTime::currentDateTimeUtc());
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, s.secret);
    mac.addData(messageId + timestamp + body);
    QNetworkRequest request{QUrl(s.callback)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Twitch-Eventsub-Message-Id", messageId);
    request.setRawHeader("Twitch-Eventsub-Message-Retry", QByteArray::number(retry));
    request.setRawHeader("Twitch-Eventsub-Message-Type", messageType);
    request.setRawHeader("Twitch-Eventsub-Message-Signature", "sha256=" + mac.result().toHex());
    request.setRawHeader("Twitch-Eventsub-Message-Timestamp", timestamp);
    request.setRawHeader("Twitch-Eventsub-Subscription-Type", s.type.toLatin1());
    request.setRawHeader("Twitch-Eventsub-Subscription-Version", s.version.toLatin1());
    return request;
}

QByteArray EventSubApi::notificationBody(const Subscription &s, const QJsonObject &event) const {
    return QJsonDocument(QJsonObject{{"subscription", s.json()}, {"event", event}})
        .toJson(QJsonDocument::Compact);
}

void EventSubApi::deliver(const QString &subscriptionId, const QByteArray &messageType,
                          const QByteArray &body, const QByteArray &messageId, int attempt) {
    auto it = std::find_if(m_subscriptions.begin(), m_subscriptions.end(),
                           [&](auto &s) { return s.id == subscriptionId; });
    if (it == m_subscriptions.end())
        return;
    QNetworkReply *reply = m_network.post(signedRequest(*it, messageType, messageId, body, attempt), body);
    connect(reply, &QNetworkReply::finished, this, [=, this] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        // Twitch tries a failed delivery again a few times, waiting longer each time.
        constexpr streams::Backoff::Policy kRedelivery{std::chrono::milliseconds(500),
                                                       std::chrono::seconds(4)};
        if ((status < 200 || status >= 300) && attempt < 4)
            QTimer::singleShot(kRedelivery.base(attempt), this, [=, this] {
                deliver(subscriptionId, messageType, body, messageId, attempt + 1);
            });
    });
}

QHttpServerResponse EventSubApi::trigger(const QHttpServerRequest &request) {
    const QJsonObject body = QJsonDocument::fromJson(request.body()).object();
    const QString type = EventFactory::canonicalType(body.value("type").toString());
    if (type.isEmpty())
        return twitchError(400, {},
                           QStringLiteral("type must be channel.follow, channel.cheer, channel.subscribe, "
                                          "channel.subscription.message, channel.subscription.gift, "
                                          "channel.raid, stream.online or stream.offline"));
    auto built = m_events.build(type, body);
    if (const QString *error = std::get_if<QString>(&built))
        return twitchError(400, {}, *error);
    const QList<QJsonObject> events = std::get<QList<QJsonObject>>(std::move(built));
    // One notification per enabled subscription, as Twitch does (a follow reaches every moderator's one).
    const int repeat = qBound(1, body.value("repeat").toInt(1), 5);
    QJsonArray ids;
    QJsonArray eventsJson;
    for (const QJsonObject &event : events) {
        eventsJson.append(event);
        for (const Subscription &s : std::as_const(m_subscriptions)) {
            if (s.type != type || s.status != u"enabled" || !EventFactory::reaches(type, s.condition, event))
                continue;
            const QByteArray messageId = uuid().toLatin1();
            const QByteArray payload = notificationBody(s, event);
            for (int i = 0; i < repeat; ++i) // redelivery of the same message id
                deliver(s.id, "notification", payload, messageId);
            ids.append(QString::fromLatin1(messageId));
        }
    }
    const QStringList websocketIds =
        m_websocket.notify(type, events, WebSocketSubscriptions::deliveryFrom(body));
    return QHttpServerResponse(
        QJsonObject{{"message_ids", ids},
                    {"websocket_message_ids", QJsonArray::fromStringList(websocketIds)},
                    {"event", events.first()},
                    {"events", eventsJson}});
}

QHttpServerResponse EventSubApi::revoke(const QHttpServerRequest &request) {
    const QJsonObject body = QJsonDocument::fromJson(request.body()).object();
    const QString id = body.value("subscription_id").toString();
    const QString status = body.value("status").toString(QStringLiteral("authorization_revoked"));
    for (Subscription &s : m_subscriptions)
        if (s.id == id) {
            s.status = status;
            const QByteArray payload =
                QJsonDocument(QJsonObject{{"subscription", s.json()}}).toJson(QJsonDocument::Compact);
            deliver(s.id, "revocation", payload, uuid().toLatin1());
            return QHttpServerResponse(QJsonObject{{"revoked", id}});
        }
    if (m_websocket.revoke(id, status))
        return QHttpServerResponse(QJsonObject{{"revoked", id}});
    return twitchError(404, {}, QStringLiteral("no such subscription"));
}

} // namespace twitchsim
