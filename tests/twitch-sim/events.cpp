#include "events.h"

#include <QJsonArray>
#include <QRandomGenerator>

namespace twitchsim {
namespace {

void addUser(QJsonObject &event, const QString &prefix, const User *u) {
    event.insert(prefix + QStringLiteral("user_id"), u ? QJsonValue(u->id) : QJsonValue(QJsonValue::Null));
    event.insert(prefix + QStringLiteral("user_login"),
                 u ? QJsonValue(u->login) : QJsonValue(QJsonValue::Null));
    event.insert(prefix + QStringLiteral("user_name"),
                 u ? QJsonValue(u->displayName) : QJsonValue(QJsonValue::Null));
}

} // namespace

QByteArray nanoTimestamp(const QDateTime &t) {
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")).toLatin1() + "123456Z";
}

EventFactory::EventFactory(World &world)
    : m_world(world) {}

QString EventFactory::canonicalType(const QString &type) {
    static const QHash<QString, QString> shortNames = {
        {QStringLiteral("follow"), QStringLiteral("channel.follow")},
        {QStringLiteral("cheer"), QStringLiteral("channel.cheer")},
        {QStringLiteral("subscribe"), QStringLiteral("channel.subscribe")},
        {QStringLiteral("subscription.message"), QStringLiteral("channel.subscription.message")},
        {QStringLiteral("subscription.gift"), QStringLiteral("channel.subscription.gift")},
        {QStringLiteral("raid"), QStringLiteral("channel.raid")},
        {QStringLiteral("online"), QStringLiteral("stream.online")},
        {QStringLiteral("offline"), QStringLiteral("stream.offline")},
    };
    if (shortNames.contains(type))
        return shortNames.value(type);
    for (const QString &full : shortNames)
        if (full == type)
            return full;
    return {};
}

QString EventFactory::versionOf(const QString &type) {
    return type == u"channel.follow" || type == u"channel.update" ? QStringLiteral("2") : QStringLiteral("1");
}

bool EventFactory::reaches(const QString &type, const QJsonObject &condition, const QJsonObject &event) {
    if (type == u"channel.raid") {
        const QString to = condition.value("to_broadcaster_user_id").toString();
        if (!to.isEmpty())
            return to == event.value("to_broadcaster_user_id").toString();
        return condition.value("from_broadcaster_user_id").toString() ==
               event.value("from_broadcaster_user_id").toString();
    }
    return condition.value("broadcaster_user_id").toString() == event.value("broadcaster_user_id").toString();
}

std::variant<QList<QJsonObject>, QString> EventFactory::build(const QString &type, const QJsonObject &body) {
    const User *b = m_world.userById(body.value("broadcaster_user_id").toString());
    if (!b)
        return QStringLiteral("unknown broadcaster_user_id");
    const bool needsUser = type != u"stream.online" && type != u"stream.offline";
    const User *u = m_world.userById(body.value("user_id").toString());
    if (needsUser && !u)
        return QStringLiteral("unknown user_id");
    const int count = qBound(1, body.value("count").toInt(1), 1000);
    const bool burst = count > 1;
    const bool anonymous = body.value("anonymous").toBool();
    const QString tier = body.value("tier").toString(QStringLiteral("1000"));
    // Follows in a burst come from the other users in turn, starting with user_id.
    QList<const User *> fans;
    if (needsUser) {
        fans.append(u);
        for (const User &other : m_world.users())
            if (other.id != b->id && other.id != u->id)
                fans.append(&other);
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<QJsonObject> events;
    for (int i = 1; i <= count; ++i) {
        QJsonObject event;
        if (type != u"channel.raid")
            addUser(event, QStringLiteral("broadcaster_"), b);
        const QString burstText = QStringLiteral("burst #%1").arg(i);
        if (type == u"channel.follow") {
            const User *fan = fans.at((i - 1) % fans.size());
            const QDateTime at = now.addSecs(-(count - i));
            m_world.addFollower(b->id, fan->id, at);
            addUser(event, {}, fan);
            event.insert("followed_at", QString::fromLatin1(nanoTimestamp(at)));
        } else if (type == u"channel.cheer") {
            addUser(event, {}, anonymous ? nullptr : u);
            event.insert("is_anonymous", anonymous);
            event.insert("bits", burst ? i : body.value("amount").toInt(100));
            event.insert("message",
                         burst ? burstText
                               : body.value("message").toString(QStringLiteral("Cheer100 great stream")));
        } else if (type == u"channel.subscribe") {
            addUser(event, {}, u);
            event.insert("tier", tier);
            event.insert("is_gift", false);
        } else if (type == u"channel.subscription.message") {
            addUser(event, {}, u);
            event.insert("tier", tier);
            event.insert(
                "message",
                QJsonObject{{"text", burst ? burstText
                                           : body.value("message").toString(QStringLiteral("Still here!"))},
                            {"emotes", QJsonArray{}}});
            const int months = burst ? i : body.value("amount").toInt(3);
            event.insert("cumulative_months", months);
            event.insert("streak_months", QJsonValue::Null);
            event.insert("duration_months", 1);
        } else if (type == u"channel.subscription.gift") {
            const int total = burst ? i : body.value("amount").toInt(5);
            addUser(event, {}, anonymous ? nullptr : u);
            event.insert("total", total);
            event.insert("tier", tier);
            event.insert("cumulative_total", anonymous ? QJsonValue(QJsonValue::Null) : QJsonValue(total));
            event.insert("is_anonymous", anonymous);
        } else if (type == u"channel.raid") {
            addUser(event, QStringLiteral("from_broadcaster_"), u);
            addUser(event, QStringLiteral("to_broadcaster_"), b);
            event.insert("viewers", burst ? i : body.value("amount").toInt(42));
        } else if (type == u"stream.online") {
            User *mb = m_world.mutableUserById(b->id);
            mb->stream.live = true;
            mb->stream.startedAt = now.toString(Qt::ISODate);
            // Every go-live is a new stream with a new id, as on Twitch.
            mb->stream.id = QString::number(QRandomGenerator::global()->bounded(100000000, 999999999));
            event.insert("id", mb->stream.id);
            event.insert("type", "live");
            event.insert("started_at", mb->stream.startedAt);
        } else if (type == u"stream.offline") {
            m_world.mutableUserById(b->id)->stream.live = false;
        } else {
            return QStringLiteral("type must be channel.follow, channel.cheer, channel.subscribe, "
                                  "channel.subscription.message, channel.subscription.gift, channel.raid, "
                                  "stream.online or stream.offline");
        }
        events.append(event);
    }
    return events;
}

} // namespace twitchsim
