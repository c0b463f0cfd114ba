#pragma once

// One row of the feed, whatever its source (relay, Helix, chat), and the key that makes the same event
// from two sources one row.

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace streams::app {

struct FeedEvent {
    QString key; // unique per real-world event (see keyFor*)
    QString broadcasterId;
    QString kind; // follow, cheer, sub, resub, subgift, giftbomb, raid, online, offline
    QString userId;
    QString userLogin;
    QString userName;
    int amount = 0; // bits, months, gift count, raid viewers
    QString tier;
    QString message;
    QDateTime occurredAt; // UTC
    QString source;       // relay, helix, chat
};

// A follow is the same follow whether the relay or Helix reports it: Helix gives seconds, EventSub
// nanoseconds, so the key keeps whole seconds.
QString followKey(const QString &broadcasterId, const QString &userId, const QString &followedAt);
QDateTime parseTimestamp(const QString &rfc3339);

// What happened, for people: "followed", "cheered 500 bits", "gifted 5 subs", … (translatable).
QString describeAction(const FeedEvent &event);
// "LumenWave followed" — the row's sentence, for notifications and screen readers.
QString describeEvent(const FeedEvent &event);
// The filter group of a kind: follow, cheer, sub (sub, resub), gift (subgift, giftbomb), raid, live
// (online, offline).
QString kindGroup(const QString &kind);
QStringList kindsOfGroup(const QString &group);

} // namespace streams::app

Q_DECLARE_METATYPE(streams::app::FeedEvent)
