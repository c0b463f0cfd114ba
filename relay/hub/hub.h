#pragma once

// The WebSocket side of the relay. Each I/O thread has a shard: the clients whose sockets it owns and
// their rooms (one per broadcaster). A committed event is serialised once and posted only to the shards
// with a client in its room; each shard writes the same bytes to every recipient.

#include "hub/gatekeeper.h"
#include "metrics/metrics.h"
#include "net/httpserver.h"
#include "storage/eventstore.h"

#include <boost/asio/steady_timer.hpp>

#include <QString>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace streams::relay {

class ClientSession;
class ReplayReader;

struct HubOptions {
    std::chrono::milliseconds helloTimeout{10000};
    std::chrono::milliseconds deadPeer{60000}; // nothing heard for this long (pings unanswered): dropped
    std::chrono::milliseconds handshakeTimeout{10000};
    int maxStrikes = 5;
    int maxConnectionsPerAddress = 256;
    int maxBroadcastersPerConnection = 10;
    int maxBroadcastersPerUser = 50;
    std::size_t maxQueuedBytes = 1024 * 1024; // unsent bytes past which a client is closed with 1008
};

class Hub;

// One client's place in a broadcaster's room: owned by the session, listed (by address) in its shard's
// room, so handing an event to a room's clients looks nothing up per client.
struct Seat {
    bool followsAllowed = false;
    qint64 lastSeq = 0;     // highest seq sent for this broadcaster: replay and live never double
    bool replaying = false; // live events wait in `held` until the replay has caught up
    bool heldOverflow = false;
    std::vector<StoredEventPtr> held;
    std::size_t index = 0; // position in the shard's room
};

// The clients of one I/O thread. Everything here runs on that thread.
class HubShard {
public:
    HubShard(Hub &hub, net::asio::io_context &context);
    net::asio::io_context &context() { return m_context; }
    Hub &hub() { return m_hub; }

    void add(ClientSession *session);
    void remove(ClientSession *session);
    void join(ClientSession *session, const std::string &broadcasterId, Seat &seat);
    void leave(const std::string &broadcasterId, Seat &seat);
    void deliver(const std::vector<StoredEventPtr> &events);
    void revoke(const std::string &broadcasterId, const QString &moderatorId, bool follow,
                const QString &reason);
    void closeAll();
    // After the I/O threads stopped, before their contexts go: the shard's timer belongs to its context.
    void stop();
    // Any thread: whether a client here is subscribed to the broadcaster (events nobody here wants are
    // not posted to this thread at all).
    bool wants(const std::string &broadcasterId) const;
    std::size_t sessionCount() const { return m_sessions.size(); }
    // Live deliveries are counted here and added to the metrics once per batch (not once per client).
    Metrics::DeliveryTally &tally() { return m_tally; }
    void flushTally();

private:
    void tick();

    Hub &m_hub;
    net::asio::io_context &m_context;
    std::unique_ptr<net::asio::steady_timer> m_timer;
    std::unordered_set<ClientSession *> m_sessions;
    struct Member {
        ClientSession *session = nullptr;
        Seat *seat = nullptr;
    };
    std::unordered_map<std::string, std::vector<Member>> m_rooms;
    std::vector<ClientSession *> m_corked; // during deliver(): the sessions to uncork at its end
    Metrics::DeliveryTally m_tally;
    mutable std::mutex m_interestMutex;
    std::unordered_set<std::string> m_interest; // the keys of m_rooms, for other threads
};

class Hub {
public:
    Hub(net::IoPool &pool, Gatekeeper &gatekeeper, Metrics &metrics, ReplayReader &replay, QString epoch,
        HubOptions options);
    ~Hub();

    // net::HttpServer::UpgradeHandler: adopts the connection on its thread, or says why not.
    unsigned upgrade(net::beast::tcp_stream &stream, net::Request &request, const net::Peer &peer,
                     std::size_t thread, net::ConnectionSlot &slot);
    // Any thread: events just committed.
    void publish(const std::vector<StoredEventPtr> &events);
    void revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                const QString &reason);
    // Any thread: closes every client with 1001 ("going away"); waits up to `wait` for them to go.
    void closeAll(std::chrono::milliseconds wait);
    // Once the I/O threads have stopped and before their contexts are destroyed.
    void stop();

    // Told (on an I/O thread, in order) when the first client of this relay watches a broadcaster and when
    // the last one stops: with several relays, that is when this relay starts and stops listening for the
    // broadcaster's events from the others. Set before clients connect.
    using InterestListener = std::function<void(const std::string &broadcasterId, bool watched)>;
    // Any thread; an empty one stops the telling (before what it tells goes away).
    void setInterestListener(InterestListener listener);
    // From the shards: a room of theirs opened or closed.
    void roomOpened(const std::string &broadcasterId);
    void roomClosed(const std::string &broadcasterId);

    Gatekeeper &gatekeeper() { return m_gatekeeper; }
    Metrics &metrics() { return m_metrics; }
    ReplayReader &replay() { return m_replay; }
    const QString &epoch() const { return m_epoch; }
    const HubOptions &options() const { return m_options; }

    // Connection cap per client address (WebSocket clients). Thread-safe.
    bool admit(const std::string &address);
    void released(const std::string &address);
    // Broadcasters one user may follow across all their connections. Thread-safe; `take` is false when
    // the user is at the limit and `broadcasterId` is not among theirs yet.
    bool takeBroadcaster(const std::string &userId, const std::string &broadcasterId);
    void giveBackBroadcaster(const std::string &userId, const std::string &broadcasterId);

private:
    net::IoPool &m_pool;
    Gatekeeper &m_gatekeeper;
    Metrics &m_metrics;
    ReplayReader &m_replay;
    QString m_epoch;
    HubOptions m_options;
    std::vector<std::unique_ptr<HubShard>> m_shards;
    std::mutex m_addressesMutex;
    std::unordered_map<std::string, int> m_addresses;
    InterestListener m_interestListener;
    std::mutex m_roomsMutex;
    std::unordered_map<std::string, int> m_roomCounts; // shards with a room of the broadcaster
    std::mutex m_usersMutex;
    std::unordered_map<std::string, std::unordered_map<std::string, int>> m_users;
};

} // namespace streams::relay
