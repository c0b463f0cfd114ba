#include "simserver.h"

#include "auth.h"
#include "consent.h"
#include "control.h"
#include "device.h"
#include "eventsub.h"
#include "helix.h"
#include "httpcompat.h"
#include "irc.h"

namespace twitchsim {

QUrlQuery formOf(const QHttpServerRequest &request) {
    QString body = QString::fromUtf8(request.body());
    body.replace(QLatin1Char('+'), QLatin1Char(' '));
    QUrlQuery form(body);
    for (const auto &item : request.query().queryItems())
        if (!form.hasQueryItem(item.first))
            form.addQueryItem(item.first, item.second);
    return form;
}

SimServer::SimServer(World world, QString clientId, QString clientSecret, QStringList redirectUris,
                     QObject *parent)
    : QObject(parent)
    , m_world(std::move(world))
    , m_tokens(std::make_unique<Tokens>(clientId, clientSecret)) {
    m_areas.push_back(std::make_unique<ControlApi>(m_world, [this] { return m_baseUrl; }));
    auto device = std::make_unique<DeviceFlow>(
        m_world, *m_tokens, [this] { return m_baseUrl; },
        qEnvironmentVariableIntValue("TWITCH_SIM_DEVICE_INTERVAL") > 0
            ? qEnvironmentVariableIntValue("TWITCH_SIM_DEVICE_INTERVAL")
            : 5);
    DeviceFlow *deviceFlow = device.get();
    m_areas.push_back(std::move(device));
    m_areas.push_back(std::make_unique<AuthApi>(
        m_world, *m_tokens, [deviceFlow](const QUrlQuery &form) { return deviceFlow->token(form); }));
    m_areas.push_back(std::make_unique<ConsentPage>(m_world, *m_tokens, redirectUris));
    m_areas.push_back(std::make_unique<EventSubApi>(m_world, *m_tokens));
    m_areas.push_back(std::make_unique<HelixApi>(m_world, *m_tokens, [this] { return m_baseUrl; }));
    m_areas.push_back(std::make_unique<IrcServer>(m_world, m_http));
    for (const auto &area : m_areas)
        area->registerRoutes(m_http);
    addHeaderToEveryResponse(m_http, "Cache-Control", "no-store");
}

SimServer::~SimServer() = default;

quint16 SimServer::listen(const QHostAddress &address, quint16 port, QString *error) {
    const quint16 bound = listenOn(m_http, address, port);
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
