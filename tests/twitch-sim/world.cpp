#include "world.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace twitchsim {
namespace {

QStringList stringArray(const QJsonValue &v) {
    QStringList out;
    for (const QJsonValue item : v.toArray())
        out.append(item.toString());
    return out;
}

} // namespace

std::optional<World> World::fromJson(const QByteArray &json, QString *error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("world file is not a JSON object: %1").arg(parseError.errorString());
        return std::nullopt;
    }
    World world;
    QSet<QString> logins;
    for (const QJsonValue value : doc.object().value(QLatin1String("users")).toArray()) {
        const QJsonObject o = value.toObject();
        User u;
        u.id = o.value(QLatin1String("id")).toString();
        u.login = o.value(QLatin1String("login")).toString();
        u.displayName = o.value(QLatin1String("display_name")).toString();
        u.broadcasterType = o.value(QLatin1String("broadcaster_type")).toString();
        u.description = o.value(QLatin1String("description")).toString();
        u.profileImage = o.value(QLatin1String("profile_image")).toString();
        u.createdAt = o.value(QLatin1String("created_at")).toString();
        if (u.id.isEmpty() || u.login.isEmpty() || u.displayName.isEmpty() || u.login != u.login.toLower()) {
            *error = QStringLiteral("world: every user needs id, lowercase login and display_name");
            return std::nullopt;
        }
        if (world.m_byId.contains(u.id) || logins.contains(u.login)) {
            *error = QStringLiteral("world: user %1 (%2) appears twice").arg(u.id, u.login);
            return std::nullopt;
        }
        const QJsonObject s = o.value(QLatin1String("stream")).toObject();
        u.stream.live = s.value(QLatin1String("live")).toBool();
        u.stream.id = s.value(QLatin1String("id")).toString();
        u.stream.title = s.value(QLatin1String("title")).toString();
        u.stream.gameId = s.value(QLatin1String("game_id")).toString();
        u.stream.gameName = s.value(QLatin1String("game_name")).toString();
        u.stream.viewerCount = s.value(QLatin1String("viewer_count")).toInt();
        u.stream.startedAt = s.value(QLatin1String("started_at")).toString();
        u.stream.language = s.value(QLatin1String("language")).toString();
        u.stream.tags = stringArray(s.value(QLatin1String("tags")));
        u.moderatorIds = stringArray(o.value(QLatin1String("moderators")));
        for (const QJsonValue f : o.value(QLatin1String("followers")).toArray()) {
            const QJsonObject fo = f.toObject();
            u.followers.append({fo.value(QLatin1String("user_id")).toString(),
                                fo.value(QLatin1String("followed_at")).toString()});
        }
        logins.insert(u.login);
        world.m_users.append(u);
        world.m_byId.insert(u.id, world.m_users.size() - 1);
    }
    for (const User &u : std::as_const(world.m_users)) {
        for (const QString &mod : u.moderatorIds)
            if (!world.m_byId.contains(mod)) {
                *error = QStringLiteral("world: %1 names unknown moderator %2").arg(u.login, mod);
                return std::nullopt;
            }
        for (const Follower &f : u.followers)
            if (!world.m_byId.contains(f.userId) ||
                !QDateTime::fromString(f.followedAt, Qt::ISODateWithMs).isValid()) {
                *error =
                    QStringLiteral("world: %1 has an invalid follower entry (%2)").arg(u.login, f.userId);
                return std::nullopt;
            }
    }
    if (world.m_users.isEmpty()) {
        *error = QStringLiteral("world: no users");
        return std::nullopt;
    }
    world.reindex();
    return world;
}

std::optional<World> World::fromFile(const QString &path, QString *error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read world file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    return fromJson(file.readAll(), error);
}

void World::reindex() {
    m_byId.clear();
    m_byLogin.clear();
    for (qsizetype i = 0; i < m_users.size(); ++i) {
        m_byId.insert(m_users[i].id, i);
        m_byLogin.insert(m_users[i].login, i);
    }
}

const User *World::userById(const QString &id) const {
    const auto it = m_byId.constFind(id);
    return it == m_byId.cend() ? nullptr : &m_users[*it];
}

const User *World::userByLogin(const QString &login) const {
    const auto it = m_byLogin.constFind(login.toLower());
    return it == m_byLogin.cend() ? nullptr : &m_users[*it];
}

User *World::mutableUserById(const QString &id) {
    const auto it = m_byId.constFind(id);
    return it == m_byId.cend() ? nullptr : &m_users[*it];
}

bool World::isModerator(const QString &broadcasterId, const QString &userId) const {
    const User *b = userById(broadcasterId);
    return b && b->moderatorIds.contains(userId);
}

bool World::addFollower(const QString &broadcasterId, const QString &userId, const QDateTime &at) {
    User *b = mutableUserById(broadcasterId);
    if (!b || !userById(userId) || broadcasterId == userId)
        return false;
    for (const Follower &f : std::as_const(b->followers))
        if (f.userId == userId)
            return false;
    b->followers.append({userId, at.toUTC().toString(Qt::ISODateWithMs)});
    return true;
}

} // namespace twitchsim
