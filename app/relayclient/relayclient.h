#pragma once

// The desktop's connection to the relay (protocol v1): hello, subscribe with the stored cursor, store each
// event locally and only then advance the cursor, reconnect with exponential backoff and jitter (cap 60 s),
// a handshake timeout and an idle watchdog so no zombie connection survives sleep or a network change.

#include "events/feedevent.h"
#include "platform/backoff.h"
#include "protocol/messages.h"
#include "store/localstore.h"

#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <memory>

namespace streams::app {

class RelayClient : public QObject {
    Q_OBJECT
public:
    enum class State { Stopped, Connecting, Connected, Reconnecting, Failed };
    Q_ENUM(State)

    struct Timing {
        int handshakeTimeoutMs = 10000;
        int pingIntervalMs = 30000;
        int idleTimeoutMs = 75000;
        int firstRetryMs = 1000; // doubling (plus up to a quarter of jitter) to maxRetryMs
        int maxRetryMs = 60000;
    };

    RelayClient(QUrl relayUrl, LocalStore &store, Timing timing, QObject *parent = nullptr);
    RelayClient(QUrl relayUrl, LocalStore &store, QObject *parent = nullptr)
        : RelayClient(std::move(relayUrl), store, Timing{}, parent) {}
    ~RelayClient() override;

    void start(const QString &token, const QString &broadcasterId);
    // Logging out: the connection closes, and nothing of it is stored any more: events not yet stored are
    // dropped (the next start resumes from the stored cursor) and stored ones are no longer announced.
    void stop();
    // A renewed token: used from the next hello on; reconnects at once when the relay refused the old one.
    void setToken(const QString &token);

    State state() const { return m_state; }
    QString reason() const { return m_reason; } // for Failed and Reconnecting
    int retryInMs() const { return m_retry.isActive() ? m_retry.remainingTime() : 0; }
    bool followsAllowed() const { return m_followsAllowed; }
    // "Connected", "Reconnecting in 8 s: relay closed the connection", … for the status bar.
    QString describe() const;

Q_SIGNALS:
    void stateChanged(streams::app::RelayClient::State state);
    void eventsStored(const QList<streams::app::FeedEvent> &events); // new ones, already in the store
    void followsAvailability(bool allowed, const QString &message);
    void historyReset(const QString &broadcasterId); // refetch from Helix
    void revoked(const QString &broadcasterId, const QString &reason);
    void unauthorized(const QString &message);

private:
    void open();
    void onFrame(const QString &text);
    void onEvent(const protocol::Event &event);
    void storePending();
    void scheduleReconnect(const QString &why);
    void setState(State state, const QString &reason = {});
    void send(const protocol::Message &message);

    QUrl m_url;
    LocalStore &m_store;
    Timing m_timing;
    QWebSocket m_socket;
    QString m_token;
    QString m_broadcasterId;
    QString m_epoch;
    State m_state = State::Stopped;
    QString m_reason;
    bool m_followsAllowed = true;
    bool m_waitingForToken = false;
    Backoff m_backoff; // reset once the relay confirms the subscription
    QTimer m_retry;
    QTimer m_handshake;
    QTimer m_ping;
    QTimer m_idle;
    // Events of one burst are stored in one transaction, then the cursor moves to the last of them.
    QList<FeedEvent> m_pending;
    LocalStore::CursorUpdate m_submitted;
    qint64 m_pendingSeq = 0;
    QTimer m_storeTimer;
    std::unique_ptr<QObject> m_writes = std::make_unique<QObject>(); // context of the store's answers
};

} // namespace streams::app
