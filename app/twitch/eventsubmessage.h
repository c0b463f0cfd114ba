#pragma once

// EventSub over WebSocket (twitch-platform.md §2, §3): the frames Twitch sends, parsed into a value; the
// subscriptions the app creates for a channel and the scopes each needs; notifications as feed events
// with the same kinds and keys as the relay and chat produce, so one real event is one row.

#include "events/feedevent.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace streams::app {

struct EventSubMessage {
    enum class Type { Welcome, Keepalive, Notification, Reconnect, Revocation, Unknown };
    Type type = Type::Unknown;
    QString id;             // metadata.message_id
    qint64 timestampMs = 0; // metadata.message_timestamp (RFC 3339, nanoseconds), ms since the epoch
    QString subscriptionType;
    // session_welcome / session_reconnect
    QString sessionId;
    int keepaliveSeconds = 0; // 0 when absent (null on a reconnect message)
    QString reconnectUrl;
    // notification / revocation
    QString subscriptionId;
    QString subscriptionStatus;
    QJsonObject condition;
    QJsonObject event;
};

// nullopt for anything that is not a JSON object with metadata.message_type and a valid
// metadata.message_timestamp.
std::optional<EventSubMessage> parseEventSubMessage(const QByteArray &frame);

// One subscription the app wants for a channel.
struct EventSubSpec {
    QString type;
    QString version;
    QJsonObject condition;
    QString scope;     // the scope the user must have granted; empty: none
    QStringList kinds; // the feed kinds it delivers
};

// What the user may receive for `broadcasterId`: channel.follow v2 (moderator = the user) for the
// broadcaster and moderators; cheers, subs, resubs, gifts, raids (to the channel) and online/offline for
// the broadcaster alone. Empty for anyone else.
QList<EventSubSpec> eventSubSpecs(const QString &broadcasterId, const QString &userId, bool isBroadcaster,
                                  bool isModerator);

// The scopes the EventSub features need (bits:read, channel:read:subscriptions, moderator:read:followers).
QStringList eventSubScopes();
// `scopes` (e.g. the relay's) with the EventSub ones added, for the login.
QStringList withEventSubScopes(QStringList scopes);
// The scope a subscription type needs from the user (empty: none).
QString eventSubScopeOf(const QString &subscriptionType);
// The feed kinds that a subscription type delivers (channel.subscription.gift: subgift and giftbomb).
QStringList feedKindsOf(const QString &subscriptionType);
// For people: "follows", "cheers", "subscriptions", … (translatable).
QString describeSubscriptionType(const QString &subscriptionType);

// A notification as a feed event (source "eventsub"); nullopt for a type the feed does not show, or for a
// gifted channel.subscribe (its gift arrives as channel.subscription.gift).
std::optional<FeedEvent> feedEventFromNotification(const EventSubMessage &message);

} // namespace streams::app
