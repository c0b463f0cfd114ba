// Helix client against twitch-sim (a real process), and the parsers against malformed answers.

#include "serverprocess.h"
#include "twitch/helixclient.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace streams::app;
using namespace streams::test;

namespace {
const QString kClientId = QStringLiteral("simclient0000000000000000000001");

template <typename T>
T await(const std::function<void(HelixClient::Callback<T>)> &call, HelixError *error = nullptr) {
    std::optional<HelixResult<T>> result;
    call([&](HelixResult<T> r) { result = std::move(r); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000))
        qFatal("no answer from Helix");
    if (auto *e = std::get_if<HelixError>(&*result)) {
        if (error)
            *error = *e;
        return T{};
    }
    if (error)
        error->kind = HelixErrorKind::BadResponse, error->status = -1; // marks "no error"
    return std::get<T>(*result);
}
} // namespace

class TestHelix : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void selfAndUsers();
    void searchAndStreams();
    void followersForTheBroadcasterNewestFirst();
    void followersForOthersAreNotAllowed();
    void followedAndModeratedChannels();
    void moderatedChannelsFollowEveryPage();
    void invalidTokenIsUnauthorized();
    void malformedAnswersAreErrors();
    void emptyBucketWaitsAndA429IsRetriedAfterTheReset();
    void aCallerGoneIsNotAnswered();

private:
    QString token(const QString &userId, const QString &scopes);
    std::unique_ptr<ServerProcess> m_sim;
    QNetworkAccessManager m_network;
    std::unique_ptr<HelixClient> m_helix;
};

void TestHelix::initTestCase() {
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{});
    QVERIFY(m_sim->start());
    m_helix = std::make_unique<HelixClient>(m_network, m_sim->url().resolved(QUrl("/helix")), kClientId);
}

QString TestHelix::token(const QString &userId, const QString &scopes) {
    QUrl url = m_sim->url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(userId)));
    url.setQuery(QStringLiteral("scopes=") + QString::fromLatin1(QUrl::toPercentEncoding(scopes)));
    return QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString();
}

void TestHelix::selfAndUsers() {
    m_helix->setToken(token("1002", "user:read:follows"));
    const auto me = await<QList<HelixUser>>([&](auto cb) { m_helix->self(this, cb); });
    QCOMPARE(me.size(), 1);
    QCOMPARE(me[0].login, QStringLiteral("ironquill"));
    QVERIFY(me[0].profileImageUrl.endsWith("/sim/avatars/ironquill.svg"));
    const auto some =
        await<QList<HelixUser>>([&](auto cb) { m_helix->users({"1001"}, {"nightjarfm"}, this, cb); });
    QCOMPARE(some.size(), 2);
    QVERIFY(m_helix->rateLimitRemaining() > 0 && m_helix->rateLimitRemaining() < 800);
}

void TestHelix::searchAndStreams() {
    m_helix->setToken(token("1002", ""));
    const auto found =
        await<QList<HelixChannel>>([&](auto cb) { m_helix->searchChannels("lumen", 10, this, cb); });
    QCOMPARE(found.size(), 1);
    QCOMPARE(found[0].displayName, QStringLiteral("LumenWave"));
    QVERIFY(found[0].isLive);
    QCOMPARE(found[0].gameName, QStringLiteral("Art"));
    const auto live = await<QList<HelixStream>>([&](auto cb) {
        m_helix->streams({"1001", "1003"}, this, cb);
    });
    QCOMPARE(live.size(), 1); // 1003 is offline: absent, as on Twitch
    QCOMPARE(live[0].userLogin, QStringLiteral("lumenwave"));
    QVERIFY(live[0].viewerCount > 0);
}

void TestHelix::followersForTheBroadcasterNewestFirst() {
    m_helix->setToken(token("1001", "moderator:read:followers"));
    const auto f = await<HelixFollowers>([&](auto cb) { m_helix->recentFollowers("1001", 10, this, cb); });
    QVERIFY(f.allowed);
    QVERIFY(f.total >= 9);
    QCOMPARE(f.followers.size(), qMin(10, f.total));
    for (int i = 1; i < f.followers.size(); ++i)
        QVERIFY(f.followers[i - 1].followedAt >= f.followers[i].followedAt);
}

void TestHelix::followersForOthersAreNotAllowed() {
    m_helix->setToken(token("1002", "moderator:read:followers"));
    const auto f = await<HelixFollowers>([&](auto cb) { m_helix->recentFollowers("1001", 10, this, cb); });
    QVERIFY(!f.allowed); // "not allowed", not "no followers"
    QVERIFY(f.total >= 9);
    QVERIFY(f.followers.isEmpty());
}

void TestHelix::followedAndModeratedChannels() {
    m_helix->setToken(token("1001", "user:read:follows user:read:moderated_channels"));
    const auto followed =
        await<QList<HelixFollowedChannel>>([&](auto cb) { m_helix->followedChannels("1001", this, cb); });
    QCOMPARE(followed.size(), 3); // 1002, 1004, 1010 in the world
    QVERIFY(followed[0].followedAt >= followed[1].followedAt);
    m_helix->setToken(token("1003", "user:read:moderated_channels"));
    const auto moderated =
        await<QList<HelixModeratedChannel>>([&](auto cb) { m_helix->moderatedChannels("1003", this, cb); });
    QCOMPARE(moderated.size(), 1);
    QCOMPARE(moderated[0].broadcasterLogin, QStringLiteral("lumenwave"));
}

void TestHelix::moderatedChannelsFollowEveryPage() {
    // A moderator of 230 channels: Twitch gives them in pages of at most 100.
    QJsonArray users{QJsonObject{{"id", "9000"}, {"login", "modmin"}, {"display_name", "ModMin"}}};
    for (int i = 1; i <= 230; ++i)
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
    HelixClient helix(m_network, sim.url().resolved(QUrl("/helix")), kClientId);
    QUrl tokenUrl = sim.url().resolved(QUrl("/sim/users/9000/token"));
    tokenUrl.setQuery(QStringLiteral("scopes=user:read:moderated_channels"));
    helix.setToken(
        QJsonDocument::fromJson(httpPost(tokenUrl, {}).body).object().value("access_token").toString());
    const auto moderated =
        await<QList<HelixModeratedChannel>>([&](auto cb) { helix.moderatedChannels("9000", this, cb); });
    QCOMPARE(moderated.size(), 230);
    QSet<QString> ids;
    for (const HelixModeratedChannel &c : moderated)
        ids.insert(c.broadcasterId);
    QCOMPARE(ids.size(), 230);
    QCOMPARE(moderated.last().broadcasterLogin, QStringLiteral("channel230"));
    const QJsonObject stats =
        QJsonDocument::fromJson(httpGet(sim.url().resolved(QUrl("/sim/helix/stats"))).body).object();
    QCOMPARE(stats.value("requests").toInt(), 3);
    // An error on the way is the answer: no half list.
    HelixError error;
    helix.setToken(QStringLiteral("made-up"));
    await<QList<HelixModeratedChannel>>([&](auto cb) { helix.moderatedChannels("9000", this, cb); }, &error);
    QCOMPARE(error.kind, HelixErrorKind::Unauthorized);
}

void TestHelix::invalidTokenIsUnauthorized() {
    m_helix->setToken(QStringLiteral("revoked-or-made-up"));
    QSignalSpy unauthorized(m_helix.get(), &HelixClient::unauthorized);
    HelixError error;
    await<QList<HelixUser>>([&](auto cb) { m_helix->self(this, cb); }, &error);
    QCOMPARE(error.kind, HelixErrorKind::Unauthorized);
    QCOMPARE(error.status, 401);
    QCOMPARE(error.message, QStringLiteral("Invalid OAuth token"));
    QCOMPARE(unauthorized.count(), 1);
}

void TestHelix::malformedAnswersAreErrors() {
    for (const QByteArray &bad :
         {QByteArray(), QByteArray("not json"), QByteArray("[]"), QByteArray("{\"data\":5}"),
          QByteArray("{\"data\":[1,2]}"), QByteArray("{\"data\":[{\"id\":")}) {
        QVERIFY(std::holds_alternative<HelixError>(parseUsers(bad)));
        QVERIFY(std::holds_alternative<HelixError>(parseFollowers(bad)) || bad == "{\"data\":[1,2]}");
    }
    const auto ok =
        parseUsers(R"({"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev"}]})");
    QCOMPARE(std::get<QList<HelixUser>>(ok).first().displayName, QStringLiteral("TwitchDev"));
    const auto onlyTotal = parseFollowers(R"({"total":8,"data":[],"pagination":{}})");
    QVERIFY(!std::get<HelixFollowers>(onlyTotal).allowed);
    const auto none = parseFollowers(R"({"total":0,"data":[],"pagination":{}})");
    QVERIFY(std::get<HelixFollowers>(none).allowed); // truly no followers
}

void TestHelix::aCallerGoneIsNotAnswered() {
    // A Twitch whose bucket holds 1 point per 2-second window: a second call waits for the reset.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_SIM_HELIX_POINTS", "1");
    env.insert("TWITCH_SIM_HELIX_WINDOW_SECONDS", "2");
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
    QVERIFY(sim.start());
    QNetworkAccessManager network;
    HelixClient helix(network, sim.url().resolved(QUrl("/helix")), kClientId);
    helix.setToken(
        QJsonDocument::fromJson(httpPost(sim.url().resolved(QUrl("/sim/users/1002/token")), {}).body)
            .object()
            .value("access_token")
            .toString());
    auto requests = [&] {
        return QJsonDocument::fromJson(httpGet(sim.url().resolved(QUrl("/sim/helix/stats"))).body)
            .object()
            .value("requests")
            .toInt();
    };
    int answered = 0;
    connect(&network, &QNetworkAccessManager::finished, this, [&](QNetworkReply *) { ++answered; });

    // On its way: the answer comes, and is not handed to a page that is gone.
    bool called = false;
    auto page = std::make_unique<QObject>();
    helix.self(page.get(), [&](HelixResult<QList<HelixUser>>) { called = true; });
    page.reset();
    QTRY_COMPARE_WITH_TIMEOUT(answered, 1, 10000);
    QVERIFY(!called);
    QCOMPARE(helix.rateLimitRemaining(), 0);

    // Waiting for the bucket: not even sent. The call after it is the next one Twitch sees.
    page = std::make_unique<QObject>();
    helix.self(page.get(), [&](HelixResult<QList<HelixUser>>) { called = true; });
    std::optional<HelixResult<QList<HelixUser>>> later;
    helix.self(this, [&](HelixResult<QList<HelixUser>> r) { later = std::move(r); });
    page.reset();
    QTRY_VERIFY_WITH_TIMEOUT(later.has_value(), 10000);
    QVERIFY(std::holds_alternative<QList<HelixUser>>(*later));
    QVERIFY(!called);
    QCOMPARE(answered, 2);
    QCOMPARE(requests(), 2);
}

QTEST_GUILESS_MAIN(TestHelix)
#include "tst_helix.moc"

void TestHelix::emptyBucketWaitsAndA429IsRetriedAfterTheReset() {
    // A Twitch whose bucket holds 3 points per 2-second window.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_SIM_HELIX_POINTS", "3");
    env.insert("TWITCH_SIM_HELIX_WINDOW_SECONDS", "2");
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
    QVERIFY(sim.start());
    HelixClient helix(m_network, sim.url().resolved(QUrl("/helix")), kClientId);
    QUrl mint = sim.url().resolved(QUrl("/sim/users/1002/token"));
    helix.setToken(
        QJsonDocument::fromJson(httpPost(mint, {}).body).object().value("access_token").toString());
    auto stats = [&] {
        return QJsonDocument::fromJson(httpGet(sim.url().resolved(QUrl("/sim/helix/stats"))).body).object();
    };

    // Sequential calls: after the third, Ratelimit-Remaining says 0, so the fourth waits for the reset
    // instead of earning a 429.
    for (int i = 0; i < 4; ++i) {
        HelixError error;
        const auto me = await<QList<HelixUser>>([&](auto cb) { helix.self(this, cb); }, &error);
        QCOMPARE(error.status, -1);
        QCOMPARE(me.value(0).login, QStringLiteral("ironquill"));
    }
    QCOMPARE(stats().value("requests").toInt(), 4);
    QCOMPARE(stats().value("throttled").toInt(), 0);

    // Six calls at once: no more go out than the bucket holds; the rest wait for the reset. No 429.
    int answered = 0;
    int failed = 0;
    auto count = [&](HelixResult<QList<HelixUser>> r) {
        ++answered;
        failed += std::holds_alternative<HelixError>(r) ? 1 : 0;
    };
    for (int i = 0; i < 6; ++i)
        helix.self(this, count);
    QTRY_COMPARE_WITH_TIMEOUT(answered, 6, 20000);
    QCOMPARE(failed, 0);
    QCOMPARE(stats().value("requests").toInt(), 10);
    QCOMPARE(stats().value("throttled").toInt(), 0);

    // Someone else spends the same user's bucket: the client's next call meets a 429 it could not
    // foresee, waits for Ratelimit-Reset and tries again.
    const QByteArray other =
        "Bearer " +
        QJsonDocument::fromJson(httpPost(mint, {}).body).object().value("access_token").toString().toUtf8();
    int spent = 0;
    while (httpGet(sim.url().resolved(QUrl("/helix/users")),
                   {{"Client-Id", kClientId.toUtf8()}, {"Authorization", other}})
               .status != 429)
        QVERIFY(++spent < 10);
    answered = failed = 0;
    helix.self(this, count);
    QTRY_COMPARE_WITH_TIMEOUT(answered, 1, 20000);
    QCOMPARE(failed, 0);
    const QJsonObject after = stats();
    QCOMPARE(after.value("throttled").toInt(), 2); // ours and the spender's: no hammering
    QCOMPARE(after.value("requests").toInt(), 10 + spent + 1 + 2);
}
