#include "twitch/eventsubsession.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkReply>
#include <QUrlQuery>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcEventSub, "streams.app.eventsub")

namespace streams::app {
namespace {

constexpr qint64 kReplayWindowMs = 10 * 60 * 1000; // twitch-platform.md §1.6: ids and timestamps
constexpr int kCreateAttempts = 3;                 // a create that met 5xx or no answer, per session

QString closeCodeMeaning(int code) {
    switch (code) {
    case 4000:
        return EventSubSession::tr("Twitch had an internal error");
    case 4001:
        return EventSubSession::tr("Twitch says the app sent it a message");
    case 4002:
        return EventSubSession::tr("Twitch's ping went unanswered");
    case 4003:
        return EventSubSession::tr("no subscription was created in time");
    case 4004:
        return EventSubSession::tr("the reconnect took too long");
    case 4005:
        return EventSubSession::tr("the network timed out");
    case 4006:
        return EventSubSession::tr("a network error");
    case 4007:
        return EventSubSession::tr("Twitch refused the reconnect address");
    default:
        return EventSubSession::tr("the connection to Twitch was lost");
    }
}

} // namespace

EventSubSession::EventSubSession(QNetworkAccessManager &network, QUrl webSocketUrl, QUrl helixBase,
                                 QString clientId, Timing timing, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_webSocketUrl(std::move(webSocketUrl))
    , m_helixBase(std::move(helixBase))
    , m_clientId(std::move(clientId))
    , m_timing(timing)
    , m_backoff({std::chrono::milliseconds(timing.firstRetryMs), std::chrono::milliseconds(timing.maxRetryMs),
                 25}) {
    m_keepalive.setSingleShot(true);
    connect(&m_keepalive, &QTimer::timeout, this, [this] {
        qCInfo(lcEventSub) << "no message within the keepalive window; reconnecting";
        dropAll(true);
        reconnectLater(tr("Twitch was silent for %n s", nullptr, m_keepaliveSeconds));
    });
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        setState(State::Connecting, m_reason);
        open(firstUrl(), Role::Current);
    });
    // After a reconnect's welcome the old socket may still have frames on their way (Qt reads them in
    // later event-loop turns): it is closed once it has been quiet for a moment, and the new socket's
    // events wait until then, so the order stays.
    m_oldQuiet.setSingleShot(true);
    connect(&m_oldQuiet, &QTimer::timeout, this, &EventSubSession::finishSwitch);
    m_switch.setSingleShot(true);
    connect(&m_switch, &QTimer::timeout, this, [this] {
        if (m_holding) {
            finishSwitch(); // the old socket kept talking: enough
        } else {
            qCInfo(lcEventSub) << "the replaced socket did not close in time";
            retire(m_old);
        }
    });
}

EventSubSession::~EventSubSession() {
    dropAll(false);
}

void EventSubSession::start(const QString &token, const QString &broadcasterId,
                            const QList<EventSubSpec> &specs) {
    dropAll(false);
    m_retry.stop();
    m_token = token;
    m_broadcasterId = broadcasterId;
    m_specs = specs;
    m_backoff.reset();
    if (m_specs.isEmpty()) {
        setState(State::Failed, tr("nothing to receive for this channel"));
        return;
    }
    setState(State::Connecting);
    open(firstUrl(), Role::Current);
}

void EventSubSession::stop() {
    dropAll(false);
    m_retry.stop();
    m_specs.clear();
    m_broadcasterId.clear();
    setState(State::Stopped);
}

void EventSubSession::setToken(const QString &token) {
    m_token = token;
    if (m_waitingFor401.isEmpty() || m_sessionId.isEmpty() || token.isEmpty())
        return;
    const QStringList types = std::exchange(m_waitingFor401, {});
    for (const EventSubSpec &spec : std::as_const(m_specs))
        if (types.contains(spec.type))
            create(spec);
}

QStringList EventSubSession::enabledTypes() const {
    return m_enabled;
}

QStringList EventSubSession::coveredKinds() const {
    QStringList kinds;
    for (const QString &type : m_enabled)
        kinds += feedKindsOf(type);
    return kinds;
}

int EventSubSession::connections() const {
    return int(m_socket != nullptr) + int(m_next != nullptr) + int(m_old != nullptr);
}

QString EventSubSession::describe() const {
    switch (m_state) {
    case State::Stopped:
        return tr("EventSub: off");
    case State::Connecting:
        return tr("EventSub: connecting…");
    case State::Subscribing:
        return tr("EventSub: subscribing…");
    case State::Live:
        return tr("EventSub: live");
    case State::Reconnecting:
        return tr("EventSub: reconnecting (%1)").arg(m_reason);
    case State::Failed:
        return tr("EventSub: %1").arg(m_reason);
    }
    return {};
}

QUrl EventSubSession::firstUrl() const {
    QUrl url = m_webSocketUrl;
    if (m_timing.keepaliveSeconds > 0) {
        QUrlQuery query(url);
        query.removeAllQueryItems(QStringLiteral("keepalive_timeout_seconds"));
        // Twitch clamps it to 10–600; the welcome says what it chose, and that is what is watched.
        query.addQueryItem(QStringLiteral("keepalive_timeout_seconds"),
                           QString::number(m_timing.keepaliveSeconds));
        url.setQuery(query);
    }
    return url;
}

void EventSubSession::open(const QUrl &url, Role role) {
    auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString &text) { onFrame(socket, text); });
    // Queued: a write or read error emits disconnected() at once, in the middle of our own bookkeeping.
    connect(
        socket, &QWebSocket::disconnected, this, [this, socket] { onClosed(socket); }, Qt::QueuedConnection);
    (role == Role::Current ? m_socket : m_next) = socket;
    qCDebug(lcEventSub).noquote() << "opening" << url.toString(QUrl::RemoveQuery);
    if (role == Role::Current) { // no welcome within a keepalive window: as dead as a silent session
        m_keepaliveSeconds = m_timing.keepaliveSeconds > 0 ? m_timing.keepaliveSeconds : 10;
        armKeepalive();
    }
    socket->open(url);
}

void EventSubSession::retire(QWebSocket *&socket) {
    if (!socket)
        return;
    QWebSocket *gone = std::exchange(socket, nullptr);
    disconnect(gone, nullptr, this, nullptr);
    gone->abort();
    gone->deleteLater();
}

void EventSubSession::dropAll(bool deliverHeld) {
    m_keepalive.stop();
    m_switch.stop();
    m_oldQuiet.stop();
    m_holding = false;
    retire(m_socket);
    retire(m_next);
    retire(m_old);
    if (deliverHeld)
        flushHeld(); // they arrived, valid, before the drop
    m_held.clear();
    // Answers for this session's creates are no longer wanted (deleteLater: we may be inside one).
    if (m_calls)
        m_calls.release()->deleteLater();
    m_attempts.clear();
    m_waitingFor401.clear();
    m_sessionId.clear();
    if (!m_enabled.isEmpty()) {
        m_enabled.clear(); // a dropped socket's subscriptions are disabled by Twitch
        Q_EMIT coverageChanged();
    }
}

void EventSubSession::reconnectLater(const QString &why) {
    if (m_specs.isEmpty()) {
        setState(State::Failed, tr("nothing left to receive"));
        return;
    }
    m_retry.start(m_backoff.nextMs());
    setState(State::Reconnecting, why);
}

void EventSubSession::setState(State state, const QString &reason) {
    const bool changed = m_state != state || m_reason != reason;
    m_state = state;
    m_reason = reason;
    if (changed)
        Q_EMIT stateChanged(state);
}

void EventSubSession::armKeepalive() {
    m_keepalive.start(m_keepaliveSeconds * 1000 + m_timing.keepaliveGraceMs);
}

void EventSubSession::onFrame(QWebSocket *socket, const QString &text) {
    const std::optional<EventSubMessage> parsed = parseEventSubMessage(text.toUtf8());
    if (!parsed) {
        qCWarning(lcEventSub) << "ignoring a frame that is not an EventSub message";
        return;
    }
    const EventSubMessage &m = *parsed;
    if (socket == m_socket && !m_sessionId.isEmpty())
        armKeepalive(); // any message proves the session alive
    if (socket == m_old && m_holding)
        m_oldQuiet.start(m_timing.oldSocketQuietMs);
    switch (m.type) {
    case EventSubMessage::Type::Welcome:
        onWelcome(socket, m);
        break;
    case EventSubMessage::Type::Keepalive:
    case EventSubMessage::Type::Unknown:
        break;
    case EventSubMessage::Type::Notification:
        // While the replaced socket still drains, the new one's events wait behind it: the order stays.
        if ((socket == m_socket && m_holding) || socket == m_next)
            m_held.append(m);
        else
            deliver(m);
        break;
    case EventSubMessage::Type::Reconnect:
        if (socket != m_socket)
            break;
        qCInfo(lcEventSub) << "Twitch asks to reconnect";
        retire(m_next);
        open(QUrl(m.reconnectUrl), Role::Next);
        break;
    case EventSubMessage::Type::Revocation: {
        if (duplicateOrStale(m))
            break;
        const QString type = m.subscriptionType;
        qCInfo(lcEventSub).noquote() << "revoked:" << type << m.subscriptionStatus;
        // That kind stops here and is not created again on a later session.
        m_specs.erase(std::remove_if(m_specs.begin(), m_specs.end(),
                                     [&](const EventSubSpec &s) { return s.type == type; }),
                      m_specs.end());
        m_waitingFor401.removeAll(type);
        if (m_enabled.removeAll(type) > 0)
            Q_EMIT coverageChanged();
        Q_EMIT revoked(type, m.subscriptionStatus);
        if (m_specs.isEmpty()) { // nothing left: the connection is freed for others
            dropAll(true);
            setState(State::Failed, tr("Twitch revoked every subscription"));
        }
        break;
    }
    }
}

void EventSubSession::onWelcome(QWebSocket *socket, const EventSubMessage &m) {
    if (m.sessionId.isEmpty())
        return;
    if (m.keepaliveSeconds > 0)
        m_keepaliveSeconds = m.keepaliveSeconds;
    if (socket == m_next && m_socket) {
        // The reconnect's welcome: the subscriptions moved with the session; the old socket is closed
        // once it has handed over everything it still had.
        qCInfo(lcEventSub) << "switched to the reconnect session";
        retire(m_old);
        m_old = std::exchange(m_socket, std::exchange(m_next, nullptr));
        m_sessionId = m.sessionId;
        armKeepalive();
        m_holding = true;
        m_oldQuiet.start(m_timing.oldSocketQuietMs);
        m_switch.start(m_timing.switchTimeoutMs);
        return;
    }
    if (socket != m_socket || m_sessionId == m.sessionId)
        return;
    m_sessionId = m.sessionId;
    armKeepalive();
    setState(State::Subscribing);
    createSubscriptions();
}

void EventSubSession::onClosed(QWebSocket *socket) {
    const int code = socket->closeCode();
    const QString reason = socket->closeReason();
    if (socket == m_old) { // the replaced socket: everything it had is delivered
        retire(m_old);
        if (m_holding)
            finishSwitch();
        m_switch.stop();
        return;
    }
    if (socket != m_socket && socket != m_next) {
        socket->deleteLater();
        return;
    }
    const bool wasNext = socket == m_next;
    qCInfo(lcEventSub).noquote() << (wasNext ? "the reconnect socket closed:" : "the session closed:") << code
                                 << reason;
    dropAll(true);
    if (code == 4001)
        qCWarning(lcEventSub) << "Twitch says this client sent a message; it sends none";
    // Every close code means the same for us: the subscriptions are gone, so a new session creates them
    // again, after a delay that grows while Twitch keeps closing (4003 while Helix refuses, 4000, …).
    // 4007 and a failed reconnect go back to the first URL, never to the reconnect one.
    reconnectLater(wasNext ? tr("the reconnect failed: %1").arg(closeCodeMeaning(code))
                           : closeCodeMeaning(code));
}

void EventSubSession::createSubscriptions() {
    if (m_calls)
        m_calls.release()->deleteLater();
    m_calls = std::make_unique<QObject>();
    m_attempts.clear();
    m_waitingFor401.clear();
    for (const EventSubSpec &spec : std::as_const(m_specs))
        create(spec);
}

void EventSubSession::create(const EventSubSpec &spec) {
    if (!m_calls || m_sessionId.isEmpty())
        return;
    const QJsonObject body{
        {QStringLiteral("type"), spec.type},
        {QStringLiteral("version"), spec.version},
        {QStringLiteral("condition"), spec.condition},
        {QStringLiteral("transport"), QJsonObject{{QStringLiteral("method"), QStringLiteral("websocket")},
                                                  {QStringLiteral("session_id"), m_sessionId}}}};
    QUrl url = m_helixBase;
    url.setPath(url.path() + QStringLiteral("/eventsub/subscriptions"));
    QNetworkRequest request(url);
    request.setRawHeader("Client-Id", m_clientId.toUtf8());
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(10000);
    QNetworkReply *reply = m_network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QObject *calls = m_calls.get();
    connect(reply, &QNetworkReply::finished, calls, [this, reply, spec, calls, token = m_token] {
        reply->deleteLater();
        if (calls != m_calls.get())
            return; // an earlier session's answer
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
        const QString message = answer.value(QLatin1String("message")).toString();
        if ((status >= 200 && status < 300) || status == 409) {
            // 409: it exists already for this user (another of their sessions or an earlier call): kept.
            if (status != 409) {
                m_totalCost = answer.value(QLatin1String("total_cost")).toInt(m_totalCost);
                m_maxTotalCost = answer.value(QLatin1String("max_total_cost")).toInt(m_maxTotalCost);
            }
            if (!m_enabled.contains(spec.type)) {
                m_enabled.append(spec.type);
                Q_EMIT coverageChanged();
            }
            m_backoff.reset();
            setState(State::Live);
            return;
        }
        if (status == 401) {
            if (m_token != token && !m_token.isEmpty()) { // renewed meanwhile: this one is answered
                create(spec);
                return;
            }
            m_waitingFor401.append(spec.type);
            if (m_waitingFor401.size() == 1) // one renewal for the lot
                Q_EMIT unauthorized();
            return;
        }
        if (status == 0 || status >= 500) {
            const int attempt = ++m_attempts[spec.type];
            if (attempt < kCreateAttempts) {
                QTimer::singleShot(250 * attempt, calls, [this, spec, calls] {
                    if (calls != m_calls.get())
                        return;
                    create(spec);
                });
                return;
            }
            // Still failing: if nothing was created, Twitch closes the session (4003) and a new one tries.
            qCInfo(lcEventSub).noquote() << "creating" << spec.type << "failed:" << status;
            return;
        }
        // 400, 403 (scope), 429 (limit or cost): asking again cannot help.
        qCInfo(lcEventSub).noquote() << "Twitch refused" << spec.type << status << message;
        m_specs.erase(std::remove_if(m_specs.begin(), m_specs.end(),
                                     [&](const EventSubSpec &s) { return s.type == spec.type; }),
                      m_specs.end());
        Q_EMIT subscriptionFailed(spec.type, status, message);
        if (m_specs.isEmpty()) {
            dropAll(true);
            setState(State::Failed, tr("Twitch refused every subscription"));
        }
    });
}

bool EventSubSession::duplicateOrStale(const EventSubMessage &m) {
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    while (!m_seenOrder.empty() && now - m_seenOrder.front().first > kReplayWindowMs) {
        m_seen.remove(m_seenOrder.front().second);
        m_seenOrder.pop_front();
    }
    if (now - m.timestampMs > kReplayWindowMs) {
        qCInfo(lcEventSub).noquote() << "dropping message" << m.id << "older than 10 minutes";
        return true;
    }
    if (m.id.isEmpty())
        return false;
    if (m_seen.contains(m.id)) {
        qCDebug(lcEventSub).noquote() << "dropping duplicate message" << m.id;
        return true;
    }
    m_seen.insert(m.id, now);
    m_seenOrder.emplace_back(now, m.id);
    return false;
}

void EventSubSession::deliver(const EventSubMessage &m) {
    if (duplicateOrStale(m))
        return;
    if (const std::optional<FeedEvent> e = feedEventFromNotification(m))
        Q_EMIT event(*e);
}

void EventSubSession::finishSwitch() {
    m_oldQuiet.stop();
    m_holding = false;
    if (m_old) {
        m_old->close(QWebSocketProtocol::CloseCodeNormal);
        m_switch.start(m_timing.switchTimeoutMs); // then it goes, closed or not
    }
    flushHeld();
}

void EventSubSession::flushHeld() {
    const QList<EventSubMessage> held = std::exchange(m_held, {});
    for (const EventSubMessage &m : held)
        deliver(m);
}

} // namespace streams::app
