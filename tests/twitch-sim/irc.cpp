#include "irc.h"

#include "httpcompat.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace twitchsim {
namespace {

QString escapeTag(QString v) {
    v.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    v.replace(QLatin1Char(';'), QStringLiteral("\\:"));
    v.replace(QLatin1Char(' '), QStringLiteral("\\s"));
    v.replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    v.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return v;
}

QString tagString(const QList<QPair<QString, QString>> &tags) {
    QStringList parts;
    for (const auto &[k, v] : tags)
        parts.append(k + QLatin1Char('=') + escapeTag(v));
    return QLatin1Char('@') + parts.join(QLatin1Char(';'));
}

} // namespace

IrcServer::IrcServer(World &world, WebSockets &sockets, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_sockets(sockets) {}

void IrcServer::registerRoutes(QHttpServer &server) {
    m_sockets.serve(QStringLiteral("/irc"), [this](QWebSocket *ws) { onConnection(ws); });
    server.route("/sim/chat", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &r) { return chat(r); });
    server.route("/sim/irc/ping", QHttpServerRequest::Method::Post, [this] {
        for (Client *c : std::as_const(m_clients))
            send(*c, QStringLiteral("PING :tmi.twitch.tv"));
        return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
    });
    server.route("/sim/irc/reconnect", QHttpServerRequest::Method::Post, [this] {
        for (Client *c : std::as_const(m_clients))
            send(*c, QStringLiteral(":tmi.twitch.tv RECONNECT"));
        return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
    });
    server.route("/sim/irc", QHttpServerRequest::Method::Get, [this] {
        QJsonArray clients;
        for (const Client *c : std::as_const(m_clients))
            clients.append(QJsonObject{{"nick", c->nick},
                                       {"tags", c->tags},
                                       {"channels", QJsonArray::fromStringList(c->channels.values())},
                                       {"pongs", c->pongs}});
        return QHttpServerResponse(QJsonObject{{"clients", clients}});
    });
}

void IrcServer::onConnection(QWebSocket *ws) {
    ws->setParent(this);
    auto *client = new Client;
    client->socket = ws;
    m_clients.append(client);
    connect(ws, &QWebSocket::textMessageReceived, this, [this, client](const QString &frame) {
        for (const QString &line : frame.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts))
            onLine(*client, line);
    });
    connect(ws, &QWebSocket::disconnected, this, [this, client, ws] {
        m_clients.removeOne(client);
        delete client;
        ws->deleteLater();
    });
}

void IrcServer::send(Client &client, const QString &line) {
    client.socket->sendTextMessage(line + QStringLiteral("\r\n"));
}

void IrcServer::onLine(Client &client, const QString &line) {
    const QString command = line.section(QLatin1Char(' '), 0, 0).toUpper();
    const QString argument = line.section(QLatin1Char(' '), 1);
    if (command == u"PASS") {
        return;
    } else if (command == u"NICK") {
        client.nick = argument.trimmed().toLower();
        send(client, QStringLiteral(":tmi.twitch.tv 001 %1 :Welcome, GLHF!").arg(client.nick));
        send(client, QStringLiteral(":tmi.twitch.tv 376 %1 :>").arg(client.nick));
    } else if (command == u"CAP") {
        const QString caps = line.section(QStringLiteral(" :"), 1);
        client.tags = caps.contains(QStringLiteral("twitch.tv/tags"));
        send(client, QStringLiteral(":tmi.twitch.tv CAP * ACK :%1").arg(caps));
    } else if (command == u"JOIN") {
        for (QString channel : argument.split(QLatin1Char(','))) {
            channel = channel.trimmed().toLower();
            client.channels.insert(channel);
            send(client, QStringLiteral(":%1!%1@%1.tmi.twitch.tv JOIN %2").arg(client.nick, channel));
            send(client,
                 QStringLiteral("@emote-only=0;room-id=%1 :tmi.twitch.tv ROOMSTATE %2")
                     .arg(m_world.userByLogin(channel.mid(1)) ? m_world.userByLogin(channel.mid(1))->id
                                                              : QStringLiteral("0"),
                          channel));
        }
    } else if (command == u"PART") {
        client.channels.remove(argument.trimmed().toLower());
    } else if (command == u"PONG") {
        ++client.pongs;
    } else if (command == u"PING") {
        send(client, QStringLiteral(":tmi.twitch.tv PONG tmi.twitch.tv :%1")
                         .arg(argument.section(QLatin1Char(':'), 1)));
    }
}

void IrcServer::broadcast(const QString &channel, const QString &line) {
    for (Client *c : std::as_const(m_clients))
        if (c->channels.contains(channel))
            send(*c, line);
}

QHttpServerResponse IrcServer::chat(const QHttpServerRequest &request) {
    const QJsonObject body = QJsonDocument::fromJson(request.body()).object();
    const User *b = m_world.userById(body.value("broadcaster_user_id").toString());
    const User *u = m_world.userById(body.value("user_id").toString());
    const QString type = body.value("type").toString();
    if (!b || !u)
        return QHttpServerResponse(QJsonObject{{"error", "broadcaster_user_id and user_id must be users"}},
                                   QHttpServerResponder::StatusCode::BadRequest);
    const QString channel = QLatin1Char('#') + b->login;
    const int amount = body.value("amount").toInt(1);
    const QString ts = QString::number(QDateTime::currentMSecsSinceEpoch());
    auto common = [&](const QString &id) {
        return QList<QPair<QString, QString>>{
            {"badge-info", ""}, {"badges", ""},      {"color", "#9ACD32"}, {"display-name", u->displayName},
            {"emotes", ""},     {"id", id},          {"login", u->login},  {"mod", "0"},
            {"room-id", b->id}, {"subscriber", "0"}, {"tmi-sent-ts", ts},  {"user-id", u->id},
            {"user-type", ""}};
    };
    auto nextId = [this] { return QStringLiteral("sim-%1").arg(m_nextId++); };
    QStringList lines;
    if (type == u"cheer") {
        auto tags = common(nextId());
        tags.insert(2, {"bits", QString::number(amount)});
        lines << tagString(tags) + QStringLiteral(" :%1!%1@%1.tmi.twitch.tv PRIVMSG %2 :Cheer%3 %4")
                                       .arg(u->login, channel)
                                       .arg(amount)
                                       .arg(body.value("message").toString(QStringLiteral("great stream")));
    } else if (type == u"sub" || type == u"resub") {
        auto tags = common(nextId());
        tags << QPair<QString, QString>{"msg-id", type}
             << QPair<QString, QString>{"msg-param-cumulative-months",
                                        QString::number(type == u"sub" ? 1 : amount)}
             << QPair<QString, QString>{"msg-param-sub-plan",
                                        body.value("tier").toString(QStringLiteral("1000"))}
             << QPair<QString, QString>{"system-msg", QStringLiteral("%1 subscribed.").arg(u->displayName)};
        lines << tagString(tags) +
                     QStringLiteral(" :tmi.twitch.tv USERNOTICE %1%2")
                         .arg(channel, type == u"resub" ? QStringLiteral(" :Still here!") : QString());
    } else if (type == u"giftbomb" || type == u"subgift") {
        const QString community = QString::number(900000 + m_nextId);
        if (type == u"giftbomb") {
            auto tags = common(nextId());
            tags << QPair<QString, QString>{"msg-id", "submysterygift"}
                 << QPair<QString, QString>{"msg-param-mass-gift-count", QString::number(amount)}
                 << QPair<QString, QString>{"msg-param-community-gift-id", community}
                 << QPair<QString, QString>{"msg-param-sub-plan", "1000"}
                 << QPair<QString, QString>{
                        "system-msg",
                        QStringLiteral("%1 is gifting %2 Tier 1 Subs!").arg(u->displayName).arg(amount)};
            lines << tagString(tags) + QStringLiteral(" :tmi.twitch.tv USERNOTICE ") + channel;
        }
        const int gifts = type == u"giftbomb" ? amount : 1;
        int recipientIndex = 0;
        for (int i = 0; i < gifts; ++i) {
            const User &r = m_world.users()[recipientIndex++ % m_world.users().size()];
            auto tags = common(nextId());
            tags << QPair<QString, QString>{"msg-id", "subgift"}
                 << QPair<QString, QString>{"msg-param-recipient-display-name", r.displayName}
                 << QPair<QString, QString>{"msg-param-recipient-id", r.id}
                 << QPair<QString, QString>{"msg-param-recipient-user-name", r.login}
                 << QPair<QString, QString>{"msg-param-sub-plan", "1000"};
            if (type == u"giftbomb")
                tags << QPair<QString, QString>{"msg-param-community-gift-id", community};
            lines << tagString(tags) + QStringLiteral(" :tmi.twitch.tv USERNOTICE ") + channel;
        }
    } else if (type == u"raid") {
        auto tags = common(nextId());
        tags << QPair<QString, QString>{"msg-id", "raid"}
             << QPair<QString, QString>{"msg-param-displayName", u->displayName}
             << QPair<QString, QString>{"msg-param-login", u->login}
             << QPair<QString, QString>{"msg-param-viewerCount", QString::number(amount)}
             << QPair<QString, QString>{
                    "system-msg",
                    QStringLiteral("%1 raiders from %2 have joined!").arg(amount).arg(u->displayName)};
        lines << tagString(tags) + QStringLiteral(" :tmi.twitch.tv USERNOTICE ") + channel;
    } else {
        return QHttpServerResponse(
            QJsonObject{{"error", "type must be cheer, sub, resub, subgift, giftbomb or raid"}},
            QHttpServerResponder::StatusCode::BadRequest);
    }
    broadcast(channel, lines.join(QStringLiteral("\r\n"))); // several lines in one frame, as Twitch does
    return QHttpServerResponse(QJsonObject{{"lines", int(lines.size())}});
}

} // namespace twitchsim
