#include "fanout/redisbus.h"

#include "platform/backoff.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <QLoggingCategory>

#include <charconv>
#include <chrono>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcBus, "streams.relay.redis")

namespace streams::relay {

using Clock = std::chrono::steady_clock;

struct RedisBus::Connection {
    RedisBus *bus = nullptr;
    bool subscriber = false;
    redisAsyncContext *context = nullptr;
    bool reading = false; // what hiredis wants to hear about (its event hooks set these)
    bool writing = false;
    bool up = false;
    Backoff backoff{Backoff::Policy{std::chrono::milliseconds(100), std::chrono::milliseconds(5000), 20}};
    Clock::time_point retryAt{};
};

namespace {

RedisBus::Connection *connectionOf(const redisAsyncContext *context) {
    return static_cast<RedisBus::Connection *>(context->data);
}

// hiredis's event hooks: the bus's poll loop reads these flags.
void addRead(void *data) {
    static_cast<RedisBus::Connection *>(data)->reading = true;
}
void delRead(void *data) {
    static_cast<RedisBus::Connection *>(data)->reading = false;
}
void addWrite(void *data) {
    static_cast<RedisBus::Connection *>(data)->writing = true;
}
void delWrite(void *data) {
    static_cast<RedisBus::Connection *>(data)->writing = false;
}
void cleanup(void *data) {
    auto *c = static_cast<RedisBus::Connection *>(data);
    c->reading = c->writing = false;
}

} // namespace

std::unique_ptr<RedisBus> RedisBus::start(const QUrl &url, Callbacks callbacks, QString *error) {
    std::unique_ptr<RedisBus> bus(new RedisBus);
    bus->m_host = url.host().toStdString();
    bus->m_port = url.port(6379);
    bus->m_password = url.password().toStdString();
    bus->m_callbacks = std::move(callbacks);
    bus->m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bus->m_wakeFd < 0) {
        *error = QStringLiteral("Redis: cannot create an eventfd");
        return nullptr;
    }
    bus->m_publisher = std::make_unique<Connection>();
    bus->m_publisher->bus = bus.get();
    bus->m_subscriber = std::make_unique<Connection>();
    bus->m_subscriber->bus = bus.get();
    bus->m_subscriber->subscriber = true;
    bus->m_thread = std::thread([b = bus.get()] { b->run(); });
    return bus;
}

RedisBus::~RedisBus() {
    stop();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void RedisBus::stop() {
    m_stopping = true;
    wake();
    if (m_thread.joinable())
        m_thread.join();
}

void RedisBus::wake() {
    const uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(m_wakeFd, &one, sizeof one);
}

std::string RedisBus::encode(const StoredEvent &event) {
    std::string out = std::to_string(event.seq);
    out += event.follow ? " f " : " n ";
    out += event.frame;
    return out;
}

StoredEventPtr RedisBus::decode(const std::string &broadcasterId, std::string_view payload) {
    qint64 seq = 0;
    const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), seq);
    const std::size_t at = std::size_t(end - payload.data());
    if (ec != std::errc() || seq <= 0 || payload.size() < at + 3 || payload[at] != ' ' ||
        (payload[at + 1] != 'f' && payload[at + 1] != 'n') || payload[at + 2] != ' ')
        return nullptr;
    auto e = std::make_shared<StoredEvent>();
    e->seq = seq;
    e->broadcasterId = broadcasterId;
    e->follow = payload[at + 1] == 'f';
    e->frame = std::string(payload.substr(at + 3));
    return e;
}

void RedisBus::publish(const std::vector<StoredEventPtr> &events) {
    if (events.empty())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_outgoing.insert(m_outgoing.end(), events.begin(), events.end());
    }
    wake();
}

void RedisBus::watch(const std::string &broadcasterId) {
    {
        std::lock_guard lock(m_mutex);
        m_watchChanges.emplace_back(broadcasterId, true);
    }
    wake();
}

void RedisBus::unwatch(const std::string &broadcasterId) {
    {
        std::lock_guard lock(m_mutex);
        m_watchChanges.emplace_back(broadcasterId, false);
    }
    wake();
}

void RedisBus::connect(Connection &c) {
    c.context = redisAsyncConnect(m_host.c_str(), m_port);
    if (!c.context || c.context->err) {
        qCWarning(lcBus).noquote() << "cannot connect to Redis:"
                                   << (c.context ? c.context->errstr : "out of memory");
        if (c.context)
            redisAsyncFree(c.context);
        c.context = nullptr;
        c.retryAt = Clock::now() + c.backoff.next();
        return;
    }
    c.context->data = &c;
    c.context->ev.data = &c;
    c.context->ev.addRead = addRead;
    c.context->ev.delRead = delRead;
    c.context->ev.addWrite = addWrite;
    c.context->ev.delWrite = delWrite;
    c.context->ev.cleanup = cleanup;
    redisAsyncSetConnectCallback(c.context, [](const redisAsyncContext *context, int status) {
        Connection *conn = connectionOf(context);
        RedisBus *bus = conn->bus;
        if (status != REDIS_OK) { // hiredis frees the context after this
            qCWarning(lcBus).noquote() << "cannot connect to Redis:" << context->errstr;
            conn->context = nullptr;
            conn->retryAt = Clock::now() + conn->backoff.next();
            return;
        }
        conn->up = true;
        conn->backoff.reset();
        auto *ctx = const_cast<redisAsyncContext *>(context);
        if (!bus->m_password.empty())
            redisAsyncCommand(ctx, nullptr, nullptr, "AUTH %b", bus->m_password.data(),
                              bus->m_password.size());
        if (conn->subscriber) {
            // Every channel again: what was published while away is found by the gap in seq.
            for (const std::string &b : bus->m_watched) {
                const std::string channel = channelOf(b);
                redisAsyncCommand(
                    ctx,
                    [](redisAsyncContext *c, void *r, void *) {
                        connectionOf(c)->bus->onMessage(static_cast<redisReply *>(r));
                    },
                    nullptr, "SUBSCRIBE %b", channel.data(), channel.size());
            }
            bus->m_subscriberUp = true;
            qCInfo(lcBus) << "subscribed to Redis for" << bus->m_watched.size() << "broadcasters";
            if (bus->m_everConnected && bus->m_callbacks.reconnected)
                bus->m_callbacks.reconnected();
            bus->m_everConnected = true;
        } else {
            bus->m_publisherUp = true;
        }
    });
    redisAsyncSetDisconnectCallback(c.context, [](const redisAsyncContext *context, int status) {
        Connection *conn = connectionOf(context);
        if (!conn->bus->m_stopping)
            qCWarning(lcBus).noquote() << "lost Redis:" << (status == REDIS_OK ? "closed" : context->errstr);
        conn->context = nullptr; // hiredis frees it after this
        conn->up = false;
        (conn->subscriber ? conn->bus->m_subscriberUp : conn->bus->m_publisherUp) = false;
        conn->retryAt = Clock::now() + conn->backoff.next();
    });
}

void RedisBus::onMessage(redisReply *reply) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    const std::string_view kind(reply->element[0]->str ? reply->element[0]->str : "", reply->element[0]->len);
    const std::string_view channel(reply->element[1]->str ? reply->element[1]->str : "",
                                   reply->element[1]->len);
    constexpr std::string_view prefix = "streams:events:";
    if (channel.substr(0, prefix.size()) != prefix)
        return;
    const std::string broadcaster(channel.substr(prefix.size()));
    if (kind == "subscribe") {
        if (m_callbacks.listening)
            m_callbacks.listening(broadcaster);
    } else if (kind == "message" && reply->element[2]->type == REDIS_REPLY_STRING) {
        if (auto e = decode(broadcaster, std::string_view(reply->element[2]->str, reply->element[2]->len))) {
            ++m_received;
            if (m_callbacks.received)
                m_callbacks.received(std::move(e));
        } else {
            qCWarning(lcBus) << "ignored a malformed message on"
                             << QByteArray::fromStdString(std::string(channel));
        }
    }
}

void RedisBus::drainQueues() {
    std::vector<StoredEventPtr> outgoing;
    std::vector<std::pair<std::string, bool>> changes;
    {
        std::lock_guard lock(m_mutex);
        outgoing.swap(m_outgoing);
        changes.swap(m_watchChanges);
    }
    for (const auto &[broadcaster, on] : changes) {
        if (on ? !m_watched.insert(broadcaster).second : m_watched.erase(broadcaster) == 0)
            continue;
        if (!m_subscriber->up)
            continue; // the connect callback subscribes to everything watched
        const std::string channel = channelOf(broadcaster);
        if (on)
            redisAsyncCommand(
                m_subscriber->context,
                [](redisAsyncContext *c, void *r, void *) {
                    connectionOf(c)->bus->onMessage(static_cast<redisReply *>(r));
                },
                nullptr, "SUBSCRIBE %b", channel.data(), channel.size());
        else
            redisAsyncCommand(m_subscriber->context, nullptr, nullptr, "UNSUBSCRIBE %b", channel.data(),
                              channel.size());
    }
    // Published while Redis was away: dropped here; the receivers read them from the log (the gap in seq).
    if (!m_publisher->up)
        return;
    for (const StoredEventPtr &e : outgoing) {
        const std::string channel = channelOf(e->broadcasterId);
        const std::string payload = encode(*e);
        redisAsyncCommand(m_publisher->context, nullptr, nullptr, "PUBLISH %b %b", channel.data(),
                          channel.size(), payload.data(), payload.size());
        ++m_published;
    }
}

void RedisBus::run() {
    while (!m_stopping) {
        const auto now = Clock::now();
        auto nextRetry = now + std::chrono::seconds(1);
        for (Connection *c : {m_publisher.get(), m_subscriber.get()}) {
            if (!c->context && c->retryAt <= now)
                connect(*c);
            if (!c->context)
                nextRetry = std::min(nextRetry, c->retryAt);
        }
        drainQueues();
        pollfd fds[3] = {{m_wakeFd, POLLIN, 0}, {-1, 0, 0}, {-1, 0, 0}};
        Connection *byIndex[3] = {nullptr, m_publisher.get(), m_subscriber.get()};
        for (int i = 1; i < 3; ++i)
            if (byIndex[i]->context) {
                fds[i].fd = byIndex[i]->context->c.fd;
                fds[i].events =
                    short((byIndex[i]->reading ? POLLIN : 0) | (byIndex[i]->writing ? POLLOUT : 0));
            }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextRetry - Clock::now());
        ::poll(fds, 3, int(std::clamp<qint64>(wait.count(), 0, 1000)));
        if (fds[0].revents & POLLIN) {
            uint64_t count = 0;
            [[maybe_unused]] const auto read = ::read(m_wakeFd, &count, sizeof count);
        }
        for (int i = 1; i < 3; ++i) {
            Connection *c = byIndex[i];
            if (!c->context || fds[i].fd < 0)
                continue;
            if (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
                redisAsyncHandleRead(c->context); // may end the connection (context cleared)
            if (c->context && (fds[i].revents & (POLLOUT | POLLERR)))
                redisAsyncHandleWrite(c->context);
        }
    }
    for (Connection *c : {m_publisher.get(), m_subscriber.get()})
        if (c->context) {
            redisAsyncContext *context = c->context;
            redisAsyncFree(context); // calls the disconnect callback, which clears c->context
            c->context = nullptr;
        }
}

} // namespace streams::relay
