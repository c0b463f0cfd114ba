#include "server/routes.h"

namespace streams::relay {

Route routeOf(boost::beast::http::verb method, std::string_view target) {
    using boost::beast::http::verb;
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
    if (route != Route::NotFound && method != verb::get)
        return Route::GetOnly;
    return route;
}

} // namespace streams::relay
