#include "serverprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using streams::test::httpGet;
using streams::test::ServerProcess;

class TestTwitchSim : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void startsAndAnswersHealth();
    void servesTheBundledWorld();
    void rejectsABrokenWorld();
    void rejectsABadListenAddress();
    void playerPlaceholderNeedsParent();
    void demoSendsEventsToWatchedChannels();
};

void TestTwitchSim::startsAndAnswersHealth() {
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH),
                      {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QVERIFY2(sim.start(), sim.errors().constData());
    QCOMPARE(sim.url().host(), QStringLiteral("127.0.0.1"));
    QVERIFY(sim.url().port() > 0);
    const auto health = httpGet(sim.url().resolved(QUrl("/healthz")));
    QCOMPARE(health.status, 200);
    QCOMPARE(health.body, QByteArray("ok\n"));
    QCOMPARE(httpGet(sim.url().resolved(QUrl("/no-such-thing"))).status, 404);
    QCOMPARE(sim.terminate(), 0);
}

void TestTwitchSim::servesTheBundledWorld() {
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {});
    QVERIFY2(sim.start(), sim.errors().constData());
    const auto world = httpGet(sim.url().resolved(QUrl("/sim/world")));
    QCOMPARE(world.status, 200);
    const QJsonArray users = QJsonDocument::fromJson(world.body).object().value("users").toArray();
    QVERIFY(users.size() >= 8);
    int live = 0, withModerators = 0, withFollowers = 0;
    for (const QJsonValue v : users) {
        const QJsonObject u = v.toObject();
        QVERIFY(!u.value("id").toString().isEmpty());
        QVERIFY(!u.value("display_name").toString().isEmpty());
        live += u.value("live").toBool();
        withModerators += !u.value("moderators").toArray().isEmpty();
        withFollowers += !u.value("followers").toArray().isEmpty();
        const auto avatar = httpGet(QUrl(u.value("profile_image_url").toString()));
        QCOMPARE(avatar.status, 200);
        QCOMPARE(avatar.header("Content-Type"), QByteArray("image/svg+xml"));
        QVERIFY(avatar.body.startsWith("<svg"));
    }
    QVERIFY(live >= 2 && live < users.size());
    QVERIFY(withModerators >= 2);
    QVERIFY(withFollowers >= 2);
    QCOMPARE(httpGet(sim.url().resolved(QUrl("/sim/avatars/..%2Fworld.json"))).status, 404);
}

void TestTwitchSim::rejectsABrokenWorld() {
    QTemporaryDir dir;
    QFile f(dir.filePath("world.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        R"({"users":[{"id":"1","login":"a","display_name":"A","followers":[{"user_id":"99","followed_at":"x"}]}]})");
    f.close();
    QProcess p;
    p.start(QStringLiteral(TWITCH_SIM_PATH), {QStringLiteral("--world"), f.fileName()});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("invalid follower entry"));
}

void TestTwitchSim::rejectsABadListenAddress() {
    QProcess p;
    p.start(QStringLiteral(TWITCH_SIM_PATH), {QStringLiteral("--listen"), QStringLiteral("nonsense")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("--listen must be HOST:PORT"));
}

void TestTwitchSim::playerPlaceholderNeedsParent() {
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {});
    QVERIFY2(sim.start(), sim.errors().constData());
    const auto live = httpGet(sim.url().resolved(QUrl("/player/?channel=lumenwave&parent=localhost")));
    QCOMPARE(live.status, 200);
    QVERIFY(live.body.contains("LumenWave"));
    QVERIFY(live.body.contains("LIVE"));
    QVERIFY(httpGet(sim.url().resolved(QUrl("/player/?channel=lumenwave"))).body.contains("[NoParent]"));
    QVERIFY(httpGet(sim.url().resolved(QUrl("/player/?channel=lumenwave&parent=https://localhost")))
                .body.contains("[InvalidCharInParent]"));
}

void TestTwitchSim::demoSendsEventsToWatchedChannels() {
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {"--demo", "--demo-interval", "200"});
    QVERIFY2(sim.start(), sim.errors().constData());
    QWebSocket chat;
    QStringList lines;
    connect(&chat, &QWebSocket::textMessageReceived, this,
            [&](const QString &frame) { lines += frame.split("\r\n", Qt::SkipEmptyParts); });
    QUrl url = sim.url();
    url.setScheme("ws");
    url.setPath("/irc");
    chat.open(url);
    QTRY_COMPARE_WITH_TIMEOUT(chat.state(), QAbstractSocket::ConnectedState, 5000);
    chat.sendTextMessage(
        "CAP REQ :twitch.tv/tags twitch.tv/commands\r\nNICK justinfan4242\r\nJOIN #nightjarfm\r\n");
    // Follows go to EventSub subscriptions (none here); the rest arrive in the joined channel.
    auto events = [&] {
        int n = 0;
        for (const QString &l : std::as_const(lines))
            n += (l.contains(" USERNOTICE #nightjarfm") || l.contains(" PRIVMSG #nightjarfm")) ? 1 : 0;
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(events() >= 2, 20000);
    QVERIFY(lines.join('\n').contains("room-id=1004"));
}

QTEST_GUILESS_MAIN(TestTwitchSim)
#include "tst_twitchsim.moc"
