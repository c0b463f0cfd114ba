// twitch-sim: answers like Twitch on one local port, for tests and the demo.

#include "demo.h"
#include "platform/hostport.h"
#include "platform/shutdownsignals.h"
#include "simserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>

#include <cstdio>

int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("twitch-sim"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STREAMS_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A local Twitch simulator for tests and the demo."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listenOption(QStringLiteral("listen"),
                                          QStringLiteral("Address to listen on (port 0 picks a free one)."),
                                          QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption worldOption(QStringLiteral("world"),
                                         QStringLiteral("World fixture (JSON); default: the bundled one."),
                                         QStringLiteral("FILE"), QStringLiteral(":/twitch-sim/world.json"));
    const QCommandLineOption clientIdOption(
        QStringLiteral("client-id"), QStringLiteral("The one registered application's client ID."),
        QStringLiteral("ID"), QStringLiteral("simclient0000000000000000000001"));
    const QCommandLineOption redirectOption(QStringLiteral("redirect-uri"),
                                            QStringLiteral("A registered OAuth redirect URI (repeatable)."),
                                            QStringLiteral("URI"), QStringLiteral("http://localhost:17563"));
    const QCommandLineOption demoOption(
        QStringLiteral("demo"),
        QStringLiteral(
            "Every few seconds, an event for each watched streamer (follows, cheers, subs, raids)."));
    const QCommandLineOption demoIntervalOption(
        QStringLiteral("demo-interval"), QStringLiteral("Milliseconds between demo rounds (default 3000)."),
        QStringLiteral("MS"), QStringLiteral("3000"));
    parser.addOptions(
        {listenOption, worldOption, clientIdOption, redirectOption, demoOption, demoIntervalOption});
    parser.process(app);

    QHostAddress address;
    quint16 port = 0;
    if (!streams::parseHostPort(parser.value(listenOption), &address, &port)) {
        std::fprintf(stderr, "twitch-sim: --listen must be HOST:PORT, got '%s'\n",
                     qPrintable(parser.value(listenOption)));
        return 2;
    }
    QString error;
    auto world = twitchsim::World::fromFile(parser.value(worldOption), &error);
    if (!world) {
        std::fprintf(stderr, "twitch-sim: %s\n", qPrintable(error));
        return 2;
    }

    // The client secret comes from the environment, never the command line.
    const QString secret =
        qEnvironmentVariable("TWITCH_SIM_CLIENT_SECRET", QStringLiteral("simsecret0000000000000000000001"));
    twitchsim::SimServer sim(std::move(*world), parser.value(clientIdOption), secret,
                             parser.values(redirectOption));
    if (sim.listen(address, port, &error) == 0) {
        std::fprintf(stderr, "twitch-sim: %s\n", qPrintable(error));
        return 1;
    }
    std::unique_ptr<twitchsim::DemoDriver> demo;
    if (parser.isSet(demoOption)) {
        const int interval = parser.value(demoIntervalOption).toInt();
        if (interval < 100) {
            std::fprintf(stderr, "twitch-sim: --demo-interval must be at least 100 ms\n");
            return 2;
        }
        demo = std::make_unique<twitchsim::DemoDriver>(
            sim.world(), [&sim] { return sim.baseUrl(); }, interval);
    }
    streams::ShutdownSignals shutdown;
    QObject::connect(&shutdown, &streams::ShutdownSignals::shutdownRequested, &app,
                     [] { QCoreApplication::quit(); });
    std::printf("twitch-sim listening on %s\n", qPrintable(sim.baseUrl().toString()));
    std::fflush(stdout);
    return app.exec();
}
