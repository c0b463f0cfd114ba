// Opening a streamer's feed end to end: store, Helix, relay and chat into one model (twitch-sim + relay).

#include "feed/feedcontroller.h"
#include "relayclient/relayclient.h"
#include "relayharness.h"
#include "store/localstore.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

#include <QSignalSpy>

using namespace streams::app;
using namespace streams::test;

namespace {
// What the app builds for one profile: the store, Helix, the relay client, chat, the model, the controller.
struct Rig {
    QTemporaryDir profile;
    std::unique_ptr<LocalStore> store = LocalStore::open(profile.path()).store;
    QNetworkAccessManager network;
    HelixClient helix;
    RelayClient relay;
    IrcClient chat;
    FeedModel model;
    FeedController controller{*store, helix, relay, chat, model};

    Rig(const QUrl &sim, const QUrl &relayUrl, RelayClient::Timing timing = {})
        : helix(network, sim.resolved(QUrl("/helix")), kClientId)
        , relay(relayUrl, *store, timing)
        , chat(QUrl(sim.toString().replace("http://", "ws://") + "/irc")) {}
};
} // namespace

class TestFeedController : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(startServers()); }
    void cleanupTestCase() { stopServers(); }
    void storeHelixRelayAndChatMeetInOneFeed();
    void relayRestartLeavesNoGapOrDuplicateInTheModel();
    void aRecreatedRelayLogRefetchesFromHelix();

private:
    QTemporaryDir m_emptyData;
};

void TestFeedController::storeHelixRelayAndChatMeetInOneFeed() {
    Rig rig(m_sim->url(), m_relay->url());
    auto &store = rig.store;
    auto &model = rig.model;
    auto &relay = rig.relay;
    auto &chat = rig.chat;
    auto &controller = rig.controller;
    // Something from an earlier run is shown at once.
    FeedEvent earlier;
    earlier.key = "relay:earlier";
    earlier.broadcasterId = kBroadcaster;
    earlier.kind = "raid";
    earlier.userLogin = "old_raider";
    earlier.amount = 7;
    earlier.occurredAt = QDateTime::currentDateTimeUtc().addDays(-1);
    earlier.source = "relay";
    store->insert({earlier});

    controller.open(userToken(kBroadcaster, "moderator:read:followers"), kBroadcaster, "lumenwave");
    QCOMPARE(model.rowCount(), 1); // the store's, before any network answer
    QCOMPARE(model.at(0).kind, QStringLiteral("raid"));
    QTRY_COMPARE_WITH_TIMEOUT(model.countByKind().value("follow"), 9, 10000); // Helix's latest followers
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Connected, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(chat.state(), IrcClient::State::Joined, 10000);

    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1002"}});
    QTRY_COMPARE_WITH_TIMEOUT(model.countByKind().value("follow"), 10, 10000);
    QCOMPARE(model.at(0).kind, QStringLiteral("follow")); // newest on top
    QCOMPARE(model.at(0).source, QStringLiteral("relay"));

    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/chat")),
                      QJsonDocument(QJsonObject{{"type", "cheer"},
                                                {"broadcaster_user_id", kBroadcaster},
                                                {"user_id", "1006"},
                                                {"amount", 500}})
                          .toJson())
                 .status,
             200);
    QTRY_COMPARE_WITH_TIMEOUT(model.countByKind().value("cheer"), 1, 10000);
    QCOMPARE(model.at(0).amount, 500);
    // Everything shown is in the store, once.
    QCOMPARE(store->recent(kBroadcaster, 100).size(), model.rowCount());
}

void TestFeedController::relayRestartLeavesNoGapOrDuplicateInTheModel() {
    RelayClient::Timing timing;
    timing.firstRetryMs = 1500; // the relay is back before the client tries again: the follow is replayed
    timing.maxRetryMs = 3000;
    Rig rig(m_sim->url(), m_relay->url(), timing);
    auto &store = rig.store;
    auto &model = rig.model;
    auto &relay = rig.relay;
    auto &controller = rig.controller;
    controller.open(userToken(kBroadcaster, "moderator:read:followers"), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Connected, 10000);

    auto relayFollowers = [&] {
        QStringList users;
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.at(row).source == u"relay" && model.at(row).kind == u"follow")
                users.append(model.at(row).userId);
        std::sort(users.begin(), users.end());
        return users;
    };
    auto follow = [&](const char *userId) {
        trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", userId}});
    };
    follow("1002");
    follow("1003");
    QTRY_COMPARE_WITH_TIMEOUT(relayFollowers(), QStringList({"1002", "1003"}), 10000);

    // The relay dies; Twitch's delivery of the next follow fails and is retried until the relay is back.
    const quint16 port = quint16(m_relay->url().port());
    m_relay->kill();
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Reconnecting, 10000);
    follow("1004");
    QVERIFY(startRelay(port));
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Connected, 15000);
    follow("1005");
    QTRY_COMPARE_WITH_TIMEOUT(relayFollowers(), QStringList({"1002", "1003", "1004", "1005"}), 15000);
    // Nothing arrives twice later either: the relay delivers in the order it stores, so once a sentinel
    // sent after the follows is in the model, whatever the resume could still have delivered is too.
    QVERIFY(waitForEnabled(QStringLiteral("stream.offline"), kBroadcaster));
    QStringList sentinelKeys; // a relay event's key is its Twitch message id
    for (const QString &id : triggered({{"type", "stream.offline"}, {"broadcaster_user_id", kBroadcaster}}))
        sentinelKeys.append(QStringLiteral("relay:") + id);
    QVERIFY(!sentinelKeys.isEmpty());
    auto sentinelShown = [&] {
        for (int row = 0; row < model.rowCount(); ++row)
            if (sentinelKeys.contains(model.at(row).key))
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(sentinelShown(), 10000);
    QCOMPARE(relayFollowers(), QStringList({"1002", "1003", "1004", "1005"}));
    QSet<QString> keys;
    for (int row = 0; row < model.rowCount(); ++row)
        keys.insert(model.at(row).key);
    QCOMPARE(keys.size(), model.rowCount());
    QCOMPARE(store->recent(kBroadcaster, 100).size(), model.rowCount());
}

void TestFeedController::aRecreatedRelayLogRefetchesFromHelix() {
    RelayClient::Timing timing;
    timing.firstRetryMs = 200;
    Rig rig(m_sim->url(), m_relay->url(), timing);
    auto &store = rig.store;
    auto &model = rig.model;
    auto &relay = rig.relay;
    auto &controller = rig.controller;
    QSignalSpy reset(&relay, &RelayClient::historyReset);
    controller.open(userToken(kBroadcaster, "moderator:read:followers"), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Connected, 10000);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1006"}});
    QTRY_VERIFY_WITH_TIMEOUT(store->cursor(kBroadcaster).has_value(), 10000);
    auto helixCalls = [&] {
        return QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/helix/stats"))).body)
            .object()
            .value("by_user")
            .toObject()
            .value(kBroadcaster) // the app's calls, not the relay's
            .toInt();
    };
    QTRY_VERIFY_WITH_TIMEOUT(helixCalls() > 0, 10000);
    const int before = helixCalls();

    // The relay comes back with an empty log (a new epoch): the client is told to reset.
    const quint16 port = quint16(m_relay->url().port());
    m_relay->kill();
    m_relay = launchRelay(m_emptyData.path(), port);
    QVERIFY(m_relay);
    QVERIFY(reset.wait(15000));
    QCOMPARE(reset.at(0).at(0).toString(), kBroadcaster);
    QTRY_VERIFY_WITH_TIMEOUT(helixCalls() > before, 10000); // Helix's latest followers, asked again
    QTRY_COMPARE_WITH_TIMEOUT(relay.state(), RelayClient::State::Connected, 10000);
    QVERIFY(store->cursor(kBroadcaster)->epoch != QString()); // the new epoch from the next event on
    QCOMPARE(model.countByKind().value("follow"), 9 + 1);     // Helix's nine, and the relay's one, once
}

QTEST_GUILESS_MAIN(TestFeedController)
#include "tst_feedcontroller.moc"
