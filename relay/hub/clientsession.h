#pragma once

// One WebSocket client of the relay, on the I/O thread that owns its socket: hello, subscriptions,
// replay in pages as its queue drains, live events, and a bounded output queue (a client that stops
// reading is closed with 1008 and costs nothing more).

#include "hub/gatekeeper.h"
#include "hub/hub.h"
#include "hub/replayreader.h"
#include "net/httpserver.h"
#include "net/sendqueue.h"
#include "protocol/messages.h"

#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace streams::relay {

class ClientSession : public std::enable_shared_from_this<ClientSession> {
public:
    using Clock = std::chrono::steady_clock;

    ClientSession(net::beast::tcp_stream &&stream, HubShard &shard, net::Peer peer, net::ConnectionSlot slot);
    ~ClientSession();

    // Answers the upgrade request and starts reading.
    void start(net::Request request);

    // On the shard's thread:
    void deliver(Seat &room, const StoredEventPtr &event);
    // Around a batch of several events: what this client gets of it leaves in one write (SendQueue).
    bool corked() const { return m_out.corked(); }
    void cork() { m_out.cork(); }
    void uncork() { m_out.uncork(); }
    void revoke(const std::string &broadcasterId, const QString &moderatorId, bool follow,
                const QString &reason);
    // Closes after what is queued was written (flush) or at once, dropping the queue.
    void close(std::uint16_t code, std::string reason, bool flush);
    // Once a second: the hello deadline, and a close the peer never lets finish.
    void tick(Clock::time_point now);

private:
    enum class State { Handshake, AwaitingHello, Authenticating, Ready, Closing, Gone };
    using Room = Seat;

    void onAccepted(boost::system::error_code ec);
    void readNext();
    void onRead(boost::system::error_code ec);
    void onText(std::string_view text);
    void onAuthenticated(const AuthResult &result);
    void subscribe(const protocol::Subscribe &subscribe);
    void onSubscribed(const protocol::Subscribe &subscribe, const EnsureResult &result);
    void unsubscribe(const std::string &broadcasterId);
    void leaveRoom(const std::string &broadcasterId);
    void giveBackIfUnused(const std::string &broadcasterId);
    void readReplayPage(const std::string &broadcasterId, const std::optional<protocol::Cursor> &cursor);
    void onReplayPage(const std::string &broadcasterId, ReplayReader::Page page, bool first);
    void send(const protocol::Message &message);
    void sendEvent(Room &room, const StoredEventPtr &event);
    // False when the client is past its limit of unsent bytes (it is then being closed).
    bool admitBytes(std::size_t size);
    void onDrained();
    void startClose(std::uint16_t code, const std::string &reason);
    void strike(protocol::ErrorCode code, const QString &message);
    void finish();

    net::beast::websocket::stream<net::SendQueue> m_ws;
    net::SendQueue &m_out; // inside m_ws (Beast keeps it on the heap for the stream's life)
    HubShard &m_shard;
    Hub &m_hub;
    State m_state = State::Handshake;
    net::beast::flat_buffer m_in;
    net::Peer m_peer;
    net::ConnectionSlot m_slot;
    protocol::UserRef m_user;
    std::string m_userId;
    std::unordered_map<std::string, Room> m_rooms;
    std::unordered_map<std::string, int> m_pending; // subscribes waiting for the gatekeeper, by broadcaster
    std::unordered_set<std::string> m_taken;        // broadcasters counted against the user's limit
    bool m_closeStarted = false;
    std::vector<std::string> m_replayWaiting; // rooms whose next replay page waits for the queue to drain
    Clock::time_point m_connectedAt;
    Clock::time_point m_closingSince;
    Clock::time_point m_tokenClock;
    double m_tokens = 40; // frame budget (token bucket, 20/s)
    int m_strikes = 0;
    bool m_counted = false; // in the clients metric and the per-address count
};

} // namespace streams::relay
