#include "feed/feedevent.h"

#include <QCoreApplication>
#include <QStringList>

namespace streams::app {

QDateTime parseTimestamp(const QString &rfc3339) {
    QString text = rfc3339;
    // Qt reads at most milliseconds: drop the digits after them, keep the zone.
    const qsizetype dot = text.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        qsizetype end = dot + 1;
        while (end < text.size() && text[end].isDigit())
            ++end;
        text = text.left(qMin(end, dot + 4)) + text.mid(end);
    }
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

QString followKey(const QString &broadcasterId, const QString &userId, const QString &followedAt) {
    const QDateTime t = parseTimestamp(followedAt);
    const QString seconds = t.isValid() ? QString::number(t.toSecsSinceEpoch()) : followedAt;
    return QStringLiteral("follow:%1:%2:%3").arg(broadcasterId, userId, seconds);
}

QString describeAction(const FeedEvent &e) {
    auto tr = [](const char *text, int n = -1) {
        return QCoreApplication::translate("FeedEvent", text, nullptr, n);
    };
    const QString tier = e.tier == u"2000"   ? tr(" (Tier 2)")
                         : e.tier == u"3000" ? tr(" (Tier 3)")
                                             : QString();
    if (e.kind == u"follow")
        return tr("followed");
    if (e.kind == u"cheer")
        return tr("cheered %n bits", e.amount);
    if (e.kind == u"sub")
        return tr("subscribed") + tier;
    if (e.kind == u"resub")
        return tr("resubscribed for %n months", qMax(1, e.amount)) + tier;
    if (e.kind == u"subgift")
        return tr("gifted a sub") + tier;
    if (e.kind == u"giftbomb")
        return tr("gifted %n subs", qMax(1, e.amount)) + tier;
    if (e.kind == u"raid")
        return tr("raided with %n viewers", e.amount);
    if (e.kind == u"online")
        return tr("went live");
    if (e.kind == u"offline")
        return tr("went offline");
    return e.kind;
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
