#pragma once

// streams-events' command line: what to watch and how, or one line saying what is wrong with it. Kept apart
// from main() so that every rule about the arguments lives in one place.

#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <optional>
#include <variant>

namespace streams::cli {

struct Options {
    QString channel;  // a Twitch login, lower case
    QString profile;  // absolute; empty: the platform's app-data folder of streams-viewer
    QUrl relay;       // empty: the profile's relay, if any
    QString clientId; // --client-id (or TWITCH_CLIENT_ID): the Twitch application without a relay
    std::chrono::seconds since{0}; // history printed too: events that happened this long before the start
    bool login = false;            // the device-code flow first
    bool verbose = false;          // the libraries' informational log lines on stderr too
};

struct UsageError {
    QString message; // one line
};
struct ShowText {
    QString text; // --help or --version: printed on stdout, exit 0
};

// `arguments` as QCoreApplication::arguments() gives them (the program's name first).
std::variant<Options, UsageError, ShowText> parseOptions(const QStringList &arguments);

// "90s", "10m", "2h", "1d", "1h30m": a duration in whole seconds; nullopt for anything else (a bare number
// too: "10" could mean seconds or minutes).
std::optional<std::chrono::seconds> parseDuration(const QString &text);

// Twitch logins: 1 to 25 letters, digits and underscores (case does not matter).
bool isTwitchLogin(const QString &text);

} // namespace streams::cli
