// Several relays on one PostgreSQL and one Redis (both real servers, started here on free ports): clients
// spread over the relays, webhooks to any of them, relays killed and Redis restarted mid-stream.

#include "forwarder.h"
#include "relayharness.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTcpSocket>

using namespace streams::test;

namespace {

const QString kChannel = QStringLiteral("1004"); // nightjarfm: its stream events are public

QStringList eventIds(const Client &client) {
    QStringList out;
    for (const QJsonObject &e : client.ofType("event"))
        out << e.value("id").toString();
    return out;
}

// Each broadcaster's seq counts 1, 2, 3 … with no gap and no repeat.
bool contiguous(const Client &client, qint64 from = 1) {
    qint64 expected = from;
    for (const QJsonObject &e : client.ofType("event"))
        if (e.value("seq").toInteger() != expected++)
            return false;
    return true;
}

} // namespace

class TestRelayCluster : public QObject, public RelayHarness {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void everyClientGetsEveryEventOnceInOrder();
    void sameWebhookToTwoRelaysIsStoredOnce();
    void killedRelaysClientsResumeElsewhere();
    void redisRestartLosesNothing();
    void ownerKilledAnotherTakesOver();
    void relaysShareTheWebhookSecretOfTheirDatabase();
    void sigtermWithClientsExitsCleanly();

private:
    QUrl relayUrl(int i) const { return m_relays[i]->url(); }
    // Posts a stream.online for kChannel with message id `id` to relay `i`; the HTTP status.
    int post(int i, const QByteArray &id) {
        return postWebhookTo(relayUrl(i), streamBody(kChannel, true, id), "notification", id).status;
    }
    qint64 metricOf(int i, const QByteArray &name) {
        const QByteArray metrics = httpGet(relayUrl(i).resolved(QUrl("/metrics"))).body;
        const qsizetype at = metrics.indexOf('\n' + name + ' ');
        return at < 0 ? -1 : metrics.mid(at + name.size() + 2).split('\n').first().toLongLong();
    }
    bool ownsSubscriptions(int i) {
        return httpGet(relayUrl(i).resolved(QUrl("/readyz")))
            .body.contains("subscriptions owner: this relay");
    }
    // Twitch's (the sim's) enabled subscriptions that call the relays back.
    QStringList enabledAtTwitch() {
        QStringList out;
        for (const QJsonValue v : simSubscriptions())
            if (v["status"] == "enabled" &&
                v["transport"]["callback"].toString() == m_sharedPublicUrl.toString() + "/eventsub")
                out << v["type"].toString() + ' ' + v["condition"]["broadcaster_user_id"].toString();
        out.sort();
        return out;
    }
    QStringList logIds() {
        const auto out = postgres()->query(
            m_database,
            QStringLiteral("SELECT message_id FROM events WHERE broadcaster_id = '%1' ORDER BY seq")
                .arg(kChannel));
        return out ? out->split(u'\n', Qt::SkipEmptyParts) : QStringList{QStringLiteral("<query failed>")};
    }

    RedisServer m_redis;
    std::unique_ptr<Forwarder> m_balancer;
    QString m_database;
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;
    std::vector<std::unique_ptr<ServerProcess>> m_relays;
};

void TestRelayCluster::initTestCase() {
    if (PostgresServer::binDir().isEmpty() || RedisServer::program().isEmpty())
        QSKIP("PostgreSQL or redis-server is not installed: scripts/install-deps.sh installs both");
    QVERIFY2(postgres(), "PostgreSQL did not start (see the warning above)");
    QString why;
    QVERIFY2(m_redis.start(&why), qPrintable(why));
}

void TestRelayCluster::init() {
    static int round = 0;
    m_database = QStringLiteral("cluster_%1").arg(++round);
    QString why;
    QVERIFY2(postgres()->createDatabase(m_database, &why), qPrintable(why));
    QVERIFY(startSim());
    // The relays share one public URL, as behind a balancer: here a forwarder to the second relay (the first
    // to start owns the subscriptions, and one test kills it).
    const quint16 callbackPort = freeLocalPort();
    m_balancer = std::make_unique<Forwarder>(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(callbackPort)));
    QVERIFY(m_balancer->listen());
    m_sharedPublicUrl = m_balancer->url();
    const QHash<QString, QString> env{
        {"STREAMS_RELAY_DATABASE_URL", postgres()->url(m_database).toString()},
        {"STREAMS_RELAY_REDIS_URL", m_redis.url().toString()},
        {"STREAMS_RELAY_PUBLIC_URL", m_sharedPublicUrl.toString()},
    };
    for (int i = 0; i < 3; ++i) {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        m_relays.push_back(launchRelay(m_dirs.back()->path(), i == 1 ? callbackPort : 0, env));
        QVERIFY2(m_relays.back(), "a relay did not start");
    }
}

void TestRelayCluster::cleanup() {
    m_relays.clear();
    m_dirs.clear();
    m_balancer.reset();
    m_sim.reset();
}

void TestRelayCluster::everyClientGetsEveryEventOnceInOrder() {
    // Two clients on each relay; 45 webhooks spread over the three relays.
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(subscribedAt(relayUrl(i % 3), kViewer, kChannel));
        QVERIFY(clients.back());
    }
    QStringList sent;
    for (int n = 0; n < 45; ++n) {
        const QByteArray id = "spread-" + QByteArray::number(n);
        QCOMPARE(post(n % 3, id), 204);
        sent << QString::fromLatin1(id);
    }
    for (const auto &c : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(eventIds(*c).size(), sent.size(), 15000);
        QCOMPARE(eventIds(*c), sent);
        QVERIFY(contiguous(*c));
    }
    QCOMPARE(logIds(), sent);
    // Redis carried them to every relay.
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(metricOf(i, "streams_relay_redis_connected"), 1);
        QVERIFY(metricOf(i, "streams_relay_redis_received_total") > 0);
    }
}

void TestRelayCluster::sameWebhookToTwoRelaysIsStoredOnce() {
    auto a = subscribedAt(relayUrl(0), kViewer, kChannel);
    auto c = subscribedAt(relayUrl(2), kViewer, kChannel);
    QVERIFY(a && c);
    // Twitch retries a notification it thinks failed; behind a balancer the retry reaches another relay.
    QCOMPARE(post(0, "twice"), 204);
    QCOMPARE(post(1, "twice"), 204);
    QCOMPARE(post(2, "twice"), 204);
    QCOMPARE(post(1, "after-twice"), 204);
    for (Client *client : {a.get(), c.get()}) {
        QTRY_COMPARE_WITH_TIMEOUT(eventIds(*client), (QStringList{"twice", "after-twice"}), 10000);
        QVERIFY(contiguous(*client));
    }
    QCOMPARE(logIds(), (QStringList{"twice", "after-twice"}));
}

void TestRelayCluster::killedRelaysClientsResumeElsewhere() {
    // A client on relay 2, which dies (kill -9) in the middle of a stream of webhooks to all three relays.
    auto victim = subscribedAt(relayUrl(2), kViewer, kChannel);
    auto witness = subscribedAt(relayUrl(0), kViewer, kChannel);
    QVERIFY(victim && witness);
    const QString epoch = victim->ofType("welcome").value(0).value("epoch").toString();
    QStringList acknowledged;
    for (int n = 0; n < 60; ++n) {
        if (n == 30)
            m_relays[2]->kill();
        const QByteArray id = "kill-" + QByteArray::number(n);
        int status = post(n % 3, id);
        if (status != 204) // the dead relay: Twitch retries, and the balancer sends it to a live one
            status = post((n + 1) % 3 == 2 ? 0 : (n + 1) % 3, id);
        QCOMPARE(status, 204);
        acknowledged << QString::fromLatin1(id);
    }
    // The victim's socket is gone; it resumes on relay 1 from the last event it got.
    QTRY_VERIFY_WITH_TIMEOUT(victim->socket.state() == QAbstractSocket::UnconnectedState, 10000);
    const QList<QJsonObject> before = victim->ofType("event");
    const qint64 lastSeq = before.isEmpty() ? 0 : before.last().value("seq").toInteger();
    auto resumed =
        subscribedAt(relayUrl(1), kViewer, kChannel, QJsonObject{{"epoch", epoch}, {"seq", lastSeq}});
    QVERIFY(resumed);
    QTRY_COMPARE_WITH_TIMEOUT(eventIds(*victim).size() + eventIds(*resumed).size(), acknowledged.size(),
                              15000);
    QCOMPARE(eventIds(*victim) + eventIds(*resumed), acknowledged);
    QVERIFY(contiguous(*victim));
    QVERIFY(contiguous(*resumed, lastSeq + 1));
    QTRY_COMPARE_WITH_TIMEOUT(eventIds(*witness), acknowledged, 15000);
    // Every acknowledged notification is in the shared log, once.
    QCOMPARE(logIds(), acknowledged);
}

void TestRelayCluster::redisRestartLosesNothing() {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(subscribedAt(relayUrl(i), kViewer, kChannel));
        QVERIFY(clients.back());
    }
    QStringList sent;
    auto send = [&](const QByteArray &prefix, int count) {
        for (int n = 0; n < count; ++n) {
            const QByteArray id = prefix + QByteArray::number(n);
            QCOMPARE(post(n % 3, id), 204);
            sent << QString::fromLatin1(id);
        }
    };
    send("before-", 15);
    const quint16 port = m_redis.port();
    m_redis.kill();
    send("during-", 15); // each relay's own clients get these at once; the others' read them from the log
    QString why;
    QVERIFY2(m_redis.start(&why, port), qPrintable(why));
    send("after-", 15);
    for (const auto &c : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(eventIds(*c).size(), sent.size(), 20000);
        QCOMPARE(eventIds(*c), sent);
        QVERIFY(contiguous(*c));
    }
    // The relays found the lost messages in the log.
    qint64 filled = 0;
    for (int i = 0; i < 3; ++i)
        filled += metricOf(i, "streams_relay_fanout_gap_events_total");
    QVERIFY2(filled > 0, "nothing was read back from the log, yet Redis was down for 15 events");
}

void TestRelayCluster::ownerKilledAnotherTakesOver() {
    // One relay owns the subscriptions (the first to start); the others ask it.
    QCOMPARE(QList<bool>({ownsSubscriptions(0), ownsSubscriptions(1), ownsSubscriptions(2)}),
             QList<bool>({true, false, false}));
    auto viewer = subscribedAt(relayUrl(2), kViewer, kChannel); // asked through the owner
    QVERIFY(viewer);
    const QStringList before = enabledAtTwitch();
    QVERIFY2(before.contains("stream.online " + kChannel), qPrintable(before.join(", ")));

    m_relays[0]->kill();
    QTRY_VERIFY_WITH_TIMEOUT(ownsSubscriptions(1) || ownsSubscriptions(2), 15000);
    QVERIFY(!(ownsSubscriptions(1) && ownsSubscriptions(2)));
    QCOMPARE(enabledAtTwitch(), before); // nothing was lost or deleted in the change

    // The new owner serves new requests: the broadcaster's own follows need a subscription made now.
    auto broadcaster = subscribedAt(relayUrl(ownsSubscriptions(1) ? 2 : 1), kBroadcaster, kBroadcaster);
    QVERIFY(broadcaster);
    QVERIFY(enabledAtTwitch().contains("channel.follow " + kBroadcaster));
    // And the stream goes on for the client that was there.
    QCOMPARE(post(1, "after-owner"), 204);
    QTRY_COMPARE_WITH_TIMEOUT(eventIds(*viewer), QStringList{"after-owner"}, 10000);
}

void TestRelayCluster::relaysShareTheWebhookSecretOfTheirDatabase() {
    // Two more relays on the same database with no secret configured: the first creates one in the
    // database, both use it (behind a balancer either may get any webhook).
    QHash<QString, QString> env{{"STREAMS_RELAY_DATABASE_URL", postgres()->url(m_database).toString()},
                                {"STREAMS_RELAY_REDIS_URL", m_redis.url().toString()},
                                {"STREAMS_RELAY_WEBHOOK_SECRET", ""}};
    QTemporaryDir a, b;
    auto first = launchRelay(a.path(), 0, env);
    auto second = launchRelay(b.path(), 0, env);
    QVERIFY(first && second);
    const auto secret = postgres()->query(m_database, "SELECT value FROM meta WHERE key = 'webhook_secret'");
    QVERIFY(secret && secret->size() >= 10);
    for (ServerProcess *relay : {first.get(), second.get()}) {
        const QByteArray id = "shared-secret-" + QByteArray::number(relay->url().port());
        QCOMPARE(postWebhookTo(relay->url(), streamBody(kChannel, true, id), "notification", id, {},
                               secret->toLatin1())
                     .status,
                 204);
        // and not the secret the other relays were given
        QCOMPARE(postWebhookTo(relay->url(), streamBody(kChannel, true, id + "-x"), "notification", id + "-x")
                     .status,
                 403);
    }
    QVERIFY(!QFile::exists(QDir(a.path()).filePath("webhook-secret"))); // nothing on the relays' disks
}

void TestRelayCluster::sigtermWithClientsExitsCleanly() {
    // Clients still subscribed when the relay stops leave their rooms as it closes them: the fan-out
    // machinery they would tell is already gone (this crashed once).
    auto a = subscribedAt(relayUrl(0), kViewer, kChannel);
    auto b = subscribedAt(relayUrl(0), kBroadcaster, kBroadcaster);
    QVERIFY(a && b);
    // SIGTERM, with the event loop running so that the clients answer the relay's close (1001).
    QProcess &relay = m_relays[0]->process();
    relay.terminate();
    QTRY_VERIFY_WITH_TIMEOUT(relay.state() == QProcess::NotRunning, 10000);
    QVERIFY2(relay.exitStatus() == QProcess::NormalExit && relay.exitCode() == 0,
             m_relays[0]->errors().right(2000).constData());
    QCOMPARE(a->socket.closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
}

QTEST_GUILESS_MAIN(TestRelayCluster)
#include "tst_relay_cluster.moc"
