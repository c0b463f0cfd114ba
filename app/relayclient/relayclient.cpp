#include "relayclient/relayclient.h"

#include "protocol/codec.h"
#include "relayclient/relayconfig.h"
#include "store/localstore.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcRelayClient, "streams.app.relay")

namespace streams::app {

RelayClient::RelayClient(QUrl relayUrl, LocalStore &store, Timing timing, QObject *parent)
    : QObject(parent)
    , m_url(relayRoute(relayUrl, QStringLiteral("/ws"))) // under the relay's path, if it has one
    , m_store(store)
    , m_timing(timing)
    , m_backoff({std::chrono::milliseconds(timing.firstRetryMs), std::chrono::milliseconds(timing.maxRetryMs),
                 25}) {
    m_url.setScheme(m_url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RelayClient::open);
    m_handshake.setSingleShot(true);
    connect(&m_handshake, &QTimer::timeout, this, [this] {
        qCInfo(lcRelayClient) << "no welcome from the relay in time";
        m_socket.abort();
    });
    m_ping.setInterval(m_timing.pingIntervalMs);
    connect(&m_ping, &QTimer::timeout, this, [this] { m_socket.ping(); });
    m_storeTimer.setSingleShot(true);
    m_storeTimer.setInterval(0);
    connect(&m_storeTimer, &QTimer::timeout, this, &RelayClient::storePending);
    m_idle.setSingleShot(true);
    m_idle.setInterval(m_timing.idleTimeoutMs);
    connect(&m_idle, &QTimer::timeout, this, [this] {
        qCInfo(lcRelayClient) << "relay silent; reconnecting";
        m_socket.abort();
    });
    connect(&m_socket, &QWebSocket::connected, this, [this] {
        m_idle.start();
        m_ping.start();
        send(protocol::Hello{protocol::kVersion, m_token});
    });
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &RelayClient::onFrame);
    connect(&m_socket, &QWebSocket::pong, this, [this] { m_idle.start(); });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        storePending(); // what arrived before the drop is kept, and its cursor
        m_ping.stop();
        m_idle.stop();
        m_handshake.stop();
        if (m_state == State::Stopped || m_state == State::Failed)
            return;
        const QString why = m_socket.closeReason().isEmpty() ? tr("the connection to the relay was lost")
                                                             : m_socket.closeReason();
        scheduleReconnect(why);
    });
}

RelayClient::~RelayClient() {
    m_state = State::Stopped;
    m_socket.abort();
}

void RelayClient::start(const QString &token, const QString &broadcasterId) {
    // What the last streamer's connection delivered is stored under that streamer's cursor, before
    // anything here names the next one.
    storePending();
    m_token = token;
    m_waitingForToken = false;
    m_backoff.reset();
    m_followsAllowed = true;
    if (m_socket.state() != QAbstractSocket::UnconnectedState) {
        m_state = State::Stopped; // our own drop: not a lost connection to come back from later
        m_socket.abort();
    }
    m_retry.stop();
    m_broadcasterId = broadcasterId;
    open();
}

void RelayClient::setToken(const QString &token) {
    m_token = token;
    if (m_waitingForToken && m_state == State::Failed && !token.isEmpty()) {
        m_waitingForToken = false;
        m_backoff.reset();
        open();
    }
}

void RelayClient::stop() {
    setState(State::Stopped);
    m_retry.stop();
    m_storeTimer.stop();
    m_pending.clear();
    m_submitted = {};
    m_writes = std::make_unique<QObject>();
    m_socket.close();
}

void RelayClient::open() {
    setState(m_backoff.failures() > 0 ? State::Reconnecting : State::Connecting, m_reason);
    m_handshake.start(m_timing.handshakeTimeoutMs);
    m_socket.open(m_url);
}

void RelayClient::scheduleReconnect(const QString &why) {
    m_retry.start(m_backoff.nextMs());
    setState(State::Reconnecting, why);
}

void RelayClient::setState(State state, const QString &reason) {
    const bool changed = m_state != state || m_reason != reason;
    m_state = state;
    m_reason = reason;
    if (changed)
        Q_EMIT stateChanged(state);
}

QString RelayClient::describe() const {
    switch (m_state) {
    case State::Stopped:
        return tr("Not connected");
    case State::Connecting:
        return tr("Connecting to the relay…");
    case State::Connected:
        return tr("Connected to the relay");
    case State::Reconnecting:
        return tr("Reconnecting in %1 s: %2").arg((retryInMs() + 999) / 1000).arg(m_reason);
    case State::Failed:
        return tr("Relay unavailable: %1").arg(m_reason);
    }
    return {};
}

void RelayClient::send(const protocol::Message &message) {
    m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(message)));
}

void RelayClient::onFrame(const QString &text) {
    if (m_state == State::Stopped)
        return; // what the relay sent before it saw the close is no longer wanted
    m_idle.start();
    const protocol::Decoded decoded = protocol::decode(text.toUtf8());
    if (!decoded.ok()) {
        qCWarning(lcRelayClient).noquote() << "ignoring a frame the relay sent:" << decoded.error().detail;
        return;
    }
    const protocol::Message &m = decoded.message();
    if (const auto *welcome = std::get_if<protocol::Welcome>(&m)) {
        m_handshake.stop();
        storePending(); // anything left from the last connection goes under its own cursor
        m_epoch = welcome->epoch;
        protocol::Subscribe subscribe{m_broadcasterId, std::nullopt};
        // The last cursor handed to the store (its writes finish in order, before any later one), else
        // the one stored by an earlier run.
        const auto cursor =
            m_submitted.broadcasterId == m_broadcasterId && !m_submitted.cursor.epoch.isEmpty()
                ? std::optional<RelayCursor>(m_submitted.cursor)
                : m_store.cursor(m_broadcasterId);
        if (cursor)
            subscribe.after = protocol::Cursor{cursor->epoch, cursor->seq};
        // seq counts within one epoch: a new epoch (the relay's log was recreated) starts over.
        m_pendingSeq = cursor && cursor->epoch == m_epoch ? cursor->seq : 0;
        send(subscribe);
    } else if (const auto *subscribed = std::get_if<protocol::Subscribed>(&m)) {
        m_backoff.reset();
        m_followsAllowed = subscribed->kinds.contains(QLatin1String("follow"));
        setState(State::Connected);
    } else if (const auto *event = std::get_if<protocol::Event>(&m)) {
        onEvent(*event);
    } else if (const auto *reset = std::get_if<protocol::Reset>(&m)) {
        Q_EMIT historyReset(reset->broadcasterId);
    } else if (const auto *revocation = std::get_if<protocol::Revoked>(&m)) {
        m_followsAllowed = false;
        Q_EMIT revoked(revocation->broadcasterId, revocation->reason);
        // For the feed it is the same as never having been allowed: online/offline still flow.
        Q_EMIT followsAvailability(
            false, tr("Twitch stopped sending this channel's follows to you (%1).").arg(revocation->reason));
    } else if (const auto *error = std::get_if<protocol::Error>(&m)) {
        switch (error->code) {
        case protocol::ErrorCode::Forbidden:
            m_followsAllowed = false;
            Q_EMIT followsAvailability(false, error->message);
            break;
        case protocol::ErrorCode::Unauthorized:
            // Retrying with the same token cannot help: say so once and wait for a new login.
            setState(State::Failed, error->message);
            m_retry.stop();
            m_waitingForToken = true;
            Q_EMIT unauthorized(error->message);
            m_socket.close();
            break;
        case protocol::ErrorCode::UnsupportedProtocol:
            setState(State::Failed, tr("this relay speaks another protocol version; update the app"));
            m_socket.close();
            break;
        default: // unavailable, rate_limited, limit, bad_request: shown in the status, then try again later
            qCInfo(lcRelayClient).noquote() << "relay error:" << error->message;
            m_reason = error->message;
            m_socket.close();
        }
    }
}

void RelayClient::onEvent(const protocol::Event &e) {
    FeedEvent f;
    f.broadcasterId = e.broadcasterId;
    f.kind = e.kind;
    f.userId = e.user.id;
    f.userLogin = e.user.login;
    f.userName = e.user.name;
    f.occurredAt = parseTimestamp(e.occurredAt);
    if (!f.occurredAt.isValid())
        f.occurredAt = QDateTime::currentDateTimeUtc();
    f.source = QStringLiteral("relay");
    f.key = e.kind == u"follow" ? followKey(e.broadcasterId, e.user.id, e.occurredAt)
                                : QStringLiteral("relay:") + e.id;
    m_pending.append(f);
    m_pendingSeq = qMax(m_pendingSeq, e.seq);
    if (!m_storeTimer.isActive())
        m_storeTimer.start();
}

void RelayClient::storePending() {
    if (m_pending.isEmpty())
        return;
    // The cursor moves in the same transaction as the events: never ahead of what is stored.
    m_submitted = {m_broadcasterId, RelayCursor{m_epoch, m_pendingSeq}};
    m_store.write(std::exchange(m_pending, {}), m_submitted, m_writes.get(),
                  [this](const QList<FeedEvent> &added) {
                      if (!added.isEmpty())
                          Q_EMIT eventsStored(added);
                  });
}

} // namespace streams::app
