#pragma once

// The relay's one listening port on Boost.Asio + Beast. Every connection belongs to one I/O thread of the
// pool. HTTP/1.1 requests are read with Beast's parser under size limits and deadlines (head, body,
// keep-alive idle) and answered strictly in order, one at a time (pipelined requests wait in the buffer);
// WebSocket upgrades to /ws are handed to the hub on the same thread. A stalled or hostile peer costs
// only its own connection: nothing here blocks, and each stage has a deadline.

#include "net/iopool.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace streams::relay::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;

struct HttpResponse {
    unsigned status = 200;
    std::string contentType = "text/plain";
    std::string body;
};
// Answers one request; callable once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// Addresses whose X-Forwarded-For / PROXY header is believed (a reverse proxy or load balancer).
class TrustedProxies {
public:
    // Entries are addresses or CIDR ranges; false (with *bad set) on the first one that is neither.
    bool parse(const std::vector<std::string> &entries, std::string *bad);
    bool contains(const asio::ip::address &address) const;
    bool empty() const { return m_ranges.empty(); }

private:
    struct Range {
        asio::ip::address_v6 network; // IPv4 as IPv4-mapped IPv6
        unsigned prefix = 128;
    };
    std::vector<Range> m_ranges;
};

// The client as far as the relay believes: the socket's peer, or what a trusted proxy said of it.
struct Peer {
    asio::ip::address address;
    std::string text;
};
// The address a trusted proxy's X-Forwarded-For names: the right-most entry that is not itself trusted.
std::optional<asio::ip::address> forwardedClient(std::string_view header, const TrustedProxies &trusted);
// "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222" (version 1 of HAProxy's PROXY protocol, without CRLF).
std::optional<asio::ip::address> parseProxyLine(std::string_view line);

// Counts open connections against a cap; a slot is given back when its holder is destroyed.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    explicit ConnectionSlot(std::shared_ptr<std::atomic<int>> counter)
        : m_counter(std::move(counter)) {}
    ConnectionSlot(ConnectionSlot &&other) noexcept = default;
    ConnectionSlot &operator=(ConnectionSlot &&other) noexcept {
        release();
        m_counter = std::move(other.m_counter);
        return *this;
    }
    ~ConnectionSlot() { release(); }

private:
    void release() {
        if (m_counter)
            m_counter->fetch_sub(1, std::memory_order_relaxed);
        m_counter.reset();
    }
    std::shared_ptr<std::atomic<int>> m_counter;
};

struct HttpLimits {
    std::size_t maxHead = 16 * 1024;
    std::size_t maxBody = 64 * 1024;
    std::chrono::milliseconds headTimeout{10000}; // first byte of a request to its complete head
    std::chrono::milliseconds bodyTimeout{10000};
    std::chrono::milliseconds idleTimeout{30000}; // keep-alive connection with nothing to do
    int maxConnections = 50000;
};

class HttpServer {
public:
    // Runs on the connection's I/O thread; must not block. `respond` may be called later, from any thread.
    using RequestHandler = std::function<void(Request &&request, const Peer &peer, Responder respond)>;
    // A WebSocket upgrade to /ws, on the thread `thread` of the pool that owns the stream. Returns an
    // HTTP status to refuse it with (e.g. 429), or 0 when the hub took the connection.
    using UpgradeHandler =
        std::function<unsigned(beast::tcp_stream &stream, Request &request, const Peer &peer,
                               std::size_t thread, ConnectionSlot &slot)>;

    HttpServer(IoPool &pool, HttpLimits limits, TrustedProxies trusted, RequestHandler onRequest,
               UpgradeHandler onUpgrade);
    ~HttpServer(); // NOLINT(bugprone-exception-escape): see the definition

    // Binds and starts accepting; false with *error when the address cannot be used.
    bool listen(const asio::ip::address &address, std::uint16_t port, std::string *error);
    std::uint16_t port() const { return m_port; }
    // Stops accepting; connections already open stay. Blocks until the listener is closed.
    void stopAccepting();
    int connections() const { return m_shared->connections->load(std::memory_order_relaxed); }

    struct Shared {
        IoPool *pool = nullptr;
        HttpLimits limits;
        TrustedProxies trusted;
        RequestHandler onRequest;
        UpgradeHandler onUpgrade;
        std::shared_ptr<std::atomic<int>> connections = std::make_shared<std::atomic<int>>(0);
    };

private:
    void accept();

    IoPool &m_pool;
    std::shared_ptr<Shared> m_shared;
    std::unique_ptr<tcp::acceptor> m_acceptor;
    std::unique_ptr<asio::steady_timer> m_retry;
    std::uint16_t m_port = 0;
    bool m_stopped = false;
};

} // namespace streams::relay::net
