#pragma once

// Where Twitch is: the real one by default, twitch-sim when the TWITCH_* variables say so
// (ARCHITECTURE.md, "Twitch endpoints are configurable").

#include <QUrl>

namespace streams::app {

struct TwitchEndpoints {
    QUrl auth;     // TWITCH_AUTH_URL, https://id.twitch.tv/oauth2
    QUrl helix;    // TWITCH_HELIX_URL, https://api.twitch.tv/helix
    QUrl irc;      // TWITCH_IRC_URL, wss://irc-ws.chat.twitch.tv:443
    QUrl player;   // TWITCH_PLAYER_URL, https://player.twitch.tv
    QUrl eventSub; // TWITCH_EVENTSUB_WS_URL, wss://eventsub.wss.twitch.tv/ws (the app only)
    static TwitchEndpoints fromEnvironment();
};

} // namespace streams::app
