#pragma once

// Read-only Twitch chat over IRC-over-WebSocket (TWITCH_IRC_URL), anonymous (`justinfan…`): tags and
// commands capabilities, JOIN, PING/PONG, RECONNECT, reconnect with backoff. Chat lines become feed
// events through ChatEventAssembler.

#include "platform/backoff.h"
#include "twitch/chatevents.h"

#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

namespace streams::app {

class IrcClient : public QObject {
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Joined, Reconnecting };
    Q_ENUM(State)

    explicit IrcClient(QUrl url, QObject *parent = nullptr);
    ~IrcClient() override;

    // Joins one channel (by login); leaves the previous one.
    void join(const QString &channelLogin);
    void stop();
    State state() const { return m_state; }
    QString nick() const { return m_nick; }

Q_SIGNALS:
    void chatEvent(const streams::app::ChatEvent &event);
    void stateChanged(streams::app::IrcClient::State state);

private:
    void open();
    void onFrame(const QString &frame);
    void onLine(const IrcMessage &m);
    void scheduleReconnect();
    void setState(State s);
    void sendLine(const QString &line);

    QUrl m_url;
    QWebSocket m_socket;
    QString m_channel;
    QString m_nick;
    State m_state = State::Disconnected;
    ChatEventAssembler m_assembler;
    QTimer m_reconnect;
    QTimer m_watchdog; // no line for 6 minutes (Twitch pings every ~5) = a dead connection
    // 1 s doubling to 60 s, plus up to a quarter of jitter; reset once joined or asked to reconnect.
    Backoff m_backoff{{std::chrono::seconds(1), std::chrono::seconds(60), 25}};
    bool m_stopped = true;
};

} // namespace streams::app
