#include "control.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>

namespace twitchsim {

ControlApi::ControlApi(World &world, std::function<QUrl()> baseUrl)
    : m_world(world)
    , m_baseUrl(std::move(baseUrl)) {}

QJsonObject ControlApi::userJson(const User &user, const QUrl &baseUrl) {
    QJsonArray followers;
    for (const Follower &f : user.followers)
        followers.append(QJsonObject{{"user_id", f.userId}, {"followed_at", f.followedAt}});
    return {{"id", user.id},
            {"login", user.login},
            {"display_name", user.displayName},
            {"broadcaster_type", user.broadcasterType},
            {"profile_image_url", baseUrl.resolved(QUrl("/sim/avatars/" + user.profileImage)).toString()},
            {"live", user.stream.live},
            {"moderators", QJsonArray::fromStringList(user.moderatorIds)},
            {"followers", followers}};
}

void ControlApi::registerRoutes(QHttpServer &server) {
    server.route("/healthz", QHttpServerRequest::Method::Get,
                 [] { return QHttpServerResponse("text/plain", "ok\n"); });
    server.route("/sim/world", QHttpServerRequest::Method::Get, [this] {
        QJsonArray users;
        for (const User &u : m_world.users())
            users.append(userJson(u, m_baseUrl()));
        return QHttpServerResponse(QJsonObject{{"users", users}});
    });
    server.route("/sim/avatars/<arg>", QHttpServerRequest::Method::Get, [](const QString &file) {
        static const QRegularExpression safeName(QStringLiteral("^[a-z0-9_]+\\.svg$"));
        QFile f(QStringLiteral(":/twitch-sim/avatars/") + file);
        if (!safeName.match(file).hasMatch() || !f.open(QIODevice::ReadOnly))
            return QHttpServerResponse(QHttpServerResponder::StatusCode::NotFound);
        return QHttpServerResponse("image/svg+xml", f.readAll());
    });
}

} // namespace twitchsim
