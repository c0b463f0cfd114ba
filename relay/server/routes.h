#pragma once

// Which of the relay's routes a request goes to, from its method and target alone (no state): the one
// place that says what the relay answers, used by the server and by the routing fuzzer.

#include <ostream> // boost/core/detail/string_view.hpp in Boost 1.81 needs it

#include <boost/beast/http/verb.hpp>

#include <string_view>

namespace streams::relay {

enum class Route {
    Webhook,  // POST /eventsub
    Health,   // GET /healthz
    Ready,    // GET /readyz
    Metrics,  // GET /metrics
    Config,   // GET /api/v1/config
    NotFound, // 404
    PostOnly, // 405 "POST only"
    GetOnly,  // 405 "GET only"
};

// The query string is ignored; paths match exactly (no trailing slash, no percent-decoding).
Route routeOf(boost::beast::http::verb method, std::string_view target);

} // namespace streams::relay
