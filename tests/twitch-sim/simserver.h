#pragma once

#include "world.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>

#include <functional>
#include <memory>
#include <vector>

class QWebSocket;

namespace twitchsim {

// One area of Twitch the simulator answers for (auth, helix, eventsub, irc, control).
class Area {
public:
    virtual ~Area() = default;
    virtual void registerRoutes(QHttpServer &server) = 0;
};

// An application/x-www-form-urlencoded body ('+' is a space), plus the query string's parameters the body
// lacks: id.twitch.tv takes its parameters either way.
QUrlQuery formOf(const QHttpServerRequest &request);

// The HTTP server's WebSocket connections, each handed to the area that serves its path.
class WebSockets : public QObject {
    Q_OBJECT
public:
    explicit WebSockets(QHttpServer &http, QObject *parent = nullptr);
    // Upgrades `path` to WebSocket; its connections go to `handler`, which takes ownership.
    void serve(const QString &path, std::function<void(QWebSocket *)> handler);

private:
    void onConnection();

    QHttpServer &m_http;
    QHash<QString, std::function<void(QWebSocket *)>> m_handlers;
};

// Owns the world and the HTTP server; each area adds its routes.
class Tokens;

class SimServer : public QObject {
    Q_OBJECT
public:
    SimServer(World world, QString clientId, QString clientSecret, QStringList redirectUris,
              QObject *parent = nullptr);
    ~SimServer() override;

    // Listens and returns the bound port, or 0 with *error set.
    quint16 listen(const QHostAddress &address, quint16 port, QString *error);
    QUrl baseUrl() const { return m_baseUrl; }
    World &world() { return m_world; }

private:
    World m_world;
    std::unique_ptr<Tokens> m_tokens;
    QHttpServer m_http;
    WebSockets m_webSockets{m_http};
    QUrl m_baseUrl;
    std::vector<std::unique_ptr<Area>> m_areas;
};

} // namespace twitchsim
