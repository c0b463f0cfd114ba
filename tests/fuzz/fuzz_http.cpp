// libFuzzer target: the relay's HTTP request handling, without sockets. The input is everything one
// connection from a trusted proxy sends at once: an optional PROXY protocol line, then one or more pipelined
// requests. It goes through Beast's request parser with the server's limits and in the server's order
// (HttpSession in relay/net/httpserver.cpp: readProxyHeader, readHead, onHead, then the body and dispatch),
// and every complete request head through routeOf() (relay/server/routes.cpp) and the proxy helpers
// forwardedClient() and parseProxyLine(), whose results are checked against what their comments promise.
// The connection stops where the server would close it or wait for more bytes.

#include "net/httpserver.h"
#include "server/routes.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

using namespace streams::relay;
namespace http = boost::beast::http;
namespace ip = boost::asio::ip;
using http::verb;

namespace {

// Where the fuzzed connection comes from: inside the 10.0.0.0/8 range below, so the PROXY line and
// X-Forwarded-For are believed, as the server believes them from a trusted peer.
const ip::address kSocketPeer = ip::make_address("10.20.30.40");
// Appended to an X-Forwarded-For chain, it must be walked past (it is trusted).
constexpr std::string_view kTrustedHop = ", 192.0.2.1";

[[noreturn]] void fail(const char *what, std::string_view input = {}, const std::string &result = {}) {
    std::fprintf(stderr, "fuzz_http: %s\n  input: '%.*s'\n  result: %s\n", what,
                 int(std::min<std::size_t>(input.size(), 300)), input.data(), result.c_str());
    std::abort();
}

const net::TrustedProxies &trusted() {
    static const net::TrustedProxies proxies = [] {
        net::TrustedProxies p;
        std::string bad;
        if (!p.parse({"10.0.0.0/8", "192.0.2.1", "2001:db8:aa::/48", "::1"}, &bad))
            fail("TrustedProxies::parse() refused a fixed entry", bad);
        if (!p.contains(kSocketPeer) || !p.contains(ip::make_address("::ffff:10.1.1.1")) ||
            !p.contains(ip::make_address("2001:db8:aa:ffff::7")) ||
            p.contains(ip::make_address("11.0.0.1")) || p.contains(ip::make_address("2001:db8:ab::1")))
            fail("TrustedProxies::contains() disagrees with the fixed entries");
        return p;
    }();
    return proxies;
}

// What routes.h documents: the path before '?' matched exactly, POST for the webhook, GET for the rest.
Route expectedRoute(verb method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/eventsub")
        return method == verb::post ? Route::Webhook : Route::PostOnly;
    Route route = Route::NotFound;
    if (path == "/healthz")
        route = Route::Health;
    else if (path == "/readyz")
        route = Route::Ready;
    else if (path == "/metrics")
        route = Route::Metrics;
    else if (path == "/api/v1/config")
        route = Route::Config;
    return route != Route::NotFound && method != verb::get ? Route::GetOnly : route;
}

void checkRoute(verb method, std::string_view target) {
    const Route route = routeOf(method, target);
    if (route == Route::Webhook && method != verb::post)
        fail("routeOf() sent a request other than POST to the webhook", target);
    if (route != expectedRoute(method, target))
        fail("routeOf() disagrees with the routes routes.h documents", target,
             std::to_string(int(route)) + " for method " + std::string(http::to_string(method)));
    // The query never changes the route.
    const std::size_t query = target.find('?');
    if (query != std::string_view::npos && routeOf(method, target.substr(0, query)) != route)
        fail("routeOf() depends on the query string", target);
}

// An address the relay will log and count connections by: it must be a plain address that parses back to
// itself (an IPv4 client is never left as ::ffff:a.b.c.d).
void checkAddress(const ip::address &address, const char *what, std::string_view input) {
    boost::system::error_code ec;
    const std::string text = address.to_string();
    const ip::address again = ip::make_address(text, ec);
    if (ec || again != address)
        fail(what, input, "does not parse back: " + text);
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        fail(what, input, "an IPv4-mapped address: " + text);
}

void checkForwarded(std::string_view header) {
    const std::optional<ip::address> client = net::forwardedClient(header, trusted());
    if (!client)
        return;
    checkAddress(*client, "forwardedClient() returned a bad address", header);
    // A client was named, so the right-most entry is an address: one more trusted hop after it is walked
    // past and names the same client.
    const std::string longer = std::string(header) + std::string(kTrustedHop);
    const std::optional<ip::address> same = net::forwardedClient(longer, trusted());
    if (same != client)
        fail("forwardedClient() named another client after one more trusted hop", longer,
             same ? same->to_string() : "none");
}

void checkProxyLine(std::string_view line) {
    const std::optional<ip::address> source = net::parseProxyLine(line);
    if (!source)
        return;
    checkAddress(*source, "parseProxyLine() returned a bad address", line);
    const bool tcp4 = line.substr(0, 11) == "PROXY TCP4 ";
    if (!tcp4 && line.substr(0, 11) != "PROXY TCP6 ")
        fail("parseProxyLine() accepted a line that is not PROXY TCP4 or PROXY TCP6", line);
    // The source as written must be of the family the line names (an IPv4-mapped IPv6 source under TCP6 is
    // told as the IPv4 address it maps).
    const std::string_view rest = line.substr(11);
    boost::system::error_code ec;
    const ip::address written = ip::make_address(std::string(rest.substr(0, rest.find(' '))), ec);
    if (ec)
        fail("parseProxyLine() accepted a source that is not an address", line);
    if (written.is_v4() != tcp4)
        fail("parseProxyLine() accepted a source of the other family", line, source->to_string());
    const bool mapped = written.is_v6() && written.to_v6().is_v4_mapped();
    if (mapped ? *source != ip::make_address_v4(ip::v4_mapped, written.to_v6()) : *source != written)
        fail("parseProxyLine() returned another address than the line's source", line, source->to_string());
}

// The head of a request the server has read: the same calls it makes, plus the helpers on every value.
void checkHead(const http::request<http::string_body> &request) {
    checkRoute(request.method(), request.target());
    for (const auto &field : request) {
        checkForwarded(field.value());
        checkProxyLine(field.value());
    }
}

// readProxyHeader(): the number of bytes the PROXY line takes, or nullopt when the server answers 400 or
// waits for the rest of the line (the connection ends here).
std::optional<std::size_t> proxyLine(std::string_view input) {
    constexpr std::string_view kProxy = "PROXY ";
    if (kProxy.substr(0, std::min(input.size(), kProxy.size())) != input.substr(0, kProxy.size()))
        return 0;
    const std::size_t end = input.find("\r\n");
    if (end == std::string_view::npos)
        return std::nullopt;
    const std::string_view line = input.substr(0, end);
    if (!net::parseProxyLine(line) && line != "PROXY UNKNOWN" && line.substr(0, 14) != "PROXY UNKNOWN ")
        return std::nullopt;
    return end + 2;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const net::HttpLimits limits; // the server's: the relay does not change the size limits
    std::string_view input(reinterpret_cast<const char *>(data), size);
    checkProxyLine(input.substr(0, input.find("\r\n")));
    // kSocketPeer is trusted: the connection may open with a PROXY line.
    const std::optional<std::size_t> skip = proxyLine(input);
    if (!skip)
        return 0;
    input.remove_prefix(*skip);

    // Requests answered in order while the connection is kept alive and bytes remain.
    while (!input.empty()) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(std::uint32_t(limits.maxHead));
        parser.body_limit(limits.maxBody);
        boost::beast::error_code ec;
        // async_read_header: the parser stops after the head (eager is off).
        while (!parser.is_header_done()) {
            const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
            input.remove_prefix(used);
            if (ec || used == 0) // need_more at the end of the input: the server waits; any other error
                return 0;        // is answered (400, 413, 431) and the connection closed
        }
        const auto &request = parser.get();
        checkHead(request);
        if (boost::beast::websocket::is_upgrade(request))
            return 0; // 404, 400 or taken by the hub: no more HTTP on this connection
        if (request.chunked() || request.find(http::field::transfer_encoding) != request.end())
            return 0; // 411
        if (const auto length = parser.content_length(); length && *length > limits.maxBody)
            return 0; // 413
        if (!parser.is_done()) {
            parser.eager(true); // async_read: the body
            while (!parser.is_done()) {
                const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
                input.remove_prefix(used);
                if (ec || used == 0)
                    return 0; // the body is incomplete (the server waits) or over the limit (413)
            }
        }
        // dispatch(): the request the handler gets.
        const http::request<http::string_body> dispatched = parser.release();
        if (dispatched.body().size() > limits.maxBody)
            fail("a request body over the limit was dispatched", dispatched.target(),
                 std::to_string(dispatched.body().size()) + " bytes");
        if (!dispatched.keep_alive())
            return 0;
    }
    return 0;
}
