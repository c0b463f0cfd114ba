#include "server/config.h"

#include "storage/database.h"

#include "platform/hostport.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QThread>
#include <QVariant>

#include <cstdio>

namespace streams::relay {
namespace {

bool isLoopbackHost(const QString &host) {
    return host == u"localhost" || QHostAddress(host).isLoopback();
}

} // namespace

bool isValidWebhookSecret(const QByteArray &secret) {
    if (secret.size() < 10 || secret.size() > 100)
        return false;
    for (const char c : secret)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
            return false;
    return true;
}

QUrl ServerConfig::callbackUrl(quint16 boundPort) const {
    QUrl base = publicUrl;
    if (base.isEmpty()) {
        base = QUrl(QStringLiteral("http://%1:%2").arg(listenAddress.toString()).arg(boundPort));
    }
    QString path = base.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    base.setPath(path + QStringLiteral("/eventsub"));
    return base;
}

ConfigResult parseServerConfig(const QStringList &arguments, const QHash<QString, QString> &env) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Receives Twitch EventSub webhooks and pushes them to Streams & Events Viewer clients "
        "over WebSocket.\n"
        "Environment: STREAMS_RELAY_LISTEN, STREAMS_RELAY_PUBLIC_URL, STREAMS_RELAY_DATA_DIR, "
        "TWITCH_CLIENT_ID,\n"
        "TWITCH_CLIENT_SECRET or TWITCH_CLIENT_SECRET_FILE, STREAMS_RELAY_WEBHOOK_SECRET "
        "(10-100 ASCII chars),\n"
        "STREAMS_RELAY_RETENTION_DAYS (30), STREAMS_RELAY_RETENTION_EVENTS (10000), "
        "STREAMS_RELAY_IO_THREADS (the cores),\n"
        "STREAMS_RELAY_MAX_CONNECTIONS (50000), STREAMS_RELAY_MAX_CONNECTIONS_PER_IP (256 WebSocket "
        "clients),\n"
        "STREAMS_RELAY_TRUSTED_PROXIES (addresses or CIDR ranges whose X-Forwarded-For or PROXY header is "
        "believed),\n"
        "STREAMS_RELAY_MAX_BROADCASTERS_PER_CONNECTION (10), STREAMS_RELAY_MAX_BROADCASTERS_PER_USER (50),\n"
        "STREAMS_RELAY_MAX_QUEUED_KIB (1024: a client that leaves more unread is closed),\n"
        "STREAMS_RELAY_HELLO_TIMEOUT_SECONDS (10),\n"
        "STREAMS_RELAY_IDLE_TIMEOUT_SECONDS (60), STREAMS_RELAY_REQUEST_TIMEOUT_SECONDS (10), "
        "STREAMS_RELAY_DURABILITY (fsync: every acknowledged\n"
        "event is on disk; os: in the OS's buffers, survives a relay crash but not a power cut),\n"
        "STREAMS_RELAY_SUBSCRIPTION_TTL_SECONDS (604800), STREAMS_RELAY_REDIRECT_URI "
        "(http://localhost:17563: the\n"
        "OAuth redirect registered for TWITCH_CLIENT_ID, told to the apps), TWITCH_AUTH_URL, "
        "TWITCH_HELIX_URL.\n"
        "Several relays: STREAMS_RELAY_DATABASE_URL (postgresql://user:password@host:port/database; unset: "
        "SQLite in the data directory),\n"
        "STREAMS_RELAY_REDIS_URL (redis://host:port[/db]: events reach the clients of every relay)."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    const QCommandLineOption version(QStringLiteral("version"), QStringLiteral("Show the version."));
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Address to listen on."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption publicUrl(QStringLiteral("public-url"),
                                       QStringLiteral("Public HTTPS URL; Twitch calls URL/eventsub."),
                                       QStringLiteral("URL"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Where the database lives."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption logFormat(QStringLiteral("log-format"), QStringLiteral("text or json."),
                                       QStringLiteral("FORMAT"), QStringLiteral("text"));
    parser.addOptions({help, version, listen, publicUrl, dataDir, logFormat});

    ConfigResult result;
    if (!parser.parse(arguments)) {
        result.error = parser.errorText();
        return result;
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        result.exitNow = true;
        return result;
    }
    if (parser.isSet(version)) {
        std::printf("streams-relay %s\n", STREAMS_VERSION);
        result.exitNow = true;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        result.error = QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first());
        return result;
    }

    ServerConfig c;
    auto setting = [&](const QCommandLineOption &option, const char *variable) {
        return parser.isSet(option) ? parser.value(option) : env.value(QLatin1String(variable));
    };
    auto fail = [&result](QString message) {
        result.error = std::move(message);
        return result;
    };

    const QString listenText = setting(listen, "STREAMS_RELAY_LISTEN");
    if (!listenText.isEmpty() && !streams::parseHostPort(listenText, &c.listenAddress, &c.listenPort))
        return fail(
            QStringLiteral("STREAMS_RELAY_LISTEN/--listen must be HOST:PORT, got '%1'").arg(listenText));

    const QString publicText = setting(publicUrl, "STREAMS_RELAY_PUBLIC_URL");
    if (!publicText.isEmpty()) {
        c.publicUrl = QUrl(publicText, QUrl::StrictMode);
        if (!c.publicUrl.isValid() || c.publicUrl.host().isEmpty() || c.publicUrl.hasQuery() ||
            c.publicUrl.hasFragment())
            return fail(
                QStringLiteral("STREAMS_RELAY_PUBLIC_URL/--public-url is not a URL: '%1'").arg(publicText));
        const bool loopback = isLoopbackHost(c.publicUrl.host());
        if (!loopback && (c.publicUrl.scheme() != u"https" || c.publicUrl.port(443) != 443))
            return fail(
                QStringLiteral("STREAMS_RELAY_PUBLIC_URL must be https:// on port 443 (Twitch calls only "
                               "HTTPS on 443), got '%1'")
                    .arg(publicText));
    } else if (!c.listenAddress.isLoopback()) {
        return fail(
            QStringLiteral("STREAMS_RELAY_PUBLIC_URL/--public-url is required when listening on a "
                           "non-loopback address (Twitch must reach URL/eventsub over HTTPS on 443)"));
    }

    c.dataDir = setting(dataDir, "STREAMS_RELAY_DATA_DIR");
    if (c.dataDir.isEmpty())
        c.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    if (c.dataDir.isEmpty())
        return fail(QStringLiteral("STREAMS_RELAY_DATA_DIR/--data-dir is not set and no default exists"));

    const QString format = parser.value(logFormat);
    if (format != u"text" && format != u"json")
        return fail(QStringLiteral("--log-format must be text or json, got '%1'").arg(format));
    c.jsonLogs = format == u"json";

    c.clientId = env.value(QStringLiteral("TWITCH_CLIENT_ID")).trimmed();
    if (c.clientId.isEmpty())
        return fail(QStringLiteral("TWITCH_CLIENT_ID is not set (the relay's Twitch application)"));
    c.clientSecret = env.value(QStringLiteral("TWITCH_CLIENT_SECRET")).trimmed().toUtf8();
    const QString secretFile = env.value(QStringLiteral("TWITCH_CLIENT_SECRET_FILE"));
    if (c.clientSecret.isEmpty() && !secretFile.isEmpty()) {
        QFile f(secretFile);
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("TWITCH_CLIENT_SECRET_FILE cannot be read: %1").arg(f.errorString()));
        c.clientSecret = f.readAll().trimmed();
    }
    if (c.clientSecret.isEmpty())
        return fail(QStringLiteral("TWITCH_CLIENT_SECRET (or TWITCH_CLIENT_SECRET_FILE) is not set"));

    c.webhookSecret = env.value(QStringLiteral("STREAMS_RELAY_WEBHOOK_SECRET")).toUtf8();
    if (!c.webhookSecret.isEmpty() && !isValidWebhookSecret(c.webhookSecret))
        return fail(
            QStringLiteral("STREAMS_RELAY_WEBHOOK_SECRET must be 10 to 100 printable ASCII characters"));

    auto url = [&env](const char *variable, const char *fallback) {
        const QString v = env.value(QLatin1String(variable));
        return QUrl(v.isEmpty() ? QLatin1String(fallback) : v);
    };
    c.authUrl = url("TWITCH_AUTH_URL", "https://id.twitch.tv/oauth2");
    c.helixUrl = url("TWITCH_HELIX_URL", "https://api.twitch.tv/helix");
    if (!c.authUrl.isValid() || !c.helixUrl.isValid())
        return fail(QStringLiteral("TWITCH_AUTH_URL or TWITCH_HELIX_URL is not a valid URL"));

    auto number = [&env](const char *variable, int fallback, int min, int max, int *out) {
        const QString v = env.value(QLatin1String(variable));
        if (v.isEmpty()) {
            *out = fallback;
            return true;
        }
        bool ok = false;
        *out = v.toInt(&ok);
        return ok && *out >= min && *out <= max;
    };
    if (!number("STREAMS_RELAY_RETENTION_DAYS", 30, 1, 3650, &c.retentionDays))
        return fail(QStringLiteral("STREAMS_RELAY_RETENTION_DAYS must be a whole number from 1 to 3650"));
    if (!number("STREAMS_RELAY_RETENTION_EVENTS", 10000, 10, 10000000, &c.retentionEvents))
        return fail(
            QStringLiteral("STREAMS_RELAY_RETENTION_EVENTS must be a whole number from 10 to 10000000"));
    // One epoll thread per core: each event loop waits only on its sockets that are ready, so a thread is
    // never woken for the idle ones (STREAMS_RELAY_HUB_THREADS is the name before the Asio core).
    const char *threadsVariable = env.contains(QStringLiteral("STREAMS_RELAY_IO_THREADS")) ||
                                          !env.contains(QStringLiteral("STREAMS_RELAY_HUB_THREADS"))
                                      ? "STREAMS_RELAY_IO_THREADS"
                                      : "STREAMS_RELAY_HUB_THREADS";
    if (!number(threadsVariable, qBound(1, QThread::idealThreadCount(), 64), 1, 64, &c.ioThreads))
        return fail(
            QStringLiteral("%1 must be a whole number from 1 to 64").arg(QLatin1String(threadsVariable)));
    if (!number("STREAMS_RELAY_MAX_CONNECTIONS", 50000, 1, 10000000, &c.maxConnections))
        return fail(
            QStringLiteral("STREAMS_RELAY_MAX_CONNECTIONS must be a whole number from 1 to 10000000"));
    if (!number("STREAMS_RELAY_MAX_BROADCASTERS_PER_CONNECTION", 10, 1, 10000,
                &c.maxBroadcastersPerConnection))
        return fail(QStringLiteral(
            "STREAMS_RELAY_MAX_BROADCASTERS_PER_CONNECTION must be a whole number from 1 to 10000"));
    if (!number("STREAMS_RELAY_MAX_BROADCASTERS_PER_USER", 50, 1, 100000, &c.maxBroadcastersPerUser))
        return fail(QStringLiteral(
            "STREAMS_RELAY_MAX_BROADCASTERS_PER_USER must be a whole number from 1 to 100000"));
    if (!number("STREAMS_RELAY_MAX_QUEUED_KIB", 1024, 16, 1024 * 1024, &c.maxQueuedKiB))
        return fail(QStringLiteral("STREAMS_RELAY_MAX_QUEUED_KIB must be a whole number from 16 to 1048576"));
    for (const QString &entry : env.value(QStringLiteral("STREAMS_RELAY_TRUSTED_PROXIES"))
                                    .split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString proxy = entry.trimmed();
        const bool valid = proxy.contains(QLatin1Char('/')) ? QHostAddress::parseSubnet(proxy).second >= 0
                                                            : !QHostAddress(proxy).isNull();
        if (!valid)
            return fail(QStringLiteral("STREAMS_RELAY_TRUSTED_PROXIES: '%1' is not an address or CIDR range")
                            .arg(proxy));
        c.trustedProxies.append(proxy);
    }
    if (!number("STREAMS_RELAY_MAX_CONNECTIONS_PER_IP", 256, 1, 1000000, &c.maxConnectionsPerIp))
        return fail(
            QStringLiteral("STREAMS_RELAY_MAX_CONNECTIONS_PER_IP must be a whole number from 1 to 1000000"));

    if (!number("STREAMS_RELAY_HELLO_TIMEOUT_SECONDS", 10, 1, 600, &c.helloTimeoutSeconds))
        return fail(
            QStringLiteral("STREAMS_RELAY_HELLO_TIMEOUT_SECONDS must be a whole number from 1 to 600"));
    if (!number("STREAMS_RELAY_IDLE_TIMEOUT_SECONDS", 60, 2, 3600, &c.idleTimeoutSeconds))
        return fail(
            QStringLiteral("STREAMS_RELAY_IDLE_TIMEOUT_SECONDS must be a whole number from 2 to 3600"));
    if (!number("STREAMS_RELAY_REQUEST_TIMEOUT_SECONDS", 10, 1, 600, &c.requestTimeoutSeconds))
        return fail(
            QStringLiteral("STREAMS_RELAY_REQUEST_TIMEOUT_SECONDS must be a whole number from 1 to 600"));
    if (!number("STREAMS_RELAY_SUBSCRIPTION_TTL_SECONDS", 7 * 86400, 1, 365 * 86400,
                &c.subscriptionTtlSeconds))
        return fail(QStringLiteral(
            "STREAMS_RELAY_SUBSCRIPTION_TTL_SECONDS must be a whole number from 1 to 31536000"));
    const QString databaseUrl = env.value(QStringLiteral("STREAMS_RELAY_DATABASE_URL")).trimmed();
    if (!databaseUrl.isEmpty()) {
        // Never echo the value: it may hold a password.
        c.databaseUrl = QUrl(databaseUrl, QUrl::StrictMode);
        const QString scheme = c.databaseUrl.scheme();
        if (!c.databaseUrl.isValid() || (scheme != u"postgresql" && scheme != u"postgres") ||
            c.databaseUrl.path().size() < 2)
            return fail(
                QStringLiteral("STREAMS_RELAY_DATABASE_URL must be postgresql://[user[:password]@]host"
                               "[:port]/database[?option=value…]"));
    }
    const QString redisUrl = env.value(QStringLiteral("STREAMS_RELAY_REDIS_URL")).trimmed();
    if (!redisUrl.isEmpty()) {
        c.redisUrl = QUrl(redisUrl, QUrl::StrictMode);
        bool dbOk = true;
        if (c.redisUrl.path().size() > 1)
            c.redisUrl.path().mid(1).toInt(&dbOk);
        if (!c.redisUrl.isValid() || c.redisUrl.scheme() != u"redis" || c.redisUrl.host().isEmpty() || !dbOk)
            return fail(
                QStringLiteral("STREAMS_RELAY_REDIS_URL must be redis://[:password@]host[:port][/db]"));
        if (c.databaseUrl.isEmpty())
            return fail(
                QStringLiteral("STREAMS_RELAY_REDIS_URL needs STREAMS_RELAY_DATABASE_URL: relays that "
                               "share clients must share one event log"));
    }
    c.redirectUri = QUrl(
        env.value(QStringLiteral("STREAMS_RELAY_REDIRECT_URI"), QStringLiteral("http://localhost:17563")));
    if (!c.redirectUri.isValid() || c.redirectUri.scheme().isEmpty() || c.redirectUri.host().isEmpty())
        return fail(QStringLiteral("STREAMS_RELAY_REDIRECT_URI must be an absolute URL"));
    const QString durability = env.value(QStringLiteral("STREAMS_RELAY_DURABILITY"), QStringLiteral("fsync"));
    if (durability != u"fsync" && durability != u"os")
        return fail(QStringLiteral("STREAMS_RELAY_DURABILITY must be fsync or os, got '%1'").arg(durability));
    c.fsyncEveryCommit = durability == u"fsync";

    result.config = c;
    return result;
}

QByteArray generateWebhookSecret() {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    QByteArray secret;
    for (int i = 0; i < 48; ++i)
        secret.append(alphabet[QRandomGenerator::system()->bounded(int(sizeof(alphabet) - 1))]);
    return secret;
}

std::optional<QByteArray> loadOrCreateSharedWebhookSecret(const StorageTarget &database, QString *error) {
    const QString connection = QStringLiteral("webhook-secret");
    std::optional<QByteArray> out;
    {
        auto db = openDatabase(database, connection, true, error);
        if (db) {
            // The first relay to get here creates it; every relay reads the one that is there.
            QSqlQuery q(*db);
            q.prepare(QStringLiteral(
                "INSERT INTO meta(key, value) VALUES('webhook_secret', ?) ON CONFLICT(key) DO NOTHING"));
            q.addBindValue(QString::fromLatin1(generateWebhookSecret()));
            if (q.exec() && q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'webhook_secret'")) &&
                q.next() && isValidWebhookSecret(q.value(0).toString().toLatin1()))
                out = q.value(0).toString().toLatin1();
            else
                *error = QStringLiteral("database %1 holds no valid webhook secret").arg(database.describe());
        }
    }
    closeDatabase(connection);
    return out;
}

std::optional<QByteArray> loadOrCreateWebhookSecret(const QString &dataDir, QString *error) {
    QFile file(QDir(dataDir).filePath(QStringLiteral("webhook-secret")));
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString());
            return std::nullopt;
        }
        const QByteArray secret = file.readAll().trimmed();
        if (!isValidWebhookSecret(secret)) {
            *error = QStringLiteral("%1 does not hold a valid webhook secret (10-100 ASCII characters)")
                         .arg(file.fileName());
            return std::nullopt;
        }
        return secret;
    }
    const QByteArray secret = generateWebhookSecret();
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly) ||
        !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        file.write(secret) != secret.size() || !file.flush()) {
        *error = QStringLiteral("cannot create %1: %2").arg(file.fileName(), file.errorString());
        return std::nullopt;
    }
    return secret;
}

} // namespace streams::relay
