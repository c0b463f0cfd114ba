// streams-relay: the composition root. Twitch EventSub webhooks in, WebSocket feeds out.

#include "platform/shutdownsignals.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/relayservice.h"

#include <QCoreApplication>
#include <QDir>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif

namespace {

// Every WebSocket client is a descriptor: use all the process may have (systemd's LimitNOFILE, ulimit -Hn).
void raiseDescriptorLimit() {
#ifdef Q_OS_UNIX
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
#endif
}

} // namespace

int main(int argc, char *argv[]) {
#ifdef __GLIBC__
    // A fan-out queues one completion per recipient and frees them all moments later: without this glibc
    // hands the top of the heap back to the kernel after each one and faults it in again for the next
    // (sysmalloc and page faults were a tenth of a 10,000-client fan-out).
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
    // The Qt threads (control plane, storage writer, checkpointer) wake once per batch: Qt's own event
    // dispatcher does that with less work than the glib one Debian's Qt uses by default.
    qputenv("QT_NO_GLIB", "1");
    raiseDescriptorLimit();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("streams-relay"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STREAMS_VERSION));

    QHash<QString, QString> env;
    const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
    for (const QString &key : system.keys())
        env.insert(key, system.value(key));
    const auto parsed = streams::relay::parseServerConfig(app.arguments(), env);
    if (parsed.exitNow)
        return 0;
    if (!parsed.config) {
        std::fprintf(stderr, "streams-relay: %s\n", qPrintable(parsed.error));
        return 2;
    }
    streams::relay::ServerConfig config = *parsed.config;
    streams::relay::installLogHandler(config.jsonLogs);

    QByteArray secret = config.webhookSecret;
    QString error;
    if (secret.isEmpty()) {
        if (!QDir().mkpath(config.dataDir)) {
            std::fprintf(stderr, "streams-relay: cannot create data directory %s\n",
                         qPrintable(config.dataDir));
            return 1;
        }
        // One secret for every relay on the same database (any of them may get any webhook).
        const auto loaded =
            config.databaseUrl.isEmpty()
                ? streams::relay::loadOrCreateWebhookSecret(config.dataDir, &error)
                : streams::relay::loadOrCreateSharedWebhookSecret({{}, config.databaseUrl}, &error);
        if (!loaded) {
            std::fprintf(stderr, "streams-relay: %s\n", qPrintable(error));
            return 1;
        }
        secret = *loaded;
    }

    streams::relay::RelayService relay(config, secret);
    const quint16 port = relay.start(&error);
    if (port == 0) {
        std::fprintf(stderr, "streams-relay: %s\n", qPrintable(error));
        return 1;
    }

    streams::ShutdownSignals shutdown;
    QObject::connect(&shutdown, &streams::ShutdownSignals::shutdownRequested, &app, [&relay](int signal) {
        qInfo("stopping on signal %d", signal);
        relay.stop();
        QCoreApplication::quit();
    });
    std::printf("streams-relay listening on http://%s:%u\n", qPrintable(config.listenAddress.toString()),
                port);
    std::fflush(stdout);
    return app.exec();
}
