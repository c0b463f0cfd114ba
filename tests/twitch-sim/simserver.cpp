#include "simserver.h"

#include "auth.h"
#include "consent.h"
#include "control.h"
#include "device.h"
#include "eventsub.h"
#include "helix.h"
#include "httpcompat.h"
#include "irc.h"
#include "wssubscriptions.h"

#include <QWebSocket>

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

WebSockets::WebSockets(QHttpServer &http, QObject *parent)
    : QObject(parent)
    , m_http(http) {
    connect(&m_http, &QHttpServer::newWebSocketConnection, this, &WebSockets::onConnection);
}

void WebSockets::serve(const QString &path, std::function<void(QWebSocket *)> handler) {
    acceptWebSocketsOn(m_http, path);
    m_handlers.insert(path, std::move(handler));
}

void WebSockets::onConnection() {
    while (m_http.hasPendingWebSocketConnections()) {
        QWebSocket *socket = m_http.nextPendingWebSocketConnection().release();
        const auto handler = m_handlers.constFind(socket->requestUrl().path());
        if (handler != m_handlers.cend()) {
            (*handler)(socket);
        } else {
            socket->setParent(this);
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("no such endpoint"));
        }
    }
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
    // TWITCH_SIM_EVENTSUB_KEEPALIVE_SECONDS: the WebSocket sessions' default keepalive (Twitch's: 10 s),
    // and the clamp's lower bound when below 10, for fast tests.
    const int keepalive = qEnvironmentVariableIntValue("TWITCH_SIM_EVENTSUB_KEEPALIVE_SECONDS");
    auto websocket = std::make_unique<WebSocketSubscriptions>(
        m_world, *m_tokens, m_webSockets, [this] { return m_baseUrl; }, keepalive > 0 ? keepalive : 10);
    m_areas.push_back(std::make_unique<EventSubApi>(m_world, *m_tokens, *websocket));
    m_areas.push_back(std::move(websocket));
    m_areas.push_back(std::make_unique<HelixApi>(m_world, *m_tokens, [this] { return m_baseUrl; }));
    m_areas.push_back(std::make_unique<IrcServer>(m_world, m_webSockets));
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
