#include "twitch/ircclient.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcIrc, "streams.app.irc")

namespace streams::app {

IrcClient::IrcClient(QUrl url, QObject *parent)
    : QObject(parent)
    , m_url(std::move(url)) {
    m_nick = QStringLiteral("justinfan%1").arg(QRandomGenerator::global()->bounded(10000, 99999));
    connect(&m_socket, &QWebSocket::connected, this, [this] {
        // Capabilities first, then the anonymous login (PASS is ignored for justinfan, NICK after PASS).
        sendLine(QStringLiteral("CAP REQ :twitch.tv/tags twitch.tv/commands"));
        sendLine(QStringLiteral("PASS SCHMOOPIIE"));
        sendLine(QStringLiteral("NICK ") + m_nick);
        if (!m_channel.isEmpty())
            sendLine(QStringLiteral("JOIN #") + m_channel);
        m_watchdog.start();
    });
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &IrcClient::onFrame);
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_watchdog.stop();
        if (!m_stopped)
            scheduleReconnect();
    });
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &IrcClient::open);
    m_watchdog.setInterval(6 * 60 * 1000);
    m_watchdog.setSingleShot(true);
    connect(&m_watchdog, &QTimer::timeout, this, [this] {
        qCInfo(lcIrc) << "chat connection silent; reconnecting";
        m_socket.abort();
    });
}

IrcClient::~IrcClient() {
    m_stopped = true;
    m_socket.abort();
}

void IrcClient::join(const QString &channelLogin) {
    const QString channel = channelLogin.toLower();
    if (m_socket.state() == QAbstractSocket::ConnectedState && !m_channel.isEmpty() && m_channel != channel)
        sendLine(QStringLiteral("PART #") + m_channel);
    m_channel = channel;
    m_stopped = false;
    if (m_socket.state() == QAbstractSocket::ConnectedState)
        sendLine(QStringLiteral("JOIN #") + m_channel);
    else if (m_socket.state() == QAbstractSocket::UnconnectedState && !m_reconnect.isActive())
        open();
}

void IrcClient::stop() {
    m_stopped = true;
    m_reconnect.stop();
    m_socket.close();
    setState(State::Disconnected);
}

void IrcClient::open() {
    setState(m_backoff.failures() > 0 ? State::Reconnecting : State::Connecting);
    m_socket.open(m_url);
}

void IrcClient::scheduleReconnect() {
    setState(State::Reconnecting);
    m_reconnect.start(m_backoff.nextMs());
}

void IrcClient::setState(State s) {
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void IrcClient::sendLine(const QString &line) {
    m_socket.sendTextMessage(line + QStringLiteral("\r\n"));
}

void IrcClient::onFrame(const QString &frame) {
    m_watchdog.start();
    for (const QString &line : splitIrcLines(frame))
        if (const auto m = parseIrcLine(line))
            onLine(*m);
}

void IrcClient::onLine(const IrcMessage &m) {
    if (m.command == u"PING") {
        sendLine(QStringLiteral("PONG :") + m.trailing());
        return;
    }
    if (m.command == u"RECONNECT") { // Twitch is restarting this server: go again now
        m_backoff.reset();
        m_socket.close();
        return;
    }
    if (m.command == u"JOIN" && m.nick() == m_nick) {
        m_backoff.reset();
        setState(State::Joined);
        return;
    }
    for (const ChatEvent &e : m_assembler.feed(m))
        Q_EMIT chatEvent(e);
}

} // namespace streams::app
