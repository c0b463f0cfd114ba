#include "cli/eventscommand.h"

#include "cli/feedprinter.h"
#include "services/services.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "twitch/deviceflow.h"
#include "twitch/eventsubmessage.h"
#include "twitch/tokenstore.h"

#include <QCoreApplication>

namespace streams::cli {

void printError(const QString &line) {
    QString folded = line.simplified();
    std::fprintf(stderr, "streams-events: %s\n", folded.toLocal8Bit().constData());
    std::fflush(stderr);
}

EventsCommand::EventsCommand(Options options, Context context, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_ctx(context)
    , m_since(QDateTime::currentDateTimeUtc().addSecs(-qint64(m_options.since.count()))) {}

EventsCommand::~EventsCommand() = default;

void EventsCommand::start() {
    const QUrl relay = m_options.relay.isEmpty() ? m_ctx.settings.relayUrl() : m_options.relay;
    if (relay.isEmpty()) {
        // The app on its own (EventSub, chat, Helix): the application and scopes streams-viewer uses then.
        std::optional<app::RelayConfig> config = app::configWithoutRelay(m_options.clientId);
        if (!config) {
            fail(tr("no Twitch application: give --relay URL (the relay names it) or --client-id ID (or set "
                    "TWITCH_CLIENT_ID)."));
            return;
        }
        config->scopes = app::withEventSubScopes(config->scopes);
        withConfig(*config, {});
        return;
    }
    app::fetchRelayConfig(
        m_ctx.network, relay,
        [this, relay](std::optional<app::RelayConfig> config, const QString &error) {
            if (!config) {
                fail(tr("the relay at %1 is not usable: %2.").arg(relay.toString(), error));
                return;
            }
            if (!m_options.clientId.isEmpty() && m_options.clientId != config->clientId)
                printError(tr("--client-id is ignored: the relay at %1 names the Twitch application.")
                               .arg(relay.toString()));
            config->scopes = app::withEventSubScopes(config->scopes);
            withConfig(*config, relay);
        },
        m_calls.get());
}

void EventsCommand::withConfig(const app::RelayConfig &config, const QUrl &relay) {
    m_services = std::make_unique<app::Services>(m_ctx.network, m_ctx.store, m_ctx.tokens, m_ctx.endpoints,
                                                 relay, config);
    app::Services &s = *m_services;
    m_printer = std::make_unique<FeedPrinter>(s.model, m_since, m_ctx.out);
    connect(m_printer.get(), &FeedPrinter::outputClosed, this, [this] { end(kExitOk); });

    connect(&s.auth, &app::AuthSession::loggedIn, this, &EventsCommand::onLoggedIn);
    connect(&s.auth, &app::AuthSession::loggedOut, this, [this](const QString &reason) {
        fail(tr("%1 Log in again with streams-events --login --channel %2.").arg(reason, m_options.channel));
    });
    connect(&s.auth, &app::AuthSession::validationFailed, this,
            [](const QString &reason) { printError(reason); });
    connect(&s.feed, &app::FeedController::notice, this,
            [](const QString &sentence) { printError(sentence); });
    connect(&s.feed, &app::FeedController::followsAvailability, this, [this](bool allowed) {
        if (!allowed)
            printError(tr("Twitch shows %1's follows only to the broadcaster and its moderators.")
                           .arg(m_options.channel));
    });
    connect(&s.feed, &app::FeedController::missingScopesChanged, this, [this] {
        if (m_services && !m_services->feed.featuresNeedingLogin().isEmpty())
            printError(tr("this login does not allow %1 (%2): log in again with streams-events --login to "
                          "receive them.")
                           .arg(m_services->feed.featuresNeedingLogin().join(QStringLiteral(", ")),
                                m_services->feed.missingScopes().join(QLatin1Char(' '))));
    });
    if (s.hasRelay())
        connect(&s.relay, &app::RelayClient::stateChanged, this, [this](app::RelayClient::State state) {
            if (!m_services)
                return;
            // One line per problem, not one per retry's countdown.
            if (state == app::RelayClient::State::Reconnecting || state == app::RelayClient::State::Failed) {
                const QString problem = m_services->relay.reason();
                if (problem != m_lastRelayProblem)
                    printError(tr("relay: %1").arg(m_services->relay.describe()));
                m_lastRelayProblem = problem;
            } else if (state == app::RelayClient::State::Connected) {
                m_lastRelayProblem.clear();
            }
        });
    connect(&s.eventSub, &app::EventSubSession::stateChanged, this,
            [this](app::EventSubSession::State state) {
                if (!m_services)
                    return;
                if (state == app::EventSubSession::State::Reconnecting ||
                    state == app::EventSubSession::State::Failed) {
                    const QString problem = m_services->eventSub.describe();
                    if (problem != m_lastEventSubProblem)
                        printError(problem);
                    m_lastEventSubProblem = problem;
                } else if (state == app::EventSubSession::State::Live) {
                    m_lastEventSubProblem.clear();
                }
            });
    connect(&s.chat, &app::IrcClient::stateChanged, this, [this](app::IrcClient::State state) {
        if (state == app::IrcClient::State::Reconnecting && !m_chatDown)
            printError(tr("chat: the connection was lost; reconnecting."));
        m_chatDown = state == app::IrcClient::State::Reconnecting ||
                     (m_chatDown && state != app::IrcClient::State::Joined);
    });
    logIn();
}

void EventsCommand::logIn() {
    if (m_options.login) {
        m_deviceFlow = std::make_unique<app::DeviceFlow>(
            m_ctx.network, m_ctx.endpoints.auth, m_services->config.clientId, m_services->config.scopes);
        connect(m_deviceFlow.get(), &app::DeviceFlow::codeReady, this,
                [](const QString &code, const QUrl &uri, int expiresIn) {
                    // Not an error, but not a feed event either: stdout stays JSON.
                    printError(tr("to log in, open %1 and enter the code %2 (valid for %3 minutes); waiting…")
                                   .arg(uri.toString(), code)
                                   .arg(qMax(1, expiresIn / 60)));
                });
        connect(m_deviceFlow.get(), &app::DeviceFlow::succeeded, this, [this](const app::TokenPair &tokens) {
            m_services->auth.signIn(tokens); // validated, then kept in the profile's keychain entry
        });
        connect(m_deviceFlow.get(), &app::DeviceFlow::failed, this,
                [this](const QString &reason) { fail(tr("login failed: %1").arg(reason)); });
        m_deviceFlow->start();
        return;
    }
    m_ctx.tokens.load(m_calls.get(), [this](const QString &stored) {
        if (!app::decodeLogin(stored).accessToken.isEmpty()) {
            m_services->auth.restore();
            return;
        }
        const QString limitation = m_ctx.tokens.limitation();
        fail(tr("not logged in%1: run streams-events --login --channel %2 (or log in with streams-viewer "
                "using the same profile).")
                 .arg(limitation.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(limitation),
                      m_options.channel));
    });
}

void EventsCommand::onLoggedIn(const app::Account &account) {
    if (m_ended)
        return;
    if (m_deviceFlow) {
        if (const QString limitation = m_ctx.tokens.limitation(); !limitation.isEmpty())
            printError(limitation);
    }
    if (m_options.channel == account.login) {
        openChannel(account.userId, account.login);
        return;
    }
    m_services->helix.users(
        {}, {m_options.channel}, m_calls.get(), [this](app::HelixResult<QList<app::HelixUser>> result) {
            if (const auto *error = std::get_if<app::HelixError>(&result)) {
                fail(tr("cannot look up the channel %1: %2").arg(m_options.channel, error->message));
                return;
            }
            const auto &users = std::get<QList<app::HelixUser>>(result);
            if (users.isEmpty()) {
                fail(tr("Twitch has no channel named %1.").arg(m_options.channel));
                return;
            }
            openChannel(users.first().id, users.first().login);
        });
}

void EventsCommand::openChannel(const QString &broadcasterId, const QString &login) {
    if (m_options.since.count() > 0) {
        // The whole stored history of the period (the feed itself opens with only the latest 200 events).
        QList<app::FeedEvent> history;
        QString error;
        const bool read = app::LocalStore::readEvents(
            m_ctx.store.path(), {broadcasterId, m_since, QDateTime::currentDateTimeUtc().addYears(1), {}},
            [](qint64) {},
            [&history](const app::FeedEvent &e) {
                history.append(e);
                return true;
            },
            &error);
        if (!read)
            printError(tr("the event history cannot be read: %1").arg(error));
        m_printer->print(history);
    }
    m_services->feed.open(m_services->auth.token(), broadcasterId, login); // the account is set (Services)
}

void EventsCommand::stop() {
    end(kExitOk);
}

void EventsCommand::fail(const QString &line) {
    if (m_ended)
        return;
    printError(line);
    end(kExitFailed);
}

void EventsCommand::end(int exitCode) {
    if (m_ended)
        return;
    m_ended = true;
    m_calls.reset(); // answers still on their way find nobody
    if (m_deviceFlow)
        m_deviceFlow->cancel();
    if (m_services)
        m_services->feed.close(); // the sources stop; nothing more is stored
    Q_EMIT finished(exitCode);
}

} // namespace streams::cli
