// Opening a streamer's feed end to end: store, Helix, relay and chat into one model (twitch-sim + relay).

#include "feed/feedcontroller.h"
#include "relayclient/relayclient.h"
#include "relayharness.h"
#include "store/localstore.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

using namespace streams::app;
using namespace streams::test;

class TestFeedController : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QVERIFY(startSim());
        QVERIFY(startRelay());
    }
    void cleanupTestCase() {
        m_relay.reset();
        m_sim.reset();
    }
    void storeHelixRelayAndChatMeetInOneFeed();
};

void TestFeedController::storeHelixRelayAndChatMeetInOneFeed() {
    QTemporaryDir profile;
    auto store = LocalStore::open(profile.path()).store;
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

    QNetworkAccessManager network;
    HelixClient helix(network, m_sim->url().resolved(QUrl("/helix")), kClientId);
    RelayClient relay(m_relay->url(), *store);
    QUrl ircUrl = m_sim->url();
    ircUrl.setScheme("ws");
    ircUrl.setPath("/irc");
    IrcClient chat(ircUrl);
    FeedModel model;
    FeedController controller(*store, helix, relay, chat, model);

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

QTEST_GUILESS_MAIN(TestFeedController)
#include "tst_feedcontroller.moc"
