#include "helix.h"

#include "httpcompat.h"

#include "control.h"

#include <QJsonArray>
#include <QUrlQuery>

#include <algorithm>

namespace twitchsim {
namespace {

// Twitch's bucket: 800 points a minute per user (per app for app tokens). Tests shrink it with
// TWITCH_SIM_HELIX_POINTS and TWITCH_SIM_HELIX_WINDOW_SECONDS to reach a 429 quickly.
int envInt(const char *name, int fallback) {
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v > 0 ? v : fallback;
}

QJsonObject page(const QJsonArray &all, const QUrlQuery &q, QJsonObject extra = {}) {
    const int first = qBound(1, q.hasQueryItem("first") ? q.queryItemValue("first").toInt() : 20, 100);
    const int after = q.queryItemValue("after").toInt();
    QJsonArray data;
    for (int i = after; i < all.size() && i < after + first; ++i)
        data.append(all[i]);
    QJsonObject pagination;
    if (after + first < all.size())
        pagination.insert("cursor", QString::number(after + first));
    extra.insert("data", data);
    extra.insert("pagination", pagination);
    return extra;
}

} // namespace

HelixApi::HelixApi(World &world, Tokens &tokens, std::function<QUrl()> baseUrl)
    : m_world(world)
    , m_tokens(tokens)
    , m_baseUrl(std::move(baseUrl))
    , m_points(envInt("TWITCH_SIM_HELIX_POINTS", 800))
    , m_window(envInt("TWITCH_SIM_HELIX_WINDOW_SECONDS", 60)) {}

std::variant<const Token *, QHttpServerResponse> HelixApi::authorize(const QHttpServerRequest &request) {
    const QByteArray auth = request.value("Authorization");
    const Token *t =
        auth.startsWith("Bearer ") ? m_tokens.find(QString::fromLatin1(auth.mid(7).trimmed())) : nullptr;
    if (!t)
        return twitchError(401, QStringLiteral("Unauthorized"), QStringLiteral("Invalid OAuth token"));
    if (request.value("Client-Id") != t->clientId.toUtf8())
        return twitchError(401, QStringLiteral("Unauthorized"),
                           QStringLiteral("Client ID and OAuth token do not match"));
    return t;
}

QHttpServerResponse HelixApi::withRateLimit(const Token *token, QHttpServerResponse response) {
    const QString key = token->userId.isEmpty() ? QStringLiteral("app:") + token->clientId : token->userId;
    auto &[left, reset] = m_buckets[key];
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (reset <= now) {
        left = m_points;
        reset = now + m_window;
    }
    ++m_requests;
    ++m_requestsBy[token->userId.isEmpty() ? QStringLiteral("app") : token->userId];
    if (left <= 0) {
        ++m_throttled;
        response =
            twitchError(429, QStringLiteral("Too Many Requests"), QStringLiteral("rate limit exceeded"));
    } else {
        --left;
    }
    setHeader(response, "Ratelimit-Limit", QByteArray::number(m_points));
    setHeader(response, "Ratelimit-Remaining", QByteArray::number(qMax(0, left)));
    setHeader(response, "Ratelimit-Reset", QByteArray::number(reset));
    return response;
}

QJsonObject HelixApi::userJson(const User &u) const {
    return {{"id", u.id},
            {"login", u.login},
            {"display_name", u.displayName},
            {"type", ""},
            {"broadcaster_type", u.broadcasterType},
            {"description", u.description},
            {"profile_image_url", ControlApi::userJson(u, m_baseUrl()).value("profile_image_url")},
            {"offline_image_url", ""},
            {"view_count", 0},
            {"created_at", u.createdAt}};
}

void HelixApi::registerRoutes(QHttpServer &server) {
    // How many Helix calls were answered (in all, and per user id or "app"), and how many with 429.
    server.route("/sim/helix/stats", QHttpServerRequest::Method::Get, [this] {
        QJsonObject by;
        for (auto it = m_requestsBy.cbegin(); it != m_requestsBy.cend(); ++it)
            by.insert(it.key(), it.value());
        return QHttpServerResponse(
            QJsonObject{{"requests", m_requests}, {"throttled", m_throttled}, {"by_user", by}});
    });
    // Each handler: authorize, answer, and count against the caller's bucket.
    auto route = [&](const char *path, auto handler) {
        server.route(path, QHttpServerRequest::Method::Get,
                     [this, handler](const QHttpServerRequest &request) {
                         auto who = authorize(request);
                         if (auto *denied = std::get_if<QHttpServerResponse>(&who))
                             return std::move(*denied);
                         const Token *token = std::get<const Token *>(who);
                         return withRateLimit(token, handler(token, request.query()));
                     });
    };

    route("/helix/users", [this](const Token *t, const QUrlQuery &q) {
        QJsonArray data;
        const QStringList ids = q.allQueryItemValues("id");
        const QStringList logins = q.allQueryItemValues("login");
        if (ids.size() + logins.size() > 100)
            return twitchError(400, QStringLiteral("Bad Request"), QStringLiteral("too many ids and logins"));
        if (ids.isEmpty() && logins.isEmpty()) {
            if (t->userId.isEmpty())
                return twitchError(400, QStringLiteral("Bad Request"),
                                   QStringLiteral("at least one id or login is required with an app token"));
            data.append(userJson(*m_world.userById(t->userId)));
        }
        for (const User &u : m_world.users())
            if (ids.contains(u.id) || logins.contains(u.login, Qt::CaseInsensitive))
                data.append(userJson(u));
        return QHttpServerResponse(QJsonObject{{"data", data}});
    });

    route("/helix/search/channels", [this](const Token *, const QUrlQuery &q) {
        const QString query = q.queryItemValue("query", QUrl::FullyDecoded).toLower();
        if (query.isEmpty())
            return twitchError(400, QStringLiteral("Bad Request"), QStringLiteral("missing query"));
        const bool liveOnly = q.queryItemValue("live_only") == u"true";
        QJsonArray all;
        for (const User &u : m_world.users()) {
            const bool match = u.login.startsWith(query) || u.displayName.toLower().startsWith(query) ||
                               (liveOnly && u.stream.gameName.toLower().contains(query));
            if (!match || (liveOnly && !u.stream.live))
                continue;
            all.append(QJsonObject{{"broadcaster_language", u.stream.language},
                                   {"broadcaster_login", u.login},
                                   {"display_name", u.displayName},
                                   {"game_id", u.stream.gameId},
                                   {"game_name", u.stream.gameName},
                                   {"id", u.id},
                                   {"is_live", u.stream.live},
                                   {"tag_ids", QJsonArray()},
                                   {"tags", QJsonArray::fromStringList(u.stream.tags)},
                                   {"thumbnail_url", userJson(u).value("profile_image_url")},
                                   {"title", u.stream.title},
                                   {"started_at", u.stream.live ? u.stream.startedAt : QString()}});
        }
        return QHttpServerResponse(page(all, q));
    });

    route("/helix/streams", [this](const Token *, const QUrlQuery &q) {
        const QStringList ids = q.allQueryItemValues("user_id");
        const QStringList logins = q.allQueryItemValues("user_login");
        QJsonArray all;
        for (const User &u : m_world.users()) {
            if (!u.stream.live)
                continue; // offline users are simply absent
            if ((!ids.isEmpty() || !logins.isEmpty()) && !ids.contains(u.id) && !logins.contains(u.login))
                continue;
            all.append(
                QJsonObject{{"id", u.stream.id},
                            {"user_id", u.id},
                            {"user_login", u.login},
                            {"user_name", u.displayName},
                            {"game_id", u.stream.gameId},
                            {"game_name", u.stream.gameName},
                            {"type", "live"},
                            {"title", u.stream.title},
                            {"tags", QJsonArray::fromStringList(u.stream.tags)},
                            {"viewer_count", u.stream.viewerCount},
                            {"started_at", u.stream.startedAt},
                            {"language", u.stream.language},
                            {"thumbnail_url", m_baseUrl().toString() + "/sim/avatars/" + u.profileImage},
                            {"tag_ids", QJsonArray()},
                            {"is_mature", false}});
        }
        return QHttpServerResponse(page(all, q));
    });

    route("/helix/channels/followers", [this](const Token *t, const QUrlQuery &q) {
        const User *b = m_world.userById(q.queryItemValue("broadcaster_id"));
        if (!b)
            return twitchError(400, QStringLiteral("Bad Request"), QStringLiteral("invalid broadcaster_id"));
        QList<Follower> followers = b->followers;
        std::sort(followers.begin(), followers.end(), [](const Follower &x, const Follower &y) {
            return x.followedAt > y.followedAt;
        }); // newest first
        const int total = int(followers.size());
        const bool allowed = !t->userId.isEmpty() && t->scopes.contains("moderator:read:followers") &&
                             (t->userId == b->id || m_world.isModerator(b->id, t->userId));
        if (!allowed) // Twitch answers non-moderators with the total only
            return QHttpServerResponse(
                QJsonObject{{"total", total}, {"data", QJsonArray()}, {"pagination", QJsonObject()}});
        QJsonArray all;
        for (const Follower &f : followers) {
            if (q.hasQueryItem("user_id") && f.userId != q.queryItemValue("user_id"))
                continue;
            const User *u = m_world.userById(f.userId);
            all.append(QJsonObject{{"user_id", u->id},
                                   {"user_login", u->login},
                                   {"user_name", u->displayName},
                                   {"followed_at", f.followedAt}});
        }
        return QHttpServerResponse(page(all, q, {{"total", total}}));
    });

    route("/helix/channels/followed", [this](const Token *t, const QUrlQuery &q) {
        const QString userId = q.queryItemValue("user_id");
        if (t->userId.isEmpty() || userId != t->userId)
            return twitchError(401, QStringLiteral("Unauthorized"),
                               QStringLiteral("user_id must match the token's user"));
        if (!t->scopes.contains("user:read:follows"))
            return twitchError(401, QStringLiteral("Unauthorized"),
                               QStringLiteral("Missing scope: user:read:follows"));
        QList<QPair<QString, const User *>> followed;
        for (const User &b : m_world.users())
            for (const Follower &f : b.followers)
                if (f.userId == userId)
                    followed.append({f.followedAt, &b});
        std::sort(followed.begin(), followed.end(), [](auto &x, auto &y) { return x.first > y.first; });
        QJsonArray all;
        for (const auto &[at, b] : followed)
            all.append(QJsonObject{{"broadcaster_id", b->id},
                                   {"broadcaster_login", b->login},
                                   {"broadcaster_name", b->displayName},
                                   {"followed_at", at}});
        return QHttpServerResponse(page(all, q, {{"total", int(all.size())}}));
    });

    // Get Moderated Channels: user_id is required (400 without it) and must be the token's user (401);
    // pages of `first` (default 20, at most 100) with an opaque cursor, an empty pagination on the last.
    route("/helix/moderation/channels", [this](const Token *t, const QUrlQuery &q) {
        const QString userId = q.queryItemValue("user_id");
        if (userId.isEmpty())
            return twitchError(400, QStringLiteral("Bad Request"),
                               QStringLiteral("The user_id query parameter is required."));
        if (t->userId.isEmpty() || userId != t->userId)
            return twitchError(401, QStringLiteral("Unauthorized"),
                               QStringLiteral("user_id must match the token's user"));
        if (!t->scopes.contains("user:read:moderated_channels"))
            return twitchError(401, QStringLiteral("Unauthorized"),
                               QStringLiteral("Missing scope: user:read:moderated_channels"));
        QJsonArray all;
        for (const User &b : m_world.users())
            if (b.moderatorIds.contains(userId))
                all.append(QJsonObject{{"broadcaster_id", b.id},
                                       {"broadcaster_login", b.login},
                                       {"broadcaster_name", b.displayName}});
        return QHttpServerResponse(page(all, q));
    });
}

} // namespace twitchsim
