#pragma once

// One EventSub WebSocket session (twitch-platform.md §3) for one channel, with the user's own token:
// opens TWITCH_EVENTSUB_WS_URL, creates the wanted subscriptions through Helix on the welcome (within its
// keepalive window), watches the keepalive, follows `session_reconnect` without losing or doubling an
// event, stops a revoked kind, and comes back from every close code. Notifications are de-duplicated by
// message id (10 minutes) and refused when their timestamp is older than 10 minutes. The client never
// sends a frame (Twitch closes with 4001 on inbound traffic); Qt answers the server's pings.
//
// Limits: one connection per session object (two only between a reconnect's welcome and the old
// socket's close), so one app instance stays far below Twitch's three per user; the subscriptions are
// those the user authorised (cost 0), and Helix's total_cost / max_total_cost are kept to be shown.

#include "platform/backoff.h"
#include "twitch/eventsubmessage.h"

#include <QHash>
#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <deque>
#include <memory>

class QWebSocket;

namespace streams::app {

class EventSubSession : public QObject {
    Q_OBJECT
public:
    enum class State {
        Stopped,      // not asked to run
        Connecting,   // opening the socket, waiting for its welcome
        Subscribing,  // welcomed, creating the subscriptions
        Live,         // at least one subscription enabled on this session
        Reconnecting, // waiting to open again (backoff), or after a drop
        Failed        // nothing can be received (every subscription refused or revoked): no socket kept
    };
    Q_ENUM(State)

    struct Timing {
        int firstRetryMs = 1000; // streams::Backoff: first delay, doubled up to maxRetryMs, with jitter
        int maxRetryMs = 60000;
        int keepaliveSeconds = 0; // asked with ?keepalive_timeout_seconds= (Twitch: 10–600); 0: its default
        int keepaliveGraceMs = 1000; // added to the window before a silent socket counts as dead
        int oldSocketQuietMs = 250;  // after a reconnect's welcome, the old socket is closed once this quiet
        int switchTimeoutMs = 5000;  // … or after this at most; and then it may take this long to close
    };

    EventSubSession(QNetworkAccessManager &network, QUrl webSocketUrl, QUrl helixBase, QString clientId,
                    Timing timing, QObject *parent = nullptr);
    EventSubSession(QNetworkAccessManager &network, QUrl webSocketUrl, QUrl helixBase, QString clientId,
                    QObject *parent = nullptr)
        : EventSubSession(network, std::move(webSocketUrl), std::move(helixBase), std::move(clientId), {},
                          parent) {}
    ~EventSubSession() override;

    // Connects for `broadcasterId` with these subscriptions (none: nothing is opened); replaces any
    // earlier session.
    void start(const QString &token, const QString &broadcasterId, const QList<EventSubSpec> &specs);
    void stop();
    // A renewed token: used for the next subscription calls (and retries those a 401 refused).
    void setToken(const QString &token);

    State state() const { return m_state; }
    QString broadcasterId() const { return m_broadcasterId; }
    QString sessionId() const { return m_sessionId; }
    // Subscription types enabled on the current session, and the feed kinds they deliver.
    QStringList enabledTypes() const;
    QStringList coveredKinds() const;
    // Open sockets right now (at most two, during a reconnect).
    int connections() const;
    int totalCost() const { return m_totalCost; }
    int maxTotalCost() const { return m_maxTotalCost; }
    // A sentence for the status bar.
    QString describe() const;

Q_SIGNALS:
    void event(const streams::app::FeedEvent &event);
    void stateChanged(streams::app::EventSubSession::State state);
    void coverageChanged(); // enabledTypes() / coveredKinds() changed
    // Twitch revoked a subscription (status: authorization_revoked, moderator_removed, …): its kind stops.
    void revoked(const QString &subscriptionType, const QString &status);
    // Helix refused to create one: 403 (scope missing), 429 (limit or cost), 400, ….
    void subscriptionFailed(const QString &subscriptionType, int status, const QString &message);
    // Helix answered 401: the token needs renewing (setToken() retries).
    void unauthorized();

private:
    enum class Role { Current, Next, Old };
    void open(const QUrl &url, Role role);
    void onFrame(QWebSocket *socket, const QString &text);
    void onClosed(QWebSocket *socket);
    void onWelcome(QWebSocket *socket, const EventSubMessage &m);
    void deliver(const EventSubMessage &m);
    void finishSwitch(); // closes the replaced socket and lets the new one's events out
    void flushHeld();
    void createSubscriptions();
    void create(const EventSubSpec &spec);
    // Every socket closed without a trace, their create answers ignored; `deliverHeld`: the events
    // held during a reconnect still go out (a drop, not a stop).
    void dropAll(bool deliverHeld);
    void reconnectLater(const QString &why);
    void setState(State state, const QString &reason = {});
    void retire(QWebSocket *&socket);
    void armKeepalive();
    bool duplicateOrStale(const EventSubMessage &m);
    QUrl firstUrl() const;

    QNetworkAccessManager &m_network;
    QUrl m_webSocketUrl;
    QUrl m_helixBase;
    QString m_clientId;
    Timing m_timing;
    Backoff m_backoff;

    QString m_token;
    QString m_broadcasterId;
    QList<EventSubSpec> m_specs;
    State m_state = State::Stopped;
    QString m_reason;

    QWebSocket *m_socket = nullptr; // the session's socket
    QWebSocket *m_next = nullptr;   // a reconnect_url's socket, until its welcome
    QWebSocket *m_old = nullptr;    // the socket a reconnect replaced, until it has closed
    QString m_sessionId;
    int m_keepaliveSeconds = 10;
    QTimer m_keepalive;
    QTimer m_retry;
    QTimer m_switch;
    QTimer m_oldQuiet;
    bool m_holding = false;           // the new socket's notifications wait for the old socket to be done
    QList<EventSubMessage> m_held;    // the new socket's notifications while the old one still drains
    std::unique_ptr<QObject> m_calls; // context of this session's Helix calls; replaced per session

    QStringList m_enabled;          // subscription types enabled on m_sessionId
    QStringList m_waitingFor401;    // types refused with 401, created again with the next token
    QHash<QString, int> m_attempts; // creates that met 5xx or no answer, per type, this session
    int m_totalCost = 0;
    int m_maxTotalCost = 0;

    QHash<QString, qint64> m_seen; // message id -> when it arrived (ms); 10 minutes
    std::deque<std::pair<qint64, QString>> m_seenOrder;
};

} // namespace streams::app
