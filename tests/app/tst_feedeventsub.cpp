// The feed with all its live sources at once — relay, EventSub WebSocket and chat — against twitch-sim and
// a relay (real processes): the same follow and the same cheer are one row each; scopes the login lacks are
// named; a revoked kind comes from chat again.

#include "feed/feedcontroller.h"
#include "relayclient/relayclient.h"
#include "relayharness.h"
#include "store/localstore.h"
#include "twitch/authsession.h"
#include "twitch/eventsubsession.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

#include <QSignalSpy>

using namespace streams::app;
using namespace streams::test;

namespace {

const QString kAllScopes = QStringLiteral(
    "bits:read channel:read:subscriptions moderator:read:followers user:read:moderated_channels");

// What the app builds for one profile, with EventSub as the fourth source.
struct Rig {
    QTemporaryDir profile;
    std::unique_ptr<LocalStore> store = LocalStore::open(profile.path()).store;
    QNetworkAccessManager network;
    HelixClient helix;
    RelayClient relay;
    IrcClient chat;
    EventSubSession eventSub;
    FeedModel model;
    FeedController controller{*store, helix, relay, chat, &eventSub, model};

    Rig(const QUrl &sim, const QUrl &relayUrl)
        : helix(network, sim.resolved(QUrl("/helix")), kClientId)
        , relay(relayUrl, *store)
        , chat(QUrl(sim.toString().replace("http://", "ws://") + "/irc"))
        , eventSub(network, QUrl(sim.toString().replace("http://", "ws://") + "/eventsub/ws"),
                   sim.resolved(QUrl("/helix")), kClientId) {}

    int rows(const QString &kind, const QString &userId = {}) const {
        int n = 0;
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.at(row).kind == kind && (userId.isEmpty() || model.at(row).userId == userId))
                ++n;
        return n;
    }
};

} // namespace

class TestFeedEventSub : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(startServers()); }
    void cleanupTestCase() { stopServers(); }
    void relayEventSubAndChatShowTheSameEventOnce();
    void missingScopesAreNamedAndChatKeepsThoseKinds();

private:
    void chat(const QJsonObject &body) {
        QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/chat")), QJsonDocument(body).toJson()).status,
                 200);
    }
    QString eventSubId(const QString &type) {
        const QJsonArray all =
            QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/eventsub/subscriptions"))).body)
                .object()
                .value("data")
                .toArray();
        for (const QJsonValue v : all)
            if (v["type"].toString() == type && v["status"].toString() == "enabled")
                return v["id"].toString();
        return {};
    }
};

void TestFeedEventSub::relayEventSubAndChatShowTheSameEventOnce() {
    Rig rig(m_sim->url(), m_relay->url());
    rig.controller.setAccount({kBroadcaster, "lumenwave", kAllScopes.split(' ')});
    rig.controller.open(userToken(kBroadcaster, kAllScopes), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(rig.rows("follow"), 9, 10000); // Helix's latest followers
    QTRY_COMPARE_WITH_TIMEOUT(rig.relay.state(), RelayClient::State::Connected, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.chat.state(), IrcClient::State::Joined, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.eventSub.enabledTypes().size(), 8, 10000);
    QVERIFY(rig.controller.missingScopes().isEmpty());
    QSignalSpy fromEventSub(&rig.eventSub, &EventSubSession::event);
    QSignalSpy fromChat(&rig.chat, &IrcClient::chatEvent);

    // A follow: the relay (webhook) and EventSub (websocket) both deliver it.
    const qint64 relaySeq = rig.store->cursor(kBroadcaster) ? rig.store->cursor(kBroadcaster)->seq : 0;
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1002"}});
    QTRY_VERIFY_WITH_TIMEOUT(
        rig.store->cursor(kBroadcaster) && rig.store->cursor(kBroadcaster)->seq > relaySeq, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(fromEventSub.count(), 1, 10000);
    QCOMPARE(fromEventSub[0][0].value<FeedEvent>().kind, QStringLiteral("follow"));

    // A cheer: chat's line and EventSub's notification.
    chat({{"type", "cheer"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1006"}, {"amount", 500}});
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1006"},
             {"amount", 500}});
    QTRY_COMPARE_WITH_TIMEOUT(fromChat.count(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(fromEventSub.count(), 2, 10000);

    // A sentinel through the relay and EventSub: whatever the feed was going to show before it, it shows.
    trigger({{"type", "stream.offline"}, {"broadcaster_user_id", kBroadcaster}});
    QTRY_COMPARE_WITH_TIMEOUT(rig.rows("offline"), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(fromEventSub.count(), 3, 10000);

    QCOMPARE(rig.rows("follow"), 10); // Helix's nine and the new one, once
    QCOMPARE(rig.rows("cheer"), 1);
    QCOMPARE(rig.rows("offline"), 1);
    for (int row = 0; row < rig.model.rowCount(); ++row)
        if (rig.model.at(row).kind == u"cheer")
            QCOMPARE(rig.model.at(row).source, QStringLiteral("eventsub"));
    QCOMPARE(rig.store->recent(kBroadcaster, 100).size(), rig.model.rowCount());

    // Twitch revokes the cheers: the feed says so, and chat is their source again.
    QSignalSpy notices(&rig.controller, &FeedController::notice);
    const QString cheerSub = eventSubId("channel.cheer");
    QVERIFY(!cheerSub.isEmpty());
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/revoke")),
                      QJsonDocument(
                          QJsonObject{{"subscription_id", cheerSub}, {"status", "authorization_revoked"}})
                          .toJson())
                 .status,
             200);
    QTRY_COMPARE_WITH_TIMEOUT(notices.count(), 1, 10000);
    QVERIFY(notices[0][0].toString().contains("cheers"));
    QVERIFY(notices[0][0].toString().contains("authorization_revoked"));
    chat({{"type", "cheer"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1007"}, {"amount", 42}});
    QTRY_COMPARE_WITH_TIMEOUT(rig.rows("cheer"), 2, 10000);
    QCOMPARE(rig.model.at(0).source, QStringLiteral("chat"));
    QCOMPARE(rig.model.at(0).amount, 42);
    rig.controller.close();
    QCOMPARE(rig.eventSub.state(), EventSubSession::State::Stopped);
}

void TestFeedEventSub::missingScopesAreNamedAndChatKeepsThoseKinds() {
    // Logged in before EventSub: no bits:read, no channel:read:subscriptions.
    const QString scopes = QStringLiteral("moderator:read:followers user:read:moderated_channels");
    Rig rig(m_sim->url(), m_relay->url());
    QSignalSpy missing(&rig.controller, &FeedController::missingScopesChanged);
    rig.controller.setAccount({kBroadcaster, "lumenwave", scopes.split(' ')});
    rig.controller.open(userToken(kBroadcaster, scopes), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(rig.eventSub.state(), EventSubSession::State::Live, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.eventSub.enabledTypes().size(), 4, 10000);
    const QStringList enabled = rig.eventSub.enabledTypes();
    QCOMPARE(QSet<QString>(enabled.begin(), enabled.end()),
             QSet<QString>({"channel.follow", "channel.raid", "stream.online", "stream.offline"}));
    QVERIFY(missing.count() >= 1);
    QCOMPARE(rig.controller.missingScopes(), QStringList({"bits:read", "channel:read:subscriptions"}));
    QVERIFY(rig.controller.featuresNeedingLogin().contains("cheers"));
    QVERIFY(rig.controller.featuresNeedingLogin().contains("subscriptions"));
    QVERIFY(!rig.controller.featuresNeedingLogin().contains("follows"));
    // Cheers and subs still come from chat.
    QTRY_COMPARE_WITH_TIMEOUT(rig.chat.state(), IrcClient::State::Joined, 10000);
    chat({{"type", "cheer"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1004"}, {"amount", 300}});
    chat({{"type", "sub"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1005"}});
    QTRY_COMPARE_WITH_TIMEOUT(rig.rows("cheer"), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.rows("sub"), 1, 10000);
    // A moderator (with every scope) gets follows only; a viewer nothing from EventSub.
    Rig moderator(m_sim->url(), m_relay->url());
    moderator.controller.setAccount({kModerator, "mossbyte", kAllScopes.split(' ')});
    moderator.controller.open(userToken(kModerator, kAllScopes), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(moderator.eventSub.enabledTypes(), QStringList({"channel.follow"}), 10000);
    QVERIFY(moderator.controller.missingScopes().isEmpty());
    Rig viewer(m_sim->url(), m_relay->url());
    viewer.controller.setAccount({kViewer, "ironquill", kAllScopes.split(' ')});
    QSignalSpy viewerStates(&viewer.eventSub, &EventSubSession::stateChanged);
    viewer.controller.open(userToken(kViewer, kAllScopes), kBroadcaster, "lumenwave");
    QTRY_COMPARE_WITH_TIMEOUT(viewer.eventSub.state(), EventSubSession::State::Failed, 10000);
    QCOMPARE(viewer.eventSub.connections(), 0);
}

QTEST_GUILESS_MAIN(TestFeedEventSub)
#include "tst_feedeventsub.moc"
