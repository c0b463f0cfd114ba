#pragma once

// The device code grant for public clients: POST /oauth2/device, the activation page /activate, polling
// POST /oauth2/token (authorization_pending until the user answers), and refresh tokens (one use each).

#include "auth.h"

namespace twitchsim {

class DeviceFlow : public Area {
public:
    DeviceFlow(World &world, Tokens &tokens, std::function<QUrl()> baseUrl, int intervalSeconds);
    void registerRoutes(QHttpServer &server) override;
    // Handles the device-code and refresh-token grants of /oauth2/token; nullopt for other grants.
    std::optional<QHttpServerResponse> token(const QUrlQuery &form);

private:
    struct Pending {
        QString userCode;
        QStringList scopes;
        QDateTime expiresAt;
        QString userId; // set when authorized
        bool denied = false;
    };
    QJsonObject issue(const QString &userId, const QStringList &scopes);

    World &m_world;
    Tokens &m_tokens;
    std::function<QUrl()> m_baseUrl;
    int m_interval;
    QHash<QString, Pending> m_pending;                     // device_code -> state
    QHash<QString, QPair<QString, QStringList>> m_refresh; // refresh token -> (user, scopes)
};

} // namespace twitchsim
