// twitch-sim's EventSub WebSocket transport, seen from a client over real sockets to the sim's process:
// the session messages and close codes, Helix subscriptions with websocket transport, and the control API
// (tests/twitch-sim/README.md is the contract).

#include "serverprocess.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>

#include <memory>

using streams::test::httpGet;
using streams::test::httpPost;
using streams::test::HttpResult;
using streams::test::ServerProcess;

namespace {

const QByteArray kClientId = "simclient0000000000000000000001";
const QStringList kAllScopes{"bits:read", "channel:read:subscriptions", "moderator:read:followers"};

const QJsonObject json(const QByteArray &body) {
    return QJsonDocument::fromJson(body).object();
}

// A twitch-sim process with a short default keepalive window.
class Sim {
public:
    explicit Sim(int keepaliveSeconds = 1, QStringList arguments = {}) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (keepaliveSeconds > 0)
            env.insert("TWITCH_SIM_EVENTSUB_KEEPALIVE_SECONDS", QString::number(keepaliveSeconds));
        m_process = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), arguments, env);
    }
    bool start() { return m_process->start(); }
    QByteArray errors() { return m_process->errors(); }
    QUrl url(const QString &path) const { return m_process->url().resolved(QUrl(path)); }
    QUrl ws(const QString &query = {}) const {
        QUrl u = url("/eventsub/ws");
        u.setScheme("ws");
        if (!query.isEmpty())
            u.setQuery(query);
        return u;
    }
    QString token(const QString &userId, const QStringList &scopes) const {
        QUrl u = url(QStringLiteral("/sim/users/%1/token").arg(userId));
        u.setQuery("scopes=" + QString::fromLatin1(QUrl::toPercentEncoding(scopes.join(' '))));
        return json(httpPost(u, {}).body).value("access_token").toString();
    }
    QString appToken() const {
        QUrl u = url("/oauth2/token");
        u.setQuery("client_id=" + kClientId +
                   "&client_secret=simsecret0000000000000000000001"
                   "&grant_type=client_credentials");
        return json(httpPost(u, {}).body).value("access_token").toString();
    }
    HttpResult control(const QString &path, const QJsonObject &body) const {
        return httpPost(url(path), QJsonDocument(body).toJson(QJsonDocument::Compact));
    }
    const QJsonObject state(const QString &path) const { return json(httpGet(url(path)).body); }
    const QJsonObject subscription(const QString &id) const {
        for (const QJsonValue v : state("/sim/eventsub/subscriptions").value("data").toArray())
            if (v["id"] == id)
                return v.toObject();
        return {};
    }
    // Helix with a bearer token.
    HttpResult create(const QString &token, const QJsonObject &body,
                      const QByteArray &clientId = kClientId) const {
        return httpPost(url("/helix/eventsub/subscriptions"),
                        QJsonDocument(body).toJson(QJsonDocument::Compact),
                        {{"Client-Id", clientId}, {"Authorization", "Bearer " + token.toUtf8()}});
    }
    HttpResult list(const QString &token, const QString &query = {}) const {
        return httpGet(url("/helix/eventsub/subscriptions" + (query.isEmpty() ? QString() : "?" + query)),
                       {{"Client-Id", kClientId}, {"Authorization", "Bearer " + token.toUtf8()}});
    }
    int remove(const QString &token, const QString &id) const {
        static QNetworkAccessManager nam;
        QNetworkRequest request(url("/helix/eventsub/subscriptions?id=" + id));
        request.setRawHeader("Client-Id", kClientId);
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
        QNetworkReply *reply = nam.deleteResource(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished() && !finished.wait(10000))
            return 0;
        reply->deleteLater();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    }

private:
    std::unique_ptr<ServerProcess> m_process;
};

QJsonObject subscriptionBody(const QString &type, const QString &version, const QJsonObject &condition,
                             const QString &sessionId) {
    return {{"type", type},
            {"version", version},
            {"condition", condition},
            {"transport", QJsonObject{{"method", "websocket"}, {"session_id", sessionId}}}};
}

// One EventSub WebSocket client: every message it received, and how it was closed.
class Client : public QObject {
public:
    Client() {
        connect(&socket, &QWebSocket::textMessageReceived, this,
                [this](const QString &frame) { messages.append(json(frame.toUtf8())); });
        connect(&socket, &QWebSocket::disconnected, this, [this] { closed = true; });
    }
    bool open(const QUrl &url) {
        socket.open(url);
        return QTest::qWaitFor([&] { return !ofType("session_welcome").isEmpty() || closed; }, 10000) &&
               !closed;
    }
    const QList<QJsonObject> ofType(const QString &type) const {
        QList<QJsonObject> out;
        for (const QJsonObject &m : messages)
            if (m["metadata"]["message_type"] == type)
                out.append(m);
        return out;
    }
    QString sessionId() const {
        const QList<QJsonObject> welcomes = ofType("session_welcome");
        return welcomes.isEmpty() ? QString() : welcomes[0]["payload"]["session"]["id"].toString();
    }
    bool waitForClose(int timeoutMs = 10000) {
        return QTest::qWaitFor([&] { return closed; }, timeoutMs);
    }
    bool waitFor(const QString &type, int count = 1, int timeoutMs = 10000) {
        return QTest::qWaitFor([&] { return ofType(type).size() >= count; }, timeoutMs);
    }
    int closeCode() const { return socket.closeCode(); }

    QWebSocket socket;
    QList<QJsonObject> messages;
    bool closed = false;
};

// The server's (unmasked) WebSocket frames in `data`: opcode and payload of each whole one.
QList<std::pair<int, QByteArray>> serverFrames(const QByteArray &data) {
    QList<std::pair<int, QByteArray>> frames;
    qsizetype at = 0;
    while (at + 2 <= data.size()) {
        const int opcode = quint8(data[at]) & 0x0f;
        qsizetype length = quint8(data[at + 1]) & 0x7f;
        qsizetype header = 2;
        if (length == 126) {
            if (at + 4 > data.size())
                break;
            length = (qsizetype(quint8(data[at + 2])) << 8) | quint8(data[at + 3]);
            header = 4;
        }
        if (at + header + length > data.size())
            break;
        frames.append({opcode, data.mid(at + header, length)});
        at += header + length;
    }
    return frames;
}

bool isNanoTimestamp(const QString &s) {
    static const QRegularExpression re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$)");
    return re.match(s).hasMatch();
}

} // namespace

class TestTwitchSimEventSubWs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void welcomeAsTwitchSendsIt();
    void keepaliveWindowIsClampedAsOnTwitch();
    void unusedSessionIsClosedWith4003();
    void keepalivesArriveUntilStopped();
    void notificationsOfEveryType();
    void burstInOrderDuplicatesAndOldTimestamps();
    void reconnectCarriesTheSessionOver();
    void reconnectNotFollowedEndsTheSession();
    void clientTrafficIsClosedWith4001();
    void unansweredPingsAreClosedWith4002();
    void helixRefusesWhatTwitchRefuses();
    void helixListsAndDeletes();
    void costAndConnectionLimits();
    void subscriptionsPerConnectionLimit();
    void dropDisablesSubscriptionsWithoutReplay();
    void revocationReachesTheSession();
    void controlClosesWithACode();
    void demoSendsOverWebSocket();
};

void TestTwitchSimEventSubWs::welcomeAsTwitchSendsIt() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=2")));
    QCOMPARE(c.messages.size(), 1);
    const QJsonObject welcome = c.messages.first();
    QCOMPARE(welcome.keys(), (QStringList{"metadata", "payload"}));
    const QJsonObject metadata = welcome["metadata"].toObject();
    QCOMPARE(metadata.keys(), (QStringList{"message_id", "message_timestamp", "message_type"}));
    QCOMPARE(metadata["message_type"].toString(), QStringLiteral("session_welcome"));
    QVERIFY(!metadata["message_id"].toString().isEmpty());
    QVERIFY2(isNanoTimestamp(metadata["message_timestamp"].toString()),
             qPrintable(metadata["message_timestamp"].toString()));
    const QJsonObject session = welcome["payload"]["session"].toObject();
    QCOMPARE(session.keys(),
             (QStringList{"connected_at", "id", "keepalive_timeout_seconds", "reconnect_url", "status"}));
    QVERIFY(!session["id"].toString().isEmpty());
    QCOMPARE(session["status"].toString(), QStringLiteral("connected"));
    QCOMPARE(session["keepalive_timeout_seconds"].toInt(), 2);
    QVERIFY(session["reconnect_url"].isNull());
    QVERIFY(isNanoTimestamp(session["connected_at"].toString()));
    // The control API sees the session, not yet owned by anyone.
    const QJsonArray sessions = sim.state("/sim/eventsub/sessions").value("sessions").toArray();
    QCOMPARE(sessions.size(), 1);
    QCOMPARE(sessions[0]["id"], session["id"]);
    QVERIFY(sessions[0]["user_id"].isNull());
}

void TestTwitchSimEventSubWs::keepaliveWindowIsClampedAsOnTwitch() {
    Sim fast(2);
    QVERIFY2(fast.start(), fast.errors().constData());
    auto keepaliveOf = [](const QUrl &url) {
        Client c;
        return c.open(url)
                   ? c.ofType("session_welcome")[0]["payload"]["session"]["keepalive_timeout_seconds"].toInt()
                   : -1;
    };
    QCOMPARE(keepaliveOf(fast.ws()), 2);
    QCOMPARE(keepaliveOf(fast.ws("keepalive_timeout_seconds=1")), 2);
    QCOMPARE(keepaliveOf(fast.ws("keepalive_timeout_seconds=5")), 5);
    QCOMPARE(keepaliveOf(fast.ws("keepalive_timeout_seconds=9000")), 600);
    Sim twitchLike(0);
    QVERIFY2(twitchLike.start(), twitchLike.errors().constData());
    QCOMPARE(keepaliveOf(twitchLike.ws()), 10);
    QCOMPARE(keepaliveOf(twitchLike.ws("keepalive_timeout_seconds=3")), 10);
    QCOMPARE(keepaliveOf(twitchLike.ws("keepalive_timeout_seconds=30")), 30);
}

void TestTwitchSimEventSubWs::unusedSessionIsClosedWith4003() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QElapsedTimer timer;
    timer.start();
    QVERIFY(c.open(sim.ws()));
    QVERIFY(c.waitForClose());
    QCOMPARE(c.closeCode(), 4003);
    QVERIFY(timer.elapsed() >= 900);
    const QJsonArray closed = sim.state("/sim/eventsub/sessions").value("closed").toArray();
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed[0]["code"].toInt(), 4003);
    QCOMPARE(closed[0]["session_id"].toString(), c.sessionId());
    QVERIFY(sim.state("/sim/eventsub/sessions").value("sessions").toArray().isEmpty());
}

void TestTwitchSimEventSubWs::keepalivesArriveUntilStopped() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws()));
    const QString token = sim.token("1001", kAllScopes);
    QCOMPARE(sim.create(token, subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}},
                                                c.sessionId()))
                 .status,
             202);
    QVERIFY(c.waitFor("session_keepalive", 3));
    const QJsonObject keepalive = c.ofType("session_keepalive").first();
    QCOMPARE(keepalive["payload"].toObject(), QJsonObject{});
    QCOMPARE(keepalive["metadata"].toObject().keys(),
             (QStringList{"message_id", "message_timestamp", "message_type"}));
    QVERIFY(!c.closed);
    QCOMPARE(
        sim.control("/sim/eventsub/keepalive", {{"session_id", c.sessionId()}, {"enabled", false}}).status,
        200);
    QVERIFY(!sim.state("/sim/eventsub/sessions")["sessions"][0]["keepalives"].toBool());
    // Two whole windows pass without a message (a client would now reconnect); the socket stays open.
    QSignalSpy received(&c.socket, &QWebSocket::textMessageReceived);
    QVERIFY(!received.wait(2500));
    QVERIFY(!c.closed);
    QCOMPARE(
        sim.control("/sim/eventsub/keepalive", {{"session_id", c.sessionId()}, {"enabled", true}}).status,
        200);
    const auto before = c.ofType("session_keepalive").size();
    QVERIFY(c.waitFor("session_keepalive", before + 1));
}

void TestTwitchSimEventSubWs::notificationsOfEveryType() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client broadcaster, moderator;
    QVERIFY(broadcaster.open(sim.ws()));
    QVERIFY(moderator.open(sim.ws()));
    const QString lumenwave = sim.token("1001", kAllScopes);
    const QString mod = sim.token("1003", {"moderator:read:followers"});
    QHash<QString, QString> subscriptionIds;
    const QList<std::pair<QString, QJsonObject>> types{
        {"channel.cheer", {{"broadcaster_user_id", "1001"}}},
        {"channel.subscribe", {{"broadcaster_user_id", "1001"}}},
        {"channel.subscription.message", {{"broadcaster_user_id", "1001"}}},
        {"channel.subscription.gift", {{"broadcaster_user_id", "1001"}}},
        {"channel.raid", {{"to_broadcaster_user_id", "1001"}}},
        {"stream.online", {{"broadcaster_user_id", "1001"}}},
        {"stream.offline", {{"broadcaster_user_id", "1001"}}},
        {"channel.follow", {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1001"}}},
    };
    for (const auto &[type, condition] : types) {
        const auto r = sim.create(lumenwave, subscriptionBody(type, type == "channel.follow" ? "2" : "1",
                                                              condition, broadcaster.sessionId()));
        QVERIFY2(r.status == 202, r.body.constData());
        const QJsonObject sub = json(r.body)["data"][0].toObject();
        QCOMPARE(sub["status"].toString(), QStringLiteral("enabled"));
        QCOMPARE(sub["transport"]["method"].toString(), QStringLiteral("websocket"));
        QCOMPARE(sub["transport"]["session_id"].toString(), broadcaster.sessionId());
        QCOMPARE(json(r.body)["max_total_cost"].toInt(), 10);
        subscriptionIds.insert(type, sub["id"].toString());
    }
    const auto modSub =
        sim.create(mod, subscriptionBody("channel.follow", "2",
                                         {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1003"}},
                                         moderator.sessionId()));
    QCOMPARE(modSub.status, 202);

    struct Expect {
        QString trigger;
        QString type;
        QString field;
        QJsonValue value;
    };
    const QList<Expect> expectations{
        {"cheer", "channel.cheer", "bits", 250},
        {"subscribe", "channel.subscribe", "tier", "1000"},
        {"subscription.message", "channel.subscription.message", "cumulative_months", 250},
        {"subscription.gift", "channel.subscription.gift", "total", 250},
        {"raid", "channel.raid", "viewers", 250},
        {"online", "stream.online", "type", "live"},
        {"offline", "stream.offline", "broadcaster_user_login", "lumenwave"},
        {"follow", "channel.follow", "user_login", "ironquill"},
    };
    for (const Expect &e : expectations) {
        const auto r = sim.control(
            "/sim/trigger",
            {{"type", e.trigger}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}, {"amount", 250}});
        QVERIFY2(r.status == 200, r.body.constData());
        const QJsonArray ids = json(r.body)["websocket_message_ids"].toArray();
        QCOMPARE(ids.size(), e.type == "channel.follow" ? 2 : 1); // the broadcaster's and the moderator's
        QVERIFY(QTest::qWaitFor([&] {
            for (const QJsonObject &m : broadcaster.ofType("notification"))
                if (m["metadata"]["message_id"] == ids[0])
                    return true;
            return false;
        }));
        QJsonObject found;
        for (const QJsonObject &m : broadcaster.ofType("notification"))
            if (m["metadata"]["message_id"] == ids[0])
                found = m;
        const QJsonObject n = found;
        const QJsonObject metadata = n["metadata"].toObject();
        QCOMPARE(metadata.keys(), (QStringList{"message_id", "message_timestamp", "message_type",
                                               "subscription_type", "subscription_version"}));
        QCOMPARE(metadata["subscription_type"].toString(), e.type);
        QCOMPARE(metadata["subscription_version"].toString(), e.type == "channel.follow" ? "2" : "1");
        QVERIFY(isNanoTimestamp(metadata["message_timestamp"].toString()));
        QCOMPARE(n["payload"].toObject().keys(), (QStringList{"event", "subscription"}));
        const QJsonObject sub = n["payload"]["subscription"].toObject();
        QCOMPARE(sub["id"].toString(), subscriptionIds.value(e.type));
        QCOMPARE(sub["type"].toString(), e.type);
        QCOMPARE(sub["status"].toString(), QStringLiteral("enabled"));
        QCOMPARE(sub["transport"].toObject(),
                 (QJsonObject{{"method", "websocket"}, {"session_id", broadcaster.sessionId()}}));
        const QJsonObject event = n["payload"]["event"].toObject();
        QVERIFY2(event[e.field] == e.value, qPrintable(e.type + ": " + QJsonDocument(event).toJson()));
        if (e.type == "channel.raid") {
            QCOMPARE(event["to_broadcaster_user_id"].toString(), QStringLiteral("1001"));
            QCOMPARE(event["from_broadcaster_user_login"].toString(), QStringLiteral("ironquill"));
        } else {
            QCOMPARE(event["broadcaster_user_id"].toString(), QStringLiteral("1001"));
            QCOMPARE(event["broadcaster_user_name"].toString(), QStringLiteral("LumenWave"));
        }
        if (e.type == "channel.cheer") {
            QCOMPARE(event["is_anonymous"].toBool(), false);
            QCOMPARE(event["user_id"].toString(), QStringLiteral("1002"));
            QVERIFY(event["message"].isString());
        }
    }
    // The moderator's own follow subscription got the follow too, on its own session.
    QVERIFY(moderator.waitFor("notification"));
    QCOMPARE(moderator.ofType("notification")[0]["payload"]["event"]["user_id"].toString(),
             QStringLiteral("1002"));
    QCOMPARE(moderator.ofType("notification").size(), 1);
}

void TestTwitchSimEventSubWs::burstInOrderDuplicatesAndOldTimestamps() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws()));
    QCOMPARE(
        sim.create(sim.token("1001", kAllScopes),
                   subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()))
            .status,
        202);
    const auto burst = sim.control(
        "/sim/trigger",
        {{"type", "channel.cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}, {"count", 200}});
    QCOMPARE(json(burst.body)["websocket_message_ids"].toArray().size(), 200);
    QVERIFY(c.waitFor("notification", 200));
    for (int i = 0; i < 200; ++i) {
        const QJsonObject event = c.ofType("notification")[i]["payload"]["event"].toObject();
        QCOMPARE(event["bits"].toInt(), i + 1);
        QCOMPARE(event["message"].toString(), QStringLiteral("burst #%1").arg(i + 1));
    }
    // The same message id twice in a row.
    const auto twice =
        sim.control("/sim/trigger",
                    {{"type", "cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}, {"repeat", 2}});
    QVERIFY(c.waitFor("notification", 202));
    const auto all = c.ofType("notification");
    QCOMPARE(all[200]["metadata"]["message_id"], all[201]["metadata"]["message_id"]);
    QCOMPARE(all[201]["metadata"]["message_id"], json(twice.body)["websocket_message_ids"][0]);
    QCOMPARE(all[200]["payload"], all[201]["payload"]);
    // A notification stamped 15 minutes ago.
    sim.control("/sim/trigger", {{"type", "cheer"},
                                 {"broadcaster_user_id", "1001"},
                                 {"user_id", "1002"},
                                 {"timestamp_age_seconds", 900}});
    QVERIFY(c.waitFor("notification", 203));
    const QDateTime stamped = QDateTime::fromString(
        c.ofType("notification")[202]["metadata"]["message_timestamp"].toString(), Qt::ISODateWithMs);
    QVERIFY(stamped.isValid());
    const qint64 age = stamped.secsTo(QDateTime::currentDateTimeUtc());
    QVERIFY2(age >= 895 && age <= 960, qPrintable(QString::number(age)));
}

void TestTwitchSimEventSubWs::reconnectCarriesTheSessionOver() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client old;
    QVERIFY(old.open(sim.ws()));
    const QString sessionId = old.sessionId();
    const auto created =
        sim.create(sim.token("1001", kAllScopes),
                   subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}}, sessionId));
    QCOMPARE(created.status, 202);
    const QString subscriptionId = json(created.body)["data"][0]["id"].toString();
    // A burst of 60 with a session_reconnect after the 20th; the client opens the new URL at once and keeps
    // the old socket open, so the sim closes it after the grace time.
    Client fresh;
    bool opened = false;
    connect(&old.socket, &QWebSocket::textMessageReceived, this, [&](const QString &frame) {
        const QJsonObject m = json(frame.toUtf8());
        if (m["metadata"]["message_type"] == "session_reconnect" && !opened) {
            opened = true;
            fresh.socket.open(QUrl(m["payload"]["session"]["reconnect_url"].toString()));
        }
    });
    const auto burst = sim.control("/sim/trigger", {{"type", "cheer"},
                                                    {"broadcaster_user_id", "1001"},
                                                    {"user_id", "1002"},
                                                    {"count", 60},
                                                    {"interval_ms", 5},
                                                    {"reconnect_after", 20},
                                                    {"grace_seconds", 2}});
    QCOMPARE(burst.status, 200);
    QVERIFY(old.waitFor("session_reconnect"));
    const QJsonObject reconnect = old.ofType("session_reconnect").first();
    const QJsonObject session = reconnect["payload"]["session"].toObject();
    QCOMPARE(session["id"].toString(), sessionId);
    QCOMPARE(session["status"].toString(), QStringLiteral("reconnecting"));
    QVERIFY(session["keepalive_timeout_seconds"].isNull());
    const QUrl reconnectUrl(session["reconnect_url"].toString());
    QCOMPARE(reconnectUrl.scheme(), QStringLiteral("ws"));
    QCOMPARE(reconnectUrl.port(), sim.ws().port());
    QVERIFY(reconnectUrl != sim.ws());
    QVERIFY(fresh.waitFor("session_welcome"));
    const QJsonObject welcome = fresh.ofType("session_welcome")[0]["payload"]["session"].toObject();
    QCOMPARE(welcome["id"].toString(), sessionId);
    QCOMPARE(welcome["status"].toString(), QStringLiteral("connected"));
    QVERIFY(welcome["reconnect_url"].isNull());
    // Every notification exactly once over the two sockets, in order; none on the old one after the switch.
    auto bitsOf = [](const Client &c) {
        QList<int> bits;
        for (const QJsonObject &m : c.ofType("notification"))
            bits.append(m["payload"]["event"]["bits"].toInt());
        return bits;
    };
    QVERIFY(QTest::qWaitFor([&] { return bitsOf(old).size() + bitsOf(fresh).size() >= 60; }, 10000));
    const QList<int> combined = bitsOf(old) + bitsOf(fresh);
    QCOMPARE(combined.size(), 60);
    for (int i = 0; i < 60; ++i)
        QCOMPARE(combined[i], i + 1);
    QVERIFY(bitsOf(old).size() >= 20);
    QVERIFY(!bitsOf(fresh).isEmpty());
    // The old socket, still open, is closed with 4004 once the grace time is over; the session lives on.
    QVERIFY(old.waitForClose());
    QCOMPARE(old.closeCode(), 4004);
    QVERIFY(!fresh.closed);
    QCOMPARE(sim.subscription(subscriptionId)["status"].toString(), QStringLiteral("enabled"));
    const auto freshBefore = fresh.ofType("notification").size();
    const auto after = sim.control("/sim/trigger",
                                   {{"type", "cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1004"}});
    QCOMPARE(json(after.body)["websocket_message_ids"].toArray().size(), 1);
    QVERIFY(fresh.waitFor("notification", freshBefore + 1));
    QCOMPARE(fresh.ofType("notification").last()["payload"]["event"]["user_id"].toString(),
             QStringLiteral("1004"));
    // The reconnect URL works once: again, it is an invalid reconnect.
    Client again;
    again.socket.open(reconnectUrl);
    QVERIFY(again.waitForClose());
    QCOMPARE(again.closeCode(), 4007);
    QVERIFY(again.messages.isEmpty());
}

void TestTwitchSimEventSubWs::reconnectNotFollowedEndsTheSession() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws()));
    const auto created =
        sim.create(sim.token("1001", kAllScopes),
                   subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()));
    QCOMPARE(created.status, 202);
    const auto r =
        sim.control("/sim/eventsub/reconnect", {{"session_id", c.sessionId()}, {"grace_seconds", 1}});
    QCOMPARE(r.status, 200);
    QCOMPARE(json(r.body)["sessions"].toArray(), QJsonArray{c.sessionId()});
    QVERIFY(c.waitFor("session_reconnect"));
    QVERIFY(c.waitForClose());
    QCOMPARE(c.closeCode(), 4004);
    QCOMPARE(sim.subscription(json(created.body)["data"][0]["id"].toString())["status"].toString(),
             QStringLiteral("websocket_failed_to_reconnect"));
    QCOMPARE(sim.control("/sim/eventsub/reconnect", {{"session_id", c.sessionId()}}).status, 404);
}

void TestTwitchSimEventSubWs::clientTrafficIsClosedWith4001() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=10")));
    const auto created =
        sim.create(sim.token("1001", kAllScopes),
                   subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()));
    QCOMPARE(created.status, 202);
    c.socket.sendTextMessage(R"({"type":"PING"})");
    QVERIFY(c.waitForClose());
    QCOMPARE(c.closeCode(), 4001);
    QCOMPARE(sim.subscription(json(created.body)["data"][0]["id"].toString())["status"].toString(),
             QStringLiteral("websocket_received_inbound_traffic"));
}

void TestTwitchSimEventSubWs::unansweredPingsAreClosedWith4002() {
    Sim sim(5);
    QVERIFY2(sim.start(), sim.errors().constData());
    // A client that speaks WebSocket by hand and never answers a Ping.
    QTcpSocket raw;
    QByteArray received;
    connect(&raw, &QTcpSocket::readyRead, this, [&] { received += raw.readAll(); });
    raw.connectToHost(QHostAddress::LocalHost, sim.ws().port());
    QVERIFY(raw.waitForConnected(5000));
    raw.write(QStringLiteral("GET /eventsub/ws HTTP/1.1\r\nHost: 127.0.0.1:%1\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n")
                  .arg(sim.ws().port())
                  .toLatin1());
    auto frames = [&] {
        const qsizetype end = received.indexOf("\r\n\r\n");
        return end < 0 ? QList<std::pair<int, QByteArray>>{} : serverFrames(received.mid(end + 4));
    };
    QTRY_VERIFY_WITH_TIMEOUT(!frames().isEmpty(), 5000);
    QVERIFY(received.startsWith("HTTP/1.1 101"));
    QCOMPARE(frames()[0].first, 0x1);
    const QString sessionId = json(frames()[0].second)["payload"]["session"]["id"].toString();
    const auto created =
        sim.create(sim.token("1001", {}),
                   subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}}, sessionId));
    QCOMPARE(created.status, 202);
    auto closeCode = [&] {
        for (const auto &[opcode, payload] : frames())
            if (opcode == 0x8 && payload.size() >= 2)
                return (int(quint8(payload[0])) << 8) | quint8(payload[1]);
        return 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(closeCode() != 0, 20000);
    QCOMPARE(closeCode(), 4002);
    bool pinged = false;
    for (const auto &[opcode, payload] : frames())
        pinged |= opcode == 0x9;
    QVERIFY(pinged);
    QCOMPARE(sim.subscription(json(created.body)["data"][0]["id"].toString())["status"].toString(),
             QStringLiteral("websocket_failed_ping_pong"));
}

void TestTwitchSimEventSubWs::helixRefusesWhatTwitchRefuses() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const QString session = c.sessionId();
    const QString lumenwave = sim.token("1001", kAllScopes);
    const QJsonObject cheer =
        subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}}, session);
    auto status = [](const HttpResult &r) { return r.status; };
    // Tokens: an app token is refused for websocket transport; no token, a bad one, a foreign Client-Id.
    QCOMPARE(status(sim.create(sim.appToken(), cheer)), 400);
    QCOMPARE(status(httpPost(sim.url("/helix/eventsub/subscriptions"), QJsonDocument(cheer).toJson(),
                             {{"Client-Id", kClientId}})),
             401);
    QCOMPARE(status(sim.create("notatoken000000000000000000000", cheer)), 401);
    QCOMPARE(status(sim.create(lumenwave, cheer, "otherclient000000000000000000001")), 401);
    // Bad requests: type/version, conditions, sessions.
    QCOMPARE(status(sim.create(lumenwave, subscriptionBody("channel.follow", "1",
                                                           {{"broadcaster_user_id", "1001"}}, session))),
             400);
    QCOMPARE(status(sim.create(lumenwave, subscriptionBody("channel.cheer", "1",
                                                           {{"broadcaster_user_id", "99999"}}, session))),
             400);
    QCOMPARE(status(sim.create(lumenwave, subscriptionBody("channel.raid", "1",
                                                           {{"from_broadcaster_user_id", "1002"},
                                                            {"to_broadcaster_user_id", "1001"}},
                                                           session))),
             400);
    QCOMPARE(
        status(sim.create(lumenwave, subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}},
                                                      "AQoQnosuchsession"))),
        400);
    QCOMPARE(status(sim.create(
                 lumenwave, subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}}, {}))),
             400);
    // Authorization: the condition's user must be the token's, in the right role, with the scope.
    const QString ironquill = sim.token("1002", kAllScopes);
    const QString moderator = sim.token("1003", kAllScopes);
    QCOMPARE(status(sim.create(ironquill, cheer)), 403); // someone else's channel
    QCOMPARE(status(sim.create(moderator, cheer)), 403); // moderators get follows only
    QCOMPARE(status(sim.create(
                 ironquill, subscriptionBody("channel.follow", "2",
                                             {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1002"}},
                                             session))),
             403); // not a moderator of 1001
    QCOMPARE(status(sim.create(
                 lumenwave, subscriptionBody("channel.follow", "2",
                                             {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1003"}},
                                             session))),
             403); // the moderator named is not the token's user
    QCOMPARE(status(sim.create(sim.token("1001", {"moderator:read:followers"}), cheer)), 403); // no bits:read
    QCOMPARE(status(sim.create(
                 sim.token("1001", {"bits:read"}),
                 subscriptionBody("channel.subscribe", "1", {{"broadcaster_user_id", "1001"}}, session))),
             403);
    QCOMPARE(
        status(sim.create(sim.token("1001", {"bits:read"}),
                          subscriptionBody("channel.follow", "2",
                                           {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1001"}},
                                           session))),
        403);
    // No authorization needed for raids and stream state.
    QCOMPARE(status(sim.create(
                 sim.token("1001", {}),
                 subscriptionBody("channel.raid", "1", {{"to_broadcaster_user_id", "1001"}}, session))),
             202);
    // The session now belongs to 1001: another user cannot use it.
    QCOMPARE(status(sim.create(
                 moderator, subscriptionBody("channel.follow", "2",
                                             {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1003"}},
                                             session))),
             400);
    // Created once; the identical one again is a conflict.
    QCOMPARE(status(sim.create(lumenwave, cheer)), 202);
    QCOMPARE(status(sim.create(lumenwave, cheer)), 409);
    QCOMPARE(sim.state("/sim/eventsub/sessions")["sessions"][0]["user_id"].toString(),
             QStringLiteral("1001"));
    // The webhook transport is unchanged: a user token still gets 401 there.
    QCOMPARE(
        status(sim.create(lumenwave, {{"type", "stream.online"},
                                      {"version", "1"},
                                      {"condition", QJsonObject{{"broadcaster_user_id", "1001"}}},
                                      {"transport", QJsonObject{{"method", "webhook"},
                                                                {"callback", "http://127.0.0.1:9/eventsub"},
                                                                {"secret", "0123456789abcdef"}}}})),
        401);
}

void TestTwitchSimEventSubWs::helixListsAndDeletes() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const QString token = sim.token("1001", kAllScopes);
    QStringList ids;
    for (const QString type : {"stream.online", "stream.offline", "channel.cheer"}) {
        const auto r =
            sim.create(token, subscriptionBody(type, "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()));
        QCOMPARE(r.status, 202);
        ids.append(json(r.body)["data"][0]["id"].toString());
    }
    const auto listed = sim.list(token);
    QCOMPARE(listed.status, 200);
    const QJsonObject body = json(listed.body);
    QCOMPARE(body["data"].toArray().size(), 3);
    QCOMPARE(body["total"].toInt(), 3);
    QCOMPARE(body["total_cost"].toInt(), 0); // the broadcaster authorized the client
    QCOMPARE(body["max_total_cost"].toInt(), 10);
    QVERIFY(body["pagination"].isObject());
    for (const QJsonValue s : body["data"].toArray()) {
        QCOMPARE(s["status"].toString(), QStringLiteral("enabled"));
        QCOMPARE(s["transport"]["session_id"].toString(), c.sessionId());
    }
    QCOMPARE(json(sim.list(token, "type=channel.cheer").body)["data"].toArray().size(), 1);
    QCOMPARE(sim.list(token, "type=channel.cheer&status=enabled").status, 400);
    // Another user sees none of them; an app token sees the webhook subscriptions only.
    QCOMPARE(json(sim.list(sim.token("1002", {})).body)["data"].toArray().size(), 0);
    QCOMPARE(json(sim.list(sim.appToken()).body)["data"].toArray().size(), 0);
    QCOMPARE(sim.remove(sim.token("1002", {}), ids[0]), 404);
    QCOMPARE(sim.remove(sim.appToken(), ids[0]), 404);
    QCOMPARE(sim.remove(token, ids[0]), 204);
    QCOMPARE(sim.remove(token, ids[0]), 404);
    QCOMPARE(json(sim.list(token).body)["data"].toArray().size(), 2);
    // Deleted: the event no longer arrives.
    QCOMPARE(json(sim.control("/sim/trigger", {{"type", "online"}, {"broadcaster_user_id", "1001"}})
                      .body)["websocket_message_ids"]
                 .toArray()
                 .size(),
             0);
}

void TestTwitchSimEventSubWs::costAndConnectionLimits() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    // Cost: stream state of channels that never authorized the client costs 1; 10 at most.
    Client mod;
    QVERIFY(mod.open(sim.ws("keepalive_timeout_seconds=30")));
    const QString token = sim.token("1003", {});
    int created = 0;
    int refused = 0;
    for (const QString type : {"stream.online", "stream.offline"})
        for (int user = 1001; user <= 1010; ++user) {
            if (user == 1003)
                continue;
            const auto r = sim.create(
                token, subscriptionBody(type, "1", {{"broadcaster_user_id", QString::number(user)}},
                                        mod.sessionId()));
            if (r.status == 202) {
                QCOMPARE(json(r.body)["data"][0]["cost"].toInt(), 1);
                QCOMPARE(json(r.body)["total_cost"].toInt(), created + 1);
                ++created;
            } else {
                QCOMPARE(r.status, 429);
                ++refused;
            }
        }
    QCOMPARE(created, 10);
    QCOMPARE(refused, 8);
    // Its own channel costs nothing, so it still fits.
    QCOMPARE(sim.create(token, subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1003"}},
                                                mod.sessionId()))
                 .status,
             202);

    // Connections: three sessions of one user with enabled subscriptions; the fourth is refused until one
    // of the others is gone.
    const QString lumenwave = sim.token("1001", {});
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<Client>());
        QVERIFY(clients.back()->open(sim.ws("keepalive_timeout_seconds=30")));
    }
    auto subscribeOn = [&](Client &c) {
        return sim
            .create(lumenwave,
                    subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()))
            .status;
    };
    QCOMPARE(subscribeOn(*clients[0]), 202);
    QCOMPARE(subscribeOn(*clients[1]), 202);
    QCOMPARE(subscribeOn(*clients[2]), 202);
    QCOMPARE(subscribeOn(*clients[3]), 429);
    clients[0]->socket.close();
    QVERIFY(
        QTest::qWaitFor([&] { return sim.state("/sim/eventsub/sessions")["closed"].toArray().size() == 1; }));
    QCOMPARE(subscribeOn(*clients[3]), 202);
}

void TestTwitchSimEventSubWs::subscriptionsPerConnectionLimit() {
    // A world where 9000 moderates 301 channels: 301 follow subscriptions, at no cost, on one session.
    QJsonArray users{QJsonObject{{"id", "9000"}, {"login", "modmin"}, {"display_name", "ModMin"}}};
    for (int i = 1; i <= 301; ++i)
        users.append(QJsonObject{{"id", QString::number(9000 + i)},
                                 {"login", QStringLiteral("channel%1").arg(i)},
                                 {"display_name", QStringLiteral("Channel%1").arg(i)},
                                 {"moderators", QJsonArray{"9000"}}});
    QTemporaryDir dir;
    QFile world(dir.filePath("world.json"));
    QVERIFY(world.open(QIODevice::WriteOnly));
    world.write(QJsonDocument(QJsonObject{{"users", users}}).toJson());
    world.close();
    Sim sim(1, {"--world", world.fileName()});
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const QString token = sim.token("9000", {"moderator:read:followers"});
    for (int i = 1; i <= 301; ++i) {
        const auto r = sim.create(token, subscriptionBody("channel.follow", "2",
                                                          {{"broadcaster_user_id", QString::number(9000 + i)},
                                                           {"moderator_user_id", "9000"}},
                                                          c.sessionId()));
        QCOMPARE(r.status, i <= 300 ? 202 : 429);
    }
    QCOMPARE(sim.state("/sim/eventsub/sessions")["sessions"][0]["subscriptions"].toInt(), 300);
}

void TestTwitchSimEventSubWs::dropDisablesSubscriptionsWithoutReplay() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    const QString token = sim.token("1001", kAllScopes);
    QString subscriptionId;
    QString sessionId;
    {
        Client c;
        QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
        sessionId = c.sessionId();
        const auto r = sim.create(
            token, subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}}, sessionId));
        QCOMPARE(r.status, 202);
        subscriptionId = json(r.body)["data"][0]["id"].toString();
        c.socket.close();
        QVERIFY(c.waitForClose());
    }
    QVERIFY(QTest::qWaitFor([&] {
        return sim.subscription(subscriptionId)["status"] == QStringLiteral("websocket_disconnected");
    }));
    QVERIFY(sim.subscription(subscriptionId)["transport"]["disconnected_at"].isString());
    const QJsonArray closed = sim.state("/sim/eventsub/sessions")["closed"].toArray();
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed[0]["by"].toString(), QStringLiteral("client"));
    // Events while nobody is connected are not kept; the next session starts empty and gets only new ones.
    QCOMPARE(json(sim.control("/sim/trigger",
                              {{"type", "cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}})
                      .body)["websocket_message_ids"]
                 .toArray()
                 .size(),
             0);
    Client next;
    QVERIFY(next.open(sim.ws("keepalive_timeout_seconds=30")));
    QVERIFY(next.sessionId() != sessionId);
    QCOMPARE(sim.state("/sim/eventsub/sessions")["sessions"][0]["subscriptions"].toInt(), 0);
    // The disabled subscription is no duplicate of a new one, and stays listed.
    QCOMPARE(sim.create(token, subscriptionBody("channel.cheer", "1", {{"broadcaster_user_id", "1001"}},
                                                next.sessionId()))
                 .status,
             202);
    QCOMPARE(json(sim.list(token, "status=websocket_disconnected").body)["data"].toArray().size(), 1);
    sim.control("/sim/trigger", {{"type", "cheer"}, {"broadcaster_user_id", "1001"}, {"user_id", "1004"}});
    QVERIFY(next.waitFor("notification"));
    QCOMPARE(next.ofType("notification").size(), 1);
    QCOMPARE(next.ofType("notification")[0]["payload"]["event"]["user_id"].toString(),
             QStringLiteral("1004"));
}

void TestTwitchSimEventSubWs::revocationReachesTheSession() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const auto r = sim.create(
        sim.token("1001", kAllScopes),
        subscriptionBody("channel.follow", "2",
                         {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1001"}}, c.sessionId()));
    QCOMPARE(r.status, 202);
    const QString id = json(r.body)["data"][0]["id"].toString();
    QCOMPARE(
        sim.control("/sim/revoke", {{"subscription_id", id}, {"status", "authorization_revoked"}}).status,
        200);
    QVERIFY(c.waitFor("revocation"));
    const QJsonObject revocation = c.ofType("revocation").first();
    QCOMPARE(revocation["metadata"]["subscription_type"].toString(), QStringLiteral("channel.follow"));
    QCOMPARE(revocation["metadata"]["subscription_version"].toString(), QStringLiteral("2"));
    QCOMPARE(revocation["payload"].toObject().keys(), QStringList{"subscription"});
    QCOMPARE(revocation["payload"]["subscription"]["id"].toString(), id);
    QCOMPARE(revocation["payload"]["subscription"]["status"].toString(),
             QStringLiteral("authorization_revoked"));
    QCOMPARE(json(sim.control("/sim/trigger",
                              {{"type", "follow"}, {"broadcaster_user_id", "1001"}, {"user_id", "1002"}})
                      .body)["websocket_message_ids"]
                 .toArray()
                 .size(),
             0);
    QVERIFY(!c.closed);
}

void TestTwitchSimEventSubWs::controlClosesWithACode() {
    Sim sim;
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const auto r =
        sim.create(sim.token("1001", {}),
                   subscriptionBody("stream.online", "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()));
    QCOMPARE(r.status, 202);
    QCOMPARE(sim.control("/sim/eventsub/close", {{"session_id", c.sessionId()}, {"code", 4006}}).status, 204);
    QVERIFY(c.waitForClose());
    QCOMPARE(c.closeCode(), 4006);
    QCOMPARE(sim.subscription(json(r.body)["data"][0]["id"].toString())["status"].toString(),
             QStringLiteral("websocket_network_error"));
    QCOMPARE(sim.control("/sim/eventsub/close", {{"session_id", c.sessionId()}, {"code", 4006}}).status, 404);
    QCOMPARE(sim.control("/sim/eventsub/close", {{"session_id", c.sessionId()}, {"code", 1000}}).status, 400);
}

void TestTwitchSimEventSubWs::demoSendsOverWebSocket() {
    Sim sim(1, {"--demo", "--demo-interval", "200"});
    QVERIFY2(sim.start(), sim.errors().constData());
    Client c;
    QVERIFY(c.open(sim.ws("keepalive_timeout_seconds=30")));
    const QString token = sim.token("1001", kAllScopes);
    for (const QString type :
         {"channel.cheer", "channel.subscribe", "channel.subscription.message", "channel.subscription.gift"})
        QCOMPARE(
            sim.create(token, subscriptionBody(type, "1", {{"broadcaster_user_id", "1001"}}, c.sessionId()))
                .status,
            202);
    QCOMPARE(sim.create(token, subscriptionBody("channel.raid", "1", {{"to_broadcaster_user_id", "1001"}},
                                                c.sessionId()))
                 .status,
             202);
    QCOMPARE(
        sim.create(token, subscriptionBody("channel.follow", "2",
                                           {{"broadcaster_user_id", "1001"}, {"moderator_user_id", "1001"}},
                                           c.sessionId()))
            .status,
        202);
    // Follows and the chat-borne kinds arrive as notifications.
    auto kinds = [&] {
        QSet<QString> seen;
        for (const QJsonObject &m : c.ofType("notification"))
            seen.insert(m["metadata"]["subscription_type"].toString());
        return seen;
    };
    QTRY_VERIFY_WITH_TIMEOUT(kinds().contains("channel.follow") && kinds().size() >= 4, 60000);
    for (const QJsonObject &m : c.ofType("notification"))
        QCOMPARE(m["payload"]["event"]["broadcaster_user_id"].toString() +
                     m["payload"]["event"]["to_broadcaster_user_id"].toString(),
                 QStringLiteral("1001"));
}

QTEST_GUILESS_MAIN(TestTwitchSimEventSubWs)
#include "tst_twitchsim_eventsubws.moc"
