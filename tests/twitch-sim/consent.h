#pragma once

// id.twitch.tv/oauth2/authorize for the implicit grant: a consent page (pick a simulated account,
// Authorize or Cancel) that redirects exactly as Twitch does — the token in the fragment on success,
// error=access_denied in the query on Cancel — to the registered redirect URI only.

#include "auth.h"

namespace twitchsim {

class ConsentPage : public Area {
public:
    ConsentPage(World &world, Tokens &tokens, QStringList redirectUris);
    void registerRoutes(QHttpServer &server) override;

private:
    QHttpServerResponse page(const QHttpServerRequest &request);
    QHttpServerResponse decide(const QHttpServerRequest &request);
    std::optional<QHttpServerResponse> checkRequest(const QUrlQuery &q) const;

    World &m_world;
    Tokens &m_tokens;
    QStringList m_redirectUris;
};

} // namespace twitchsim
