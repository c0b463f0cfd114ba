#include "hub/clientsession.h"

#include "metrics/metrics.h"
#include "protocol/codec.h"

#include <QLoggingCategory>

#include <boost/asio/post.hpp>
#include <boost/beast/websocket/error.hpp>

Q_LOGGING_CATEGORY(lcHub, "streams.relay.hub")

namespace streams::relay {

namespace websocket = net::beast::websocket;
using boost::system::error_code;
using protocol::ErrorCode;

namespace {
constexpr int kReplayPage = 500;
constexpr std::size_t kReadPiece = 256;
// A replay page holds at most this much, and the next one is read only once less than this is waiting
// to be written: a replay never fills the queue that a client which stops reading is closed for.
std::size_t replayBudget(std::size_t maxQueuedBytes) {
    return std::min<std::size_t>(256 * 1024, maxQueuedBytes / 4);
}
// Live events held back while a replay catches up; past this the replay reads them from the log instead.
constexpr std::size_t kMaxHeld = 10000;
constexpr double kFramesPerSecond = 20;
constexpr double kFrameBurst = 40;
constexpr auto kCloseGrace = std::chrono::seconds(5);
} // namespace

ClientSession::ClientSession(net::beast::tcp_stream &&stream, HubShard &shard, net::Peer peer,
                             net::ConnectionSlot slot)
    : m_ws(stream.release_socket())
    , m_out(m_ws.next_layer())
    , m_shard(shard)
    , m_hub(shard.hub())
    , m_peer(std::move(peer))
    , m_slot(std::move(slot)) {}

ClientSession::~ClientSession() {
    if (m_counted)
        m_hub.released(m_peer.text);
}

void ClientSession::start(net::Request request) {
    const HubOptions &options = m_hub.options();
    // The WebSocket layer keeps its own deadlines: the handshake, and a ping after half the idle time
    // with the connection dropped when nothing at all was heard for the whole of it.
    // Every byte for this client leaves through one ordered queue: ours (shared event frames, written at
    // once while nothing waits) and Beast's own (the handshake's answer, pings, pongs, the close frame).
    m_out.setOwner(weak_from_this());
    m_out.setDrainedHandler([this] { onDrained(); });
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = options.handshakeTimeout;
    timeouts.idle_timeout = options.deadPeer;
    timeouts.keep_alive_pings = true;
    m_ws.set_option(timeouts);
    m_ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type &response) { response.set(net::http::field::server, "streams-relay"); }));
    m_ws.read_message_max(std::size_t(protocol::kMaxFrameBytes));
    m_ws.auto_fragment(false);
    m_counted = true;
    m_connectedAt = Clock::now();
    m_tokenClock = m_connectedAt;
    m_ws.async_accept(request, [self = shared_from_this()](error_code ec) { self->onAccepted(ec); });
}

void ClientSession::onAccepted(error_code ec) {
    if (ec) {
        qCDebug(lcHub) << "WebSocket handshake failed:" << QString::fromStdString(ec.message());
        return;
    }
    m_state = State::AwaitingHello;
    m_connectedAt = Clock::now();
    m_shard.add(this);
    m_hub.metrics().clientConnected();
    readNext();
}

void ClientSession::readNext() {
    // In small pieces: a pending read keeps its buffer prepared, and ten thousand idle clients wait here
    // (Beast's whole-message read prepares 1.5 KiB each). A message is put together in m_in.
    m_ws.async_read_some(m_in, kReadPiece,
                         [self = shared_from_this()](error_code ec, std::size_t) { self->onRead(ec); });
}

void ClientSession::onRead(error_code ec) {
    if (ec) {
        if (ec == websocket::error::message_too_big)
            m_hub.metrics().clientError();
        finish();
        return;
    }
    if (!m_ws.is_message_done()) {
        readNext(); // the rest of this message (read_message_max bounds it)
        return;
    }
    if (m_state == State::Closing || m_state == State::Gone) {
        m_in.clear();
        readNext(); // until the peer's close frame ends the read
        return;
    }
    if (!m_ws.got_text()) {
        m_in.clear();
        strike(ErrorCode::BadRequest, QStringLiteral("binary frames are not part of protocol 1"));
    } else {
        const std::string text(static_cast<const char *>(m_in.data().data()), m_in.size());
        m_in.clear();
        onText(text);
    }
    m_in.shrink_to_fit(); // an idle client keeps no read buffer
    readNext();
}

void ClientSession::onText(std::string_view text) {
    // Token bucket against floods.
    const auto now = Clock::now();
    const double elapsedMs = std::chrono::duration<double, std::milli>(now - m_tokenClock).count();
    m_tokenClock = now;
    m_tokens = std::min(kFrameBurst, m_tokens + elapsedMs * kFramesPerSecond / 1000.0);
    if (m_tokens < 1) {
        strike(ErrorCode::RateLimited, QStringLiteral("too many frames; at most 20 per second"));
        return;
    }
    m_tokens -= 1;

    const protocol::Decoded decoded = protocol::decode(QByteArrayView(text.data(), qsizetype(text.size())));
    if (!decoded.ok()) {
        const auto &e = decoded.error();
        strike(e.kind == protocol::DecodeErrorKind::UnsupportedProtocol ? ErrorCode::UnsupportedProtocol
                                                                        : ErrorCode::BadRequest,
               e.detail);
        return;
    }
    const protocol::Message &message = decoded.message();
    if (m_state != State::Ready) {
        const auto *hello = std::get_if<protocol::Hello>(&message);
        if (!hello || m_state == State::Authenticating) {
            strike(ErrorCode::Unauthorized, QStringLiteral("the first frame must be hello, and only one"));
            return;
        }
        m_state = State::Authenticating;
        // The answer comes on the control thread: only a weak reference waits there, and the answer is
        // moved to this session's own thread before it touches the session.
        m_hub.gatekeeper().authenticate(
            hello->token, [weak = weak_from_this(), executor = m_ws.get_executor()](AuthResult result) {
                boost::asio::post(executor, [weak, result = std::move(result)] {
                    if (auto self = weak.lock())
                        self->onAuthenticated(result);
                });
            });
        return;
    }
    if (const auto *sub = std::get_if<protocol::Subscribe>(&message)) {
        subscribe(*sub);
    } else if (const auto *unsub = std::get_if<protocol::Unsubscribe>(&message)) {
        unsubscribe(unsub->broadcasterId.toStdString());
    } else {
        strike(ErrorCode::BadRequest,
               QStringLiteral("%1 is not a message a client sends").arg(protocol::messageTypeName(message)));
    }
}

void ClientSession::onAuthenticated(const AuthResult &result) {
    if (m_state != State::Authenticating)
        return;
    if (!result.user) {
        send(result.error);
        m_hub.metrics().clientError();
        close(std::uint16_t(websocket::close_code::policy_error),
              result.error.message.left(120).toStdString(), true);
        return;
    }
    m_user = *result.user;
    m_userId = m_user.id.toStdString();
    m_state = State::Ready;
    send(protocol::Welcome{protocol::kVersion, m_hub.epoch(), {m_user.id, m_user.login, {}}});
}

void ClientSession::subscribe(const protocol::Subscribe &subscribe) {
    const std::string broadcaster = subscribe.broadcasterId.toStdString();
    const bool known = m_rooms.count(broadcaster) > 0 || m_pending.count(broadcaster) > 0;
    if (!known) {
        const HubOptions &options = m_hub.options();
        if (int(m_rooms.size() + m_pending.size()) >= options.maxBroadcastersPerConnection) {
            m_hub.metrics().clientError();
            send(protocol::Error{ErrorCode::Limit,
                                 QStringLiteral("at most %1 broadcasters on one connection; unsubscribe "
                                                "from one first")
                                     .arg(options.maxBroadcastersPerConnection)});
            return;
        }
        if (!m_hub.takeBroadcaster(m_userId, broadcaster)) {
            m_hub.metrics().clientError();
            send(protocol::Error{ErrorCode::Limit,
                                 QStringLiteral("at most %1 broadcasters for one user across all connections")
                                     .arg(options.maxBroadcastersPerUser)});
            return;
        }
        m_taken.insert(broadcaster);
    }
    ++m_pending[broadcaster];
    // Each subscribe counts once at the gatekeeper until released: a session gone by the time the answer
    // comes releases it here (its broadcaster slots were given back when it finished).
    Hub *hub = &m_hub;
    m_hub.gatekeeper().subscribe(
        subscribe.broadcasterId, m_user.id,
        [weak = weak_from_this(), executor = m_ws.get_executor(), subscribe, hub,
         userId = m_user.id](EnsureResult result) {
            // The analyzer takes Boost.Asio's any_executor for one that may lack its function table (a
            // false positive inside asio's headers); an executor taken from a stream always has one.
            // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
            boost::asio::post(executor, [weak, subscribe, result = std::move(result), hub, userId] {
                if (auto self = weak.lock())
                    self->onSubscribed(subscribe, result);
                else
                    hub->gatekeeper().release(subscribe.broadcasterId, userId);
            });
        });
}

void ClientSession::onSubscribed(const protocol::Subscribe &subscribe, const EnsureResult &result) {
    const std::string broadcaster = subscribe.broadcasterId.toStdString();
    auto pending = m_pending.find(broadcaster);
    const bool lastPending = pending != m_pending.end() && --pending->second <= 0;
    if (lastPending)
        m_pending.erase(pending);
    const bool inRoom = m_rooms.count(broadcaster) > 0;
    const bool usable = m_state == State::Ready && !(result.error && result.kinds.isEmpty());
    if (!usable || inRoom) {
        // One gatekeeper subscription per room: a failed or repeated subscribe gives its count back.
        m_hub.gatekeeper().release(subscribe.broadcasterId, m_user.id);
        if (lastPending)
            giveBackIfUnused(broadcaster);
    }
    if (m_state != State::Ready)
        return;
    if (result.error && result.kinds.isEmpty()) {
        send(*result.error);
        m_hub.metrics().clientError();
        return;
    }
    if (result.warning) {
        send(*result.warning);
        m_hub.metrics().clientError();
    }
    Room &room = m_rooms[broadcaster];
    room.followsAllowed = result.kinds.contains(QLatin1String("follow"));
    if (!inRoom)
        m_shard.join(this, broadcaster, room);
    send(protocol::Subscribed{subscribe.broadcasterId, result.kinds});
    if (subscribe.after && !room.replaying) {
        room.replaying = true;
        readReplayPage(broadcaster, subscribe.after);
    }
}

void ClientSession::unsubscribe(const std::string &broadcasterId) {
    if (m_rooms.count(broadcasterId) == 0)
        return;
    leaveRoom(broadcasterId);
}

void ClientSession::leaveRoom(const std::string &broadcasterId) {
    const auto room = m_rooms.find(broadcasterId);
    if (room != m_rooms.end()) {
        m_shard.leave(broadcasterId, room->second);
        m_rooms.erase(room);
    }
    m_hub.gatekeeper().release(QString::fromStdString(broadcasterId), m_user.id);
    giveBackIfUnused(broadcasterId);
}

void ClientSession::giveBackIfUnused(const std::string &broadcasterId) {
    if (m_rooms.count(broadcasterId) == 0 && m_pending.count(broadcasterId) == 0 &&
        m_taken.erase(broadcasterId) > 0)
        m_hub.giveBackBroadcaster(m_userId, broadcasterId);
}

// With a cursor: the first page (checked against the log's epoch and retention); without: the next one.
void ClientSession::readReplayPage(const std::string &broadcasterId,
                                   const std::optional<protocol::Cursor> &cursor) {
    const Room &room = m_rooms.at(broadcasterId);
    ReplayReader::Query query;
    query.broadcasterId = broadcasterId;
    query.afterSeq = cursor ? cursor->seq : room.lastSeq;
    query.checkCursor = cursor.has_value();
    query.otherEpoch = cursor && cursor->epoch != m_hub.epoch();
    query.notBefore = room.lastSeq;
    query.limit = kReplayPage;
    query.maxBytes = replayBudget(m_hub.options().maxQueuedBytes);
    const bool first = cursor.has_value();
    m_hub.replay().read(std::move(query), m_ws.get_executor(),
                        [self = shared_from_this(), broadcasterId, first](ReplayReader::Page page) {
                            self->onReplayPage(broadcasterId, std::move(page), first);
                        });
}

void ClientSession::onReplayPage(const std::string &broadcasterId, ReplayReader::Page page, bool first) {
    auto it = m_rooms.find(broadcasterId);
    if (m_state != State::Ready || it == m_rooms.end() || !it->second.replaying)
        return; // gone, or unsubscribed meanwhile
    Room &room = it->second;
    if (!page.ok) {
        // Live events after a gap would move the client's cursor past it: stop this subscription instead.
        send(protocol::Error{ErrorCode::Unavailable,
                             QStringLiteral("history cannot be read right now; subscribe again with your "
                                            "cursor in a moment")});
        leaveRoom(broadcasterId);
        return;
    }
    if (first && page.reset)
        send(protocol::Reset{QString::fromStdString(broadcasterId)});
    qint64 sent = 0;
    for (const StoredEventPtr &e : page.events) {
        if (e->follow && !room.followsAllowed) {
            room.lastSeq = std::max(room.lastSeq, e->seq);
            continue;
        }
        sendEvent(room, e);
        ++sent;
    }
    m_hub.metrics().replayed(sent);
    m_shard.flushTally();
    if (m_state != State::Ready)
        return; // the queue overflowed
    if (page.more || room.heldOverflow) {
        room.heldOverflow = false;
        room.held.clear();
        if (m_out.queuedBytes() < replayBudget(m_hub.options().maxQueuedBytes))
            readReplayPage(broadcasterId, std::nullopt);
        else
            m_replayWaiting.push_back(broadcasterId); // resumed as the queue drains
        return;
    }
    // Caught up with the log: what arrived live meanwhile follows, each once.
    room.replaying = false;
    std::vector<StoredEventPtr> held;
    held.swap(room.held);
    for (const StoredEventPtr &e : held)
        deliver(room, e);
    m_shard.flushTally();
}

void ClientSession::deliver(Room &room, const StoredEventPtr &event) {
    if (m_state != State::Ready)
        return;
    if (event->follow && !room.followsAllowed)
        return;
    if (room.replaying) {
        if (room.held.size() >= kMaxHeld) {
            room.heldOverflow = true; // the replay reads them from the log instead
            room.held.clear();
        } else if (!room.heldOverflow) {
            room.held.push_back(event);
        }
        return;
    }
    sendEvent(room, event);
}

void ClientSession::sendEvent(Room &room, const StoredEventPtr &event) {
    if (event->seq <= room.lastSeq)
        return;
    room.lastSeq = event->seq;
    // The frame stays inside the shared event: every recipient writes the same bytes.
    if (!admitBytes(event->frame.size()))
        return;
    m_out.pushText(event->frame, event);
    m_shard.tally().add(event->receivedNs > 0 ? monotonicNs() - event->receivedNs : 0);
}

void ClientSession::revoke(const std::string &broadcasterId, const QString &moderatorId, bool follow,
                           const QString &reason) {
    auto it = m_rooms.find(broadcasterId);
    if (it == m_rooms.end() || m_state != State::Ready)
        return;
    if (follow) {
        if (m_user.id != moderatorId)
            return;
        it->second.followsAllowed = false;
    }
    send(protocol::Revoked{QString::fromStdString(broadcasterId), reason});
}

void ClientSession::send(const protocol::Message &message) {
    const QByteArray bytes = protocol::encode(message);
    if (!admitBytes(std::size_t(bytes.size())))
        return;
    auto frame = std::make_shared<const std::string>(bytes.constData(), std::size_t(bytes.size()));
    m_out.pushText(*frame, frame);
}

bool ClientSession::admitBytes(std::size_t size) {
    if (m_state == State::Closing || m_state == State::Gone || m_state == State::Handshake)
        return false;
    if (m_out.queuedBytes() + size > m_hub.options().maxQueuedBytes) {
        qCInfo(lcHub).noquote() << "closing" << QString::fromStdString(m_peer.text) << "(user" << m_user.login
                                << "): it stopped reading, over" << m_hub.options().maxQueuedBytes / 1024
                                << "KiB unsent";
        m_hub.metrics().clientError();
        close(std::uint16_t(websocket::close_code::policy_error), "too much unread; reconnect and resume",
              false);
        return false;
    }
    return true;
}

void ClientSession::onDrained() {
    // The queue ran empty after the client caught up: the next replay pages of rooms that waited for it.
    if (m_replayWaiting.empty() || m_state != State::Ready)
        return;
    std::vector<std::string> waiting;
    waiting.swap(m_replayWaiting);
    for (const std::string &broadcasterId : waiting)
        if (m_rooms.count(broadcasterId) > 0)
            readReplayPage(broadcasterId, std::nullopt);
}

void ClientSession::close(std::uint16_t code, std::string reason, bool flush) {
    if (m_state == State::Closing || m_state == State::Gone)
        return;
    if (m_state == State::Handshake) {
        error_code ignored;
        m_out.next_layer().close(ignored);
        return;
    }
    m_state = State::Closing;
    m_closingSince = Clock::now();
    m_replayWaiting.clear();
    if (reason.size() > 120)
        reason.resize(120);
    // The close frame joins the queue behind what is there: flushed first, or (not flushing) behind only
    // the rest of a frame already partly written.
    if (!flush)
        m_out.dropQueued();
    startClose(code, reason);
}

void ClientSession::startClose(std::uint16_t code, const std::string &reason) {
    if (m_closeStarted)
        return;
    m_closeStarted = true;
    m_ws.async_close(websocket::close_reason(websocket::close_code(code), reason),
                     [self = shared_from_this()](error_code) {
                         // The read loop ends when the close handshake does (or the connection drops).
                     });
}

void ClientSession::tick(Clock::time_point now) {
    if (m_state == State::AwaitingHello && now - m_connectedAt > m_hub.options().helloTimeout) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(m_hub.options().helloTimeout);
        close(4001, "hello not received within " + std::to_string(seconds.count()) + " s", true);
    } else if (m_state == State::Closing && now - m_closingSince > kCloseGrace) {
        // The peer neither reads our close frame nor answers it: drop the connection.
        error_code ignored;
        m_out.next_layer().close(ignored);
    }
}

void ClientSession::strike(ErrorCode code, const QString &message) {
    m_hub.metrics().clientError();
    send(protocol::Error{code, message});
    if (++m_strikes >= m_hub.options().maxStrikes) {
        qCInfo(lcHub).noquote() << "closing" << QString::fromStdString(m_peer.text) << "after" << m_strikes
                                << "bad frames";
        close(std::uint16_t(websocket::close_code::policy_error), "too many bad frames", true);
    }
}

void ClientSession::finish() {
    if (m_state == State::Gone)
        return;
    const bool accepted = m_state != State::Handshake;
    m_state = State::Gone;
    std::vector<std::string> rooms;
    rooms.reserve(m_rooms.size());
    for (const auto &[broadcasterId, room] : m_rooms)
        rooms.push_back(broadcasterId);
    for (const std::string &broadcasterId : rooms)
        leaveRoom(broadcasterId);
    for (const std::string &broadcasterId : m_taken) // subscribes still waiting for the gatekeeper
        m_hub.giveBackBroadcaster(m_userId, broadcasterId);
    m_taken.clear();
    m_replayWaiting.clear();
    if (accepted) {
        m_shard.remove(this);
        m_hub.metrics().clientDisconnected();
    }
}

} // namespace streams::relay
