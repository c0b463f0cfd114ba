#include "control.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QUrlQuery>

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
    // The embed player's stand-in (TWITCH_PLAYER_URL=…/player): like Twitch's, it refuses to play without
    // `parent`, and names the channel it would play.
    auto player = [this](const QHttpServerRequest &request) {
        const QUrlQuery q(request.url());
        const QString parent = q.queryItemValue(QStringLiteral("parent"));
        const User *user = m_world.userByLogin(q.queryItemValue(QStringLiteral("channel")).toLower());
        QString body;
        if (parent.isEmpty() || parent.contains(QLatin1Char(':')) || parent.contains(QLatin1Char('/')))
            body = QStringLiteral("<p class=err>Whoops! This embed is misconfigured.<br>%1</p>")
                       .arg(parent.isEmpty()
                                ? QStringLiteral("[NoParent] parent query string value was not specified")
                                : QStringLiteral("[InvalidCharInParent] parent must be a hostname"));
        else if (!user)
            body = QStringLiteral("<p class=err>This channel does not exist.</p>");
        else if (!user->stream.live)
            body = QStringLiteral("<p>%1 is offline.</p>").arg(user->displayName.toHtmlEscaped());
        else
            body = QStringLiteral("<div class=live>LIVE</div><h1>%1</h1><p>%2</p><p class=note>twitch-sim "
                                  "player placeholder: no video here, the feed is the show.</p>")
                       .arg(user->displayName.toHtmlEscaped(), user->stream.title.toHtmlEscaped());
        return QHttpServerResponse(
            "text/html; charset=utf-8",
            QStringLiteral("<!doctype html><html><head><meta charset=utf-8><title>twitch-sim player</title>"
                           "<style>html,body{margin:0;height:100%;background:#0e0e10;color:#efeff1;"
                           "font-family:sans-serif;display:flex;align-items:center;justify-content:center;"
                           "flex-direction:column;text-align:center}.live{background:#eb0400;padding:2px 8px;"
                           "border-radius:4px;font-weight:bold;animation:p 2s infinite}.err{color:#ff8280}"
                           ".note{opacity:.6;font-size:small}@keyframes p{50%{opacity:.5}}</style></head>"
                           "<body>%1</body></html>")
                .arg(body)
                .toUtf8());
    };
    server.route("/player", QHttpServerRequest::Method::Get, player);
    server.route("/player/", QHttpServerRequest::Method::Get, player);
    server.route("/sim/avatars/<arg>", QHttpServerRequest::Method::Get, [](const QString &file) {
        static const QRegularExpression safeName(QStringLiteral("^[a-z0-9_]+\\.svg$"));
        QFile f(QStringLiteral(":/twitch-sim/avatars/") + file);
        if (!safeName.match(file).hasMatch() || !f.open(QIODevice::ReadOnly))
            return QHttpServerResponse(QHttpServerResponder::StatusCode::NotFound);
        return QHttpServerResponse("image/svg+xml", f.readAll());
    });
}

} // namespace twitchsim
