#include "auth.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QUrlQuery>

namespace twitchsim {
namespace {

QString randomToken() {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QString out;
    for (int i = 0; i < 30; ++i)
        out.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(int(sizeof(alphabet) - 1))]));
    return out;
}

} // namespace

QHttpServerResponse twitchError(int status, const QString &error, const QString &message) {
    QJsonObject body{{"status", status}, {"message", message}};
    if (!error.isEmpty())
        body.insert("error", error);
    return QHttpServerResponse(body, QHttpServerResponder::StatusCode(status));
}

Tokens::Tokens(QString clientId, QString clientSecret)
    : m_clientId(std::move(clientId))
    , m_clientSecret(std::move(clientSecret)) {}

QString Tokens::issueApp() {
    const QString t = randomToken();
    m_tokens.insert(t, Token{m_clientId, {}, {}, QDateTime::currentDateTimeUtc().addSecs(5011271)});
    return t;
}

QString Tokens::issueUser(const QString &userId, const QStringList &scopes, const QString &clientId) {
    const QString t = randomToken();
    const QString client = clientId.isEmpty() ? m_clientId : clientId;
    m_tokens.insert(t, Token{client, userId, scopes, QDateTime::currentDateTimeUtc().addSecs(14400)});
    if (client == m_clientId) {                    // grants belong to the application they were given to
        QSet<QString> &granted = m_grants[userId]; // authorized, even with no scope
        for (const QString &s : scopes)
            granted.insert(s);
    }
    return t;
}

int Tokens::expireAppTokens() {
    int n = 0;
    for (auto it = m_tokens.begin(); it != m_tokens.end();)
        if (it->userId.isEmpty()) {
            it = m_tokens.erase(it);
            ++n;
        } else {
            ++it;
        }
    return n;
}

int Tokens::expireUserTokens(const QString &userId) {
    int n = 0;
    for (auto it = m_tokens.begin(); it != m_tokens.end(); ++it)
        if (it->userId == userId) {
            it->expiresAt = QDateTime::currentDateTimeUtc().addSecs(-1);
            ++n;
        }
    return n;
}

const Token *Tokens::find(const QString &token) const {
    const auto it = m_tokens.constFind(token);
    if (it == m_tokens.cend() || it->expiresAt < QDateTime::currentDateTimeUtc())
        return nullptr;
    return &*it;
}

bool Tokens::revoke(const QString &token) {
    return m_tokens.remove(token) > 0;
}

bool Tokens::hasGranted(const QString &userId, const QString &scope) const {
    return m_grants.value(userId).contains(scope);
}

bool Tokens::hasAuthorized(const QString &userId) const {
    return m_grants.contains(userId);
}

const Token *Tokens::appTokenFrom(const QByteArray &authorization) const {
    if (!authorization.startsWith("Bearer "))
        return nullptr;
    const Token *t = find(QString::fromLatin1(authorization.mid(7).trimmed()));
    return t && t->userId.isEmpty() ? t : nullptr;
}

AuthApi::AuthApi(World &world, Tokens &tokens, GrantHandler otherGrants)
    : m_world(world)
    , m_tokens(tokens)
    , m_otherGrants(std::move(otherGrants)) {}

void AuthApi::registerRoutes(QHttpServer &server) {
    server.route("/oauth2/token", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) {
                     const QUrlQuery form = formOf(request);
                     const QString grant = form.queryItemValue(QStringLiteral("grant_type"));
                     if (form.queryItemValue(QStringLiteral("client_id")) != m_tokens.clientId())
                         return twitchError(400, {}, QStringLiteral("invalid client"));
                     if (m_otherGrants)
                         if (auto answer = m_otherGrants(form))
                             return std::move(*answer);
                     if (grant == u"client_credentials") {
                         if (form.queryItemValue(QStringLiteral("client_secret")) != m_tokens.clientSecret())
                             return twitchError(403, {}, QStringLiteral("invalid client secret"));
                         return QHttpServerResponse(QJsonObject{{"access_token", m_tokens.issueApp()},
                                                                {"expires_in", 5011271},
                                                                {"token_type", "bearer"}});
                     }
                     return twitchError(400, {}, QStringLiteral("unsupported grant type"));
                 });
    server.route("/oauth2/validate", QHttpServerRequest::Method::Get,
                 [this](const QHttpServerRequest &request) {
                     const QByteArray auth = request.value("Authorization");
                     const Token *t = auth.startsWith("OAuth ")
                                          ? m_tokens.find(QString::fromLatin1(auth.mid(6).trimmed()))
                                          : nullptr;
                     if (!t)
                         return twitchError(401, {}, QStringLiteral("invalid access token"));
                     QJsonObject body{{"client_id", t->clientId},
                                      {"scopes", QJsonArray::fromStringList(t->scopes)},
                                      {"expires_in", QDateTime::currentDateTimeUtc().secsTo(t->expiresAt)}};
                     if (!t->userId.isEmpty()) {
                         body.insert("user_id", t->userId);
                         body.insert("login", m_world.userById(t->userId)->login);
                     }
                     return QHttpServerResponse(body);
                 });
    server.route("/oauth2/revoke", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) {
                     const QUrlQuery form = formOf(request);
                     if (form.queryItemValue(QStringLiteral("client_id")) != m_tokens.clientId())
                         return twitchError(404, {}, QStringLiteral("client does not exist"));
                     if (!m_tokens.revoke(form.queryItemValue(QStringLiteral("token"))))
                         return twitchError(400, {}, QStringLiteral("Invalid token"));
                     return QHttpServerResponse(QHttpServerResponder::StatusCode::Ok);
                 });
    server.route("/sim/expire-app-tokens", QHttpServerRequest::Method::Post, [this] {
        return QHttpServerResponse(QJsonObject{{"expired", m_tokens.expireAppTokens()}});
    });
    server.route("/sim/users/<arg>/expire-tokens", QHttpServerRequest::Method::Post,
                 [this](const QString &userId) {
                     return QHttpServerResponse(QJsonObject{{"expired", m_tokens.expireUserTokens(userId)}});
                 });
    server.route("/sim/users/<arg>/token", QHttpServerRequest::Method::Post,
                 [this](const QString &userId, const QHttpServerRequest &request) {
                     if (!m_world.userById(userId))
                         return twitchError(404, QStringLiteral("Not Found"), QStringLiteral("no such user"));
                     const QStringList scopes =
                         request.query()
                             .queryItemValue(QStringLiteral("scopes"), QUrl::FullyDecoded)
                             .split(QLatin1Char(' '), Qt::SkipEmptyParts);
                     // client_id: a token of another application (the relay must refuse it).
                     const QString clientId = request.query().queryItemValue(QStringLiteral("client_id"));
                     return QHttpServerResponse(
                         QJsonObject{{"access_token", m_tokens.issueUser(userId, scopes, clientId)},
                                     {"user_id", userId},
                                     {"scopes", QJsonArray::fromStringList(scopes)}});
                 });
}

} // namespace twitchsim
