#pragma once

// What streams-events does once its arguments are read: learns the Twitch application (from the relay, or
// --client-id), logs in (the profile's keychain entry, or the device-code flow with --login), finds the
// channel, and opens the same feed as streams-viewer (app/services) with a FeedPrinter on its model. Every
// problem is one line on stderr; finished() says how the program ends.

#include "cli/options.h"
#include "relayclient/relayconfig.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QObject>

#include <cstdio>
#include <memory>

namespace streams::app {
class DeviceFlow;
class LocalStore;
class Services;
class Settings;
class TokenStore;
struct Account;
struct TwitchEndpoints;
} // namespace streams::app

namespace streams::cli {

class FeedPrinter;

// Exit codes (also in the man page).
constexpr int kExitOk = 0;     // stopped by SIGINT or SIGTERM, or the output was closed
constexpr int kExitFailed = 1; // not logged in, login refused, unknown channel, relay unusable, …
constexpr int kExitUsage = 2;  // bad arguments

class EventsCommand : public QObject {
    Q_OBJECT
public:
    struct Context {
        QNetworkAccessManager &network;
        app::Settings &settings;
        app::LocalStore &store;
        app::TokenStore &tokens;
        const app::TwitchEndpoints &endpoints;
        std::FILE *out; // the JSON lines
    };
    EventsCommand(Options options, Context context, QObject *parent = nullptr);
    ~EventsCommand() override;

    void start();
    // SIGINT/SIGTERM: the sources stop; finished(kExitOk).
    void stop();

Q_SIGNALS:
    void finished(int exitCode);

private:
    void withConfig(const app::RelayConfig &config, const QUrl &relay);
    void logIn();
    void onLoggedIn(const app::Account &account);
    void openChannel(const QString &broadcasterId, const QString &login);
    void fail(const QString &line);
    void end(int exitCode);

    Options m_options;
    Context m_ctx;
    QDateTime m_since;
    std::unique_ptr<app::Services> m_services;
    std::unique_ptr<app::DeviceFlow> m_deviceFlow;
    std::unique_ptr<FeedPrinter> m_printer;
    std::unique_ptr<QObject> m_calls = std::make_unique<QObject>(); // context of our own requests
    // The sources' problems, each said once until the source is back.
    QString m_lastRelayProblem;
    QString m_lastEventSubProblem;
    bool m_chatDown = false;
    bool m_ended = false;
};

// One line on stderr: "streams-events: <line>" (newlines folded).
void printError(const QString &line);

} // namespace streams::cli
