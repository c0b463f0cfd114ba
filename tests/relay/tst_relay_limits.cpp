// The relay's limits and its life across restarts: hello timeout, per-IP cap, slow request heads,
// retention that forces `reset`, and subscriptions adopted from Twitch after a restart.

#include "relayharness.h"

#include <QFile>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>

using namespace streams::test;

namespace {

// The settings a relay needs to start at all (no sim behind it): for tests of what stops it at start.
QProcessEnvironment bareRelayEnvironment(const QString &dataDir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_CLIENT_ID", kClientId);
    env.insert("TWITCH_CLIENT_SECRET", "x");
    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", QString::fromLatin1(kWebhookSecret));
    env.insert("STREAMS_RELAY_DATA_DIR", dataDir);
    return env;
}

} // namespace

namespace {
const QHash<QString, QString> kLimits{{"STREAMS_RELAY_HELLO_TIMEOUT_SECONDS", "1"},
                                      {"STREAMS_RELAY_REQUEST_TIMEOUT_SECONDS", "1"},
                                      {"STREAMS_RELAY_MAX_CONNECTIONS_PER_IP", "4"}};
}

class TestRelayLimits : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QVERIFY(startSim());
        QVERIFY(startRelay(0, kLimits));
    }
    void cleanupTestCase() {
        m_relay.reset();
        m_sim.reset();
    }
    void helloTimeoutCloses4001();
    void connectionCapPerAddress();
    void slowRequestHeadIsDropped();
    void oversizedSecondRequestOnKeepAlive();
    void retentionPrunesAndResumeGetsReset();
    void subscriptionsAreAdoptedAfterRestart();
    void twitchFailuresAreRetriedThenReported();
    void conflictWithAnotherCallbackIsReplaced();
    void unusedSubscriptionsAreDeleted();
    void tokenOfAnotherApplicationIsRefused();
    void appTokenIsRenewedAfter401();
    void silentPeerIsDropped();
    void corruptDatabaseStopsWithOneClearLine();
    void unreachableDatabaseStopsWithOneClearLine();

private:
    void failNext(int status, int count) {
        QCOMPARE(
            httpPost(
                m_sim->url().resolved(QUrl("/sim/fail")),
                QJsonDocument(QJsonObject{{"method", "POST"}, {"status", status}, {"count", count}}).toJson())
                .status,
            204);
    }
    QJsonArray subscriptionsFor(const QString &broadcasterId) {
        QJsonArray out;
        for (const QJsonValue v : simSubscriptions())
            if (v["condition"]["broadcaster_user_id"] == broadcasterId)
                out.append(v);
        return out;
    }
};

void TestRelayLimits::helloTimeoutCloses4001() {
    Client silent(m_relay->url());
    QVERIFY(silent.connected());
    QSignalSpy closed(&silent.socket, &QWebSocket::disconnected);
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(silent.socket.closeCode()), 4001);
    QVERIFY(silent.socket.closeReason().contains("hello not received within 1 s"));
}

void TestRelayLimits::connectionCapPerAddress() {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(login(kViewer));
        QVERIFY(clients.back());
    }
    Client fifth(m_relay->url());
    QSignalSpy failed(&fifth.socket, &QWebSocket::disconnected);
    QVERIFY(failed.wait(5000) || fifth.socket.state() == QAbstractSocket::UnconnectedState);
    QVERIFY(fifth.socket.state() != QAbstractSocket::ConnectedState);

    // A closed connection frees its slot.
    QSignalSpy gone(&clients.back()->socket, &QWebSocket::disconnected);
    clients.back()->socket.close();
    QTRY_VERIFY_WITH_TIMEOUT(gone.count() > 0, 5000);
    clients.pop_back();
    QTRY_VERIFY_WITH_TIMEOUT(metric("streams_relay_clients") == 3, 5000);
    auto again = login(kViewer);
    QVERIFY(again);
}

void TestRelayLimits::slowRequestHeadIsDropped() {
    QTcpSocket slow;
    slow.connectToHost(m_relay->url().host(), quint16(m_relay->url().port()));
    QVERIFY(slow.waitForConnected(5000));
    slow.write("POST /eventsub HTTP/1.1\r\nHost: relay\r\nContent-Type: app"); // and then nothing
    QVERIFY(slow.waitForBytesWritten(1000));
    QElapsedTimer t;
    t.start();
    QTRY_VERIFY_WITH_TIMEOUT(slow.state() == QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(t.elapsed() >= 500);
    // The relay still answers everyone else.
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/healthz"))).status, 200);
}

void TestRelayLimits::oversizedSecondRequestOnKeepAlive() {
    auto readResponse = [](QTcpSocket &s) {
        QByteArray got;
        QElapsedTimer t;
        t.start();
        while (!got.contains("\r\n\r\n") && t.elapsed() < 5000)
            if (s.waitForReadyRead(200) || s.bytesAvailable())
                got += s.readAll();
        return got;
    };
    QTcpSocket s;
    s.connectToHost(m_relay->url().host(), quint16(m_relay->url().port()));
    QVERIFY(s.waitForConnected(5000));
    s.write("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n");
    QVERIFY(readResponse(s).startsWith("HTTP/1.1 200"));
    // Same connection, second request: the limit holds for it too, before any body is buffered.
    s.write("POST /eventsub HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: "
            "100000\r\n\r\n{");
    QVERIFY(readResponse(s).startsWith("HTTP/1.1 413"));

    QTcpSocket chunked;
    chunked.connectToHost(m_relay->url().host(), quint16(m_relay->url().port()));
    QVERIFY(chunked.waitForConnected(5000));
    chunked.write(
        "POST /eventsub HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    QVERIFY(readResponse(chunked).startsWith("HTTP/1.1 411"));
    QCOMPARE(httpGet(m_relay->url().resolved(QUrl("/healthz"))).status, 200);
}

void TestRelayLimits::retentionPrunesAndResumeGetsReset() {
    QJsonObject cursor;
    {
        auto c = subscribed(kBroadcaster, kBroadcaster);
        QVERIFY(c);
        trigger({{"type", "stream.offline"}, {"broadcaster_user_id", kBroadcaster}});
        const int e = c->waitFor("event");
        QVERIFY(e >= 0);
        cursor = {{"epoch", c->ofType("welcome").first().value("epoch")}, {"seq", c->frames[e].value("seq")}};
        for (int i = 0; i < 12; ++i)
            trigger({{"type", i % 2 ? "stream.offline" : "stream.online"},
                     {"broadcaster_user_id", kBroadcaster}});
        QTRY_COMPARE_WITH_TIMEOUT(c->ofType("event").size(), 13, 10000);
    }
    // Keep only 10 events per broadcaster: the cursor's successors are partly gone.
    const quint16 port = quint16(m_relay->url().port());
    QCOMPARE(m_relay->terminate(), 0);
    auto limits = kLimits;
    limits.insert("STREAMS_RELAY_RETENTION_EVENTS", "10");
    QVERIFY(startRelay(port, limits));
    auto c = subscribed(kBroadcaster, kBroadcaster, cursor);
    QVERIFY(c);
    const int reset = c->waitFor("reset");
    QVERIFY(reset >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(c->ofType("event").size(), 10, 10000);
    QVERIFY(c->frames.indexOf(c->ofType("event").first()) > reset);
    // A cursor at the newest kept event resumes without reset.
    const QJsonObject last = c->ofType("event").last();
    auto d = subscribed(kBroadcaster, kBroadcaster,
                        {{"epoch", cursor.value("epoch")}, {"seq", last.value("seq")}});
    QVERIFY(d);
    QVERIFY(sentinel(kBroadcaster, {d.get()})); // live, so after anything the resume would have sent
    QCOMPARE(d->ofType("reset").size(), 0);
    QCOMPARE(d->ofType("event").size(), 1);
}

void TestRelayLimits::subscriptionsAreAdoptedAfterRestart() {
    {
        auto c = subscribed(kBroadcaster, kBroadcaster);
        QVERIFY(c);
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QJsonValue v : simSubscriptions())
                if (v["status"] != "enabled")
                    return false;
            return true;
        }(),
        10000);
    const QJsonArray before = simSubscriptions();
    QVERIFY(before.size() >= 3);
    const quint16 port = quint16(m_relay->url().port());
    QCOMPARE(m_relay->terminate(), 0);
    QVERIFY(startRelay(port, kLimits)); // ready means reconciled with Twitch's list
    auto c = subscribed(kBroadcaster, kBroadcaster);
    QVERIFY(c);
    QCOMPARE(c->ofType("subscribed").first().value("kinds").toArray(),
             QJsonArray({"follow", "online", "offline"}));
    const QJsonArray after = simSubscriptions();
    QCOMPARE(after.size(), before.size()); // nothing created twice
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1008"}});
    QVERIFY(c->waitFor("event") >= 0);
}

void TestRelayLimits::twitchFailuresAreRetriedThenReported() {
    // Two 503s, then Twitch answers: the relay retries and the client never notices.
    failNext(503, 2);
    auto ok = subscribed(QStringLiteral("1004"), QStringLiteral("1004"));
    QVERIFY(ok);
    QCOMPARE(ok->ofType("subscribed").first().value("kinds").toArray(),
             QJsonArray({"follow", "online", "offline"}));
    QCOMPARE(ok->ofType("error").size(), 0);

    // Twitch keeps failing: after its retries the relay says so in a frame a person can act on.
    failNext(503, 1000);
    auto failing = login(QStringLiteral("1006"));
    QVERIFY(failing);
    failing->send({{"type", "subscribe"}, {"broadcaster_id", "1006"}});
    const int e = failing->waitFor("error", 0, 20000);
    failNext(503, 0);
    QVERIFY(e >= 0);
    QCOMPARE(failing->frames[e].value("code").toString(), QStringLiteral("unavailable"));
    QVERIFY(failing->frames[e].value("message").toString().contains("try again later"));
    QCOMPARE(failing->ofType("subscribed").size(), 0);
}

void TestRelayLimits::conflictWithAnotherCallbackIsReplaced() {
    // Relay A (m_relay) holds 1001's subscriptions. Relay B, another deployment with another callback,
    // gets 409 for the same conditions, finds A's and replaces them with its own.
    QTemporaryDir otherData;
    auto other = launchRelay(otherData.path(), 0, kLimits);
    QVERIFY(other);
    const QString otherCallback = other->url().toString() + "/eventsub";
    auto c = subscribedAt(other->url(), kBroadcaster, kBroadcaster);
    QVERIFY(c);
    QCOMPARE(c->ofType("subscribed").first().value("kinds").toArray(),
             QJsonArray({"follow", "online", "offline"}));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            int mine = 0;
            for (const QJsonValue v : subscriptionsFor(kBroadcaster))
                if (v["condition"]["moderator_user_id"].toString() != kModerator &&
                    v["condition"]["moderator_user_id"].toString() != "1007")
                    mine += v["transport"]["callback"] == otherCallback && v["status"] == "enabled";
            return mine == 3; // follow (moderator = broadcaster), online, offline
        }(),
        10000);
    trigger({{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}});
    QVERIFY(c->waitFor("event") >= 0);
}

void TestRelayLimits::unusedSubscriptionsAreDeleted() {
    QTemporaryDir data;
    auto relay = launchRelay(data.path(), 0, {{"STREAMS_RELAY_SUBSCRIPTION_TTL_SECONDS", "2"}});
    QVERIFY(relay);
    {
        auto c = subscribedAt(relay->url(), QStringLiteral("1010"), QStringLiteral("1010"));
        QVERIFY(c);
        QTRY_COMPARE_WITH_TIMEOUT(subscriptionsFor("1010").size(), 3, 10000);
        // In use: kept however old. The sentinel is a broadcaster wanted a moment later and then no more:
        // once the relay has deleted its subscriptions, 1010's are past the TTL too.
        {
            auto sentinel = subscribedAt(relay->url(), QStringLiteral("1009"), QStringLiteral("1009"));
            QVERIFY(sentinel);
            QTRY_COMPARE_WITH_TIMEOUT(subscriptionsFor("1009").size(), 3, 10000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(subscriptionsFor("1009").size(), 0, 10000);
        QCOMPARE(subscriptionsFor("1010").size(), 3);
    }
    // Nobody wants them any more: gone after the TTL.
    QTRY_COMPARE_WITH_TIMEOUT(subscriptionsFor("1010").size(), 0, 10000);
}

void TestRelayLimits::tokenOfAnotherApplicationIsRefused() {
    QUrl url = m_sim->url().resolved(QUrl("/sim/users/1002/token"));
    url.setQuery("client_id=someoneelsesclient000000000000");
    const QString foreign =
        QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString();
    QVERIFY(!foreign.isEmpty());
    Client c(m_relay->url());
    QVERIFY(c.connected());
    c.send({{"type", "hello"}, {"protocol", 1}, {"token", foreign}});
    const int e = c.waitFor("error");
    QVERIFY(e >= 0);
    QCOMPARE(c.frames[e].value("code").toString(), QStringLiteral("unauthorized"));
    QVERIFY(c.frames[e].value("message").toString().contains("another application"));
    QCOMPARE(c.ofType("welcome").size(), 0);
}

void TestRelayLimits::appTokenIsRenewedAfter401() {
    const auto expired = httpPost(m_sim->url().resolved(QUrl("/sim/expire-app-tokens")), {});
    QVERIFY(QJsonDocument::fromJson(expired.body).object().value("expired").toInt() >= 1);
    // The next Helix call gets 401; the relay fetches a new app token and carries on.
    auto c = subscribed(QStringLiteral("1008"), QStringLiteral("1008"));
    QVERIFY(c);
    QCOMPARE(c->ofType("subscribed").first().value("kinds").toArray(),
             QJsonArray({"follow", "online", "offline"}));
    QVERIFY(m_relay->errors().contains("app access token rejected; requesting a new one"));
}

void TestRelayLimits::silentPeerIsDropped() {
    QTemporaryDir data;
    auto relay = launchRelay(
        data.path(), 0,
        {{"STREAMS_RELAY_IDLE_TIMEOUT_SECONDS", "2"}, {"STREAMS_RELAY_HELLO_TIMEOUT_SECONDS", "600"}});
    QVERIFY(relay);
    // A WebSocket peer that completes the handshake and then never answers a ping (a laptop gone to sleep).
    QTcpSocket raw;
    raw.connectToHost(relay->url().host(), quint16(relay->url().port()));
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET /ws HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray got;
    QTRY_VERIFY_WITH_TIMEOUT((got += raw.readAll()).contains("\r\n\r\n"), 5000);
    QVERIFY(got.startsWith("HTTP/1.1 101"));
    QElapsedTimer t;
    t.start();
    QTRY_VERIFY_WITH_TIMEOUT((raw.readAll(), raw.state() == QAbstractSocket::UnconnectedState), 10000);
    QVERIFY(t.elapsed() >= 1000); // dropped by the idle watchdog, not at once
}

void TestRelayLimits::corruptDatabaseStopsWithOneClearLine() {
    QTemporaryDir data;
    QFile db(data.filePath("relay.sqlite3"));
    QVERIFY(db.open(QIODevice::WriteOnly));
    QByteArray garbage("SQLite format 3");
    garbage.append(char(0));
    garbage.append(QByteArray(8192, '\x5a'));
    db.write(garbage);
    db.close();
    QProcess relay;
    relay.setProcessEnvironment(bareRelayEnvironment(data.path()));
    relay.start(QStringLiteral(STREAMS_RELAY_PATH), {"--listen", "127.0.0.1:0"});
    QVERIFY(relay.waitForFinished(10000));
    QCOMPARE(relay.exitCode(), 1);
    const QByteArray err = relay.readAllStandardError();
    QVERIFY2(err.contains("relay.sqlite3") && (err.contains("corrupt") || err.contains("cannot open")),
             err.constData());
    QVERIFY(relay.readAllStandardOutput().isEmpty()); // never said it was listening
    QFile again(db.fileName());
    QVERIFY(again.open(QIODevice::ReadOnly));
    QCOMPARE(again.readAll(), garbage); // left as it was, for the operator to inspect or restore
}

void TestRelayLimits::unreachableDatabaseStopsWithOneClearLine() {
    // A PostgreSQL URL nobody answers at, with a password that must not reach the log; and a malformed one.
    const quint16 nobody = freeLocalPort();
    const QString secret = QStringLiteral("hunter2-db-password");
    struct Case {
        QString url;
        QByteArray expected;
        int exitCode; // 2: a setting is wrong; 1: it cannot start
    };
    const QList<Case> cases{
        {QStringLiteral("postgresql://relay:%1@127.0.0.1:%2/events").arg(secret).arg(nobody),
         QByteArray("cannot open database postgresql://relay@127.0.0.1:") + QByteArray::number(nobody) +
             "/events",
         1},
        {QStringLiteral("mysql://relay:%1@127.0.0.1/events").arg(secret),
         QByteArray("STREAMS_RELAY_DATABASE_URL"), 2},
    };
    for (const auto &[url, expected, exitCode] : cases) {
        QTemporaryDir data;
        QProcess relay;
        QProcessEnvironment env = bareRelayEnvironment(data.path());
        env.insert("STREAMS_RELAY_DATABASE_URL", url);
        relay.setProcessEnvironment(env);
        relay.start(QStringLiteral(STREAMS_RELAY_PATH), {"--listen", "127.0.0.1:0"});
        QVERIFY(relay.waitForFinished(20000));
        QCOMPARE(relay.exitCode(), exitCode);
        const QByteArray err = relay.readAllStandardError();
        QVERIFY2(err.contains(expected), err.constData());
        QVERIFY2(err.count('\n') == 1, err.constData()); // one line
        QVERIFY2(!err.contains(secret.toUtf8()), err.constData());
        QVERIFY(relay.readAllStandardOutput().isEmpty()); // never said it was listening
    }
}

QTEST_GUILESS_MAIN(TestRelayLimits)
#include "tst_relay_limits.moc"
