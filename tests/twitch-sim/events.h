#pragma once

// The EventSub event objects Twitch sends for something that happened in the world (a follow, a cheer, a
// sub, a gift, a raid, a stream going on- or offline), shared by the webhook and WebSocket transports, and
// which subscription conditions such an event reaches.

#include "world.h"

#include <QJsonObject>

#include <variant>

namespace twitchsim {

// Twitch's timestamps carry nanoseconds.
QByteArray nanoTimestamp(const QDateTime &t);

class EventFactory {
public:
    explicit EventFactory(World &world);

    // The full subscription type for a type or its short name (follow, cheer, online…); empty if unknown.
    static QString canonicalType(const QString &type);
    // The version this simulator serves the type in.
    static QString versionOf(const QString &type);
    // Whether an event of `type` reaches a subscription with `condition`.
    static bool reaches(const QString &type, const QJsonObject &condition, const QJsonObject &event);

    // The events of one POST /sim/trigger body (`count` of them, in order), with the world updated as
    // they happen (followers, live state); or a sentence saying what is wrong with the body.
    std::variant<QList<QJsonObject>, QString> build(const QString &type, const QJsonObject &body);

private:
    World &m_world;
};

} // namespace twitchsim
