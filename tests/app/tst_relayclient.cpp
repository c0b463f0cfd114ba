// The app's relay client against a real relay and twitch-sim.

#include "forwarder.h"
#include "relayclient/relayclient.h"
#include "relayclient/relayconfig.h"
#include "relayharness.h"
#include "store/localstore.h"

#include <QSignalSpy>

using namespace streams::app;
using namespace streams::test;

class TestRelayClient : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { stopServers(); }
    void connectsAndStoresEventsThenTheCursor();
    void resumesWithoutGapOrDuplicate();
    void reconnectsAfterTheRelayRestarts();
    void followsNotAllowedForAViewer();
    void badTokenFailsOnceWithoutRetrying();
    void aRenewedTokenReconnectsAtOnce();
    void aRevokedFollowSubscriptionEndsFollows();
    void aRelayUnderAPathPrefix();
    void aStoppedClientStoresNothingMore();
    void anotherStreamerKeepsTheLastOnesCursor();

private:
    std::unique_ptr<RelayClient> client(LocalStore &store) {
        RelayClient::Timing timing;
        timing.firstRetryMs = 200;
        timing.maxRetryMs = 1000;
        return std::make_unique<RelayClient>(m_relay->url(), store, timing);
    }
    QTemporaryDir m_profile;
    std::unique_ptr<LocalStore> m_store;
};

void TestRelayClient::initTestCase() {
    QVERIFY(startSim());
    QVERIFY(startRelay());
    m_store = LocalStore::open(m_profile.path()).store;
    QVERIFY(m_store);
}

void TestRelayClient::connectsAndStoresEventsThenTheCursor() {
    auto c = client(*m_store);
    QList<FeedEvent> stored;
    connect(c.get(), &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
    c->start(userToken(kBroadcaster), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 10000);
    QVERIFY(c->followsAllowed());
    QCOMPARE(c->describe(), QStringLiteral("Connected to the relay"));
    // `subscribed` comes once Twitch accepted the subscription; it sends follows once it verified it.
    QVERIFY(waitForEnabled("channel.follow", kBroadcaster, kBroadcaster));
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
    QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 1, 10000);
    QCOMPARE(stored[0].kind, QStringLiteral("follow"));
    QCOMPARE(stored[0].userLogin, QStringLiteral("pebbleknight"));
    QCOMPARE(m_store->recent(kBroadcaster, 10, {"follow"}).first().key, stored[0].key);
    QVERIFY(m_store->cursor(kBroadcaster));
    QVERIFY(m_store->cursor(kBroadcaster)->seq > 0);
}

void TestRelayClient::resumesWithoutGapOrDuplicate() {
    const qint64 before = m_store->cursor(kBroadcaster)->seq;
    const qint64 storedBefore = metric("streams_relay_events_stored_total");
    // The app is closed while three things happen, one at a time (webhooks on parallel connections may
    // be stored in either order).
    qint64 storedNow = storedBefore;
    for (const QJsonObject &event :
         {QJsonObject{{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}},
          QJsonObject{{"type", "stream.offline"}, {"broadcaster_user_id", kBroadcaster}},
          QJsonObject{
              {"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1008"}}}) {
        trigger(event);
        ++storedNow;
        QTRY_COMPARE_WITH_TIMEOUT(metric("streams_relay_events_stored_total"), storedNow, 10000);
    }
    QCOMPARE(storedNow, storedBefore + 3);
    auto c = client(*m_store);
    QList<FeedEvent> stored;
    connect(c.get(), &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
    c->start(userToken(kBroadcaster), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 3, 10000);
    // A live event after the replay: once it is stored, nothing of the replay is still to come.
    trigger({{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}});
    QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 4, 10000);
    QCOMPARE(stored[0].kind, QStringLiteral("online"));
    QCOMPARE(stored[1].kind, QStringLiteral("offline"));
    QCOMPARE(stored[2].kind, QStringLiteral("follow"));
    QCOMPARE(stored[3].kind, QStringLiteral("online")); // the sentinel
    QVERIFY(m_store->cursor(kBroadcaster)->seq > before);
}

void TestRelayClient::reconnectsAfterTheRelayRestarts() {
    auto c = client(*m_store);
    QList<FeedEvent> stored;
    connect(c.get(), &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
    c->start(userToken(kBroadcaster), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 10000);
    const quint16 port = quint16(m_relay->url().port());
    m_relay->kill();
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Reconnecting, 10000);
    QVERIFY(c->describe().startsWith("Reconnecting in"));
    QVERIFY(startRelay(port));
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 15000);
    trigger({{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}});
    QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 1, 10000);
    QCOMPARE(stored[0].kind, QStringLiteral("online"));
}

void TestRelayClient::followsNotAllowedForAViewer() {
    QTemporaryDir profile;
    auto store = LocalStore::open(profile.path()).store;
    auto c = client(*store);
    QSignalSpy availability(c.get(), &RelayClient::followsAvailability);
    c->start(userToken(kViewer), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 10000);
    QCOMPARE(availability.count(), 1);
    QCOMPARE(availability.at(0).at(0).toBool(), false);
    QVERIFY(availability.at(0).at(1).toString().contains("broadcaster and moderators"));
    QVERIFY(!c->followsAllowed());
}

void TestRelayClient::badTokenFailsOnceWithoutRetrying() {
    Forwarder relay(m_relay->url());
    QVERIFY(relay.listen());
    RelayClient::Timing timing;
    timing.firstRetryMs = 200;
    RelayClient c(relay.url(), *m_store, timing);
    QSignalSpy unauthorized(&c, &RelayClient::unauthorized);
    c.start(QStringLiteral("made-up-token"), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), RelayClient::State::Failed, 10000);
    // It must not retry: once the connection is gone no retry is waiting (the retry timer is the only way
    // back without a new token), and only one connection was made.
    QTRY_COMPARE_WITH_TIMEOUT(relay.connections(), 0, 10000);
    QCOMPARE(c.retryInMs(), 0);
    QCOMPARE(relay.requests(), QList<QByteArray>({"GET /ws HTTP/1.1"}));
    QCOMPARE(c.state(), RelayClient::State::Failed);
    QCOMPARE(unauthorized.count(), 1);
    QVERIFY(c.describe().startsWith("Relay unavailable"));
}

void TestRelayClient::aRenewedTokenReconnectsAtOnce() {
    auto c = client(*m_store);
    c->start(QStringLiteral("expired-token"), kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Failed, 10000);
    c->setToken(userToken(kBroadcaster)); // what AuthSession::tokenRenewed hands over
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 10000);
    QVERIFY(c->followsAllowed());
}

void TestRelayClient::aRevokedFollowSubscriptionEndsFollows() {
    QTemporaryDir profile;
    auto store = LocalStore::open(profile.path()).store;
    auto c = client(*store);
    QSignalSpy availability(c.get(), &RelayClient::followsAvailability);
    c->start(userToken(QStringLiteral("1007")), kBroadcaster); // a moderator of lumenwave
    QTRY_COMPARE_WITH_TIMEOUT(c->state(), RelayClient::State::Connected, 10000);
    QVERIFY(c->followsAllowed());
    QString id;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QJsonValue v : simSubscriptions())
                if (v["type"] == "channel.follow" && v["condition"]["moderator_user_id"] == "1007" &&
                    v["status"] == "enabled")
                    id = v["id"].toString();
            return !id.isEmpty();
        }(),
        10000);
    httpPost(m_sim->url().resolved(QUrl("/sim/revoke")),
             QJsonDocument(QJsonObject{{"subscription_id", id}, {"status", "moderator_removed"}}).toJson());
    QTRY_COMPARE_WITH_TIMEOUT(availability.count(), 1, 10000);
    QCOMPARE(availability.at(0).at(0).toBool(), false);
    QVERIFY(availability.at(0).at(1).toString().contains("moderator_removed"));
    QVERIFY(!c->followsAllowed());
}

void TestRelayClient::aRelayUnderAPathPrefix() {
    // The relay behind a reverse proxy that serves it under /relay/ (and nothing else).
    Forwarder proxy(m_relay->url());
    proxy.setPathPrefix("/relay");
    QVERIFY(proxy.listen());
    for (const QString &path : {QStringLiteral("/relay/"), QStringLiteral("/relay")}) {
        const QUrl relay = proxy.url().resolved(QUrl(path));
        QNetworkAccessManager network;
        std::optional<RelayConfig> config;
        QString error = "no answer";
        fetchRelayConfig(
            network, relay,
            [&](std::optional<RelayConfig> c, const QString &e) {
                config = c;
                error = e;
            },
            this);
        QTRY_VERIFY2_WITH_TIMEOUT(config.has_value(), qPrintable(error), 10000); // the settings' check
        QVERIFY(proxy.requests().contains("GET /relay/api/v1/config HTTP/1.1"));

        QTemporaryDir profile;
        auto store = LocalStore::open(profile.path()).store;
        RelayClient::Timing timing;
        timing.firstRetryMs = 200;
        RelayClient c(relay, *store, timing);
        QList<FeedEvent> stored;
        connect(&c, &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
        c.start(userToken(kBroadcaster), kBroadcaster);
        QTRY_COMPARE_WITH_TIMEOUT(c.state(), RelayClient::State::Connected, 10000);
        QCOMPARE(proxy.requests().last(), QByteArray("GET /relay/ws HTTP/1.1"));
        trigger({{"type", "stream.online"}, {"broadcaster_user_id", kBroadcaster}});
        QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 1, 10000);
        QCOMPARE(stored[0].kind, QStringLiteral("online"));
    }
}

void TestRelayClient::aStoppedClientStoresNothingMore() {
    Forwarder relay(m_relay->url());
    QVERIFY(relay.listen());
    QTemporaryDir profile;
    auto store = LocalStore::open(profile.path()).store;
    RelayClient c(relay.url(), *store);
    QList<FeedEvent> stored;
    connect(&c, &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
    c.start(userToken(kModerator), kBroadcaster); // a moderator: Twitch can revoke its follows
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), RelayClient::State::Connected, 10000);
    QString subscription;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QJsonValue v : simSubscriptions())
                if (v["type"] == "channel.follow" && v["condition"]["moderator_user_id"] == kModerator &&
                    v["status"] == "enabled")
                    subscription = v["id"].toString();
            return !subscription.isEmpty();
        }(),
        10000);

    // A follow and then the revocation reach the client in one read: the follow is still waiting to be
    // stored when the client stops on the revocation (as at a logout).
    relay.hold(false, true);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
    QTRY_VERIFY_WITH_TIMEOUT(relay.heldForClients().contains(R"("type":"event")"), 10000);
    httpPost(m_sim->url().resolved(QUrl("/sim/revoke")),
             QJsonDocument(QJsonObject{{"subscription_id", subscription}, {"status", "moderator_removed"}})
                 .toJson());
    QTRY_VERIFY_WITH_TIMEOUT(relay.heldForClients().contains(R"("type":"revoked")"), 10000);
    connect(&c, &RelayClient::revoked, this, [&] { c.stop(); });
    relay.release();
    QTRY_COMPARE_WITH_TIMEOUT(relay.webSockets(), 0, 10000); // closed: the client read all the relay sent
    bool drained = false; // every write handed to the store before this one is done when it is
    store->write({}, std::nullopt, this, [&](const QList<FeedEvent> &) { drained = true; });
    QTRY_VERIFY_WITH_TIMEOUT(drained, 10000);
    QCOMPARE(c.state(), RelayClient::State::Stopped);
    QCOMPARE(stored.size(), 0);
    QVERIFY(store->recent(kBroadcaster, 10).isEmpty());
    QVERIFY(!store->cursor(kBroadcaster).has_value());
}

void TestRelayClient::anotherStreamerKeepsTheLastOnesCursor() {
    // nightjarfm (1004) is moderated by pebbleknight (1009); no other test touches their subscription.
    const QString first = QStringLiteral("1004");
    const QString next = QStringLiteral("1006");
    Forwarder relay(m_relay->url());
    QVERIFY(relay.listen());
    QTemporaryDir profile;
    auto store = LocalStore::open(profile.path()).store;
    RelayClient c(relay.url(), *store);
    QList<FeedEvent> stored;
    connect(&c, &RelayClient::eventsStored, this, [&](const QList<FeedEvent> &e) { stored += e; });
    const QString token = userToken(QStringLiteral("1009"));
    c.start(token, first);
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), RelayClient::State::Connected, 10000);
    QString subscription;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QJsonValue v : simSubscriptions())
                if (v["type"] == "channel.follow" && v["condition"]["moderator_user_id"] == "1009" &&
                    v["status"] == "enabled")
                    subscription = v["id"].toString();
            return !subscription.isEmpty();
        }(),
        10000);

    // A follow and a revocation in one read: the follow still waits to be stored when the user, told that
    // follows stopped, picks another streamer.
    relay.hold(false, true);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", first}, {"user_id", "1005"}});
    QTRY_VERIFY_WITH_TIMEOUT(relay.heldForClients().contains(R"("type":"event")"), 10000);
    const QByteArray held = relay.heldForClients();
    const qsizetype at = held.indexOf(R"("seq":)");
    QVERIFY(at > 0);
    const qint64 seq = held.mid(at + 6, held.indexOf(',', at) - at - 6).toLongLong();
    QVERIFY(seq > 0);
    httpPost(m_sim->url().resolved(QUrl("/sim/revoke")),
             QJsonDocument(QJsonObject{{"subscription_id", subscription}, {"status", "moderator_removed"}})
                 .toJson());
    QTRY_VERIFY_WITH_TIMEOUT(relay.heldForClients().contains(R"("type":"revoked")"), 10000);
    QSignalSpy states(&c, &RelayClient::stateChanged);
    connect(&c, &RelayClient::revoked, this, [&] { c.start(token, next); });
    relay.release();
    QTRY_COMPARE_WITH_TIMEOUT(stored.size(), 1, 10000);
    QCOMPARE(stored[0].broadcasterId, first);
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), RelayClient::State::Connected, 10000);
    // The resume point of the follow is the first streamer's; the next one has none of its own yet.
    QVERIFY(store->cursor(first).has_value());
    QCOMPARE(store->cursor(first)->seq, seq);
    QVERIFY2(!store->cursor(next).has_value(),
             qPrintable(QString::number(store->cursor(next).value_or(RelayCursor{}).seq)));
    // One connection for the next streamer, and no second one to come: no retry is waiting.
    QCOMPARE(c.retryInMs(), 0);
    QCOMPARE(relay.requests().count("GET /ws HTTP/1.1"), 2);
    QCOMPARE(c.state(), RelayClient::State::Connected);
    QVERIFY2(!states.contains(QVariantList{QVariant::fromValue(RelayClient::State::Reconnecting)}),
             "the switch looked like a lost connection");
}

QTEST_GUILESS_MAIN(TestRelayClient)
#include "tst_relayclient.moc"
