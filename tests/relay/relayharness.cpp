#include "relayharness.h"

#include <QDateTime>
#include <QMessageAuthenticationCode>

namespace streams::test {

// A stream.online/offline notification for `broadcaster`, padded with `padding` bytes of description
// (Twitch's event object is passed through to clients unchanged, so the padding makes big frames).
QByteArray streamBody(const QString &broadcaster, bool online, const QByteArray &eventId, int padding) {
    QJsonObject event{{"broadcaster_user_id", broadcaster},
                      {"broadcaster_user_login", "user" + broadcaster},
                      {"broadcaster_user_name", "User" + broadcaster}};
    if (online) {
        event.insert("id", QString::fromLatin1(eventId));
        event.insert("type", "live");
        event.insert("started_at", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    }
    if (padding > 0)
        event.insert("padding", QString(padding, QLatin1Char('x')));
    const QJsonObject subscription{{"id", "sub-" + broadcaster},
                                   {"status", "enabled"},
                                   {"type", online ? "stream.online" : "stream.offline"},
                                   {"version", "1"},
                                   {"condition", QJsonObject{{"broadcaster_user_id", broadcaster}}}};
    return QJsonDocument(QJsonObject{{"subscription", subscription}, {"event", event}})
        .toJson(QJsonDocument::Compact);
}

bool RelayHarness::startSim() {
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{});
    return m_sim->start();
}

std::unique_ptr<ServerProcess> RelayHarness::launchRelay(const QString &dataDir, quint16 port,
                                                         const QHash<QString, QString> &extraEnv,
                                                         const QStringList &extraArgs) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_AUTH_URL", m_sim->url().toString() + "/oauth2");
    env.insert("TWITCH_HELIX_URL", m_sim->url().toString() + "/helix");
    env.insert("TWITCH_CLIENT_ID", kClientId);
    env.insert("TWITCH_CLIENT_SECRET", "simsecret0000000000000000000001");
    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", QString::fromLatin1(kWebhookSecret));
    env.insert("STREAMS_RELAY_DATA_DIR", dataDir);
    // STREAMS_TEST_DATABASE=postgres runs the suite on PostgreSQL: one server for the test process, one
    // database per data directory (a relay restarted on its data directory finds its log again).
    if (usesPostgres() && !extraEnv.contains("STREAMS_RELAY_DATABASE_URL")) {
        const QUrl url = databaseFor(dataDir);
        if (url.isEmpty())
            return nullptr;
        env.insert("STREAMS_RELAY_DATABASE_URL", url.toString());
    }
    for (auto it = extraEnv.cbegin(); it != extraEnv.cend(); ++it)
        env.insert(it.key(), it.value());
    // STREAMS_TEST_RELAY runs the suites against another build of the relay (e.g. an older one, to see a
    // test fail without the change it covers).
    auto relay = std::make_unique<ServerProcess>(
        qEnvironmentVariable("STREAMS_TEST_RELAY", QStringLiteral(STREAMS_RELAY_PATH)),
        QStringList{"--listen", QStringLiteral("127.0.0.1:%1").arg(port)} + extraArgs, env);
    if (!relay->start())
        return nullptr;
    // Ready once the app token is there and subscriptions are reconciled.
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        const HttpResult ready = httpGet(relay->url().resolved(QUrl("/readyz")));
        if (ready.status == 200) {
            // The suite runs on the backend it says (readyz names the database).
            if (env.contains("STREAMS_RELAY_DATABASE_URL") != ready.body.contains("(postgresql://")) {
                qWarning("relay's storage is not the one asked for: %s", ready.body.constData());
                return nullptr;
            }
            return relay;
        }
        QTest::qWait(50);
    }
    qWarning("relay not ready: %s", relay->errors().constData());
    return nullptr;
}

bool RelayHarness::usesPostgres() {
    return qEnvironmentVariable("STREAMS_TEST_DATABASE") == QLatin1String("postgres");
}

PostgresServer *RelayHarness::postgres() {
    // One server per test process, for all its relays; stopped when the process ends.
    static std::unique_ptr<PostgresServer> server;
    static QString failure;
    if (!server && failure.isEmpty()) {
        auto started = std::make_unique<PostgresServer>();
        if (started->start(&failure))
            server = std::move(started);
        else
            qWarning("PostgreSQL: %s", qPrintable(failure));
    }
    return server.get();
}

QUrl RelayHarness::databaseFor(const QString &dataDir) {
    static QHash<QString, QString> databases;
    PostgresServer *server = postgres();
    if (!server)
        return {};
    QString &name = databases[dataDir];
    if (name.isEmpty()) {
        name = QStringLiteral("relay_%1").arg(databases.size());
        QString why;
        if (!server->createDatabase(name, &why)) {
            qWarning("cannot create database %s: %s", qPrintable(name), qPrintable(why));
            databases.remove(dataDir);
            return {};
        }
    }
    return server->url(name);
}

bool RelayHarness::startRelay(quint16 port, const QHash<QString, QString> &extraEnv) {
    m_relay.reset();
    m_relay = launchRelay(m_dataDir.path(), port, extraEnv);
    return m_relay != nullptr;
}

QString RelayHarness::userToken(const QString &userId, const QString &scopes) {
    QUrl url = m_sim->url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(userId)));
    url.setQuery(QStringLiteral("scopes=") + QString::fromLatin1(QUrl::toPercentEncoding(scopes)));
    const QString token =
        QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString();
    m_issuedTokens.append(token);
    return token;
}

std::unique_ptr<Client> RelayHarness::login(const QString &userId) {
    return loginAt(m_relay->url(), userId);
}

std::unique_ptr<Client> RelayHarness::loginAt(const QUrl &relay, const QString &userId) {
    const QString token = userToken(userId);
    auto c = std::make_unique<Client>(relay);
    if (!c->connected()) {
        qWarning("login: cannot connect: %s", qPrintable(c->socket.errorString()));
        return nullptr;
    }
    c->send({{"type", "hello"}, {"protocol", 1}, {"token", token}});
    if (c->waitFor("welcome") < 0) {
        qWarning("login: no welcome; frames: %s; relay log tail: %s",
                 qPrintable(QString::number(c->frames.size())), m_relay->errors().right(600).constData());
        return nullptr;
    }
    return c;
}

std::unique_ptr<Client> RelayHarness::subscribed(const QString &userId, const QString &broadcasterId,
                                                 QJsonObject after) {
    return subscribedAt(m_relay->url(), userId, broadcasterId, after);
}

std::unique_ptr<Client> RelayHarness::subscribedAt(const QUrl &relay, const QString &userId,
                                                   const QString &broadcasterId, QJsonObject after) {
    auto c = loginAt(relay, userId);
    if (!c)
        return nullptr;
    QJsonObject sub{{"type", "subscribe"}, {"broadcaster_id", broadcasterId}};
    if (!after.isEmpty())
        sub.insert("after", after);
    c->send(sub);
    const int subscribed = c->waitFor("subscribed");
    if (subscribed < 0)
        return nullptr;
    for (const QJsonValue kind : c->frames[subscribed].value("kinds").toArray()) {
        const bool enabled =
            kind == "follow"
                ? waitForEnabledAt(callbackOf(relay), "channel.follow", broadcasterId, userId)
                : waitForEnabledAt(callbackOf(relay), "stream." + kind.toString(), broadcasterId);
        if (!enabled)
            return nullptr;
    }
    return c;
}

void RelayHarness::trigger(const QJsonObject &body) {
    const auto r = httpPost(m_sim->url().resolved(QUrl("/sim/trigger")), QJsonDocument(body).toJson());
    QCOMPARE(r.status, 200);
}

QStringList RelayHarness::triggered(const QJsonObject &body) {
    const auto r = httpPost(m_sim->url().resolved(QUrl("/sim/trigger")), QJsonDocument(body).toJson());
    if (r.status != 200)
        qWarning("trigger answered %d: %s", r.status, r.body.constData());
    QStringList ids;
    for (const QJsonValue id : QJsonDocument::fromJson(r.body).object().value("message_ids").toArray())
        ids.append(id.toString());
    return ids;
}

bool RelayHarness::waitForEnabledAt(const QUrl &relay, const QString &type, const QString &broadcasterId,
                                    const QString &moderatorId) {
    const QString callback = relay.toString() + "/eventsub";
    const bool enabled = QTest::qWaitFor(
        [&] {
            for (const QJsonValue v : simSubscriptions())
                if (v["type"] == type && v["status"] == "enabled" &&
                    v["condition"]["broadcaster_user_id"] == broadcasterId &&
                    (moderatorId.isEmpty() || v["condition"]["moderator_user_id"] == moderatorId) &&
                    v["transport"]["callback"] == callback)
                    return true;
            return false;
        },
        10000);
    if (!enabled)
        qWarning("no enabled %s subscription of %s", qPrintable(type), qPrintable(broadcasterId));
    return enabled;
}

bool RelayHarness::sentinel(const QString &broadcasterId, const QList<Client *> &clients) {
    // The relay subscribes to stream.offline when the first client subscribes; Twitch (the sim) sends
    // nothing before its callback is verified.
    if (!waitForEnabled(QStringLiteral("stream.offline"), broadcasterId))
        return false;
    const QStringList ids = triggered({{"type", "stream.offline"}, {"broadcaster_user_id", broadcasterId}});
    for (Client *c : clients) {
        const int at = c->waitFor([&](const QJsonObject &frame) {
            return frame.value("type") == "event" && ids.contains(frame.value("id").toString());
        });
        if (at < 0) {
            qWarning("sentinel: a client did not get the sentinel event (ids %s)", qPrintable(ids.join(',')));
            return false;
        }
    }
    return true;
}

qint64 RelayHarness::notificationsHandled() {
    return metric(R"(streams_relay_webhooks_total{type="notification",outcome="accepted"})") +
           metric(R"(streams_relay_webhooks_total{type="notification",outcome="duplicate"})");
}

qint64 RelayHarness::metric(const QByteArray &name) {
    const auto body = httpGet(m_relay->url().resolved(QUrl("/metrics"))).body;
    for (const QByteArray &line : body.split('\n'))
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toLongLong();
    return -1;
}

HttpResult RelayHarness::postWebhook(const QByteArray &body, const QByteArray &type, const QByteArray &id,
                                     QByteArray timestamp, QByteArray secret) {
    return postWebhookTo(m_relay->url(), body, type, id, std::move(timestamp), std::move(secret));
}

HttpResult RelayHarness::postWebhookTo(const QUrl &relay, const QByteArray &body, const QByteArray &type,
                                       const QByteArray &id, QByteArray timestamp, QByteArray secret) {
    if (timestamp.isEmpty())
        timestamp = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, secret);
    mac.addData(id + timestamp + body);
    return httpPost(relay.resolved(QUrl("/eventsub")), body,
                    {{"Twitch-Eventsub-Message-Id", id},
                     {"Twitch-Eventsub-Message-Timestamp", timestamp},
                     {"Twitch-Eventsub-Message-Signature", "sha256=" + mac.result().toHex()},
                     {"Twitch-Eventsub-Message-Type", type},
                     {"Twitch-Eventsub-Message-Retry", "0"}});
}

QJsonArray RelayHarness::simSubscriptions() {
    return QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/subscriptions"))).body)
        .object()
        .value("data")
        .toArray();
}

} // namespace streams::test
