#include "simserver.h"

#include "control.h"

namespace twitchsim {

SimServer::SimServer(World world, QObject *parent)
    : QObject(parent)
    , m_world(std::move(world)) {
    m_areas.push_back(std::make_unique<ControlApi>(m_world, [this] { return m_baseUrl; }));
    for (const auto &area : m_areas)
        area->registerRoutes(m_http);
    m_http.afterRequest([](QHttpServerResponse &&response) {
        response.setHeader("Cache-Control", "no-store");
        return std::move(response);
    });
}

SimServer::~SimServer() = default;

quint16 SimServer::listen(const QHostAddress &address, quint16 port, QString *error) {
    const quint16 bound = m_http.listen(address, port);
    if (bound == 0) {
        *error = QStringLiteral("cannot listen on %1:%2").arg(address.toString()).arg(port);
        return 0;
    }
    m_baseUrl.setScheme(QStringLiteral("http"));
    m_baseUrl.setHost(address.toString());
    m_baseUrl.setPort(bound);
    return bound;
}

} // namespace twitchsim
