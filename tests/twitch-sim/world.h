#pragma once

// The simulated Twitch world: users, their streams, moderators and followers, loaded from JSON.

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace twitchsim {

struct Stream {
    bool live = false;
    QString id;
    QString title;
    QString gameId;
    QString gameName;
    int viewerCount = 0;
    QString startedAt;
    QString language;
    QStringList tags;
};

struct Follower {
    QString userId;
    QString followedAt; // RFC 3339
};

struct User {
    QString id;
    QString login;
    QString displayName;
    QString broadcasterType; // "", "affiliate", "partner"
    QString description;
    QString profileImage; // file name under the avatars directory
    QString createdAt;
    Stream stream;
    QStringList moderatorIds;
    QList<Follower> followers; // oldest first as loaded; Helix answers newest first
};

class World {
public:
    // Parses a world document; on failure returns nullopt and sets *error to one sentence.
    static std::optional<World> fromJson(const QByteArray &json, QString *error);
    static std::optional<World> fromFile(const QString &path, QString *error);

    const QList<User> &users() const { return m_users; }
    const User *userById(const QString &id) const;
    const User *userByLogin(const QString &login) const;
    User *mutableUserById(const QString &id);

    bool isModerator(const QString &broadcasterId, const QString &userId) const;
    // Adds a follower now (or at `at`); returns false for unknown users or an existing follow.
    bool addFollower(const QString &broadcasterId, const QString &userId, const QDateTime &at);

private:
    void reindex();

    QList<User> m_users;
    QHash<QString, qsizetype> m_byId;
    QHash<QString, qsizetype> m_byLogin;
};

} // namespace twitchsim
