#include "hub/hub.h"

#include "hub/clientsession.h"
#include "metrics/metrics.h"

#include <boost/asio/post.hpp>

#include <future>
#include <thread>

namespace streams::relay {

using boost::system::error_code;

HubShard::HubShard(Hub &hub, net::asio::io_context &context)
    : m_hub(hub)
    , m_context(context)
    , m_timer(std::make_unique<net::asio::steady_timer>(context)) {
    net::asio::post(m_context, [this] { tick(); });
}

void HubShard::add(ClientSession *session) {
    m_sessions.insert(session);
}

void HubShard::remove(ClientSession *session) {
    m_sessions.erase(session);
}

void HubShard::join(ClientSession *session, const std::string &broadcasterId, Seat &seat) {
    auto &room = m_rooms[broadcasterId];
    if (room.empty()) {
        {
            std::lock_guard lock(m_interestMutex);
            m_interest.insert(broadcasterId);
        }
        m_hub.roomOpened(broadcasterId);
    }
    seat.index = room.size();
    room.push_back({session, &seat});
}

void HubShard::leave(const std::string &broadcasterId, Seat &seat) {
    auto room = m_rooms.find(broadcasterId);
    if (room == m_rooms.end())
        return;
    std::vector<Member> &members = room->second;
    if (seat.index >= members.size() || members[seat.index].seat != &seat)
        return; // not seated here
    members[seat.index] = members.back();
    members[seat.index].seat->index = seat.index;
    members.pop_back();
    if (members.empty()) {
        m_rooms.erase(room);
        {
            std::lock_guard lock(m_interestMutex);
            m_interest.erase(broadcasterId);
        }
        m_hub.roomClosed(broadcasterId);
    }
}

bool HubShard::wants(const std::string &broadcasterId) const {
    std::lock_guard lock(m_interestMutex);
    return m_interest.count(broadcasterId) > 0;
}

void HubShard::deliver(const std::vector<StoredEventPtr> &events) {
    // With several events, a client's share of them leaves in one write when the batch is done.
    const bool cork = events.size() > 1;
    for (const StoredEventPtr &e : events) {
        const auto room = m_rooms.find(e->broadcasterId);
        if (room == m_rooms.end())
            continue;
        // Nothing a session does while it is handed an event leaves a room: closing is asynchronous (a
        // failed write closes the socket; the session finishes when its pending read completes), and a
        // session leaves its rooms only from its own completion handlers. The list cannot change under us,
        // and every session corked below is still there to uncork.
        for (const Member &member : room->second) {
            if (cork && !member.session->corked()) {
                member.session->cork();
                m_corked.push_back(member.session);
            }
            member.session->deliver(*member.seat, e);
        }
    }
    for (ClientSession *session : m_corked)
        session->uncork();
    m_corked.clear();
    flushTally();
}

void HubShard::flushTally() {
    if (m_tally.count == 0)
        return;
    m_hub.metrics().delivered(m_tally);
    m_tally = {};
}

void HubShard::revoke(const std::string &broadcasterId, const QString &moderatorId, bool follow,
                      const QString &reason) {
    const auto room = m_rooms.find(broadcasterId);
    if (room == m_rooms.end())
        return;
    for (const Member &member : room->second)
        member.session->revoke(broadcasterId, moderatorId, follow, reason);
}

void HubShard::closeAll() {
    for (ClientSession *session : m_sessions)
        session->close(1001, "relay is shutting down", true);
}

void HubShard::stop() {
    m_timer.reset();
}

void HubShard::tick() {
    const auto now = ClientSession::Clock::now();
    for (ClientSession *session : m_sessions)
        session->tick(now);
    if (!m_timer)
        return;
    m_timer->expires_after(std::chrono::seconds(1));
    m_timer->async_wait([this](error_code ec) {
        if (!ec)
            tick();
    });
}

Hub::Hub(net::IoPool &pool, Gatekeeper &gatekeeper, Metrics &metrics, ReplayReader &replay, QString epoch,
         HubOptions options)
    : m_pool(pool)
    , m_gatekeeper(gatekeeper)
    , m_metrics(metrics)
    , m_replay(replay)
    , m_epoch(std::move(epoch))
    , m_options(options) {
    for (std::size_t i = 0; i < pool.size(); ++i)
        m_shards.push_back(std::make_unique<HubShard>(*this, pool.context(i)));
}

Hub::~Hub() = default;

unsigned Hub::upgrade(net::beast::tcp_stream &stream, net::Request &request, const net::Peer &peer,
                      std::size_t thread, net::ConnectionSlot &slot) {
    if (!admit(peer.text))
        return 429;
    auto session =
        std::make_shared<ClientSession>(std::move(stream), *m_shards[thread], peer, std::move(slot));
    session->start(std::move(request));
    return 0;
}

void Hub::setInterestListener(InterestListener listener) {
    std::lock_guard lock(m_roomsMutex);
    m_interestListener = std::move(listener);
}

void Hub::roomOpened(const std::string &broadcasterId) {
    std::lock_guard lock(m_roomsMutex); // held while telling, so the listener hears opens and closes in order
    if (++m_roomCounts[broadcasterId] == 1 && m_interestListener)
        m_interestListener(broadcasterId, true);
}

void Hub::roomClosed(const std::string &broadcasterId) {
    std::lock_guard lock(m_roomsMutex);
    const auto it = m_roomCounts.find(broadcasterId);
    if (it == m_roomCounts.end() || --it->second > 0)
        return;
    m_roomCounts.erase(it);
    if (m_interestListener)
        m_interestListener(broadcasterId, false);
}

void Hub::publish(const std::vector<StoredEventPtr> &events) {
    if (events.empty())
        return;
    std::shared_ptr<const std::vector<StoredEventPtr>> shared;
    for (auto &shard : m_shards) {
        const bool wanted = std::any_of(events.begin(), events.end(), [&shard](const StoredEventPtr &e) {
            return shard->wants(e->broadcasterId);
        });
        if (!wanted)
            continue;
        if (!shared)
            shared = std::make_shared<const std::vector<StoredEventPtr>>(events);
        net::asio::post(shard->context(), [shard = shard.get(), shared] { shard->deliver(*shared); });
    }
}

void Hub::revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                 const QString &reason) {
    const std::string broadcaster = broadcasterId.toStdString();
    const bool follow = type == u"channel.follow";
    for (auto &shard : m_shards)
        net::asio::post(shard->context(), [shard = shard.get(), broadcaster, moderatorId, follow, reason] {
            shard->revoke(broadcaster, moderatorId, follow, reason);
        });
}

void Hub::closeAll(std::chrono::milliseconds wait) {
    for (auto &shard : m_shards)
        net::asio::post(shard->context(), [shard = shard.get()] { shard->closeAll(); });
    // Wait for the close handshakes (each shard counts its own sessions on its thread).
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
        std::size_t open = 0;
        for (auto &shard : m_shards) {
            std::promise<std::size_t> count;
            net::asio::post(shard->context(),
                            [&count, shard = shard.get()] { count.set_value(shard->sessionCount()); });
            auto future = count.get_future();
            if (future.wait_until(deadline) != std::future_status::ready)
                return;
            open += future.get();
        }
        if (open == 0)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void Hub::stop() {
    for (auto &shard : m_shards)
        shard->stop();
}

bool Hub::admit(const std::string &address) {
    std::lock_guard lock(m_addressesMutex);
    int &count = m_addresses[address];
    if (count >= m_options.maxConnectionsPerAddress) {
        if (count == 0)
            m_addresses.erase(address);
        return false;
    }
    ++count;
    return true;
}

void Hub::released(const std::string &address) {
    std::lock_guard lock(m_addressesMutex);
    auto it = m_addresses.find(address);
    if (it != m_addresses.end() && --it->second <= 0)
        m_addresses.erase(it);
}

bool Hub::takeBroadcaster(const std::string &userId, const std::string &broadcasterId) {
    std::lock_guard lock(m_usersMutex);
    auto &mine = m_users[userId];
    auto it = mine.find(broadcasterId);
    if (it != mine.end()) {
        ++it->second;
        return true;
    }
    if (int(mine.size()) >= m_options.maxBroadcastersPerUser) {
        if (mine.empty())
            m_users.erase(userId);
        return false;
    }
    mine.emplace(broadcasterId, 1);
    return true;
}

void Hub::giveBackBroadcaster(const std::string &userId, const std::string &broadcasterId) {
    std::lock_guard lock(m_usersMutex);
    auto user = m_users.find(userId);
    if (user == m_users.end())
        return;
    auto it = user->second.find(broadcasterId);
    if (it != user->second.end() && --it->second <= 0)
        user->second.erase(it);
    if (user->second.empty())
        m_users.erase(user);
}

} // namespace streams::relay
