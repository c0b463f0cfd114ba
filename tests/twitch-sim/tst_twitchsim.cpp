#include "serverprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using streams::test::httpGet;
using streams::test::httpPost;
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
    void moderatedChannelsAsTwitchDocumentsThem();
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

void TestTwitchSim::moderatedChannelsAsTwitchDocumentsThem() {
    // A world where 9000 moderates 45 channels (and is a moderator nowhere else).
    QJsonArray users{QJsonObject{{"id", "9000"}, {"login", "modmin"}, {"display_name", "ModMin"}}};
    for (int i = 1; i <= 45; ++i)
        users.append(QJsonObject{{"id", QString::number(9000 + i)},
                                 {"login", QStringLiteral("channel%1").arg(i)},
                                 {"display_name", QStringLiteral("Channel%1").arg(i)},
                                 {"moderators", QJsonArray{"9000"}}});
    QTemporaryDir dir;
    QFile world(dir.filePath("world.json"));
    QVERIFY(world.open(QIODevice::WriteOnly));
    world.write(QJsonDocument(QJsonObject{{"users", users}}).toJson());
    world.close();
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {QStringLiteral("--world"), world.fileName()});
    QVERIFY2(sim.start(), sim.errors().constData());
    const QByteArray clientId = "simclient0000000000000000000001";
    auto token = [&](const QString &userId, const QString &scopes) {
        QUrl url = sim.url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(userId)));
        url.setQuery(QStringLiteral("scopes=") + QString::fromLatin1(QUrl::toPercentEncoding(scopes)));
        return QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString();
    };
    const QString mod = token("9000", "user:read:moderated_channels");
    auto get = [&](const QString &query, const QString &bearer) {
        return httpGet(sim.url().resolved(QUrl("/helix/moderation/channels?" + query)),
                       {{"Client-Id", clientId}, {"Authorization", "Bearer " + bearer.toUtf8()}});
    };
    // Pages of 20 by default, each with a cursor to the next; the last has an empty pagination.
    QStringList seen;
    QString cursor;
    int pages = 0;
    do {
        const auto page = get("user_id=9000" + (cursor.isEmpty() ? QString() : "&after=" + cursor), mod);
        QCOMPARE(page.status, 200);
        const QJsonObject o = QJsonDocument::fromJson(page.body).object();
        const QJsonArray data = o.value("data").toArray();
        QVERIFY(data.size() <= 20);
        for (const QJsonValue c : data) {
            QCOMPARE(c.toObject().keys(),
                     (QStringList{"broadcaster_id", "broadcaster_login", "broadcaster_name"}));
            seen.append(c["broadcaster_login"].toString());
        }
        QVERIFY(o.value("pagination").isObject());
        cursor = o.value("pagination").toObject().value("cursor").toString();
        ++pages;
    } while (!cursor.isEmpty() && pages < 10);
    QCOMPARE(pages, 3);
    QCOMPARE(seen.size(), 45);
    QCOMPARE(QSet<QString>(seen.begin(), seen.end()).size(), 45);
    QCOMPARE(QJsonDocument::fromJson(get("user_id=9000&first=100", mod).body)["data"].toArray().size(), 45);
    // user_id is required; it must be the token's user; the token needs the scope; app tokens fail.
    QCOMPARE(get("", mod).status, 400);
    QCOMPARE(get("user_id=9001", mod).status, 401);
    QCOMPARE(get("user_id=9000", token("9000", "user:read:follows")).status, 401);
    // A user who moderates nowhere: an empty list.
    const auto none = get("user_id=9001", token("9001", "user:read:moderated_channels"));
    QCOMPARE(none.status, 200);
    QCOMPARE(QJsonDocument::fromJson(none.body)["data"].toArray().size(), 0);
}

QTEST_GUILESS_MAIN(TestTwitchSim)
#include "tst_twitchsim.moc"
