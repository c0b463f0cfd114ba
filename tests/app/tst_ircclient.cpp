// The chat client against twitch-sim's IRC-over-WebSocket endpoint (a real process).

#include "serverprocess.h"
#include "twitch/ircclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace streams::app;
using namespace streams::test;

class TestIrcClient : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void joinsAnonymouslyWithTags();
    void chatEventsReachTheApp();
    void answersPing();
    void reconnectsWhenTold();

private:
    QJsonObject simIrc() {
        return QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/irc"))).body).object();
    }
    void chat(const QJsonObject &body) {
        QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/chat")), QJsonDocument(body).toJson()).status,
                 200);
    }
    std::unique_ptr<ServerProcess> m_sim;
    std::unique_ptr<IrcClient> m_irc;
    QList<ChatEvent> m_events;
};

void TestIrcClient::initTestCase() {
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{});
    QVERIFY(m_sim->start());
    QUrl url = m_sim->url();
    url.setScheme("ws");
    url.setPath("/irc");
    m_irc = std::make_unique<IrcClient>(url);
    connect(m_irc.get(), &IrcClient::chatEvent, this, [this](const ChatEvent &e) { m_events.append(e); });
}

void TestIrcClient::joinsAnonymouslyWithTags() {
    m_irc->join("LumenWave");
    QTRY_COMPARE_WITH_TIMEOUT(m_irc->state(), IrcClient::State::Joined, 10000);
    const QJsonArray clients = simIrc().value("clients").toArray();
    QCOMPARE(clients.size(), 1);
    QVERIFY(clients[0]["nick"].toString().startsWith("justinfan"));
    QVERIFY(clients[0]["tags"].toBool());
    QCOMPARE(clients[0]["channels"].toArray(), QJsonArray({"#lumenwave"}));
}

void TestIrcClient::chatEventsReachTheApp() {
    m_events.clear();
    chat({{"type", "cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}, {"amount", 250}});
    chat({{"type", "giftbomb"}, {"broadcaster_user_id", "1001"}, {"user_id", "1004"}, {"amount", 3}});
    chat({{"type", "resub"}, {"broadcaster_user_id", "1001"}, {"user_id", "1006"}, {"amount", 14}});
    chat({{"type", "raid"}, {"broadcaster_user_id", "1001"}, {"user_id", "1010"}, {"amount", 42}});
    chat({{"type", "cheer"},
          {"broadcaster_user_id", "1004"},
          {"user_id", "1002"},
          {"amount", 1}}); // not joined
    // A sentinel after them: the sim sends the lines in order, so once its sub arrives, anything the lines
    // above could have caused (the bomb's three gift lines) has arrived too.
    chat({{"type", "sub"}, {"broadcaster_user_id", "1001"}, {"user_id", "1003"}});
    QTRY_VERIFY_WITH_TIMEOUT(!m_events.isEmpty() && m_events.last().kind == u"sub", 10000);
    QCOMPARE(m_events.size(), 5); // the bomb's three gift lines are one event; the other channel is not ours
    QCOMPARE(m_events[4].user.login, QStringLiteral("mossbyte"));
    QCOMPARE(m_events[0].kind, QStringLiteral("cheer"));
    QCOMPARE(m_events[0].amount, 250);
    QCOMPARE(m_events[0].user.login, QStringLiteral("ironquill"));
    QCOMPARE(m_events[0].channelId, QStringLiteral("1001"));
    QCOMPARE(m_events[1].kind, QStringLiteral("giftbomb"));
    QCOMPARE(m_events[1].amount, 3);
    QCOMPARE(m_events[2].kind, QStringLiteral("resub"));
    QCOMPARE(m_events[2].amount, 14);
    QCOMPARE(m_events[3].kind, QStringLiteral("raid"));
    QCOMPARE(m_events[3].amount, 42);
    QCOMPARE(m_events[3].user.name, QStringLiteral("AuroraHex"));
}

void TestIrcClient::answersPing() {
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/irc/ping")), {}).status, 204);
    QTRY_VERIFY_WITH_TIMEOUT(simIrc().value("clients").toArray().at(0).toObject().value("pongs").toInt() >= 1,
                             10000);
}

void TestIrcClient::reconnectsWhenTold() {
    QSignalSpy states(m_irc.get(), &IrcClient::stateChanged);
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/irc/reconnect")), {}).status, 204);
    QTRY_VERIFY_WITH_TIMEOUT(states.count() >= 2 && m_irc->state() == IrcClient::State::Joined, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(simIrc().value("clients").toArray().size(), 1, 5000);
    m_events.clear();
    chat({{"type", "sub"}, {"broadcaster_user_id", "1001"}, {"user_id", "1005"}});
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 1, 10000);
    QCOMPARE(m_events[0].kind, QStringLiteral("sub"));
}

QTEST_GUILESS_MAIN(TestIrcClient)
#include "tst_ircclient.moc"
