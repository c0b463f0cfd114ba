// The app's EventSub WebSocket session against twitch-sim (a real process, keepalive window of 2 s):
// subscriptions within the window, keepalive loss, session_reconnect in the middle of a burst, revocation,
// 4003, duplicate message ids and old timestamps (twitch-platform.md §1.6, §3).

#include "serverprocess.h"
#include "twitch/eventsubsession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace streams::app;
using namespace streams::test;

namespace {

const QString kClientId = QStringLiteral("simclient0000000000000000000001");
const QString kBroadcaster = QStringLiteral("1001"); // lumenwave; moderators 1003 and 1007
const QString kModerator = QStringLiteral("1003");
const QString kAllScopes = QStringLiteral(
    "bits:read channel:read:subscriptions moderator:read:followers user:read:moderated_channels");
constexpr int kKeepaliveSeconds = 2;

} // namespace

class TestEventSub : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void welcomeCreatesTheSubscriptionsWithinTheWindow();
    void aModeratorGetsFollowsOnly();
    void asksForItsKeepaliveWindow();
    void missingKeepaliveReconnectsAndRecreates();
    void reconnectDuringABurstLosesAndDoublesNothing();
    void revocationStopsThatKind();
    void unusedSessionClosedWith4003IsOpenedAgain();
    void everyCloseCodeLeadsToANewSession_data();
    void everyCloseCodeLeadsToANewSession();
    void aFourthConnectionIsRefusedAndLetGo();
    void anExpiredTokenIsAskedForAndTheSubscriptionsFollow();
    void duplicateMessageIdIsOneEvent();
    void oldTimestampIsDropped();
    void notificationsBecomeFeedEvents_data();
    void notificationsBecomeFeedEvents();
    void sessionMessagesParse();

private:
    QString token(const QString &userId, const QString &scopes = kAllScopes) {
        QUrl url = m_sim->url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(userId)));
        url.setQuery(QStringLiteral("scopes=") + QString::fromLatin1(QUrl::toPercentEncoding(scopes)));
        return QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString();
    }
    HttpResult post(const char *path, const QJsonObject &body) {
        return httpPost(m_sim->url().resolved(QUrl(QLatin1String(path))), QJsonDocument(body).toJson());
    }
    QJsonObject get(const char *path) {
        return QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl(QLatin1String(path)))).body)
            .object();
    }
    QJsonObject trigger(const QJsonObject &body) {
        const HttpResult r = post("/sim/trigger", body);
        if (r.status != 200)
            qWarning("trigger: %d %s", r.status, r.body.constData());
        return QJsonDocument::fromJson(r.body).object();
    }
    // The sim's websocket subscriptions of one session that are enabled, by type.
    QMap<QString, QJsonObject> enabledAtSim(const QString &sessionId) {
        QMap<QString, QJsonObject> out;
        for (const QJsonValue v : get("/sim/eventsub/subscriptions").value("data").toArray()) {
            const QJsonObject s = v.toObject();
            if (s["status"].toString() == "enabled" &&
                s["transport"].toObject()["session_id"].toString() == sessionId)
                out.insert(s["type"].toString(), s);
        }
        return out;
    }
    QJsonObject simSession(const QString &id) {
        for (const QJsonValue v : get("/sim/eventsub/sessions").value("sessions").toArray())
            if (v.toObject()["id"].toString() == id)
                return v.toObject();
        return {};
    }
    QJsonArray simClosed() { return get("/sim/eventsub/sessions").value("closed").toArray(); }
    // Starts a session for the broadcaster and waits until all eight subscriptions are enabled.
    bool startLive(const QString &userId = kBroadcaster) {
        const bool broadcaster = userId == kBroadcaster;
        m_session->start(token(userId), kBroadcaster,
                         eventSubSpecs(kBroadcaster, userId, broadcaster, !broadcaster));
        const int wanted = broadcaster ? 8 : 1;
        if (!QTest::qWaitFor([&] { return m_session->enabledTypes().size() == wanted; }, 10000)) {
            qWarning("not live: state %d, enabled %s", int(m_session->state()),
                     qPrintable(m_session->enabledTypes().join(',')));
            return false;
        }
        return true;
    }
    QList<int> cheerAmounts() const {
        QList<int> out;
        for (const FeedEvent &e : m_events)
            if (e.kind == u"cheer")
                out.append(e.amount);
        return out;
    }

    std::unique_ptr<ServerProcess> m_sim;
    QNetworkAccessManager m_network;
    std::unique_ptr<EventSubSession> m_session;
    QList<FeedEvent> m_events;
};

void TestEventSub::initTestCase() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_SIM_EVENTSUB_KEEPALIVE_SECONDS", QString::number(kKeepaliveSeconds));
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
    QVERIFY(m_sim->start());
}

void TestEventSub::init() {
    QUrl ws = m_sim->url();
    ws.setScheme("ws");
    ws.setPath("/eventsub/ws");
    EventSubSession::Timing timing;
    timing.firstRetryMs = 200;
    timing.maxRetryMs = 1000;
    timing.keepaliveGraceMs = 500;
    m_session = std::make_unique<EventSubSession>(m_network, ws, m_sim->url().resolved(QUrl("/helix")),
                                                  kClientId, timing);
    m_events.clear();
    connect(m_session.get(), &EventSubSession::event, this,
            [this](const FeedEvent &e) { m_events.append(e); });
}

void TestEventSub::cleanup() {
    const QString id = m_session->sessionId();
    m_session.reset();
    // The sim has seen the socket go, so the next test's user has no session of ours left.
    if (!id.isEmpty())
        QTRY_VERIFY_WITH_TIMEOUT(simSession(id).isEmpty() || simSession(id)["sockets"].toInt() == 0, 10000);
}

void TestEventSub::welcomeCreatesTheSubscriptionsWithinTheWindow() {
    QSignalSpy states(m_session.get(), &EventSubSession::stateChanged);
    QVERIFY(startLive());
    QCOMPARE(m_session->state(), EventSubSession::State::Live);
    QCOMPARE(m_session->connections(), 1);
    const QString sessionId = m_session->sessionId();
    const QMap<QString, QJsonObject> subs = enabledAtSim(sessionId);
    QCOMPARE(subs.keys(), QStringList({"channel.cheer", "channel.follow", "channel.raid", "channel.subscribe",
                                       "channel.subscription.gift", "channel.subscription.message",
                                       "stream.offline", "stream.online"}));
    QCOMPARE(subs["channel.follow"]["version"].toString(), QStringLiteral("2"));
    QCOMPARE(subs["channel.follow"]["condition"].toObject()["moderator_user_id"].toString(), kBroadcaster);
    QCOMPARE(subs["channel.raid"]["condition"].toObject()["to_broadcaster_user_id"].toString(), kBroadcaster);
    QCOMPARE(subs["channel.raid"]["condition"].toObject().contains("from_broadcaster_user_id"), false);
    // Within the window: each was created less than K seconds after the welcome, and the sim keeps the
    // session past the window (it closes an unused one with 4003): three keepalives (one per 0.9 K of
    // silence) after the welcome.
    const QDateTime connectedAt =
        QDateTime::fromString(simSession(sessionId)["connected_at"].toString(), Qt::ISODateWithMs);
    QVERIFY(connectedAt.isValid());
    for (const QJsonObject &sub : subs) {
        const QDateTime created = QDateTime::fromString(sub["created_at"].toString(), Qt::ISODateWithMs);
        QVERIFY(created.isValid());
        QVERIFY2(connectedAt.msecsTo(created) < kKeepaliveSeconds * 1000, qPrintable(sub["type"].toString()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(simSession(sessionId)["messages_sent"].toInt() >= 4, 10000);
    QCOMPARE(m_session->sessionId(), sessionId);
    for (const QJsonValue c : simClosed())
        QVERIFY2(c.toObject()["session_id"].toString() != sessionId, "the session was closed");

    // Each kind arrives as the feed's event, with the relay's key for a follow.
    const QJsonObject follow =
        trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1002"}});
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1004"},
             {"amount", 250}});
    trigger({{"type", "channel.subscription.gift"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1006"},
             {"amount", 5}});
    trigger({{"type", "channel.raid"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1010"},
             {"amount", 42}});
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 4, 10000);
    QCOMPARE(m_events[0].kind, QStringLiteral("follow"));
    QCOMPARE(m_events[0].userId, QStringLiteral("1002"));
    QCOMPARE(m_events[0].source, QStringLiteral("eventsub"));
    QCOMPARE(m_events[0].key,
             followKey(kBroadcaster, "1002", follow["event"].toObject()["followed_at"].toString()));
    QCOMPARE(m_events[1].kind, QStringLiteral("cheer"));
    QCOMPARE(m_events[1].amount, 250);
    QCOMPARE(m_events[1].userId, QStringLiteral("1004"));
    QCOMPARE(m_events[2].kind, QStringLiteral("giftbomb"));
    QCOMPARE(m_events[2].amount, 5);
    QCOMPARE(m_events[3].kind, QStringLiteral("raid"));
    QCOMPARE(m_events[3].amount, 42);
    QCOMPARE(m_events[3].userId, QStringLiteral("1010"));
    QCOMPARE(m_events[3].broadcasterId, kBroadcaster);
}

void TestEventSub::aModeratorGetsFollowsOnly() {
    QVERIFY(startLive(kModerator));
    const QMap<QString, QJsonObject> subs = enabledAtSim(m_session->sessionId());
    QCOMPARE(subs.keys(), QStringList({"channel.follow"}));
    QCOMPARE(subs["channel.follow"]["condition"].toObject()["moderator_user_id"].toString(), kModerator);
    QCOMPARE(m_session->coveredKinds(), QStringList({"follow"}));
}

void TestEventSub::asksForItsKeepaliveWindow() {
    QUrl ws = m_sim->url();
    ws.setScheme("ws");
    ws.setPath("/eventsub/ws");
    EventSubSession::Timing timing;
    timing.keepaliveSeconds = 3; // ?keepalive_timeout_seconds=3
    m_session = std::make_unique<EventSubSession>(m_network, ws, m_sim->url().resolved(QUrl("/helix")),
                                                  kClientId, timing);
    QVERIFY(startLive());
    QCOMPARE(simSession(m_session->sessionId())["keepalive_timeout_seconds"].toInt(), 3);
}

void TestEventSub::missingKeepaliveReconnectsAndRecreates() {
    QVERIFY(startLive());
    const QString first = m_session->sessionId();
    QSignalSpy states(m_session.get(), &EventSubSession::stateChanged);
    QCOMPARE(post("/sim/eventsub/keepalive", {{"session_id", first}, {"enabled", false}}).status, 200);
    // Silent beyond the window: a new session, the subscriptions created on it again.
    QTRY_VERIFY_WITH_TIMEOUT(!m_session->sessionId().isEmpty() && m_session->sessionId() != first, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(m_session->enabledTypes().size(), 8, 10000);
    QVERIFY(states.contains(QVariantList{QVariant::fromValue(EventSubSession::State::Reconnecting)}));
    QTRY_COMPARE_WITH_TIMEOUT(enabledAtSim(m_session->sessionId()).size(), 8, 5000);
    QCOMPARE(enabledAtSim(first).size(), 0); // the old socket is gone, and its subscriptions with it
    QCOMPARE(m_session->connections(), 1);
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 77}});
    QTRY_COMPARE_WITH_TIMEOUT(cheerAmounts(), QList<int>({77}), 10000);
}

void TestEventSub::reconnectDuringABurstLosesAndDoublesNothing() {
    QVERIFY(startLive());
    const QString sessionId = m_session->sessionId();
    QSignalSpy coverage(m_session.get(), &EventSubSession::coverageChanged);
    const QJsonObject answer = trigger({{"type", "channel.cheer"},
                                        {"broadcaster_user_id", kBroadcaster},
                                        {"user_id", "1002"},
                                        {"count", 500},
                                        {"reconnect_after", 200}});
    QCOMPARE(answer["websocket_message_ids"].toArray().size(), 500);
    QList<int> expected;
    for (int i = 1; i <= 500; ++i)
        expected.append(i);
    QTRY_COMPARE_WITH_TIMEOUT(cheerAmounts().size(), 500, 20000);
    QCOMPARE(cheerAmounts(), expected); // every one once, in order
    // The client moved to the reconnect URL (the session is "connected" again, not "reconnecting") and
    // closed the old socket itself, long before the sim's grace time; nothing was recreated.
    QTRY_COMPARE_WITH_TIMEOUT(simSession(sessionId)["status"].toString(), QStringLiteral("connected"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(simSession(sessionId)["sockets"].toInt(), 1, 10000);
    for (const QJsonValue c : simClosed())
        QVERIFY(c.toObject()["session_id"].toString() != sessionId);
    QCOMPARE(m_session->connections(), 1);
    QCOMPARE(m_session->sessionId(), sessionId);
    QCOMPARE(coverage.count(), 0);
    QCOMPARE(enabledAtSim(sessionId).size(), 8);
    // And it is the new socket that delivers now.
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 501}});
    QTRY_COMPARE_WITH_TIMEOUT(cheerAmounts().size(), 501, 10000);
    QCOMPARE(cheerAmounts().last(), 501);
}

void TestEventSub::revocationStopsThatKind() {
    QVERIFY(startLive());
    const QString cheerSub = enabledAtSim(m_session->sessionId())["channel.cheer"]["id"].toString();
    QVERIFY(!cheerSub.isEmpty());
    QSignalSpy revoked(m_session.get(), &EventSubSession::revoked);
    QCOMPARE(post("/sim/revoke", {{"subscription_id", cheerSub}, {"status", "authorization_revoked"}}).status,
             200);
    QTRY_COMPARE_WITH_TIMEOUT(revoked.count(), 1, 10000);
    QCOMPARE(revoked[0][0].toString(), QStringLiteral("channel.cheer"));
    QCOMPARE(revoked[0][1].toString(), QStringLiteral("authorization_revoked"));
    QVERIFY(!m_session->enabledTypes().contains("channel.cheer"));
    QVERIFY(!m_session->coveredKinds().contains("cheer"));
    QVERIFY(m_session->coveredKinds().contains("follow"));
    QCOMPARE(m_session->state(), EventSubSession::State::Live); // the rest keeps coming
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1003"}});
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 1, 10000);
    QCOMPARE(m_events[0].kind, QStringLiteral("follow"));
}

void TestEventSub::unusedSessionClosedWith4003IsOpenedAgain() {
    // Helix refuses every create of the first session (8 types, 3 attempts each): nothing is subscribed,
    // Twitch closes the session with 4003, and a new session (after the backoff) creates them all.
    QCOMPARE(post("/sim/fail", {{"method", "POST"}, {"status", 503}, {"count", 24}}).status / 100, 2);
    QSignalSpy states(m_session.get(), &EventSubSession::stateChanged);
    m_session->start(token(kBroadcaster), kBroadcaster,
                     eventSubSpecs(kBroadcaster, kBroadcaster, true, false));
    QTRY_VERIFY_WITH_TIMEOUT(!m_session->sessionId().isEmpty(), 10000);
    const QString first = m_session->sessionId();
    auto closed4003 = [&] {
        for (const QJsonValue c : simClosed())
            if (c.toObject()["session_id"].toString() == first && c.toObject()["code"].toInt() == 4003 &&
                c.toObject()["by"].toString() == "server")
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(closed4003(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->sessionId() != first && m_session->enabledTypes().size() == 8, 15000);
    QVERIFY(states.contains(QVariantList{QVariant::fromValue(EventSubSession::State::Reconnecting)}));
    QCOMPARE(m_session->state(), EventSubSession::State::Live);
}

void TestEventSub::everyCloseCodeLeadsToANewSession_data() {
    QTest::addColumn<int>("code");
    for (int code : {4000, 4001, 4002, 4004, 4005, 4006, 4007})
        QTest::addRow("%d", code) << code;
}

void TestEventSub::everyCloseCodeLeadsToANewSession() {
    QFETCH(int, code);
    QVERIFY(startLive());
    const QString first = m_session->sessionId();
    QSignalSpy states(m_session.get(), &EventSubSession::stateChanged);
    QCOMPARE(post("/sim/eventsub/close", {{"session_id", first}, {"code", code}}).status / 100, 2);
    // The subscriptions went with the socket: a new session (from the first URL) gets them all again.
    QTRY_VERIFY_WITH_TIMEOUT(!m_session->sessionId().isEmpty() && m_session->sessionId() != first, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_session->enabledTypes().size(), 8, 10000);
    QVERIFY(states.contains(QVariantList{QVariant::fromValue(EventSubSession::State::Reconnecting)}));
    QTRY_COMPARE_WITH_TIMEOUT(enabledAtSim(m_session->sessionId()).size(), 8, 5000);
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", code}});
    QTRY_COMPARE_WITH_TIMEOUT(cheerAmounts(), QList<int>({code}), 10000);
}

void TestEventSub::aFourthConnectionIsRefusedAndLetGo() {
    // Twitch allows a user three WebSocket connections with enabled subscriptions (twitch-platform.md §3).
    QUrl ws = m_sim->url();
    ws.setScheme("ws");
    ws.setPath("/eventsub/ws");
    auto sessionsOfBroadcaster = [&] {
        int n = 0;
        for (const QJsonValue v : get("/sim/eventsub/sessions").value("sessions").toArray())
            n += v.toObject()["user_id"].toString() == kBroadcaster ? 1 : 0;
        return n;
    };
    {
        std::vector<std::unique_ptr<EventSubSession>> others;
        for (int i = 0; i < 3; ++i) {
            others.push_back(std::make_unique<EventSubSession>(
                m_network, ws, m_sim->url().resolved(QUrl("/helix")), kClientId));
            others.back()->start(token(kBroadcaster), kBroadcaster,
                                 eventSubSpecs(kBroadcaster, kBroadcaster, true, false));
            QTRY_COMPARE_WITH_TIMEOUT(others.back()->enabledTypes().size(), 8, 10000);
        }
        QSignalSpy refused(m_session.get(), &EventSubSession::subscriptionFailed);
        m_session->start(token(kBroadcaster), kBroadcaster,
                         eventSubSpecs(kBroadcaster, kBroadcaster, true, false));
        // Every create is refused with 429: asked once each, then the socket is closed, not kept unused.
        QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), EventSubSession::State::Failed, 10000);
        QCOMPARE(refused.count(), 8);
        for (const QList<QVariant> &r : refused)
            QCOMPARE(r[1].toInt(), 429);
        QCOMPARE(m_session->connections(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(sessionsOfBroadcaster(), 3, 10000);
    }
    QTRY_COMPARE_WITH_TIMEOUT(sessionsOfBroadcaster(), 0,
                              10000); // the others closed: the next test starts clean
}

void TestEventSub::anExpiredTokenIsAskedForAndTheSubscriptionsFollow() {
    QVERIFY(startLive());
    const QString first = m_session->sessionId();
    QSignalSpy unauthorized(m_session.get(), &EventSubSession::unauthorized);
    // The token expires; the session drops, and the next one's creates meet 401.
    QCOMPARE(post(qPrintable(QStringLiteral("/sim/users/%1/expire-tokens").arg(kBroadcaster)), {}).status /
                 100,
             2);
    QCOMPARE(post("/sim/eventsub/close", {{"session_id", first}, {"code", 4000}}).status / 100, 2);
    QTRY_VERIFY_WITH_TIMEOUT(unauthorized.count() >= 1, 10000);
    QVERIFY(m_session->enabledTypes().isEmpty());
    // What the auth session does on unauthorized(): a renewed token, and the refused creates are made again.
    m_session->setToken(token(kBroadcaster));
    QTRY_COMPARE_WITH_TIMEOUT(m_session->enabledTypes().size(), 8, 10000);
    QCOMPARE(m_session->state(), EventSubSession::State::Live);
    QVERIFY(m_session->sessionId() != first);
}

void TestEventSub::duplicateMessageIdIsOneEvent() {
    QVERIFY(startLive());
    const QJsonObject answer = trigger({{"type", "channel.cheer"},
                                        {"broadcaster_user_id", kBroadcaster},
                                        {"user_id", "1002"},
                                        {"amount", 11},
                                        {"repeat", 3}});
    QCOMPARE(answer["websocket_message_ids"].toArray().size(), 1); // one id, sent three times
    // A later, different cheer: once it is here, every copy of the first has been read.
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 12}});
    QTRY_VERIFY_WITH_TIMEOUT(cheerAmounts().contains(12), 10000);
    QCOMPARE(cheerAmounts(), QList<int>({11, 12}));
}

void TestEventSub::oldTimestampIsDropped() {
    QVERIFY(startLive());
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 21},
             {"timestamp_age_seconds", 11 * 60}});
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 22},
             {"timestamp_age_seconds", 9 * 60}}); // inside the window: kept
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 23}});
    QTRY_VERIFY_WITH_TIMEOUT(cheerAmounts().contains(23), 10000);
    QCOMPARE(cheerAmounts(), QList<int>({22, 23}));
}

void TestEventSub::notificationsBecomeFeedEvents_data() {
    // Event objects with the fields twitch-platform.md §2 lists for each type.
    QTest::addColumn<QString>("type");
    QTest::addColumn<QByteArray>("event");
    QTest::addColumn<QString>("kind"); // empty: not a feed event
    QTest::addColumn<QString>("userId");
    QTest::addColumn<int>("amount");
    QTest::addColumn<QString>("tier");
    QTest::addColumn<QString>("message");
    const QByteArray b =
        R"("broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User")";
    const QByteArray u = R"("user_id":"1234","user_login":"cool_user","user_name":"Cool_User")";
    QTest::newRow("follow") << "channel.follow"
                            << "{" + u + "," + b + R"(,"followed_at":"2020-07-15T18:16:11.17106713Z"})"
                            << "follow"
                            << "1234" << 0 << ""
                            << "";
    QTest::newRow("cheer") << "channel.cheer"
                           << "{" + u + "," + b + R"(,"is_anonymous":false,"message":"pogchamp","bits":1000})"
                           << "cheer"
                           << "1234" << 1000 << ""
                           << "pogchamp";
    QTest::newRow("anonymous cheer")
        << "channel.cheer"
        << "{" + b +
               R"(,"is_anonymous":true,"user_id":null,"user_login":null,"user_name":null,"message":"","bits":5})"
        << "cheer"
        << "" << 5 << ""
        << "";
    QTest::newRow("sub") << "channel.subscribe"
                         << "{" + u + "," + b + R"(,"tier":"2000","is_gift":false})"
                         << "sub"
                         << "1234" << 1 << "2000"
                         << "";
    QTest::newRow("gifted sub (the gift is the event)")
        << "channel.subscribe"
        << "{" + u + "," + b + R"(,"tier":"1000","is_gift":true})"
        << ""
        << "" << 0 << ""
        << "";
    QTest::newRow("resub")
        << "channel.subscription.message"
        << "{" + u + "," + b +
               R"(,"tier":"1000","message":{"text":"Love the stream!","emotes":[]},"cumulative_months":15,"streak_months":1,"duration_months":6})"
        << "resub"
        << "1234" << 15 << "1000"
        << "Love the stream!";
    QTest::newRow("gift bomb")
        << "channel.subscription.gift"
        << "{" + u + "," + b + R"(,"total":2,"tier":"1000","cumulative_total":284,"is_anonymous":false})"
        << "giftbomb"
        << "1234" << 2 << "1000"
        << "";
    QTest::newRow("one gift")
        << "channel.subscription.gift"
        << "{" + u + "," + b + R"(,"total":1,"tier":"3000","cumulative_total":null,"is_anonymous":false})"
        << "subgift"
        << "1234" << 1 << "3000"
        << "";
    QTest::newRow("raid")
        << "channel.raid"
        << QByteArray(
               R"({"from_broadcaster_user_id":"1234","from_broadcaster_user_login":"cool_user","from_broadcaster_user_name":"Cool_User","to_broadcaster_user_id":"1337","to_broadcaster_user_login":"cooler_user","to_broadcaster_user_name":"Cooler_User","viewers":9001})")
        << "raid"
        << "1234" << 9001 << ""
        << "";
    QTest::newRow("online") << "stream.online"
                            << "{" + b +
                                   R"(,"id":"9001","type":"live","started_at":"2020-10-11T10:11:12.123Z"})"
                            << "online"
                            << "1337" << 0 << ""
                            << "";
    QTest::newRow("offline") << "stream.offline"
                             << "{" + b + "}"
                             << "offline"
                             << "1337" << 0 << ""
                             << "";
    QTest::newRow("another type") << "channel.update"
                                  << "{" + b + R"(,"title":"x"})"
                                  << ""
                                  << "" << 0 << ""
                                  << "";
}

void TestEventSub::notificationsBecomeFeedEvents() {
    QFETCH(QString, type);
    QFETCH(QByteArray, event);
    QFETCH(QString, kind);
    QFETCH(QString, userId);
    QFETCH(int, amount);
    QFETCH(QString, tier);
    QFETCH(QString, message);
    const QByteArray frame =
        R"({"metadata":{"message_id":"befa7b53-d79d-478f-86b9-120f112b044e",)"
        R"("message_type":"notification","message_timestamp":"2022-11-16T10:11:12.464757833Z",)"
        R"("subscription_type":")" +
        type.toUtf8() +
        R"(","subscription_version":"1"},"payload":{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":")" +
        type.toUtf8() + R"(","status":"enabled"},"event":)" + event + "}}";
    const std::optional<EventSubMessage> m = parseEventSubMessage(frame);
    QVERIFY(m);
    QCOMPARE(m->type, EventSubMessage::Type::Notification);
    QCOMPARE(m->id, QStringLiteral("befa7b53-d79d-478f-86b9-120f112b044e"));
    const std::optional<FeedEvent> e = feedEventFromNotification(*m);
    QCOMPARE(e.has_value(), !kind.isEmpty());
    if (!e)
        return;
    QCOMPARE(e->kind, kind);
    QCOMPARE(e->broadcasterId, QStringLiteral("1337"));
    QCOMPARE(e->userId, userId);
    QCOMPARE(e->amount, amount);
    QCOMPARE(e->tier, tier);
    QCOMPARE(e->message, message);
    QCOMPARE(e->source, QStringLiteral("eventsub"));
    if (kind == u"follow") { // the relay's and Helix's key: one row whoever reports it
        QCOMPARE(e->key, followKey("1337", "1234", "2020-07-15T18:16:11Z"));
        QCOMPARE(e->occurredAt, QDateTime::fromString("2020-07-15T18:16:11.171Z", Qt::ISODateWithMs));
    } else {
        QCOMPARE(e->key, QStringLiteral("eventsub:befa7b53-d79d-478f-86b9-120f112b044e"));
    }
}

void TestEventSub::sessionMessagesParse() {
    const auto welcome = parseEventSubMessage(
        R"({"metadata":{"message_id":"96a3f3b5-5dec-4eed-908e-e11ee657416c","message_type":"session_welcome",)"
        R"("message_timestamp":"2023-07-19T14:56:51.634234626Z"},"payload":{"session":{"id":"AQoQILE98gtqShGmLD7AM6yJThAB",)"
        R"("status":"connected","connected_at":"2023-07-19T14:56:51.616329898Z","keepalive_timeout_seconds":10,"reconnect_url":null}}})");
    QVERIFY(welcome);
    QCOMPARE(welcome->type, EventSubMessage::Type::Welcome);
    QCOMPARE(welcome->sessionId, QStringLiteral("AQoQILE98gtqShGmLD7AM6yJThAB"));
    QCOMPARE(welcome->keepaliveSeconds, 10);
    QCOMPARE(welcome->timestampMs,
             QDateTime::fromString("2023-07-19T14:56:51.634Z", Qt::ISODateWithMs).toMSecsSinceEpoch());
    const auto reconnect = parseEventSubMessage(
        R"({"metadata":{"message_id":"84c1e79a-2a4b-4c13-ba0b-4312293e9308","message_type":"session_reconnect",)"
        R"("message_timestamp":"2022-11-18T09:10:11.634234626Z"},"payload":{"session":{"id":"AQoQexAWVYKSTIu4ec_2VAxyuhAB",)"
        R"("status":"reconnecting","keepalive_timeout_seconds":null,"reconnect_url":"wss://eventsub.wss.twitch.tv?...",)"
        R"("connected_at":"2022-11-16T10:11:12.634234626Z"}}})");
    QVERIFY(reconnect);
    QCOMPARE(reconnect->type, EventSubMessage::Type::Reconnect);
    QCOMPARE(reconnect->keepaliveSeconds, 0);
    QCOMPARE(reconnect->reconnectUrl, QStringLiteral("wss://eventsub.wss.twitch.tv?..."));
    const auto revocation = parseEventSubMessage(
        R"({"metadata":{"message_id":"84c1e79a","message_type":"revocation","message_timestamp":"2022-11-16T10:11:12.464757833Z",)"
        R"("subscription_type":"channel.follow","subscription_version":"2"},"payload":{"subscription":{"id":"f1c2a387",)"
        R"("status":"authorization_revoked","type":"channel.follow","version":"2","cost":0}}})");
    QVERIFY(revocation);
    QCOMPARE(revocation->type, EventSubMessage::Type::Revocation);
    QCOMPARE(revocation->subscriptionType, QStringLiteral("channel.follow"));
    QCOMPARE(revocation->subscriptionStatus, QStringLiteral("authorization_revoked"));
    // Not EventSub: no type, no valid timestamp, not JSON.
    QVERIFY(!parseEventSubMessage(R"({"metadata":{"message_timestamp":"2022-11-16T10:11:12Z"}})"));
    QVERIFY(!parseEventSubMessage(
        R"({"metadata":{"message_type":"session_keepalive","message_timestamp":"yesterday"}})"));
    QVERIFY(!parseEventSubMessage("PING"));
}

QTEST_GUILESS_MAIN(TestEventSub)
#include "tst_eventsub.moc"
