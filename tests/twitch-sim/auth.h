#pragma once

// id.twitch.tv: client-credentials and user tokens, /oauth2/validate, /oauth2/revoke, and the
// simulator's own way to mint a user token with chosen scopes (POST /sim/users/<id>/token).

#include "simserver.h"

#include <QHash>
#include <QSet>
#include <QUrlQuery>

#include <functional>
#include <optional>

namespace twitchsim {

struct Token {
    QString clientId;
    QString userId; // empty for app tokens
    QStringList scopes;
    QDateTime expiresAt;
};

class Tokens {
public:
    Tokens(QString clientId, QString clientSecret);
    const QString &clientId() const { return m_clientId; }
    const QString &clientSecret() const { return m_clientSecret; }

    QString issueApp();
    QString issueUser(const QString &userId, const QStringList &scopes, const QString &clientId = {});
    // App access tokens stop working, as when Twitch expires or revokes them.
    int expireAppTokens();
    // A user's access tokens expire (as four hours after issue); refresh tokens keep working.
    int expireUserTokens(const QString &userId);
    const Token *find(const QString &token) const;
    bool revoke(const QString &token);
    // Scopes the user has granted this client (kept after a token is revoked, as on Twitch).
    bool hasGranted(const QString &userId, const QString &scope) const;
    // Whether the user has granted this client anything (EventSub's cost is then 0).
    bool hasAuthorized(const QString &userId) const;
    // Authorization: Bearer header → app token, or nullptr.
    const Token *appTokenFrom(const QByteArray &authorization) const;

private:
    QString m_clientId;
    QString m_clientSecret;
    QHash<QString, Token> m_tokens;
    QHash<QString, QSet<QString>> m_grants;
};

class AuthApi : public Area {
public:
    // otherGrants answers the grant types this class does not (device code, refresh token).
    using GrantHandler = std::function<std::optional<QHttpServerResponse>(const QUrlQuery &form)>;
    AuthApi(World &world, Tokens &tokens, GrantHandler otherGrants = {});
    void registerRoutes(QHttpServer &server) override;

private:
    World &m_world;
    Tokens &m_tokens;
    GrantHandler m_otherGrants;
};

QHttpServerResponse twitchError(int status, const QString &error, const QString &message);

} // namespace twitchsim
