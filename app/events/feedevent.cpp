#include "events/feedevent.h"

#include "protocol/timestamp.h"

#include <QCoreApplication>
#include <QStringList>

namespace streams::app {

QDateTime parseTimestamp(const QString &rfc3339) {
    return protocol::parseRfc3339(rfc3339.toLatin1()).value_or(QDateTime());
}

QString followKey(const QString &broadcasterId, const QString &userId, const QString &followedAt) {
    const QDateTime t = parseTimestamp(followedAt);
    const QString seconds = t.isValid() ? QString::number(t.toSecsSinceEpoch()) : followedAt;
    return QStringLiteral("follow:%1:%2:%3").arg(broadcasterId, userId, seconds);
}

QString describeAction(const FeedEvent &e) {
    QString tier;
    if (e.tier == QLatin1String("2000"))
        tier = QCoreApplication::translate("FeedEvent", " (Tier 2)");
    else if (e.tier == QLatin1String("3000"))
        tier = QCoreApplication::translate("FeedEvent", " (Tier 3)");
    const int count = qMax(1, e.amount);
    const QString kind = e.kind;
    if (kind == QLatin1String("follow"))
        return QCoreApplication::translate("FeedEvent", "followed");
    if (kind == QLatin1String("cheer"))
        return QCoreApplication::translate("FeedEvent", "cheered %n bits", nullptr, e.amount);
    if (kind == QLatin1String("sub"))
        return QCoreApplication::translate("FeedEvent", "subscribed") + tier;
    if (kind == QLatin1String("resub"))
        return QCoreApplication::translate("FeedEvent", "resubscribed for %n months", nullptr, count) + tier;
    if (kind == QLatin1String("subgift"))
        return QCoreApplication::translate("FeedEvent", "gifted a sub") + tier;
    if (kind == QLatin1String("giftbomb"))
        return QCoreApplication::translate("FeedEvent", "gifted %n subs", nullptr, count) + tier;
    if (kind == QLatin1String("raid"))
        return QCoreApplication::translate("FeedEvent", "raided with %n viewers", nullptr, e.amount);
    if (kind == QLatin1String("online"))
        return QCoreApplication::translate("FeedEvent", "went live");
    if (kind == QLatin1String("offline"))
        return QCoreApplication::translate("FeedEvent", "went offline");
    return kind;
}

QString describeEvent(const FeedEvent &e) {
    const QString who = e.userName.isEmpty() ? e.userLogin : e.userName;
    return who.isEmpty() ? describeAction(e) : who + QLatin1Char(' ') + describeAction(e);
}

QString kindGroup(const QString &kind) {
    if (kind == u"resub")
        return QStringLiteral("sub");
    if (kind == u"subgift" || kind == u"giftbomb")
        return QStringLiteral("gift");
    if (kind == u"online" || kind == u"offline")
        return QStringLiteral("live");
    return kind;
}

QStringList kindsOfGroup(const QString &group) {
    if (group == u"sub")
        return {QStringLiteral("sub"), QStringLiteral("resub")};
    if (group == u"gift")
        return {QStringLiteral("subgift"), QStringLiteral("giftbomb")};
    if (group == u"live")
        return {QStringLiteral("online"), QStringLiteral("offline")};
    return {group};
}

} // namespace streams::app
