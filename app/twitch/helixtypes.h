#pragma once

// Typed Helix responses (twitch-platform.md section 5) and their parsers. A parser never throws:
// malformed JSON is an error value.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

namespace streams::app {

struct HelixUser {
    QString id, login, displayName, broadcasterType, description, profileImageUrl, createdAt;
};
struct HelixChannel { // Search Channels
    QString id, login, displayName, gameName, title, thumbnailUrl, startedAt;
    bool isLive = false;
    QStringList tags;
};
struct HelixStream {
    QString id, userId, userLogin, userName, gameName, title, startedAt, thumbnailUrl;
    int viewerCount = 0;
};
struct HelixFollower {
    QString userId, userLogin, userName, followedAt;
};
struct HelixFollowers {
    int total = 0;
    bool allowed = true; // false: Twitch gave only the total (the user is not the broadcaster or a moderator)
    QList<HelixFollower> followers;
    QString cursor;
};
struct HelixFollowedChannel {
    QString broadcasterId, broadcasterLogin, broadcasterName, followedAt;
};
struct HelixModeratedChannel {
    QString broadcasterId, broadcasterLogin, broadcasterName;
};

enum class HelixErrorKind {
    Network,
    Unauthorized,
    Forbidden,
    RateLimited,
    BadRequest,
    NotFound,
    Server,
    BadResponse
};
struct HelixError {
    HelixErrorKind kind = HelixErrorKind::BadResponse;
    int status = 0;
    QString message; // Twitch's, or ours
};

template <typename T>
using HelixResult = std::variant<T, HelixError>;

HelixResult<QList<HelixUser>> parseUsers(const QByteArray &json);
HelixResult<QList<HelixChannel>> parseChannels(const QByteArray &json);
HelixResult<QList<HelixStream>> parseStreams(const QByteArray &json);
// An empty list with a positive total means Twitch did not show the list to this user (allowed = false).
HelixResult<HelixFollowers> parseFollowers(const QByteArray &json);
HelixResult<QList<HelixFollowedChannel>> parseFollowedChannels(const QByteArray &json);
HelixResult<QList<HelixModeratedChannel>> parseModeratedChannels(const QByteArray &json);
// The cursor to the next page (`pagination.cursor`); empty on the last page or for anything else.
QString paginationCursor(const QByteArray &json);

} // namespace streams::app
