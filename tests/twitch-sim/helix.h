#pragma once

// Helix endpoints the desktop app uses: users, search/channels, streams, channels/followers,
// channels/followed, moderation/channels, with Twitch's token, scope and rate-limit rules.

#include "auth.h"

namespace twitchsim {

class HelixApi : public Area {
public:
    HelixApi(World &world, Tokens &tokens, std::function<QUrl()> baseUrl);
    void registerRoutes(QHttpServer &server) override;

private:
    // The caller's token, or an error response (401 as Twitch answers).
    std::variant<const Token *, QHttpServerResponse> authorize(const QHttpServerRequest &request);
    QHttpServerResponse withRateLimit(const Token *token, QHttpServerResponse response);
    QJsonObject userJson(const User &u) const;

    World &m_world;
    Tokens &m_tokens;
    std::function<QUrl()> m_baseUrl;
    int m_points;
    int m_window;
    int m_requests = 0;
    int m_throttled = 0;
    QHash<QString, int> m_requestsBy;
    QHash<QString, QPair<int, qint64>> m_buckets; // token -> (points left, reset epoch seconds)
};

} // namespace twitchsim
