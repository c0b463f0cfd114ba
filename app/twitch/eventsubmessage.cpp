#include "twitch/eventsubmessage.h"

#include "protocol/timestamp.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTimeZone>

namespace streams::app {
namespace {

QString str(const QJsonObject &o, const char *key) {
    return o.value(QLatin1String(key)).toString();
}

EventSubMessage::Type typeOf(const QString &name) {
    if (name == u"session_welcome")
        return EventSubMessage::Type::Welcome;
    if (name == u"session_keepalive")
        return EventSubMessage::Type::Keepalive;
    if (name == u"notification")
        return EventSubMessage::Type::Notification;
    if (name == u"session_reconnect")
        return EventSubMessage::Type::Reconnect;
    if (name == u"revocation")
        return EventSubMessage::Type::Revocation;
    return EventSubMessage::Type::Unknown;
}

const char *const kFollowScope = "moderator:read:followers";
const char *const kBitsScope = "bits:read";
const char *const kSubsScope = "channel:read:subscriptions";

} // namespace

std::optional<EventSubMessage> parseEventSubMessage(const QByteArray &frame) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(frame, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    const QJsonObject metadata = doc.object().value(QLatin1String("metadata")).toObject();
    const QJsonObject payload = doc.object().value(QLatin1String("payload")).toObject();
    const QString typeName = str(metadata, "message_type");
    const auto timestamp = protocol::parseRfc3339Ms(str(metadata, "message_timestamp").toLatin1());
    if (typeName.isEmpty() || !timestamp)
        return std::nullopt;
    EventSubMessage m;
    m.type = typeOf(typeName);
    m.id = str(metadata, "message_id");
    m.timestampMs = *timestamp;
    m.subscriptionType = str(metadata, "subscription_type");
    const QJsonObject session = payload.value(QLatin1String("session")).toObject();
    m.sessionId = str(session, "id");
    m.keepaliveSeconds = session.value(QLatin1String("keepalive_timeout_seconds")).toInt();
    m.reconnectUrl = str(session, "reconnect_url");
    const QJsonObject subscription = payload.value(QLatin1String("subscription")).toObject();
    m.subscriptionId = str(subscription, "id");
    m.subscriptionStatus = str(subscription, "status");
    m.condition = subscription.value(QLatin1String("condition")).toObject();
    if (m.subscriptionType.isEmpty())
        m.subscriptionType = str(subscription, "type");
    m.event = payload.value(QLatin1String("event")).toObject();
    return m;
}

QList<EventSubSpec> eventSubSpecs(const QString &broadcasterId, const QString &userId, bool isBroadcaster,
                                  bool isModerator) {
    QList<EventSubSpec> specs;
    if (!isBroadcaster && !isModerator)
        return specs;
    const QJsonObject channel{{QStringLiteral("broadcaster_user_id"), broadcasterId}};
    // The user named as moderator is the one whose token creates it: the broadcaster names themself.
    specs.append({QStringLiteral("channel.follow"),
                  QStringLiteral("2"),
                  {{QStringLiteral("broadcaster_user_id"), broadcasterId},
                   {QStringLiteral("moderator_user_id"), isBroadcaster ? broadcasterId : userId}},
                  eventSubScopeOf(QStringLiteral("channel.follow")),
                  feedKindsOf(QStringLiteral("channel.follow"))});
    if (!isBroadcaster)
        return specs;
    auto add = [&](const char *type, const QJsonObject &condition) {
        const QString name = QLatin1String(type);
        specs.append({name, QStringLiteral("1"), condition, eventSubScopeOf(name), feedKindsOf(name)});
    };
    add("channel.cheer", channel);
    add("channel.subscribe", channel);
    add("channel.subscription.message", channel);
    add("channel.subscription.gift", channel);
    add("channel.raid", {{QStringLiteral("to_broadcaster_user_id"), broadcasterId}});
    add("stream.online", channel);
    add("stream.offline", channel);
    return specs;
}

QStringList eventSubScopes() {
    return {QLatin1String(kBitsScope), QLatin1String(kSubsScope), QLatin1String(kFollowScope)};
}

QStringList withEventSubScopes(QStringList scopes) {
    for (const QString &scope : eventSubScopes())
        if (!scopes.contains(scope))
            scopes.append(scope);
    return scopes;
}

QString eventSubScopeOf(const QString &type) {
    if (type == u"channel.follow")
        return QLatin1String(kFollowScope);
    if (type == u"channel.cheer")
        return QLatin1String(kBitsScope);
    if (type.startsWith(u"channel.subscri"))
        return QLatin1String(kSubsScope);
    return {};
}

QStringList feedKindsOf(const QString &type) {
    if (type == u"channel.follow")
        return {QStringLiteral("follow")};
    if (type == u"channel.cheer")
        return {QStringLiteral("cheer")};
    if (type == u"channel.subscribe")
        return {QStringLiteral("sub")};
    if (type == u"channel.subscription.message")
        return {QStringLiteral("resub")};
    if (type == u"channel.subscription.gift")
        return {QStringLiteral("subgift"), QStringLiteral("giftbomb")};
    if (type == u"channel.raid")
        return {QStringLiteral("raid")};
    if (type == u"stream.online")
        return {QStringLiteral("online")};
    if (type == u"stream.offline")
        return {QStringLiteral("offline")};
    return {};
}

QString describeSubscriptionType(const QString &type) {
    if (type == u"channel.follow")
        return QCoreApplication::translate("EventSub", "follows");
    if (type == u"channel.cheer")
        return QCoreApplication::translate("EventSub", "cheers");
    if (type == u"channel.subscribe")
        return QCoreApplication::translate("EventSub", "subscriptions");
    if (type == u"channel.subscription.message")
        return QCoreApplication::translate("EventSub", "resubscriptions");
    if (type == u"channel.subscription.gift")
        return QCoreApplication::translate("EventSub", "gifted subscriptions");
    if (type == u"channel.raid")
        return QCoreApplication::translate("EventSub", "raids");
    if (type == u"stream.online" || type == u"stream.offline")
        return QCoreApplication::translate("EventSub", "live and offline changes");
    return type;
}

std::optional<FeedEvent> feedEventFromNotification(const EventSubMessage &m) {
    const QJsonObject &e = m.event;
    const QString type = m.subscriptionType;
    FeedEvent f;
    f.source = QStringLiteral("eventsub");
    f.key = QStringLiteral("eventsub:") + m.id;
    f.occurredAt = QDateTime::fromMSecsSinceEpoch(m.timestampMs, QTimeZone::utc());
    f.broadcasterId = str(e, "broadcaster_user_id");
    // Anonymous cheers and gifts carry null users: the row then names nobody.
    f.userId = str(e, "user_id");
    f.userLogin = str(e, "user_login");
    f.userName = str(e, "user_name");
    if (type == u"channel.follow") {
        f.kind = QStringLiteral("follow");
        const QString followedAt = str(e, "followed_at");
        f.key = followKey(f.broadcasterId, f.userId, followedAt); // the relay's and Helix's key
        const QDateTime at = parseTimestamp(followedAt);
        if (at.isValid())
            f.occurredAt = at;
    } else if (type == u"channel.cheer") {
        f.kind = QStringLiteral("cheer");
        f.amount = e.value(QLatin1String("bits")).toInt();
        f.message = str(e, "message");
    } else if (type == u"channel.subscribe") {
        if (e.value(QLatin1String("is_gift")).toBool())
            return std::nullopt; // the recipient's side of a gift: the gift itself is the event
        f.kind = QStringLiteral("sub");
        f.amount = 1;
        f.tier = str(e, "tier");
    } else if (type == u"channel.subscription.message") {
        f.kind = QStringLiteral("resub");
        f.amount = qMax(1, e.value(QLatin1String("cumulative_months")).toInt());
        f.tier = str(e, "tier");
        f.message = e.value(QLatin1String("message")).toObject().value(QLatin1String("text")).toString();
    } else if (type == u"channel.subscription.gift") {
        f.amount = qMax(1, e.value(QLatin1String("total")).toInt());
        f.kind = f.amount > 1 ? QStringLiteral("giftbomb") : QStringLiteral("subgift");
        f.tier = str(e, "tier");
    } else if (type == u"channel.raid") {
        f.kind = QStringLiteral("raid");
        f.broadcasterId = str(e, "to_broadcaster_user_id");
        f.userId = str(e, "from_broadcaster_user_id");
        f.userLogin = str(e, "from_broadcaster_user_login");
        f.userName = str(e, "from_broadcaster_user_name");
        f.amount = e.value(QLatin1String("viewers")).toInt();
    } else if (type == u"stream.online" || type == u"stream.offline") {
        f.kind = type == u"stream.online" ? QStringLiteral("online") : QStringLiteral("offline");
        // As the relay does: the user of a live change is the broadcaster.
        f.userId = f.broadcasterId;
        f.userLogin = str(e, "broadcaster_user_login");
        f.userName = str(e, "broadcaster_user_name");
        const QDateTime started = parseTimestamp(str(e, "started_at"));
        if (started.isValid())
            f.occurredAt = started;
    } else {
        return std::nullopt;
    }
    if (f.broadcasterId.isEmpty())
        return std::nullopt;
    return f;
}

} // namespace streams::app
