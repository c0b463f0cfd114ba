#include "hub/hubworker.h"

#include "protocol/codec.h"
#include "server/metrics.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

Q_LOGGING_CATEGORY(lcHub, "streams.relay.hub")

namespace streams::relay {

using protocol::ErrorCode;

namespace {
constexpr int kReplayPage = 1000;
constexpr double kFramesPerSecond = 20;
constexpr double kFrameBurst = 40;
} // namespace

HubWorker::HubWorker(Gatekeeper &gatekeeper, Metrics &metrics, QString databasePath, QString epoch,
                     HubOptions options, std::function<void(const QString &)> onClosed)
    : m_gatekeeper(gatekeeper)
    , m_metrics(metrics)
    , m_databasePath(std::move(databasePath))
    , m_epoch(std::move(epoch))
    , m_options(options)
    , m_onClosed(std::move(onClosed)) {}

HubWorker::~HubWorker() {
    for (Session *s : std::as_const(m_sessions))
        delete s;
}

void HubWorker::initialize() {
    QString error;
    m_reader = EventReader::open(m_databasePath, &error);
    if (!m_reader)
        qCWarning(lcHub).noquote() << "hub thread cannot read the event log:" << error;
    m_server = new QWebSocketServer(QStringLiteral("streams-relay"), QWebSocketServer::NonSecureMode, this);
    m_server->setHandshakeTimeout(m_options.helloTimeoutMs);
    connect(m_server, &QWebSocketServer::newConnection, this, &HubWorker::onNewConnection);
    m_watchdog = new QTimer(this);
    m_watchdog->setInterval(qMin(1000, m_options.helloTimeoutMs / 2));
    connect(m_watchdog, &QTimer::timeout, this, &HubWorker::watchdog);
    m_watchdog->start();
    // Each session is pinged once per interval, on its own tick: 10,000 pings (and as many pongs) at once
    // took hundreds of milliseconds of CPU every 20 s, and webhooks waited behind them.
    m_pingSlots = qMax(1, m_options.pingIntervalMs / m_watchdog->interval());
}

void HubWorker::adopt(qintptr descriptor, const QString &peer) {
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        m_onClosed(peer);
        return;
    }
    // QWebSocket neither owns the TCP socket it upgrades nor keeps others' connections to it, so the
    // worker tracks it: handshakes that never finish are swept by the watchdog, sessions free it.
    const QString key =
        socket->peerAddress().toString() + QLatin1Char('|') + QString::number(socket->peerPort());
    Handshake pending{socket, peer, {}};
    pending.since.start();
    m_handshaking.insert(key, pending);
    m_server->handleConnection(socket);
}

void HubWorker::onNewConnection() {
    while (QWebSocket *ws = m_server->nextPendingConnection()) {
        ws->setParent(this);
        ws->setMaxAllowedIncomingMessageSize(protocol::kMaxFrameBytes);
        ws->setMaxAllowedIncomingFrameSize(protocol::kMaxFrameBytes);
        auto *session = new Session;
        session->socket = ws;
        const Handshake pending = m_handshaking.take(ws->peerAddress().toString() + QLatin1Char('|') +
                                                     QString::number(ws->peerPort()));
        session->tcp = pending.socket;
        session->peer = pending.peer.isEmpty() ? ws->peerAddress().toString() : pending.peer;
        session->connected.start();
        session->lastHeard.start();
        session->tokenClock.start();
        session->pingSlot = m_nextPingSlot++ % m_pingSlots;
        m_sessions.insert(ws, session);
        m_metrics.clientConnected();
        connect(ws, &QWebSocket::textMessageReceived, this, [this, ws](const QString &text) {
            if (Session *s = m_sessions.value(ws))
                onText(s, text);
        });
        connect(ws, &QWebSocket::binaryMessageReceived, this, [this, ws](const QByteArray &) {
            if (Session *s = m_sessions.value(ws))
                strike(s, ErrorCode::BadRequest, QStringLiteral("binary frames are not part of protocol 1"));
        });
        connect(ws, &QWebSocket::pong, this, [this, ws] {
            if (Session *s = m_sessions.value(ws))
                s->lastHeard.restart();
        });
        connect(ws, &QWebSocket::disconnected, this, [this, ws] {
            if (Session *s = m_sessions.value(ws))
                dropSession(s);
        });
    }
}

void HubWorker::onText(Session *session, const QString &text) {
    session->lastHeard.restart();
    // Token bucket against floods.
    session->tokens =
        qMin(kFrameBurst, session->tokens + session->tokenClock.restart() * kFramesPerSecond / 1000.0);
    if (session->tokens < 1) {
        strike(session, ErrorCode::RateLimited, QStringLiteral("too many frames; at most 20 per second"));
        return;
    }
    session->tokens -= 1;

    const protocol::Decoded decoded = protocol::decode(text.toUtf8());
    if (!decoded.ok()) {
        const auto &e = decoded.error();
        strike(session,
               e.kind == protocol::DecodeErrorKind::UnsupportedProtocol ? ErrorCode::UnsupportedProtocol
                                                                        : ErrorCode::BadRequest,
               e.detail);
        return;
    }
    const protocol::Message &message = decoded.message();
    if (session->state != Session::State::Ready) {
        const auto *hello = std::get_if<protocol::Hello>(&message);
        if (!hello || session->state == Session::State::Authenticating) {
            strike(session, ErrorCode::Unauthorized,
                   QStringLiteral("the first frame must be hello, and only one"));
            return;
        }
        session->state = Session::State::Authenticating;
        QPointer<QWebSocket> ws = session->socket;
        m_gatekeeper.authenticate(hello->token, this, [this, ws](AuthResult result) {
            Session *s = ws ? m_sessions.value(ws) : nullptr;
            if (!s)
                return;
            if (!result.user) {
                send(s, result.error);
                m_metrics.clientError();
                s->socket->close(QWebSocketProtocol::CloseCodePolicyViolated, result.error.message.left(120));
                return;
            }
            s->user = *result.user;
            s->state = Session::State::Ready;
            send(s, protocol::Welcome{protocol::kVersion, m_epoch, {s->user.id, s->user.login, {}}});
        });
        return;
    }
    if (const auto *sub = std::get_if<protocol::Subscribe>(&message)) {
        handleSubscribe(session, *sub);
    } else if (const auto *unsub = std::get_if<protocol::Unsubscribe>(&message)) {
        if (session->rooms.remove(unsub->broadcasterId) > 0) {
            leaveRoom(session, unsub->broadcasterId);
            m_gatekeeper.release(unsub->broadcasterId, session->user.id);
        }
    } else {
        strike(session, ErrorCode::BadRequest,
               QStringLiteral("%1 is not a message a client sends").arg(protocol::messageTypeName(message)));
    }
}

void HubWorker::handleSubscribe(Session *session, const protocol::Subscribe &subscribe) {
    QPointer<QWebSocket> ws = session->socket;
    const QString userId = session->user.id;
    m_gatekeeper.subscribe(subscribe.broadcasterId, userId, this,
                           [this, ws, subscribe, userId](EnsureResult r) {
                               Session *s = ws ? m_sessions.value(ws) : nullptr;
                               if (!s) {
                                   m_gatekeeper.release(subscribe.broadcasterId, userId);
                                   return;
                               }
                               if (r.error && r.kinds.isEmpty()) {
                                   send(s, *r.error);
                                   m_metrics.clientError();
                                   m_gatekeeper.release(subscribe.broadcasterId, userId);
                                   return;
                               }
                               if (r.warning) {
                                   send(s, *r.warning);
                                   m_metrics.clientError();
                               }
                               const bool again = s->rooms.contains(subscribe.broadcasterId);
                               if (again) // one release per subscription the gatekeeper counts
                                   m_gatekeeper.release(subscribe.broadcasterId, userId);
                               Room &room = s->rooms[subscribe.broadcasterId];
                               room.followsAllowed = r.kinds.contains(QLatin1String("follow"));
                               joinRoom(s, subscribe.broadcasterId);
                               send(s, protocol::Subscribed{subscribe.broadcasterId, r.kinds});
                               if (subscribe.after)
                                   replay(s, subscribe.broadcasterId, subscribe.after);
                           });
}

void HubWorker::replay(Session *session, const QString &broadcasterId,
                       const std::optional<protocol::Cursor> &after) {
    if (!m_reader) {
        send(session,
             protocol::Error{ErrorCode::Unavailable, QStringLiteral("history is unavailable right now")});
        return;
    }
    qint64 from = after->seq;
    if (after->epoch != m_epoch || m_reader->prunedThrough(broadcasterId) > after->seq) {
        // The cursor names another log, or history past it is gone: say so, then send all that is kept.
        send(session, protocol::Reset{broadcasterId});
        from = 0;
    }
    Room &room = session->rooms[broadcasterId];
    qint64 sent = 0;
    // Runs to completion on this thread: live events queued meanwhile come after and are skipped by seq.
    for (;;) {
        const auto result = m_reader->eventsAfter(broadcasterId, qMax(from, room.lastSeq), kReplayPage);
        if (!result) {
            // Live events after a gap would move the client's cursor past it: stop this subscription instead.
            send(session,
                 protocol::Error{ErrorCode::Unavailable,
                                 QStringLiteral("history cannot be read right now; subscribe again with "
                                                "your cursor in a moment")});
            leaveRoom(session, broadcasterId);
            session->rooms.remove(broadcasterId);
            m_gatekeeper.release(broadcasterId, session->user.id);
            m_metrics.replayed(sent);
            return;
        }
        const std::vector<StoredEventPtr> &page = *result;
        for (const StoredEventPtr &e : page) {
            if (e->kind == u"follow" && !room.followsAllowed) {
                room.lastSeq = e->seq;
                continue;
            }
            sendEvent(session, room, *e);
            ++sent;
        }
        if (int(page.size()) < kReplayPage)
            break;
        from = page.back()->seq;
    }
    m_metrics.replayed(sent);
}

void HubWorker::deliver(const std::shared_ptr<const std::vector<StoredEventPtr>> &events) {
    for (const StoredEventPtr &e : *events) {
        const auto room = m_rooms.constFind(e->broadcasterId);
        if (room == m_rooms.cend())
            continue;
        const bool follow = e->kind == u"follow";
        for (Session *s : *room) {
            Room &r = s->rooms[e->broadcasterId];
            if (follow && !r.followsAllowed)
                continue;
            sendEvent(s, r, *e);
            // Out now, not on the next event-loop pass: the first recipients need not wait until the
            // frame is queued for every other one, and no write notifier is armed and polled per socket.
            s->socket->flush();
        }
    }
}

void HubWorker::sendEvent(Session *session, Room &room, const StoredEvent &event) {
    if (event.seq <= room.lastSeq)
        return;
    room.lastSeq = event.seq;
    session->socket->sendTextMessage(event.frame);
    m_metrics.delivered(event.receivedNs > 0 ? monotonicNs() - event.receivedNs : 0);
}

void HubWorker::revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                       const QString &reason) {
    const auto room = m_rooms.constFind(broadcasterId);
    if (room == m_rooms.cend())
        return;
    const bool follow = type == u"channel.follow";
    for (Session *s : *room) {
        if (follow) {
            if (s->user.id != moderatorId)
                continue;
            s->rooms[broadcasterId].followsAllowed = false;
        }
        send(s, protocol::Revoked{broadcasterId, reason});
    }
}

void HubWorker::send(Session *session, const protocol::Message &message) {
    session->socket->sendTextMessage(QString::fromUtf8(protocol::encode(message)));
}

void HubWorker::strike(Session *session, ErrorCode code, const QString &message) {
    m_metrics.clientError();
    send(session, protocol::Error{code, message});
    if (++session->strikes >= m_options.maxStrikes) {
        qCInfo(lcHub).noquote() << "closing" << session->peer << "after" << session->strikes << "bad frames";
        session->socket->close(QWebSocketProtocol::CloseCodePolicyViolated,
                               QStringLiteral("too many bad frames"));
    }
}

void HubWorker::dropSession(Session *session) {
    for (auto it = session->rooms.cbegin(); it != session->rooms.cend(); ++it) {
        leaveRoom(session, it.key());
        m_gatekeeper.release(it.key(), session->user.id);
    }
    m_sessions.remove(session->socket);
    session->socket->deleteLater();
    if (session->tcp)
        session->tcp->deleteLater(); // posted after the QWebSocket's, so deleted after it
    m_onClosed(session->peer);
    m_metrics.clientDisconnected();
    delete session;
}

void HubWorker::joinRoom(Session *session, const QString &broadcasterId) {
    QSet<Session *> &room = m_rooms[broadcasterId];
    if (room.isEmpty()) {
        QMutexLocker lock(&m_interestMutex);
        m_interest.insert(broadcasterId);
    }
    room.insert(session);
}

void HubWorker::leaveRoom(Session *session, const QString &broadcasterId) {
    auto room = m_rooms.find(broadcasterId);
    if (room == m_rooms.end())
        return;
    room->remove(session);
    if (room->isEmpty()) {
        m_rooms.erase(room);
        QMutexLocker lock(&m_interestMutex);
        m_interest.remove(broadcasterId);
    }
}

bool HubWorker::wants(const QString &broadcasterId) const {
    QMutexLocker lock(&m_interestMutex);
    return m_interest.contains(broadcasterId);
}

void HubWorker::watchdog() {
    for (auto it = m_handshaking.begin(); it != m_handshaking.end();) {
        QTcpSocket *tcp = it->socket;
        const bool gone = !tcp || tcp->state() == QAbstractSocket::UnconnectedState;
        if (gone || it->since.elapsed() > 2 * m_options.helloTimeoutMs) {
            if (tcp)
                tcp->deleteLater();
            m_onClosed(it->peer);
            it = m_handshaking.erase(it);
        } else {
            ++it;
        }
    }
    const int pingSlot = m_pingTick++ % m_pingSlots;
    const auto sessions = m_sessions.values();
    for (Session *s : sessions) {
        if (s->state == Session::State::AwaitingHello && s->connected.elapsed() > m_options.helloTimeoutMs) {
            s->state = Session::State::Authenticating; // close once
            // close() may drop the session (and delete it) before it returns: touch nothing after it.
            s->socket->close(
                QWebSocketProtocol::CloseCode(4001),
                QStringLiteral("hello not received within %1 s").arg(m_options.helloTimeoutMs / 1000));
            continue;
        }
        if (s->lastHeard.elapsed() > m_options.deadPeerMs) {
            qCInfo(lcHub).noquote() << "dropping silent peer" << s->peer;
            s->socket->abort();
            continue;
        }
        if (s->pingSlot == pingSlot)
            s->socket->ping();
    }
}

void HubWorker::closeAll() {
    const auto sessions = m_sessions.values();
    for (Session *s : sessions)
        s->socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("relay is shutting down"));
}

} // namespace streams::relay
