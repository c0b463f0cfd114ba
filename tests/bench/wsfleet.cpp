#include "wsfleet.h"

#include "benchsupport.h"
#include "wsframes.h"

#include <QByteArray>
#include <QList>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace streams::bench {
namespace {

constexpr int kMaxHandshakes = 500;
constexpr unsigned char kMask[4] = {0x5a, 0x13, 0xc4, 0x7e};

// A masked client frame (RFC 6455 5.3: every frame a client sends is masked).
QByteArray clientFrame(unsigned char opcode, const QByteArray &payload) {
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    const qsizetype n = payload.size();
    if (n < 126) {
        frame.append(char(0x80 | n));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char((n >> 8) & 0xff));
        frame.append(char(n & 0xff));
    }
    frame.append(reinterpret_cast<const char *>(kMask), 4);
    for (qsizetype i = 0; i < n; ++i)
        frame.append(char(payload[i] ^ char(kMask[i % 4])));
    return frame;
}

} // namespace

struct WsFleet::Client {
    enum class State { Connecting, Handshake, Open };
    int fd = -1;
    int index = 0;
    State state = State::Connecting;
    QByteArray in;
    QByteArray out;
    QByteArray message; // a fragmented message being put together
    QString token;
    QString broadcaster;
    int relay = 0; // index into Shared::relays
    bool subscribed = false;
};

struct WsFleet::Shared {
    std::vector<sockaddr_in> relays;
    std::vector<QByteArray> handshakes; // one per relay
    int epoll = -1;
    int wake = -1;
    std::mutex mutex;
    std::deque<std::function<void()>> commands; // run on the fleet's thread
    std::vector<int> lost;                      // indices of the subscribed clients the relay closed
    std::atomic<bool> stop{false};
    // Fleet thread only:
    std::function<bool(int)> resetWhich; // armed by resetOnNextEvent()
    bool resetDue = false;               // an event came while armed
    std::unordered_map<int, std::unique_ptr<Client>> clients;
    struct Pending {
        int index = 0;
        int relay = 0;
        QString token, broadcaster;
    };
    std::deque<Pending> toOpen;
    int handshaking = 0;
    OnEvent onEvent;
};

WsFleet::WsFleet(const QUrl &relay)
    : WsFleet(std::vector<QUrl>{relay}, 0) {}

WsFleet::WsFleet(const std::vector<QUrl> &relays, int firstIndex)
    : m_shared(std::make_unique<Shared>())
    , m_firstIndex(firstIndex)
    , m_relayCount(int(relays.size())) {
    Shared &s = *m_shared;
    for (const QUrl &relay : relays) {
        sockaddr_in address = {};
        address.sin_family = AF_INET;
        address.sin_port = htons(quint16(relay.port()));
        ::inet_pton(AF_INET, relay.host().toLatin1().constData(), &address.sin_addr);
        s.relays.push_back(address);
        // The key is a base64 16-byte value as RFC 6455 requires (Node's ws, for one, refuses others).
        s.handshakes.push_back("GET /ws HTTP/1.1\r\nHost: " + relay.host().toLatin1() + ':' +
                               QByteArray::number(relay.port()) +
                               "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                               "YmVuY2gtZmxlZXQta2V5IQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    }
    s.epoll = ::epoll_create1(EPOLL_CLOEXEC);
    s.wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = s.wake;
    ::epoll_ctl(s.epoll, EPOLL_CTL_ADD, s.wake, &ev);
    m_thread = std::thread([this] { run(); });
}

WsFleet::~WsFleet() {
    closeAll();
    m_shared->stop = true;
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_shared->wake, &one, sizeof(one));
    m_thread.join();
    ::close(m_shared->wake);
    ::close(m_shared->epoll);
}

void WsFleet::run() {
    Shared &s = *m_shared;
    std::vector<epoll_event> events(1024);
    std::vector<char> buffer(256 * 1024);

    auto dropClient = [&](Client &c) {
        if (c.state != Client::State::Open || !c.subscribed) {
            --s.handshaking;
        } else {
            ++m_lost;
            std::lock_guard lock(s.mutex);
            s.lost.push_back(c.index);
        }
        ::epoll_ctl(s.epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        s.clients.erase(c.fd); // destroys c
    };
    auto flush = [&](Client &c) {
        while (!c.out.isEmpty()) {
            const ssize_t n = ::send(c.fd, c.out.constData(), size_t(c.out.size()), MSG_NOSIGNAL);
            if (n <= 0)
                break;
            c.out.remove(0, n);
        }
        epoll_event ev = {};
        // Edge-triggered: a level-triggered descriptor is put back on the ready list after each event and
        // polled again at the next epoll_wait(), which doubled the fleet's kernel time in a fan-out. Reads
        // below take everything there is (a short read means the socket was emptied).
        ev.events = EPOLLIN | EPOLLET | (c.out.isEmpty() ? 0u : unsigned(EPOLLOUT));
        ev.data.fd = c.fd;
        ::epoll_ctl(s.epoll, EPOLL_CTL_MOD, c.fd, &ev);
    };
    auto sendText = [&](Client &c, const QString &text) {
        c.out += clientFrame(0x1, text.toUtf8());
        flush(c);
    };
    auto startMore = [&] {
        while (s.handshaking < kMaxHandshakes && !s.toOpen.empty()) {
            const Shared::Pending p = s.toOpen.front();
            s.toOpen.pop_front();
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                std::fprintf(stderr, "wsfleet: socket: %s\n", std::strerror(errno));
                continue;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            auto c = std::make_unique<Client>();
            c->fd = fd;
            c->index = p.index;
            c->token = p.token;
            c->broadcaster = p.broadcaster;
            c->relay = p.relay;
            const sockaddr_in &relay = s.relays[std::size_t(p.relay)];
            if (::connect(fd, reinterpret_cast<const sockaddr *>(&relay), sizeof(relay)) != 0 &&
                errno != EINPROGRESS) {
                std::fprintf(stderr, "wsfleet: connect: %s\n", std::strerror(errno));
                ::close(fd);
                continue;
            }
            epoll_event ev = {};
            ev.events = EPOLLOUT | EPOLLIN | EPOLLET;
            ev.data.fd = fd;
            ::epoll_ctl(s.epoll, EPOLL_CTL_ADD, fd, &ev);
            s.clients.emplace(fd, std::move(c));
            ++s.handshaking;
        }
    };
    auto onText = [&](Client &c, QByteArrayView text, qint64 at) {
        const QByteArrayView type = topLevelMember(text, "type").value_or(QByteArrayView());
        if (type == "event") {
            if (s.onEvent)
                s.onEvent(c.index, text, at);
            s.resetDue = s.resetDue || bool(s.resetWhich);
        } else if (type == "welcome") {
            sendText(c, QStringLiteral(R"({"type":"subscribe","broadcaster_id":"%1"})").arg(c.broadcaster));
        } else if (type == "subscribed") {
            if (!c.subscribed) {
                c.subscribed = true;
                --s.handshaking;
                ++m_ready;
            }
        } else if (type == "error") {
            if (topLevelMember(text, "code").value_or(QByteArrayView()) == "forbidden")
                ++m_forbidden;
            else
                std::fprintf(stderr, "wsfleet: client %d: %.*s\n", c.index, int(text.size()), text.data());
        }
    };
    // Parses the complete frames at the start of `data`: how many bytes they took, or -1 when the client is
    // gone. A whole unfragmented message is handed on in place (no copy): the fleet reads 10,000 clients on
    // one thread of the machine it measures, so it spends as little per frame as it can.
    auto parseFrames = [&](Client &c, QByteArrayView data, qint64 at) -> qsizetype {
        qsizetype pos = 0;
        for (;;) {
            const auto head = streams::test::readFrameHead(data.sliced(pos));
            if (!head)
                break;
            if (head->masked) { // servers never mask
                std::fprintf(stderr, "wsfleet: masked frame from the relay\n");
                dropClient(c);
                return -1;
            }
            if (quint64(data.size() - pos - head->size) < head->length)
                break;
            const bool fin = head->fin;
            const int opcode = head->opcode;
            const QByteArrayView payload = data.sliced(pos + head->size, qsizetype(head->length));
            pos += head->size + qsizetype(head->length);
            switch (opcode) {
            case 0x0: // continuation
            case 0x1: // text
            case 0x2:
                if (fin && c.message.isEmpty()) {
                    onText(c, payload, at);
                } else {
                    c.message.append(payload);
                    if (fin) {
                        const QByteArray text = std::exchange(c.message, QByteArray());
                        onText(c, text, at);
                    }
                }
                break;
            case 0x8: // close
                dropClient(c);
                return -1;
            case 0x9: // ping
                c.out += clientFrame(0xA, payload.toByteArray());
                flush(c);
                break;
            default:
                break;
            }
        }
        return pos;
    };
    // Takes what recv() returned; false when the client is gone.
    auto received = [&](Client &c, QByteArrayView chunk, qint64 at) -> bool {
        if (c.state == Client::State::Handshake) {
            c.in.append(chunk);
            const qsizetype end = c.in.indexOf("\r\n\r\n");
            if (end < 0)
                return true;
            if (!c.in.startsWith("HTTP/1.1 101")) {
                std::fprintf(stderr, "wsfleet: upgrade refused: %s\n", c.in.left(end).constData());
                dropClient(c);
                return false;
            }
            c.in.remove(0, end + 4);
            c.state = Client::State::Open;
            sendText(c, QStringLiteral(R"({"type":"hello","protocol":1,"token":"%1"})").arg(c.token));
            chunk = {};
        }
        if (c.in.isEmpty()) { // the usual case: whole frames straight from the read buffer
            const qsizetype used = parseFrames(c, chunk, at);
            if (used < 0)
                return false;
            c.in.append(chunk.sliced(used));
            return true;
        }
        c.in.append(chunk);
        const qsizetype used = parseFrames(c, c.in, at);
        if (used < 0)
            return false;
        c.in.remove(0, used);
        return true;
    };

    // Between two clients' events, so no client being parsed is destroyed under its parser.
    auto resetNow = [&] {
        const std::function<bool(int)> which = std::exchange(s.resetWhich, nullptr);
        s.resetDue = false;
        std::vector<int> fds;
        for (const auto &[fd, c] : s.clients)
            if (c->state == Client::State::Open && c->subscribed && which(c->index))
                fds.push_back(fd);
        m_resetStartNs = monotonicNs();
        const linger hardClose = {1, 0};
        for (const int fd : fds) {
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hardClose, sizeof(hardClose));
            ::epoll_ctl(s.epoll, EPOLL_CTL_DEL, fd, nullptr);
            ::close(fd);
            s.clients.erase(fd);
        }
        m_resetEndNs = monotonicNs();
        m_resetCount = int(fds.size());
        m_ready -= int(fds.size());
        m_resetDone = true;
    };

    while (!s.stop) {
        const int n = ::epoll_wait(s.epoll, events.data(), int(events.size()), 50);
        for (int i = 0; i < n; ++i) {
            if (s.resetDue)
                resetNow(); // the events of the clients it reset are skipped below: their fds are gone
            const int fd = events[std::size_t(i)].data.fd;
            if (fd == s.wake) {
                quint64 count = 0;
                [[maybe_unused]] const ssize_t r = ::read(s.wake, &count, sizeof(count));
                std::deque<std::function<void()>> commands;
                {
                    std::lock_guard lock(s.mutex);
                    commands.swap(s.commands);
                }
                for (auto &command : commands)
                    command();
                startMore();
                continue;
            }
            auto it = s.clients.find(fd);
            if (it == s.clients.end())
                continue;
            Client &c = *it->second;
            const unsigned ev = events[std::size_t(i)].events;
            if (c.state == Client::State::Connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int error = 0;
                socklen_t len = sizeof(error);
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
                if (error != 0) {
                    std::fprintf(stderr, "wsfleet: connect: %s\n", std::strerror(error));
                    dropClient(c);
                    startMore();
                    continue;
                }
                c.state = Client::State::Handshake;
                c.out += s.handshakes[std::size_t(c.relay)];
                flush(c);
            } else if (ev & EPOLLOUT) {
                flush(c);
            }
            if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                bool closed = false;
                bool gone = false;
                for (;;) {
                    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
                    if (got > 0) {
                        if (!received(c, QByteArrayView(buffer.data(), qsizetype(got)), monotonicNs())) {
                            gone = true;
                            break;
                        }
                        if (size_t(got) < buffer.size())
                            break;
                    } else {
                        closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
                        break;
                    }
                }
                if (gone) {
                    startMore();
                } else if (closed) {
                    dropClient(c);
                    startMore();
                }
            }
        }
        if (s.resetDue)
            resetNow();
        if (n == 0)
            startMore();
    }
    for (auto &[fd, c] : s.clients)
        ::close(fd);
    s.clients.clear();
}

bool WsFleet::open(int n, const std::function<QString(int)> &tokenFor,
                   const std::function<QString(int)> &broadcasterFor, int timeoutMs) {
    const int target = m_ready.load() + n;
    std::deque<Shared::Pending> batch;
    for (int i = m_opened; i < m_opened + n; ++i)
        batch.push_back({i, relayOf(i), tokenFor(i), broadcasterFor(i)});
    m_opened += n;
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->commands.push_back([this, batch = std::move(batch)] {
            for (const auto &p : batch)
                m_shared->toOpen.push_back(p);
        });
    }
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t w = ::write(m_shared->wake, &one, sizeof(one));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (m_ready.load() < target && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return m_ready.load() >= target;
}

void WsFleet::closeAll() {
    std::atomic<bool> done{false};
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->commands.push_back([this, &done] {
            Shared &s = *m_shared;
            const QByteArray closeFrame = clientFrame(0x8, QByteArray("\x03\xe8", 2)); // 1000: normal
            for (auto &[fd, c] : s.clients) {
                ::send(fd, closeFrame.constData(), size_t(closeFrame.size()), MSG_NOSIGNAL);
                ::epoll_ctl(s.epoll, EPOLL_CTL_DEL, fd, nullptr);
                ::close(fd);
            }
            s.clients.clear();
            s.toOpen.clear();
            s.handshaking = 0;
            m_ready = 0;
            m_forbidden = 0;
            m_lost = 0;
            {
                std::lock_guard lock(s.mutex);
                s.lost.clear();
            }
            m_opened = 0;
            done = true;
        });
    }
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t w = ::write(m_shared->wake, &one, sizeof(one));
    while (!done && m_thread.joinable())
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

std::vector<int> WsFleet::lostClients() const {
    std::lock_guard lock(m_shared->mutex);
    return m_shared->lost;
}

void WsFleet::resetOnNextEvent(std::function<bool(int)> which) {
    m_resetDone = false;
    m_resetCount = 0;
    std::atomic<bool> done{false};
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->commands.push_back([this, &done, which = std::move(which)]() mutable {
            m_shared->resetWhich = std::move(which);
            m_shared->resetDue = false;
            done = true;
        });
    }
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t w = ::write(m_shared->wake, &one, sizeof(one));
    while (!done)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

WsFleet::Resets WsFleet::resets() const {
    Resets r;
    r.done = m_resetDone.load();
    r.count = m_resetCount.load();
    r.startNs = m_resetStartNs.load();
    r.endNs = m_resetEndNs.load();
    return r;
}

void WsFleet::onEvent(OnEvent f) {
    std::atomic<bool> done{false};
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->commands.push_back([this, &done, f = std::move(f)]() mutable {
            m_shared->onEvent = std::move(f);
            done = true;
        });
    }
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t w = ::write(m_shared->wake, &one, sizeof(one));
    while (!done)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

} // namespace streams::bench
