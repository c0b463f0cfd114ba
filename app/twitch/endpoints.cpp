#include "twitch/endpoints.h"

namespace streams::app {
namespace {

QUrl fromEnv(const char *name, const char *fallback) {
    const QString value = qEnvironmentVariable(name);
    QUrl url(value.isEmpty() ? QString::fromLatin1(fallback) : value);
    if (url.path().endsWith(QLatin1Char('/'))) // "…/helix/" and "…/helix" mean the same
        url.setPath(url.path().chopped(1));
    return url;
}

} // namespace

TwitchEndpoints TwitchEndpoints::fromEnvironment() {
    return {fromEnv("TWITCH_AUTH_URL", "https://id.twitch.tv/oauth2"),
            fromEnv("TWITCH_HELIX_URL", "https://api.twitch.tv/helix"),
            fromEnv("TWITCH_IRC_URL", "wss://irc-ws.chat.twitch.tv:443"),
            fromEnv("TWITCH_PLAYER_URL", "https://player.twitch.tv"),
            fromEnv("TWITCH_EVENTSUB_WS_URL", "wss://eventsub.wss.twitch.tv/ws")};
}

} // namespace streams::app
