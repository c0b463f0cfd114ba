#include "twitch/helixtypes.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace streams::app {
namespace {

// The `data` array of a Helix answer, or an error for anything else.
std::variant<QJsonArray, HelixError> dataOf(const QByteArray &json, QJsonObject *root = nullptr) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return HelixError{HelixErrorKind::BadResponse, 0, QStringLiteral("Twitch's answer is not JSON")};
    const QJsonObject o = doc.object();
    if (!o.value(QLatin1String("data")).isArray())
        return HelixError{HelixErrorKind::BadResponse, 0, QStringLiteral("Twitch's answer has no data list")};
    if (root)
        *root = o;
    return o.value(QLatin1String("data")).toArray();
}

QString str(const QJsonObject &o, const char *key) {
    return o.value(QLatin1String(key)).toString();
}

template <typename T, typename F>
HelixResult<QList<T>> parseList(const QByteArray &json, F convert) {
    auto data = dataOf(json);
    if (auto *e = std::get_if<HelixError>(&data))
        return *e;
    QList<T> out;
    for (const QJsonValue v : std::get<QJsonArray>(data)) {
        if (!v.isObject())
            return HelixError{HelixErrorKind::BadResponse, 0,
                              QStringLiteral("Twitch's data list holds a non-object")};
        out.append(convert(v.toObject()));
    }
    return out;
}

} // namespace

HelixResult<QList<HelixUser>> parseUsers(const QByteArray &json) {
    return parseList<HelixUser>(json, [](const QJsonObject &o) {
        return HelixUser{str(o, "id"),           str(o, "login"),
                         str(o, "display_name"), str(o, "broadcaster_type"),
                         str(o, "description"),  str(o, "profile_image_url"),
                         str(o, "created_at")};
    });
}

HelixResult<QList<HelixChannel>> parseChannels(const QByteArray &json) {
    return parseList<HelixChannel>(json, [](const QJsonObject &o) {
        HelixChannel c{str(o, "id"),
                       str(o, "broadcaster_login"),
                       str(o, "display_name"),
                       str(o, "game_name"),
                       str(o, "title"),
                       str(o, "thumbnail_url"),
                       str(o, "started_at"),
                       false,
                       {}};
        c.isLive = o.value(QLatin1String("is_live")).toBool();
        for (const QJsonValue t : o.value(QLatin1String("tags")).toArray())
            c.tags.append(t.toString());
        return c;
    });
}

HelixResult<QList<HelixStream>> parseStreams(const QByteArray &json) {
    return parseList<HelixStream>(json, [](const QJsonObject &o) {
        HelixStream s{str(o, "id"),         str(o, "user_id"),       str(o, "user_login"),
                      str(o, "user_name"),  str(o, "game_name"),     str(o, "title"),
                      str(o, "started_at"), str(o, "thumbnail_url"), 0};
        s.viewerCount = o.value(QLatin1String("viewer_count")).toInt();
        return s;
    });
}

HelixResult<HelixFollowers> parseFollowers(const QByteArray &json) {
    QJsonObject root;
    auto data = dataOf(json, &root);
    if (auto *e = std::get_if<HelixError>(&data))
        return *e;
    HelixFollowers out;
    out.total = root.value(QLatin1String("total")).toInt();
    for (const QJsonValue v : std::get<QJsonArray>(data)) {
        const QJsonObject o = v.toObject();
        out.followers.append(
            {str(o, "user_id"), str(o, "user_login"), str(o, "user_name"), str(o, "followed_at")});
    }
    // Twitch answers callers who may not see the list with the total alone.
    out.allowed = !(out.total > 0 && out.followers.isEmpty());
    out.cursor = root.value(QLatin1String("pagination")).toObject().value(QLatin1String("cursor")).toString();
    return out;
}

HelixResult<QList<HelixFollowedChannel>> parseFollowedChannels(const QByteArray &json) {
    return parseList<HelixFollowedChannel>(json, [](const QJsonObject &o) {
        return HelixFollowedChannel{str(o, "broadcaster_id"), str(o, "broadcaster_login"),
                                    str(o, "broadcaster_name"), str(o, "followed_at")};
    });
}

HelixResult<QList<HelixModeratedChannel>> parseModeratedChannels(const QByteArray &json) {
    return parseList<HelixModeratedChannel>(json, [](const QJsonObject &o) {
        return HelixModeratedChannel{str(o, "broadcaster_id"), str(o, "broadcaster_login"),
                                     str(o, "broadcaster_name")};
    });
}

QString paginationCursor(const QByteArray &json) {
    return QJsonDocument::fromJson(json)
        .object()
        .value(QLatin1String("pagination"))
        .toObject()
        .value(QLatin1String("cursor"))
        .toString();
}

} // namespace streams::app
