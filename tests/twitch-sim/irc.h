#pragma once

// Twitch chat over IRC-over-WebSocket at /irc: PASS/NICK (anonymous justinfan… accepted), CAP REQ,
// JOIN/PART, PING/PONG, RECONNECT, several lines per frame. POST /sim/chat makes chat events happen
// (cheer, sub, resub, subgift, giftbomb, raid) as the tagged lines Twitch sends; POST /sim/irc/ping and
// /sim/irc/reconnect poke connected clients; GET /sim/irc shows who is joined and the PONGs received.

#include "simserver.h"

#include <QWebSocket>

namespace twitchsim {

class IrcServer : public QObject, public Area {
    Q_OBJECT
public:
    IrcServer(World &world, WebSockets &sockets, QObject *parent = nullptr);
    void registerRoutes(QHttpServer &server) override;

private:
    struct Client {
        QWebSocket *socket = nullptr;
        QString nick;
        bool tags = false;
        QSet<QString> channels;
        int pongs = 0;
    };
    void onConnection(QWebSocket *ws);
    void onLine(Client &client, const QString &line);
    void send(Client &client, const QString &line);
    QHttpServerResponse chat(const QHttpServerRequest &request);
    void broadcast(const QString &channel, const QString &line);

    World &m_world;
    WebSockets &m_sockets;
    QList<Client *> m_clients;
    quint64 m_nextId = 1;
};

} // namespace twitchsim
