#include "net/httpserver.h"

#include <QLoggingCategory>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <future>
#include <optional>

Q_LOGGING_CATEGORY(lcHttp, "streams.relay.http")

namespace streams::relay::net {
namespace {

using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

asio::ip::address_v6 asV6(const asio::ip::address &a) {
    return a.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()) : a.to_v6();
}

// An IPv4 peer on a dual-stack socket is told as ::ffff:a.b.c.d: say it as a.b.c.d.
asio::ip::address plain(const asio::ip::address &a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<asio::ip::address> addressOf(std::string_view text) {
    text = trim(text);
    // "[2001:db8::1]:4711" and "1.2.3.4:4711" are seen in the wild too.
    if (text.size() > 2 && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        text = text.substr(1, close - 1);
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        text = text.substr(0, text.find(':'));
    }
    error_code ec;
    const auto a = asio::ip::make_address(std::string(text), ec);
    if (ec)
        return std::nullopt;
    return plain(a);
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared, std::size_t thread,
                ConnectionSlot slot)
        : m_stream(std::move(socket))
        , m_shared(std::move(shared))
        , m_thread(thread)
        , m_slot(std::move(slot)) {}

    void start() {
        error_code ec;
        const auto remote = m_stream.socket().remote_endpoint(ec);
        if (ec)
            return; // already gone
        m_socketPeer = plain(remote.address());
        m_peer = {m_socketPeer, m_socketPeer.to_string()};
        m_fromProxy = m_shared->trusted.contains(m_socketPeer);
        m_stream.socket().set_option(tcp::no_delay(true), ec);
        awaitRequest(true);
    }

private:
    const HttpLimits &limits() const { return m_shared->limits; }

    // Waits for the first byte of the next request: the keep-alive idle deadline applies until it comes,
    // the head deadline from then on (for a new connection, the head deadline from the start).
    void awaitRequest(bool first) {
        if (first)
            m_headDeadline = Clock::now() + limits().headTimeout;
        if (m_buffer.size() > 0) {
            if (!first)
                m_headDeadline = Clock::now() + limits().headTimeout;
            readHead();
            return;
        }
        m_stream.expires_at(first ? m_headDeadline : Clock::now() + limits().idleTimeout);
        m_stream.async_read_some(m_buffer.prepare(4096),
                                 [self = shared_from_this(), first](error_code ec, std::size_t n) {
                                     if (ec)
                                         return; // closed, reset or idle: the connection just goes
                                     self->m_buffer.commit(n);
                                     if (!first)
                                         self->m_headDeadline = Clock::now() + self->limits().headTimeout;
                                     if (first && self->m_fromProxy && !self->readProxyHeader())
                                         return;
                                     self->readHead();
                                 });
    }

    // A trusted proxy may open with a PROXY protocol line naming the real client. False when the
    // connection was answered or is waiting for more of that line.
    bool readProxyHeader() {
        const std::string_view text(static_cast<const char *>(m_buffer.data().data()), m_buffer.size());
        constexpr std::string_view kProxy = "PROXY ";
        if (kProxy.substr(0, std::min(text.size(), kProxy.size())) != text.substr(0, kProxy.size()))
            return true; // not a PROXY line: an ordinary request from the proxy
        const auto end = text.find("\r\n");
        if (end == std::string_view::npos) {
            if (text.size() > 107) { // the protocol's longest line
                reply({400, "text/plain", "malformed PROXY header\n"}, false);
                return false;
            }
            m_stream.expires_at(m_headDeadline);
            m_stream.async_read_some(m_buffer.prepare(256),
                                     [self = shared_from_this()](error_code ec, std::size_t n) {
                                         if (ec)
                                             return;
                                         self->m_buffer.commit(n);
                                         if (self->readProxyHeader())
                                             self->readHead();
                                     });
            return false;
        }
        if (const auto client = parseProxyLine(text.substr(0, end)))
            m_peer = {*client, client->to_string()};
        else if (text.substr(0, end) != "PROXY UNKNOWN" && text.substr(0, 14) != "PROXY UNKNOWN ") {
            reply({400, "text/plain", "malformed PROXY header\n"}, false);
            return false;
        }
        m_buffer.consume(end + 2);
        m_proxyLineSeen = true;
        if (m_buffer.size() == 0) {
            // The request itself has not arrived yet.
            m_stream.expires_at(m_headDeadline);
            m_stream.async_read_some(m_buffer.prepare(4096),
                                     [self = shared_from_this()](error_code ec, std::size_t n) {
                                         if (ec)
                                             return;
                                         self->m_buffer.commit(n);
                                         self->readHead();
                                     });
            return false;
        }
        return true;
    }

    void readHead() {
        m_parser.emplace();
        m_parser->header_limit(std::uint32_t(limits().maxHead));
        m_parser->body_limit(limits().maxBody);
        m_stream.expires_at(m_headDeadline);
        http::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](error_code ec, std::size_t) { self->onHead(ec); });
    }

    void onHead(error_code ec) {
        if (ec == http::error::header_limit) {
            reply({431, "text/plain", "request head over 16 KiB\n"}, false);
            return;
        }
        if (ec == http::error::body_limit) { // Content-Length over the limit, told before any body is read
            reply({413, "text/plain", "request body over 64 KiB\n"}, false);
            return;
        }
        if (ec == beast::error::timeout) {
            qCDebug(lcHttp) << "closing a connection whose request head did not arrive in time";
            return; // dropped: a slow head gets no more of the relay's time
        }
        if (ec == http::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
            return;
        if (ec) {
            reply({400, "text/plain", "malformed request\n"}, false);
            return;
        }
        Request &request = m_parser->get();
        if (m_fromProxy && !m_proxyLineSeen) {
            const auto forwarded = request.find("X-Forwarded-For");
            if (forwarded != request.end())
                if (const auto client = forwardedClient(forwarded->value(), m_shared->trusted))
                    m_peer = {*client, client->to_string()};
        }
        const std::string_view target = request.target();
        const std::string_view path = target.substr(0, target.find('?'));
        if (beast::websocket::is_upgrade(request)) {
            if (path != "/ws" || request.method() != http::verb::get) {
                reply({404, "text/plain", "WebSocket clients connect to /ws\n"}, false);
                return;
            }
            m_stream.expires_never();
            if (m_buffer.size() > 0) { // a client must wait for 101 before it speaks
                reply({400, "text/plain", "data after the upgrade request\n"}, false);
                return;
            }
            const unsigned refused = m_shared->onUpgrade(m_stream, request, m_peer, m_thread, m_slot);
            if (refused != 0)
                reply({refused, "text/plain",
                       refused == 429 ? "too many connections from this address\n" : "upgrade refused\n"},
                      false);
            return; // taken: the stream now belongs to the hub
        }
        if (request.chunked() || request.find(http::field::transfer_encoding) != request.end()) {
            reply({411, "text/plain", "chunked bodies are not accepted; send Content-Length\n"}, false);
            return;
        }
        if (const auto length = m_parser->content_length(); length && *length > limits().maxBody) {
            reply({413, "text/plain", "request body over 64 KiB\n"}, false);
            return;
        }
        if (m_parser->is_done()) {
            dispatch();
            return;
        }
        m_stream.expires_after(limits().bodyTimeout);
        const auto expect = request.find(http::field::expect);
        if (expect != request.end() && beast::iequals(expect->value(), "100-continue") &&
            m_buffer.size() == 0) {
            // curl and others wait for this (a second, by default) before they send a body.
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            asio::async_write(m_stream, asio::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](error_code ec, std::size_t) {
                                  if (!ec)
                                      self->readBody();
                              });
            return;
        }
        readBody();
    }

    void readBody() {
        http::async_read(m_stream, m_buffer, *m_parser,
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec == http::error::body_limit)
                                 self->reply({413, "text/plain", "request body over 64 KiB\n"}, false);
                             else if (!ec)
                                 self->dispatch();
                         });
    }

    void dispatch() {
        m_stream.expires_never(); // the handler answers (a webhook after its commit)
        m_version = m_parser->get().version();
        m_keepAlive = m_parser->get().keep_alive();
        Request request = m_parser->release();
        m_parser.reset();
        m_shared->onRequest(std::move(request), m_peer, [self = shared_from_this()](HttpResponse response) {
            asio::dispatch(self->m_stream.get_executor(), [self, response = std::move(response)]() mutable {
                self->reply(std::move(response), self->m_keepAlive);
            });
        });
    }

    void reply(HttpResponse answer, bool keepAlive) {
        auto response = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(answer.status), m_version ? m_version : 11);
        response->set(http::field::server, "streams-relay");
        if (!answer.body.empty() || answer.status != 204)
            response->set(http::field::content_type, answer.contentType);
        response->keep_alive(keepAlive);
        response->body() = std::move(answer.body);
        response->prepare_payload();
        m_stream.expires_after(limits().idleTimeout);
        http::async_write(m_stream, *response,
                          [self = shared_from_this(), response, keepAlive](error_code ec, std::size_t) {
                              if (ec)
                                  return;
                              if (keepAlive)
                                  self->awaitRequest(false);
                              else
                                  self->closeGracefully();
                          });
    }

    // After a refusal the peer may still be sending: read and drop that for a moment, so it sees the
    // answer instead of a reset connection.
    void closeGracefully() {
        error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        m_stream.expires_after(std::chrono::seconds(2));
        drain();
    }
    void drain() {
        m_buffer.clear();
        m_stream.async_read_some(m_buffer.prepare(4096),
                                 [self = shared_from_this()](error_code ec, std::size_t) {
                                     if (!ec)
                                         self->drain();
                                 });
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    std::shared_ptr<HttpServer::Shared> m_shared;
    std::size_t m_thread;
    ConnectionSlot m_slot;
    std::optional<http::request_parser<http::string_body>> m_parser;
    asio::ip::address m_socketPeer;
    Peer m_peer;
    bool m_fromProxy = false;
    bool m_proxyLineSeen = false;
    Clock::time_point m_headDeadline;
    unsigned m_version = 11;
    bool m_keepAlive = true;
};

} // namespace

bool TrustedProxies::parse(const std::vector<std::string> &entries, std::string *bad) {
    m_ranges.clear();
    for (const std::string &entry : entries) {
        const auto slash = entry.find('/');
        const auto address = addressOf(entry.substr(0, slash));
        unsigned prefix = address && address->is_v4() ? 32 : 128;
        bool ok = address.has_value();
        if (ok && slash != std::string::npos) {
            try {
                std::size_t used = 0;
                const int p = std::stoi(entry.substr(slash + 1), &used);
                ok = used == entry.size() - slash - 1 && p >= 0 && unsigned(p) <= prefix;
                prefix = unsigned(p);
            } catch (const std::exception &) {
                ok = false;
            }
        }
        if (!ok) {
            if (bad)
                *bad = entry;
            return false;
        }
        m_ranges.push_back({asV6(*address), address->is_v4() ? prefix + 96 : prefix});
    }
    return true;
}

bool TrustedProxies::contains(const asio::ip::address &address) const {
    const auto bytes = asV6(address).to_bytes();
    for (const Range &range : m_ranges) {
        const auto network = range.network.to_bytes();
        unsigned bits = range.prefix;
        bool match = true;
        for (std::size_t i = 0; i < bytes.size() && bits > 0 && match; ++i) {
            const unsigned take = std::min(bits, 8u);
            const auto mask = static_cast<unsigned char>(0xff << (8 - take));
            match = (bytes[i] & mask) == (network[i] & mask);
            bits -= take;
        }
        if (match)
            return true;
    }
    return false;
}

std::optional<asio::ip::address> forwardedClient(std::string_view header, const TrustedProxies &trusted) {
    // "client, proxy1, proxy2": each proxy appends the address it was called from. Walk from the right
    // past our own proxies; the first address they did not add themselves is the client.
    std::optional<asio::ip::address> client;
    while (!header.empty()) {
        const auto comma = header.rfind(',');
        const std::string_view entry = comma == std::string_view::npos ? header : header.substr(comma + 1);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(0, comma);
        const auto address = addressOf(entry);
        if (!address)
            return client; // garbage from further left cannot be believed
        client = address;
        if (!trusted.contains(*address))
            return client;
    }
    return client;
}

std::optional<asio::ip::address> parseProxyLine(std::string_view line) {
    // PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT
    std::array<std::string_view, 6> parts;
    std::size_t count = 0;
    while (!line.empty() && count < parts.size()) {
        const auto space = line.find(' ');
        parts[count++] = line.substr(0, space);
        line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    }
    if (count != 6 || !line.empty() || parts[0] != "PROXY" || (parts[1] != "TCP4" && parts[1] != "TCP6"))
        return std::nullopt;
    const bool v4 = parts[1] == "TCP4";
    auto port = [](std::string_view text) {
        if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0'))
            return false;
        unsigned value = 0;
        for (const char c : text) {
            if (c < '0' || c > '9')
                return false;
            value = value * 10 + unsigned(c - '0');
        }
        return value <= 65535;
    };
    error_code sourceError, destinationError;
    const auto source = asio::ip::make_address(std::string(parts[2]), sourceError);
    const auto destination = asio::ip::make_address(std::string(parts[3]), destinationError);
    if (sourceError || destinationError || source.is_v4() != v4 || destination.is_v4() != v4 ||
        !port(parts[4]) || !port(parts[5]))
        return std::nullopt;
    return plain(source);
}

HttpServer::HttpServer(IoPool &pool, HttpLimits limits, TrustedProxies trusted, RequestHandler onRequest,
                       UpgradeHandler onUpgrade)
    : m_pool(pool)
    , m_shared(std::make_shared<Shared>()) {
    m_shared->pool = &pool;
    m_shared->limits = limits;
    m_shared->trusted = std::move(trusted);
    m_shared->onRequest = std::move(onRequest);
    m_shared->onUpgrade = std::move(onUpgrade);
}

// Only a failed allocation or promise can throw here, and ending the program is right then.
HttpServer::~HttpServer() { // NOLINT(bugprone-exception-escape)
    stopAccepting();
}

bool HttpServer::listen(const asio::ip::address &address, std::uint16_t port, std::string *error) {
    auto acceptor = std::make_unique<tcp::acceptor>(m_pool.context(0));
    const tcp::endpoint endpoint(address, port);
    error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec)
        acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor->bind(endpoint, ec);
    if (!ec)
        acceptor->listen(4096, ec); // reconnect storms
    if (ec) {
        *error = ec.message();
        return false;
    }
    m_port = acceptor->local_endpoint().port();
    m_acceptor = std::move(acceptor);
    m_retry = std::make_unique<asio::steady_timer>(m_pool.context(0));
    asio::post(m_pool.context(0), [this] { accept(); });
    return true;
}

void HttpServer::accept() {
    if (!m_acceptor->is_open())
        return;
    const std::size_t thread = m_pool.next();
    m_acceptor->async_accept(m_pool.context(thread), [this, thread](error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !m_acceptor->is_open())
            return;
        if (ec) {
            // Out of descriptors or memory: wait a moment instead of spinning on the same error.
            qCWarning(lcHttp) << "accept failed:" << QString::fromStdString(ec.message());
            m_retry->expires_after(std::chrono::milliseconds(100));
            m_retry->async_wait([this](error_code waitError) {
                if (!waitError)
                    accept();
            });
            return;
        }
        auto &counter = *m_shared->connections;
        if (counter.fetch_add(1, std::memory_order_relaxed) >= m_shared->limits.maxConnections) {
            counter.fetch_sub(1, std::memory_order_relaxed);
            static constexpr std::string_view kBusy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                                      "text/plain\r\nContent-Length: 25\r\nConnection: "
                                                      "close\r\n\r\nrelay is at its capacity\n";
            error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
            socket.close(ignored);
        } else {
            auto session = std::make_shared<HttpSession>(std::move(socket), m_shared, thread,
                                                         ConnectionSlot(m_shared->connections));
            asio::dispatch(m_pool.context(thread), [session] { session->start(); });
        }
        accept();
    });
}

void HttpServer::stopAccepting() {
    if (!m_acceptor || m_stopped)
        return;
    m_stopped = true;
    // The acceptor belongs to I/O thread 0: close it there, between its handlers.
    auto closed = std::make_shared<std::promise<void>>();
    asio::post(m_pool.context(0), [this, closed] {
        error_code ec;
        m_acceptor->close(ec);
        m_retry->cancel();
        closed->set_value();
    });
    if (closed->get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        error_code ec; // the I/O threads are not running: nothing else touches it
        m_acceptor->close(ec);
    }
}

} // namespace streams::relay::net
