#include "device.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QUrlQuery>
#include <QUuid>

namespace twitchsim {
namespace {

QString userCode() {
    static const char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    QString code;
    for (int i = 0; i < 8; ++i)
        code.append(QLatin1Char(letters[QRandomGenerator::global()->bounded(int(sizeof(letters) - 1))]));
    return code;
}

} // namespace

DeviceFlow::DeviceFlow(World &world, Tokens &tokens, std::function<QUrl()> baseUrl, int intervalSeconds)
    : m_world(world)
    , m_tokens(tokens)
    , m_baseUrl(std::move(baseUrl))
    , m_interval(intervalSeconds) {}

QJsonObject DeviceFlow::issue(const QString &userId, const QStringList &scopes) {
    const QString refresh = QUuid::createUuid().toString(QUuid::Id128);
    m_refresh.insert(refresh, {userId, scopes});
    return {{"access_token", m_tokens.issueUser(userId, scopes)},
            {"expires_in", 14400},
            {"refresh_token", refresh},
            {"scope", QJsonArray::fromStringList(scopes)},
            {"token_type", "bearer"}};
}

void DeviceFlow::registerRoutes(QHttpServer &server) {
    server.route(
        "/oauth2/device", QHttpServerRequest::Method::Post, [this](const QHttpServerRequest &request) {
            const QUrlQuery f = formOf(request);
            if (f.queryItemValue("client_id") != m_tokens.clientId())
                return twitchError(400, {}, QStringLiteral("invalid client"));
            const QString deviceCode = QUuid::createUuid().toString(QUuid::Id128);
            Pending p;
            p.userCode = userCode();
            p.scopes =
                f.queryItemValue("scopes", QUrl::FullyDecoded).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            p.expiresAt = QDateTime::currentDateTimeUtc().addSecs(1800);
            m_pending.insert(deviceCode, p);
            return QHttpServerResponse(
                QJsonObject{{"device_code", deviceCode},
                            {"expires_in", 1800},
                            {"interval", m_interval},
                            {"user_code", p.userCode},
                            {"verification_uri",
                             m_baseUrl().toString() + "/activate?public=true&device-code=" + p.userCode}});
        });
    server.route("/activate", QHttpServerRequest::Method::Get, [](const QHttpServerRequest &request) {
        const QString code = request.query().queryItemValue("device-code").toHtmlEscaped();
        return QHttpServerResponse(
            "text/html; charset=utf-8",
            QStringLiteral(
                "<!doctype html><title>Activate - twitch-sim</title><h1>Activate your device</h1>"
                "<form method=\"post\" action=\"/activate\"><input name=\"device-code\" value=\"%1\">"
                "<input name=\"login\" value=\"lumenwave\"><button name=\"decision\" value=\"authorize\">"
                "Authorize</button><button name=\"decision\" value=\"cancel\">Cancel</button></form>")
                .arg(code)
                .toUtf8());
    });
    server.route("/activate", QHttpServerRequest::Method::Post, [this](const QHttpServerRequest &request) {
        const QUrlQuery f = formOf(request);
        const QString code = f.queryItemValue("device-code").toUpper();
        for (Pending &p : m_pending)
            if (p.userCode == code) {
                if (f.queryItemValue("decision") == u"authorize") {
                    const User *u = m_world.userByLogin(f.queryItemValue("login"));
                    p.userId = u ? u->id : m_world.users().first().id;
                } else {
                    p.denied = true;
                }
                return QHttpServerResponse("text/html; charset=utf-8",
                                           QByteArray("<p>Done. Return to your device.</p>"));
            }
        return QHttpServerResponse("text/html; charset=utf-8", QByteArray("<p>Unknown code.</p>"),
                                   QHttpServerResponder::StatusCode::NotFound);
    });
}

std::optional<QHttpServerResponse> DeviceFlow::token(const QUrlQuery &f) {
    const QString grant = f.queryItemValue("grant_type", QUrl::FullyDecoded);
    if (grant == u"urn:ietf:params:oauth:grant-type:device_code") {
        auto it = m_pending.find(f.queryItemValue("device_code"));
        if (it == m_pending.end())
            return twitchError(400, {}, QStringLiteral("invalid device code"));
        if (it->expiresAt < QDateTime::currentDateTimeUtc()) {
            m_pending.erase(it);
            return twitchError(400, {}, QStringLiteral("expired_token"));
        }
        if (it->denied) {
            m_pending.erase(it);
            return twitchError(400, {}, QStringLiteral("access_denied"));
        }
        if (it->userId.isEmpty())
            return twitchError(400, {}, QStringLiteral("authorization_pending"));
        const QJsonObject tokens = issue(it->userId, it->scopes);
        m_pending.erase(it);
        return QHttpServerResponse(tokens);
    }
    if (grant == u"refresh_token") {
        // Public clients refresh without a secret; each refresh token works once.
        const auto entry = m_refresh.take(f.queryItemValue("refresh_token", QUrl::FullyDecoded));
        if (entry.first.isEmpty())
            return twitchError(400, {}, QStringLiteral("Invalid refresh token"));
        return QHttpServerResponse(issue(entry.first, entry.second));
    }
    return std::nullopt;
}

} // namespace twitchsim
