// streams-events: the composition root of the command-line front end (issue 12). Reads the arguments, opens
// the profile as streams-viewer does (settings, event history, the keychain entry of its login), and runs
// the same services, printing the feed as JSON lines on stdout and problems as single lines on stderr.

#include "cli/eventscommand.h"
#include "cli/options.h"
#include "platform/shutdownsignals.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "twitch/endpoints.h"
#include "twitch/keychaintokenstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QStandardPaths>

#include <cstdio>

using namespace streams;

namespace {

// The libraries' log lines, one line each, after ours' prefix; stdout stays for the feed.
void logLine(QtMsgType type, const QMessageLogContext &context, const QString &message) {
    const char *level = type == QtFatalMsg      ? "fatal"
                        : type == QtCriticalMsg ? "error"
                        : type == QtWarningMsg  ? "warning"
                                                : "info";
    const QString category = context.category && qstrcmp(context.category, "default") != 0
                                 ? QString::fromLatin1(context.category) + QStringLiteral(": ")
                                 : QString();
    cli::printError(QStringLiteral("%1: %2%3").arg(QLatin1String(level), category, message));
}

// streams-viewer's default profile: its app-data folder (the same organisation, its application name).
QString viewerDataLocation() {
    const QString name = QCoreApplication::applicationName();
    QCoreApplication::setApplicationName(QStringLiteral("streams-viewer"));
    const QString location = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QCoreApplication::setApplicationName(name);
    return location;
}

} // namespace

int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("streams-events"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STREAMS_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("StreamsEventsViewer"));
    qInstallMessageHandler(logLine);

    const auto parsed = cli::parseOptions(QCoreApplication::arguments());
    if (const auto *error = std::get_if<cli::UsageError>(&parsed)) {
        cli::printError(error->message);
        return cli::kExitUsage;
    }
    if (const auto *text = std::get_if<cli::ShowText>(&parsed)) {
        std::fputs(text->text.toLocal8Bit().constData(), stdout);
        return cli::kExitOk;
    }
    cli::Options options = std::get<cli::Options>(parsed);
    if (!options.verbose) // warnings and errors only; --verbose shows what the sources are doing
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false\n*.info=false"));

    ShutdownSignals shutdown;
    const QString profile = options.profile.isEmpty() ? viewerDataLocation() : options.profile;
    if (!QDir().mkpath(profile)) {
        cli::printError(QStringLiteral("cannot create the profile folder %1.").arg(profile));
        return cli::kExitFailed;
    }
    app::Settings settings(profile);
    auto opened = app::LocalStore::open(profile);
    if (!opened.store) {
        cli::printError(opened.error);
        return cli::kExitFailed;
    }
    if (!opened.notice.isEmpty())
        cli::printError(opened.notice);
    // The profile's keychain entry, the one streams-viewer uses.
    app::KeychainTokenStore tokens(app::KeychainTokenStore::serviceName(),
                                   app::KeychainTokenStore::accountForProfile(profile));
    QNetworkAccessManager network;
    const app::TwitchEndpoints endpoints = app::TwitchEndpoints::fromEnvironment();

    cli::EventsCommand command(std::move(options),
                               {network, settings, *opened.store, tokens, endpoints, stdout});
    QObject::connect(&shutdown, &ShutdownSignals::shutdownRequested, &command, &cli::EventsCommand::stop);
    QObject::connect(&command, &cli::EventsCommand::finished, &app, &QCoreApplication::exit,
                     Qt::QueuedConnection);
    command.start();
    return QCoreApplication::exec();
}
