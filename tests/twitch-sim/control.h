#pragma once

#include "simserver.h"

#include <functional>

namespace twitchsim {

// The simulator's own endpoints: health, the world as JSON, the avatars it serves.
class ControlApi : public Area {
public:
    ControlApi(World &world, std::function<QUrl()> baseUrl);
    void registerRoutes(QHttpServer &server) override;

    static QJsonObject userJson(const User &user, const QUrl &baseUrl);

private:
    World &m_world;
    std::function<QUrl()> m_baseUrl;
};

} // namespace twitchsim
