#include "webhookload.h"

#include "benchsupport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QMessageAuthenticationCode>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace streams::bench {

Webhook signedWebhook(const QByteArray &secret, const QString &broadcasterId, WebhookKind kind, quint64 n) {
    const QByteArray id = "bench-" + QByteArray::number(n);
    const QByteArray ts = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    const QByteArray b = broadcasterId.toLatin1();
    const QByteArray number = QByteArray::number(n);
    const bool online = kind == WebhookKind::Online;
    const QByteArray type = online ? "stream.online" : "channel.follow";
    QByteArray body = R"({"subscription":{"id":"bench-)" + b + R"(","type":")" + type + R"(","version":")" +
                      (online ? "1" : "2") + R"(","status":"enabled","condition":{"broadcaster_user_id":")" +
                      b + (online ? QByteArray() : R"(","moderator_user_id":")" + b) +
                      R"("},"transport":{"method":"webhook","callback":"https://relay.invalid/eventsub"},)"
                      R"("created_at":"2024-01-01T00:00:00Z"},"event":{)";
    if (online)
        body += R"("id":")" + number + R"(","type":"live","started_at":")" + ts + '"';
    else
        body += R"("user_id":")" + QByteArray::number(900000 + n) + R"(","user_login":"f)" + number +
                R"(","user_name":"F)" + number + R"(","followed_at":")" + ts + '"';
    body += R"(,"broadcaster_user_id":")" + b + R"(","broadcaster_user_login":"b)" + b +
            R"(","broadcaster_user_name":"B)" + b + R"("}})";
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, secret);
    mac.addData(id);
    mac.addData(ts);
    mac.addData(body);
    Webhook w;
    w.n = n;
    w.request = "POST /eventsub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                QByteArray::number(body.size()) + "\r\nTwitch-Eventsub-Message-Id: " + id +
                "\r\nTwitch-Eventsub-Message-Retry: 0\r\nTwitch-Eventsub-Message-Type: notification"
                "\r\nTwitch-Eventsub-Message-Timestamp: " +
                ts + "\r\nTwitch-Eventsub-Message-Signature: sha256=" + mac.result().toHex() +
                "\r\nTwitch-Eventsub-Subscription-Type: " + type +
                "\r\nTwitch-Eventsub-Subscription-Version: " + (online ? "1" : "2") + "\r\n\r\n" + body;
    return w;
}

quint64 webhookNumber(QByteArrayView messageId) {
    if (!messageId.startsWith("bench-"))
        return 0;
    bool ok = false;
    const quint64 n = messageId.sliced(6).toULongLong(&ok);
    return ok ? n : 0;
}

namespace {

struct Answer {
    int status = 0;
    bool close = false;
};

// Takes one complete HTTP response off the front of `in`; nullopt while it is incomplete. A response the
// bench cannot read counts as status 0 and closes the connection.
std::optional<Answer> takeAnswer(QByteArray &in) {
    const qsizetype headEnd = in.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return std::nullopt;
    const QByteArray head = in.left(headEnd).toLower();
    Answer a;
    if (head.startsWith("http/1.") && head.size() >= 12)
        a.status = head.mid(9, 3).toInt();
    else
        return Answer{0, true};
    auto header = [&head](const char *name) -> QByteArray {
        const QByteArray key = QByteArray("\r\n") + name + ':';
        const qsizetype at = head.indexOf(key);
        if (at < 0)
            return {};
        const qsizetype end = head.indexOf("\r\n", at + key.size());
        return head.mid(at + key.size(), end < 0 ? -1 : end - at - key.size()).trimmed();
    };
    a.close = header("connection") == "close" || head.startsWith("http/1.0");
    qsizetype pos = headEnd + 4;
    const bool noBody = a.status == 204 || a.status == 304 || (a.status >= 100 && a.status < 200);
    if (noBody) {
        // nothing follows the head
    } else if (header("transfer-encoding").contains("chunked")) {
        for (;;) {
            const qsizetype lineEnd = in.indexOf("\r\n", pos);
            if (lineEnd < 0)
                return std::nullopt;
            bool ok = false;
            const qsizetype size =
                in.mid(pos, lineEnd - pos).split(';').first().trimmed().toLongLong(&ok, 16);
            if (!ok)
                return Answer{0, true};
            pos = lineEnd + 2;
            if (size == 0) { // trailers, then an empty line
                const qsizetype end = in.indexOf("\r\n\r\n", pos - 2);
                if (end < 0)
                    return std::nullopt;
                pos = end + 4;
                break;
            }
            if (in.size() < pos + size + 2)
                return std::nullopt;
            pos += size + 2;
        }
    } else {
        const QByteArray length = header("content-length");
        if (length.isEmpty() && !a.close)
            return Answer{0, true}; // a body that ends only with the connection: not what Twitch expects
        pos += length.toLongLong();
        if (in.size() < pos)
            return std::nullopt;
    }
    in.remove(0, pos);
    return a;
}

} // namespace

struct WebhookLoad::Engine {
    struct Conn {
        int fd = -1;
        QByteArray out;
        qsizetype written = 0;
        bool writeWatched = false;
        QByteArray in;
        bool busy = false;
        quint64 n = 0;
        qint64 sentNs = 0; // scheduled time when paced
        int relay = 0;     // index into relays
    };

    std::vector<sockaddr_in> relays;
    int epoll = -1;
    int timer = -1;
    std::vector<Conn> conns;
    int busy = 0;
    Result result;
    std::function<void(Conn &)> onFree; // what a connection does once its answer is in

    bool connect(Conn &c) {
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c.fd < 0)
            return false;
        const sockaddr_in &relay = relays[std::size_t(c.relay)];
        if (::connect(c.fd, reinterpret_cast<const sockaddr *>(&relay), sizeof(relay)) != 0) {
            std::fprintf(stderr, "webhookload: connect: %s\n", std::strerror(errno));
            ::close(c.fd);
            c.fd = -1;
            return false;
        }
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        epoll_event ev = {};
        ev.events = EPOLLIN;
        ev.data.u64 = quint64(&c - conns.data());
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &ev);
        return true;
    }
    void reconnect(Conn &c) {
        if (c.fd >= 0) {
            ::epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
        }
        c.in.clear();
        c.out.clear();
        c.written = 0;
        c.writeWatched = false;
        connect(c);
    }
    void watchWrites(Conn &c, bool on) {
        epoll_event ev = {};
        ev.events = EPOLLIN | (on ? unsigned(EPOLLOUT) : 0u);
        ev.data.u64 = quint64(&c - conns.data());
        ::epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &ev);
    }
    void flush(Conn &c) {
        while (c.written < c.out.size()) {
            const ssize_t n =
                ::send(c.fd, c.out.constData() + c.written, size_t(c.out.size() - c.written), MSG_NOSIGNAL);
            if (n <= 0)
                break;
            c.written += n;
        }
        const bool pending = c.written < c.out.size();
        if (pending != c.writeWatched) {
            watchWrites(c, pending);
            c.writeWatched = pending;
        }
        if (!pending) {
            c.out.clear();
            c.written = 0;
        }
    }
    void send(Conn &c, Webhook webhook, qint64 sentNs) {
        if (c.fd < 0 && !connect(c)) {
            ++result.failed;
            return;
        }
        c.busy = true;
        ++busy;
        c.n = webhook.n;
        c.sentNs = sentNs;
        c.out = std::move(webhook.request);
        c.written = 0;
        flush(c);
    }
    void finish(Conn &c, int status) {
        c.busy = false;
        --busy;
        const qint64 now = monotonicNs();
        result.lastAnswerNs = now;
        result.latenciesNs.push_back(now - c.sentNs);
        if (status >= 200 && status < 300) {
            ++result.answered;
            result.acknowledged.push_back(c.n);
            result.acknowledgedBy.push_back(c.relay);
        } else {
            ++result.failed;
        }
    }
    void onReadable(Conn &c) {
        char buffer[16384];
        bool closed = false;
        for (;;) {
            const ssize_t got = ::recv(c.fd, buffer, sizeof(buffer), 0);
            if (got > 0) {
                c.in.append(buffer, got);
                continue;
            }
            closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
            break;
        }
        while (c.busy) {
            const auto answer = takeAnswer(c.in);
            if (!answer)
                break;
            finish(c, answer->status);
            if (answer->close) {
                reconnect(c);
                closed = false;
            }
            onFree(c);
        }
        if (closed) {
            const bool wasBusy = c.busy;
            if (wasBusy)
                finish(c, 0);
            reconnect(c);
            if (wasBusy)
                onFree(c);
        }
    }
    // Stops the timer and forgets an expiry nobody read.
    void disarm() {
        const itimerspec none = {};
        ::timerfd_settime(timer, 0, &none, nullptr);
        quint64 expirations = 0;
        [[maybe_unused]] const ssize_t r = ::read(timer, &expirations, sizeof(expirations));
    }
    void arm(qint64 atNs) {
        itimerspec spec = {};
        spec.it_value.tv_sec = atNs / 1000000000LL;
        spec.it_value.tv_nsec = atNs % 1000000000LL;
        ::timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, nullptr);
    }
    // Waits for socket events and the timer until `done`; `onTimer` runs when the armed time has come.
    void loop(const std::function<bool()> &done, const std::function<void()> &onTimer, qint64 giveUpNs) {
        epoll_event events[64];
        while (!done()) {
            if (monotonicNs() > giveUpNs) {
                result.timedOut = true;
                return;
            }
            const int n = ::epoll_wait(epoll, events, 64, 100);
            for (int i = 0; i < n; ++i) {
                if (events[i].data.u64 == kTimer) {
                    quint64 expirations = 0;
                    [[maybe_unused]] const ssize_t r = ::read(timer, &expirations, sizeof(expirations));
                    onTimer();
                    continue;
                }
                Conn &c = conns[std::size_t(events[i].data.u64)];
                if (events[i].events & EPOLLOUT)
                    flush(c);
                if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    onReadable(c);
            }
        }
    }
    static constexpr quint64 kTimer = ~quint64(0);
};

WebhookLoad::WebhookLoad(const QUrl &relay, int connections)
    : WebhookLoad(std::vector<QUrl>{relay}, connections) {}

WebhookLoad::WebhookLoad(const std::vector<QUrl> &relays, int connections)
    : m_engine(std::make_unique<Engine>()) {
    Engine &e = *m_engine;
    for (const QUrl &relay : relays) {
        sockaddr_in address = {};
        address.sin_family = AF_INET;
        address.sin_port = htons(quint16(relay.port()));
        ::inet_pton(AF_INET, relay.host().toLatin1().constData(), &address.sin_addr);
        e.relays.push_back(address);
    }
    e.epoll = ::epoll_create1(EPOLL_CLOEXEC);
    e.timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u64 = Engine::kTimer;
    ::epoll_ctl(e.epoll, EPOLL_CTL_ADD, e.timer, &ev);
    e.conns.resize(std::size_t(connections));
    for (std::size_t i = 0; i < e.conns.size(); ++i) {
        e.conns[i].relay = int(i % e.relays.size());
        e.connect(e.conns[i]);
    }
}

WebhookLoad::~WebhookLoad() {
    for (auto &c : m_engine->conns)
        if (c.fd >= 0)
            ::close(c.fd);
    ::close(m_engine->timer);
    ::close(m_engine->epoll);
}

bool WebhookLoad::connected() const {
    return std::all_of(m_engine->conns.begin(), m_engine->conns.end(),
                       [](const auto &c) { return c.fd >= 0; });
}

WebhookLoad::Result WebhookLoad::closedLoop(qint64 durationNs, const Source &next) {
    Engine &e = *m_engine;
    e.disarm();
    e.result = {};
    e.result.startNs = monotonicNs();
    const qint64 end = e.result.startNs + durationNs;
    bool open = durationNs > 0;
    e.onFree = [&](Engine::Conn &c) {
        if (open)
            e.send(c, next(), monotonicNs());
    };
    for (auto &c : e.conns)
        e.send(c, next(), monotonicNs());
    e.arm(end);
    e.loop([&] { return !open && e.busy == 0; }, [&] { open = false; }, end + 30000000000LL);
    e.onFree = nullptr;
    return std::move(e.result);
}

WebhookLoad::Result WebhookLoad::paced(int rate, qint64 total, const Source &next,
                                       const std::function<void(quint64, qint64)> &onSchedule) {
    Engine &e = *m_engine;
    e.disarm();
    e.result = {};
    const qint64 start = monotonicNs();
    e.result.startNs = start;
    const qint64 interval = 1000000000LL / qMax(1, rate);
    qint64 scheduled = 0;
    std::deque<std::pair<Webhook, qint64>> waiting; // due, but every connection busy
    // The free connections of each relay; the relays take turns (with one relay: the last freed goes next).
    std::vector<std::vector<Engine::Conn *>> free(e.relays.size());
    std::size_t turn = 0;
    for (auto &c : e.conns)
        free[std::size_t(c.relay)].push_back(&c);
    auto takeFree = [&]() -> Engine::Conn * {
        for (std::size_t k = 0; k < free.size(); ++k) {
            auto &list = free[(turn + k) % free.size()];
            if (!list.empty()) {
                turn = (turn + k + 1) % free.size();
                Engine::Conn *c = list.back();
                list.pop_back();
                return c;
            }
        }
        return nullptr;
    };
    e.onFree = [&](Engine::Conn &c) {
        if (waiting.empty()) {
            free[std::size_t(c.relay)].push_back(&c);
            return;
        }
        auto [webhook, at] = std::move(waiting.front());
        waiting.pop_front();
        e.send(c, std::move(webhook), at);
    };
    auto release = [&] {
        const qint64 now = monotonicNs();
        while (scheduled < total && start + scheduled * interval <= now) {
            const qint64 at = start + scheduled * interval;
            Webhook webhook = next();
            if (onSchedule)
                onSchedule(webhook.n, at);
            ++scheduled;
            if (Engine::Conn *c = takeFree()) {
                e.send(*c, std::move(webhook), at);
            } else {
                waiting.emplace_back(std::move(webhook), at);
            }
        }
        if (scheduled < total)
            e.arm(start + scheduled * interval);
    };
    release();
    const qint64 duration = total * interval;
    e.loop([&] { return scheduled >= total && waiting.empty() && e.busy == 0; }, release,
           start + duration + 30000000000LL);
    e.onFree = nullptr;
    return std::move(e.result);
}

} // namespace streams::bench
