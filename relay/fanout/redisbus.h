#pragma once

// Events between relays over Redis pub/sub (hiredis's asynchronous API on a thread of its own). After a
// commit, the relay that stored an event publishes it on its broadcaster's channel; each relay subscribes to
// the channels of the broadcasters its clients watch. Redis may lose messages (a restart, a slow
// subscriber): the receiver finds out from the gap in `seq` and reads the log (sequencer.h).

#include "storage/eventstore.h"

#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace streams::relay {

class RedisBus {
public:
    struct Callbacks {
        std::function<void(StoredEventPtr)> received; // an event another relay (or this one) published
        std::function<void(const std::string &broadcasterId)> listening; // a subscription took effect
        std::function<void()>
            reconnected; // subscribed again after a lost connection: messages may be missing
    };
    // Starts the thread; it connects (and reconnects, with backoff) by itself. nullptr with *error when the
    // URL is unusable.
    static std::unique_ptr<RedisBus> start(const QUrl &url, Callbacks callbacks, QString *error);
    ~RedisBus();
    // Ends the thread: no callback runs after this; publish/watch still accept (and drop) work.
    void stop();

    // Any thread.
    void publish(const std::vector<StoredEventPtr> &events);
    void watch(const std::string &broadcasterId);
    void unwatch(const std::string &broadcasterId);
    bool connected() const { return m_subscriberUp.load() && m_publisherUp.load(); }
    qint64 published() const { return m_published.load(); }
    qint64 receivedCount() const { return m_received.load(); }

    // The wire form of an event on a channel: "<seq> <f|n> <frame>" (f: a follow).
    static std::string encode(const StoredEvent &event);
    static StoredEventPtr decode(const std::string &broadcasterId, std::string_view payload);
    static std::string channelOf(const std::string &broadcasterId) {
        return "streams:events:" + broadcasterId;
    }

    struct Connection; // one hiredis context and what the loop knows of it

private:
    RedisBus() = default;
    void run();
    void wake();
    void connect(Connection &c);
    void onMessage(::redisReply *reply);
    void drainQueues();

    std::string m_host;
    int m_port = 6379;
    std::string m_password;
    Callbacks m_callbacks;
    std::thread m_thread;
    int m_wakeFd = -1;
    std::atomic<bool> m_stopping{false};
    std::unique_ptr<Connection> m_publisher;
    std::unique_ptr<Connection> m_subscriber;
    std::atomic<bool> m_publisherUp{false};
    std::atomic<bool> m_subscriberUp{false};
    std::atomic<qint64> m_published{0};
    std::atomic<qint64> m_received{0};

    std::mutex m_mutex; // the queues below, filled by any thread, drained by the bus thread
    std::vector<StoredEventPtr> m_outgoing;
    std::vector<std::pair<std::string, bool>> m_watchChanges;
    std::unordered_set<std::string> m_watched; // the bus thread's own: resubscribed after a reconnect
    bool m_everConnected = false;

    friend struct RedisBusAccess;
};

} // namespace streams::relay
