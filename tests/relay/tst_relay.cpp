// The relay and twitch-sim as real processes on 127.0.0.1, with real WebSocket clients.

#include "relayharness.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace streams::test;

class TestRelay : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void configAndHealth();
    void refusesMissingSettings();
    void followReachesBroadcasterAndModeratorOnce();
    void nonModeratorIsForbiddenAndNeverGetsFollows();
    void badWebhooksAreRejectedAndNotStored();
    void duplicateMessageIdDeliveredOnce();
    void revocationReachesClient();
    void garbageFramesGetErrorsNotACrash();
    void helloIsRequired();
    void resumeAfterKillDeliversExactlyTheMissedEvents();
    void logsCarryNoSecrets();
    void jsonLogsAreOneObjectPerLine();
    void sigtermExitsCleanly();
    void subscriptionsAreKeptOnDisk();
};

void TestRelay::initTestCase() {
    QVERIFY(startSim());
    QVERIFY(startRelay());
}

void TestRelay::cleanupTestCase() {
    m_relay.reset();
    m_sim.reset();
}

void TestRelay::configAndHealth() {
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/healthz"))).status, 200);
    const auto config = httpGet(m_relay->url().resolved(QUrl("/api/v1/config")));
    QCOMPARE(config.status, 200);
    const QJsonObject o = QJsonDocument::fromJson(config.body).object();
    QCOMPARE(o.value("client_id").toString(), kClientId);
    QCOMPARE(o.value("protocol").toInt(), 1);
    QVERIFY(o.value("scopes").toArray().contains(QJsonValue("moderator:read:followers")));
    QCOMPARE(o.value("redirect_uri").toString(), QStringLiteral("http://localhost:17563"));
    const auto metrics = httpGet(m_relay->url().resolved(QUrl("/metrics")));
    QVERIFY(metrics.body.contains("streams_relay_delivery_latency_seconds_bucket"));
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/nope"))).status, 404);
}

void TestRelay::refusesMissingSettings() {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("TWITCH_CLIENT_ID");
    env.insert("STREAMS_RELAY_DATA_DIR", m_dataDir.path() + "/unused");
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(STREAMS_RELAY_PATH), {"--listen", "127.0.0.1:0"});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("TWITCH_CLIENT_ID is not set"), err.constData());
    QCOMPARE(err.count('\n'), 1);

    env.insert("TWITCH_CLIENT_ID", kClientId);
    env.insert("TWITCH_CLIENT_SECRET", "x");
    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", "short");
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(STREAMS_RELAY_PATH), {"--listen", "127.0.0.1:0"});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("STREAMS_RELAY_WEBHOOK_SECRET must be 10 to 100"));

    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", QString::fromLatin1(kWebhookSecret));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(STREAMS_RELAY_PATH),
            {"--listen", "0.0.0.0:0", "--public-url", "http://relay.example.com"});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("must be https:// on port 443"));
}

void TestRelay::followReachesBroadcasterAndModeratorOnce() {
    auto broadcaster = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    auto moderator = subscribed(kModerator, kBroadcaster);
    QVERIFY(moderator);
    QCOMPARE(broadcaster->ofType("subscribed").first().value("kinds").toArray(),
             QJsonArray({"follow", "online", "offline"}));
    // The challenge was answered: both follow subscriptions are enabled at the sim.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto subs = simSubscriptions();
            int enabledFollows = 0;
            for (const QJsonValue v : subs)
                enabledFollows += v["type"] == "channel.follow" && v["status"] == "enabled" &&
                                  v["condition"]["broadcaster_user_id"] == kBroadcaster;
            return enabledFollows == 2;
        }(),
        10000);

    const qint64 handled = notificationsHandled();
    const QStringList copies =
        triggered({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
    QCOMPARE(copies.size(), 2); // one per follow subscription
    QVERIFY(broadcaster->waitFor("event") >= 0);
    QVERIFY(moderator->waitFor("event") >= 0);
    // The second subscription's copy of the same follow must not arrive: once the relay has answered both,
    // a sentinel event goes out after anything they could have caused.
    QTRY_COMPARE_WITH_TIMEOUT(notificationsHandled(), handled + copies.size(), 10000);
    QVERIFY(sentinel(kBroadcaster, {broadcaster.get(), moderator.get()}));
    for (Client *c : {broadcaster.get(), moderator.get()}) {
        const auto events = c->ofType("event");
        QCOMPARE(events.size(), 2); // the follow, then the sentinel
        QCOMPARE(events[0].value("kind").toString(), QStringLiteral("follow"));
        QCOMPARE(events[0].value("user").toObject().value("login").toString(),
                 QStringLiteral("pebbleknight"));
        QCOMPARE(events[0].value("data").toObject().value("user_id").toString(), QStringLiteral("1009"));
    }
}

void TestRelay::nonModeratorIsForbiddenAndNeverGetsFollows() {
    auto viewer = login(kViewer);
    QVERIFY(viewer);
    viewer->send({{"type", "subscribe"}, {"broadcaster_id", kBroadcaster}});
    const int err = viewer->waitFor("error");
    QVERIFY(err >= 0);
    QCOMPARE(viewer->frames[err].value("code").toString(), QStringLiteral("forbidden"));
    QVERIFY(viewer->frames[err].value("message").toString().contains("broadcaster and moderators"));
    const int sub = viewer->waitFor("subscribed");
    QVERIFY(sub > err);
    QCOMPARE(viewer->frames[sub].value("kinds").toArray(), QJsonArray({"online", "offline"}));

    auto broadcaster = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    const qint64 handled = notificationsHandled();
    const qsizetype notifications =
        triggered({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1010"}})
            .size() +
        triggered({{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}}).size();
    const int online = viewer->waitFor("event");
    QVERIFY(online >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(broadcaster->ofType("event").size(), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(notificationsHandled(), handled + notifications, 10000);
    QVERIFY(sentinel(kBroadcaster, {viewer.get()}));
    const auto events = viewer->ofType("event");
    QCOMPARE(events.size(), 2); // the leak check: no follow ever reaches a non-moderator
    QCOMPARE(events[0].value("kind").toString(), QStringLiteral("online"));
    QCOMPARE(events[1].value("kind").toString(), QStringLiteral("offline")); // the sentinel
}

void TestRelay::badWebhooksAreRejectedAndNotStored() {
    auto broadcaster = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    const qint64 storedBefore = metric("streams_relay_events_stored_total");
    const qint64 sigFailuresBefore = metric("streams_relay_signature_failures_total");
    const QByteArray follow =
        R"({"subscription":{"id":"x","type":"channel.follow","version":"2","status":"enabled","condition":{"broadcaster_user_id":"1001","moderator_user_id":"1001"}},"event":{"user_id":"1004","user_login":"nightjarfm","user_name":"NightjarFM","broadcaster_user_id":"1001","broadcaster_user_login":"lumenwave","broadcaster_user_name":"LumenWave","followed_at":"2026-01-01T00:00:00Z"}})";

    QCOMPARE(postWebhook(follow, "notification", "forged-1", {}, "not-the-relay-secret").status, 403);
    const QByteArray stale =
        QDateTime::currentDateTimeUtc().addSecs(-601).toString(Qt::ISODateWithMs).toLatin1();
    QCOMPARE(postWebhook(follow, "notification", "stale-1", stale).status, 403);
    QCOMPARE(postWebhook("{\"subscription\":", "notification", "badjson-1").status, 400);
    QCOMPARE(postWebhook(follow, "mystery", "type-1").status, 400);
    const QByteArray big = QByteArray(70 * 1024, ' ') + follow;
    QCOMPARE(postWebhook(big, "notification", "big-1").status, 413);
    // Header names in any case, signed properly: accepted once.
    QCOMPARE(postWebhook(follow, "notification", "good-1").status, 204);
    QTRY_COMPARE_WITH_TIMEOUT(broadcaster->ofType("event").size(), 1, 10000);
    QCOMPARE(metric("streams_relay_events_stored_total"), storedBefore + 1);
    QVERIFY(metric("streams_relay_signature_failures_total") >= sigFailuresBefore + 2);
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/healthz"))).status, 200);
}

void TestRelay::duplicateMessageIdDeliveredOnce() {
    auto broadcaster = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    const qint64 dupBefore = metric("streams_relay_webhook_duplicates_total");
    // The sim sends the same message id three times to each of the follow subscriptions.
    trigger({{"type", "channel.follow"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1006"},
             {"repeat", 3}});
    QVERIFY(broadcaster->waitFor("event") >= 0);
    QTRY_VERIFY_WITH_TIMEOUT(metric("streams_relay_webhook_duplicates_total") >= dupBefore + 5, 10000);
    QVERIFY(sentinel(kBroadcaster, {broadcaster.get()}));
    const auto events = broadcaster->ofType("event");
    QCOMPARE(events.size(), 2);
    QCOMPARE(events[0].value("kind").toString(), QStringLiteral("follow"));
    QCOMPARE(events[1].value("kind").toString(), QStringLiteral("offline")); // the sentinel
}

void TestRelay::revocationReachesClient() {
    // The broadcaster's own client shows that the follow below is really sent and delivered.
    auto broadcaster = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    auto moderator = subscribed(QStringLiteral("1007"), kBroadcaster);
    QVERIFY(moderator);
    QString id;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto subs = simSubscriptions();
            for (const QJsonValue v : subs)
                if (v["type"] == "channel.follow" && v["condition"]["moderator_user_id"] == "1007" &&
                    v["status"] == "enabled")
                    id = v["id"].toString();
            return !id.isEmpty();
        }(),
        10000);
    QCOMPARE(
        httpPost(
            m_sim->url().resolved(QUrl("/sim/revoke")),
            QJsonDocument(QJsonObject{{"subscription_id", id}, {"status", "moderator_removed"}}).toJson())
            .status,
        200);
    const int r = moderator->waitFor("revoked");
    QVERIFY(r >= 0);
    QCOMPARE(moderator->frames[r].value("broadcaster_id").toString(), kBroadcaster);
    QCOMPARE(moderator->frames[r].value("reason").toString(), QStringLiteral("moderator_removed"));
    // Follows stop for that moderator: the broadcaster gets the next one, the moderator only the sentinel
    // sent after it.
    QVERIFY(waitForEnabled("channel.follow", kBroadcaster, kBroadcaster));
    const qint64 handled = notificationsHandled();
    const QStringList copies =
        triggered({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1005"}});
    const int follow = broadcaster->waitFor("event");
    QVERIFY(follow >= 0);
    QCOMPARE(broadcaster->frames[follow].value("kind").toString(), QStringLiteral("follow"));
    QTRY_COMPARE_WITH_TIMEOUT(notificationsHandled(), handled + copies.size(), 10000);
    QVERIFY(sentinel(kBroadcaster, {moderator.get()}));
    const auto events = moderator->ofType("event");
    QCOMPARE(events.size(), 1);
    QCOMPARE(events[0].value("kind").toString(), QStringLiteral("offline"));
}

void TestRelay::garbageFramesGetErrorsNotACrash() {
    auto c = login(kViewer);
    QVERIFY(c);
    c->socket.sendTextMessage(QStringLiteral("this is not json"));
    int e = c->waitFor("error");
    QVERIFY(e >= 0);
    QCOMPARE(c->frames[e].value("code").toString(), QStringLiteral("bad_request"));
    c->send({{"type", "teleport"}});
    e = c->waitFor("error", e + 1);
    QVERIFY(e >= 0);
    c->send({{"type", "welcome"},
             {"protocol", 1},
             {"epoch", "x"},
             {"user", QJsonObject{{"id", "1"}, {"login", "a"}}}});
    e = c->waitFor("error", e + 1);
    QVERIFY(e >= 0);
    c->socket.sendBinaryMessage(QByteArray("\x00\x01\x02", 3));
    e = c->waitFor("error", e + 1);
    QVERIFY(e >= 0);
    QSignalSpy closed(&c->socket, &QWebSocket::disconnected);
    c->send({{"type", "subscribe"}}); // fifth strike closes
    QVERIFY(closed.wait(5000) || c->socket.state() == QAbstractSocket::UnconnectedState);
    QCOMPARE(c->socket.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);

    // An oversized frame closes with 1009.
    auto big = login(kViewer);
    QVERIFY(big);
    QSignalSpy bigClosed(&big->socket, &QWebSocket::disconnected);
    big->socket.sendTextMessage(QString(70 * 1024, QLatin1Char('a')));
    QVERIFY(bigClosed.wait(5000));
    QCOMPARE(big->socket.closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/healthz"))).status, 200);
}

void TestRelay::helloIsRequired() {
    Client c(m_relay->url());
    QVERIFY(c.connected());
    c.send({{"type", "subscribe"}, {"broadcaster_id", kBroadcaster}});
    const int e = c.waitFor("error");
    QVERIFY(e >= 0);
    QCOMPARE(c.frames[e].value("code").toString(), QStringLiteral("unauthorized"));

    Client bad(m_relay->url());
    QVERIFY(bad.connected());
    QSignalSpy closed(&bad.socket, &QWebSocket::disconnected);
    bad.send({{"type", "hello"}, {"protocol", 1}, {"token", "not-a-real-token"}});
    const int u = bad.waitFor("error");
    QVERIFY(u >= 0);
    QCOMPARE(bad.frames[u].value("code").toString(), QStringLiteral("unauthorized"));
    QVERIFY(closed.wait(5000) || bad.socket.state() == QAbstractSocket::UnconnectedState);

    Client wrongVersion(m_relay->url());
    QVERIFY(wrongVersion.connected());
    wrongVersion.send({{"type", "hello"}, {"protocol", 2}, {"token", "x"}});
    const int v = wrongVersion.waitFor("error");
    QVERIFY(v >= 0);
    QCOMPARE(wrongVersion.frames[v].value("code").toString(), QStringLiteral("unsupported_protocol"));
}

void TestRelay::resumeAfterKillDeliversExactlyTheMissedEvents() {
    QJsonObject cursor;
    {
        auto c = subscribed(kBroadcaster, kBroadcaster);
        QVERIFY(c);
        const QString epoch = c->ofType("welcome").first().value("epoch").toString();
        trigger({{"type", "stream.offline"}, {"broadcaster_user_id", kBroadcaster}});
        const int e = c->waitFor("event");
        QVERIFY(e >= 0);
        cursor = {{"epoch", epoch}, {"seq", c->frames[e].value("seq")}};
    }
    // Three events while the client is away; each acknowledged (stored) before the relay dies.
    // One at a time: webhooks on parallel connections may be stored in either order.
    const qint64 stored = metric("streams_relay_events_stored_total");
    for (const char *type : {"stream.online", "stream.offline", "stream.online"}) {
        const qint64 before = metric("streams_relay_events_stored_total");
        trigger({{"type", type}, {"broadcaster_user_id", kBroadcaster}});
        QTRY_COMPARE_WITH_TIMEOUT(metric("streams_relay_events_stored_total"), before + 1, 10000);
    }
    QCOMPARE(metric("streams_relay_events_stored_total"), stored + 3);
    const quint16 port = quint16(m_relay->url().port());
    m_relay->kill();
    QVERIFY(startRelay(port));

    auto c = subscribed(kBroadcaster, kBroadcaster, cursor);
    QVERIFY(c);
    QTRY_COMPARE_WITH_TIMEOUT(c->ofType("event").size(), 3, 10000);
    QVERIFY(sentinel(kBroadcaster, {c.get()})); // a live event after the replay: nothing more came first
    const auto events = c->ofType("event");
    QCOMPARE(events.size(), 4);
    QCOMPARE(events[3].value("kind").toString(), QStringLiteral("offline"));
    QCOMPARE(events[0].value("kind").toString(), QStringLiteral("online"));
    QCOMPARE(events[1].value("kind").toString(), QStringLiteral("offline"));
    QCOMPARE(events[2].value("kind").toString(), QStringLiteral("online"));
    const qint64 first = events[0].value("seq").toInteger();
    QVERIFY(first > cursor.value("seq").toInteger());
    QVERIFY(events[1].value("seq").toInteger() > first);
    QVERIFY(events[2].value("seq").toInteger() > events[1].value("seq").toInteger());
    QCOMPARE(c->ofType("reset").size(), 0);

    // A cursor from another log gets `reset`.
    auto other = subscribed(kBroadcaster, kBroadcaster, {{"epoch", "not-this-log"}, {"seq", 1}});
    QVERIFY(other);
    QVERIFY(other->waitFor("reset") >= 0);
}

void TestRelay::logsCarryNoSecrets() {
    const QByteArray log = m_relay->errors();
    QVERIFY(log.contains("app access token obtained")); // the log is there and says things
    QVERIFY(!log.contains(kWebhookSecret));
    QVERIFY(!log.contains("simsecret0000000000000000000001"));
    QVERIFY(!m_issuedTokens.isEmpty());
    for (const QString &token : std::as_const(m_issuedTokens))
        QVERIFY2(!log.contains(token.toLatin1()), "a user token reached the relay's log");
    QVERIFY(!log.contains("sha256="));
}

void TestRelay::jsonLogsAreOneObjectPerLine() {
    QTemporaryDir data;
    auto relay = launchRelay(data.path(), 0, {}, {"--log-format", "json"});
    QVERIFY(relay);
    auto c = subscribedAt(relay->url(), kBroadcaster, kBroadcaster);
    QVERIFY(c);
    const QList<QByteArray> lines = relay->errors().trimmed().split('\n');
    QVERIFY(lines.size() >= 3);
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        QVERIFY(o.contains("time") && o.contains("level") && o.contains("category") && o.contains("message"));
    }
}

void TestRelay::sigtermExitsCleanly() {
    auto c = login(kViewer);
    QVERIFY(c);
    QSignalSpy closed(&c->socket, &QWebSocket::disconnected);
    QElapsedTimer t;
    t.start();
    QCOMPARE(m_relay->terminate(5000), 0);
    QVERIFY(t.elapsed() < 5000);
    QVERIFY(closed.wait(2000) || c->socket.state() == QAbstractSocket::UnconnectedState);
    QCOMPARE(c->socket.closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
}

QTEST_GUILESS_MAIN(TestRelay)

void TestRelay::subscriptionsAreKeptOnDisk() {
    // The relay remembers the EventSub subscriptions it made (and when they were last wanted) in its
    // database, so that unused ones are deleted after the TTL even across restarts.
    QTemporaryDir data;
    {
        auto relay = launchRelay(data.path());
        QVERIFY(relay);
        auto c = subscribedAt(relay->url(), kBroadcaster, kBroadcaster);
        QVERIFY(c);
        c.reset();
        QCOMPARE(relay->terminate(), 0);
        QVERIFY2(!relay->errors().contains("write failed"), relay->errors().constData());
    }
    QStringList types;
    {
        // The relay's own database: the SQLite file, or its PostgreSQL database (STREAMS_TEST_DATABASE).
        QSqlDatabase db;
        if (usesPostgres()) {
            const QUrl url = databaseFor(data.path());
            db = QSqlDatabase::addDatabase("QPSQL", "subscriptions-check");
            db.setHostName(url.host());
            db.setPort(url.port());
            db.setUserName(url.userName());
            db.setDatabaseName(url.path().mid(1));
        } else {
            db = QSqlDatabase::addDatabase("QSQLITE", "subscriptions-check");
            db.setDatabaseName(data.filePath("relay.sqlite3"));
        }
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery q(db);
        QVERIFY(q.exec("SELECT type, broadcaster_id, moderator_id, last_wanted_at FROM subscriptions "
                       "ORDER BY type"));
        while (q.next()) {
            types << q.value(0).toString();
            QCOMPARE(q.value(1).toString(), kBroadcaster);
            QCOMPARE(q.value(2).toString(),
                     q.value(0).toString() == "channel.follow" ? kBroadcaster : QString(""));
            QVERIFY(q.value(3).toLongLong() > 0);
        }
    }
    QSqlDatabase::removeDatabase("subscriptions-check");
    QCOMPARE(types, QStringList({"channel.follow", "stream.offline", "stream.online"}));
}

#include "tst_relay.moc"
