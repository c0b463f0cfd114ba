#pragma once

// One hub thread: its WebSocket clients, their rooms (one per broadcaster), replay and fan-out.

#include "hub/gatekeeper.h"
#include "storage/eventstore.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <memory>
#include <vector>

class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace streams::relay {

class Metrics;

struct HubOptions {
    int helloTimeoutMs = 10000;
    int pingIntervalMs = 20000;
    int deadPeerMs = 60000;
    int maxStrikes = 5;
};

class HubWorker : public QObject {
    Q_OBJECT
public:
    HubWorker(Gatekeeper &gatekeeper, Metrics &metrics, QString databasePath, QString epoch,
              HubOptions options, std::function<void(const QString &peer)> onClosed);
    ~HubWorker() override;

    // All of these run on the worker's thread (call through QMetaObject::invokeMethod).
    void initialize();
    void adopt(qintptr descriptor, const QString &peer);
    void deliver(const std::shared_ptr<const std::vector<StoredEventPtr>> &events);
    void revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                const QString &reason);
    void closeAll();
    int clientCount() const { return int(m_sessions.size()); }
    // Any thread: whether a client of this worker is subscribed to the broadcaster. Waking a worker
    // costs a poll over all its sockets, so events nobody here wants are not posted to it.
    bool wants(const QString &broadcasterId) const;

private:
    struct Room {
        bool followsAllowed = false;
        qint64 lastSeq = 0; // highest seq sent for this broadcaster: replay and live never double
    };
    struct Session {
        QWebSocket *socket = nullptr;
        QTcpSocket *tcp = nullptr; // the upgraded connection, owned by the worker
        QString peer;
        enum class State { AwaitingHello, Authenticating, Ready } state = State::AwaitingHello;
        protocol::UserRef user;
        QHash<QString, Room> rooms;
        QElapsedTimer connected;
        QElapsedTimer lastHeard;
        int strikes = 0;
        double tokens = 40; // frame budget (token bucket, 20/s)
        QElapsedTimer tokenClock;
        int pingSlot = 0; // the watchdog tick (of a ping interval's worth) on which it is pinged
    };

    void onNewConnection();
    void onText(Session *session, const QString &text);
    void handleSubscribe(Session *session, const protocol::Subscribe &subscribe);
    void replay(Session *session, const QString &broadcasterId, const std::optional<protocol::Cursor> &after);
    void send(Session *session, const protocol::Message &message);
    void sendEvent(Session *session, Room &room, const StoredEvent &event);
    void strike(Session *session, protocol::ErrorCode code, const QString &message);
    void dropSession(Session *session);
    void watchdog();
    void joinRoom(Session *session, const QString &broadcasterId);
    void leaveRoom(Session *session, const QString &broadcasterId);

    Gatekeeper &m_gatekeeper;
    Metrics &m_metrics;
    QString m_databasePath;
    QString m_epoch;
    HubOptions m_options;
    std::function<void(const QString &)> m_onClosed;
    QWebSocketServer *m_server = nullptr;
    std::unique_ptr<EventReader> m_reader;
    QHash<QWebSocket *, Session *> m_sessions;
    struct Handshake {
        QPointer<QTcpSocket> socket;
        QString peer;
        QElapsedTimer since;
    };
    QHash<QString, Handshake> m_handshaking; // "address|port" -> connection not yet upgraded
    QHash<QString, QSet<Session *>> m_rooms; // broadcaster -> sessions subscribed to it
    mutable QMutex m_interestMutex;
    QSet<QString> m_interest;     // the keys of m_rooms, readable from other threads
    QTimer *m_watchdog = nullptr; // created on the worker's thread
    int m_pingSlots = 1;          // watchdog ticks per ping interval
    int m_pingTick = 0;
    int m_nextPingSlot = 0;
};

} // namespace streams::relay
