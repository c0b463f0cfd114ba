// streams-events, the command-line front end (issue 12), as a real process against a real twitch-sim (and a
// real relay): the login kept in the profile's keychain (the Secret Service of scripts/test-session.sh),
// every kind triggered on Twitch printed once as a JSON line, bad arguments and a missing login as one line
// on stderr with their exit codes, the device-code login, SIGINT and SIGTERM ending it with 0.

#include "relayharness.h"
#include "twitch/keychaintokenstore.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QProcess>
#include <QSet>

#include <csignal>

using namespace streams::app;
using namespace streams::test;

namespace {

const QString kProgram = QStringLiteral(STREAMS_BINARY_DIR "/app/streams-events");
const QString kAllScopes = QStringLiteral(
    "bits:read channel:read:subscriptions moderator:read:followers user:read:moderated_channels");
// What the broadcaster receives over EventSub and the test triggers, with the feed kind each becomes.
const QList<QPair<QString, QString>> kTriggered = {{"channel.follow", "follow"},
                                                   {"channel.cheer", "cheer"},
                                                   {"channel.subscribe", "sub"},
                                                   {"channel.subscription.gift", "giftbomb"},
                                                   {"channel.raid", "raid"}};

// One streams-events process; its stdout split into lines as they come.
class EventsProcess {
public:
    EventsProcess(const QStringList &arguments, const QProcessEnvironment &env) {
        m_process.setProcessEnvironment(env);
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput,
                         [this] { m_out += m_process.readAllStandardOutput(); });
        QObject::connect(&m_process, &QProcess::readyReadStandardError,
                         [this] { m_err += m_process.readAllStandardError(); });
        m_process.start(kProgram, arguments);
    }
    ~EventsProcess() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool started() { return m_process.waitForStarted(10000); }
    // Complete lines of stdout / stderr so far.
    QList<QByteArray> outLines() const { return lines(m_out); }
    QList<QByteArray> errLines() const { return lines(m_err); }
    QByteArray out() const { return m_out; }
    QByteArray err() const { return m_err; }
    // Waits (each output wakes it) until `done` holds or the process has ended.
    bool waitUntil(const std::function<bool()> &done, int timeoutMs = 15000) {
        return QTest::qWaitFor([&] { return done() || m_process.state() == QProcess::NotRunning; },
                               timeoutMs) &&
               done();
    }
    void signal(int number) { ::kill(pid_t(m_process.processId()), number); }
    // The exit code once it has ended (-1: it did not, or it crashed).
    int exitCode(int timeoutMs = 15000) {
        if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(timeoutMs))
            return -1;
        m_out += m_process.readAllStandardOutput();
        m_err += m_process.readAllStandardError();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

private:
    static QList<QByteArray> lines(QByteArray text) {
        const qsizetype end = text.lastIndexOf('\n');
        if (end < 0)
            return {};
        text.truncate(end);
        return text.split('\n');
    }
    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
};

} // namespace

class TestStreamsEvents : public QObject, public RelayHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { stopServers(); }
    void badArgumentsAreOneLineAndExitTwo_data();
    void badArgumentsAreOneLineAndExitTwo();
    void withoutALoginItSaysToUseLogin();
    void withoutARelayOrApplicationItSaysWhatToGive();
    void anUnknownChannelIsOneLineAndExitOne();
    void broadcasterGetsEachKindOnceAsJsonLines();
    void relayAndEventSubStillGiveEachEventOnce();
    void aViewerGetsTheChatsEvents();
    void deviceCodeLoginPrintsTheCodeThenRuns();
    void interruptedWhileWaitingForTheCodeExitsZero();

private:
    QProcessEnvironment twitchEnvironment() const;
    // Keeps `token` where streams-viewer and streams-events look for the login of `profile`.
    void storeLogin(const QString &profile, const QString &token);
    // Every EventSub WebSocket subscription Twitch has (any status): taken before a process starts, so that
    // the subscriptions of a process that has just ended do not count as its.
    QSet<QString> eventSubIds();
    // Until Twitch has the broadcaster's EventSub WebSocket subscriptions of `types` enabled, other than
    // those of `earlier`.
    bool waitForEventSub(const QStringList &types, const QSet<QString> &earlier);
    // Triggers each kind of kTriggered, then a cheer of 7 bits as a sentinel (EventSub delivers a session's
    // notifications in order), and checks that each kind came once, as the documented JSON.
    void triggerEachKindAndCheck(EventsProcess &events, const QString &token, const QSet<QString> &earlier);
};

void TestStreamsEvents::initTestCase() {
    QVERIFY2(QFileInfo(kProgram).isExecutable(), qPrintable(kProgram + " is not built"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_SIM_DEVICE_INTERVAL", "1"); // Twitch says 5 s
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
    QVERIFY(m_sim->start());
    QVERIFY(startRelay());
    // The keychain these tests need is the Secret Service that scripts/test-session.sh starts.
    KeychainTokenStore store("Streams & Events Viewer", "tst_streamsevents-probe");
    bool done = false, kept = false;
    store.save("probe", &store, [&](bool k) { kept = k, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY2(kept && store.limitation().isEmpty(),
             "no Secret Service: run ctest through scripts/test-session.sh (as scripts/test.sh does)");
    store.clear();
}

QProcessEnvironment TestStreamsEvents::twitchEnvironment() const {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString http = m_sim->url().toString();
    const QString ws = QString(http).replace("http://", "ws://");
    env.insert("TWITCH_AUTH_URL", http + "/oauth2");
    env.insert("TWITCH_HELIX_URL", http + "/helix");
    env.insert("TWITCH_IRC_URL", ws + "/irc");
    env.insert("TWITCH_EVENTSUB_WS_URL", ws + "/eventsub/ws");
    env.remove("TWITCH_CLIENT_ID");
    return env;
}

void TestStreamsEvents::storeLogin(const QString &profile, const QString &token) {
    // streams-viewer's name for a profile's entry: one login per profile folder.
    const QString account =
        "twitch-login-" +
        QString::fromLatin1(
            QCryptographicHash::hash(profile.toUtf8(), QCryptographicHash::Sha256).toHex().left(16));
    KeychainTokenStore store("Streams & Events Viewer", account);
    bool done = false, kept = false;
    store.save(token, &store, [&](bool k) { kept = k, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY(kept);
}

QSet<QString> TestStreamsEvents::eventSubIds() {
    QSet<QString> ids;
    const QJsonArray all =
        QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/eventsub/subscriptions"))).body)
            .object()
            .value("data")
            .toArray();
    for (const QJsonValue v : all)
        ids.insert(v["id"].toString());
    return ids;
}

bool TestStreamsEvents::waitForEventSub(const QStringList &types, const QSet<QString> &earlier) {
    return QTest::qWaitFor(
        [&] {
            QSet<QString> enabled;
            const QJsonArray all =
                QJsonDocument::fromJson(
                    httpGet(m_sim->url().resolved(QUrl("/sim/eventsub/subscriptions"))).body)
                    .object()
                    .value("data")
                    .toArray();
            for (const QJsonValue v : all)
                if (v["status"].toString() == "enabled" && v["user_id"].toString() == kBroadcaster &&
                    !earlier.contains(v["id"].toString()))
                    enabled.insert(v["type"].toString());
            for (const QString &type : types)
                if (!enabled.contains(type))
                    return false;
            return true;
        },
        15000);
}

void TestStreamsEvents::triggerEachKindAndCheck(EventsProcess &events, const QString &token,
                                                const QSet<QString> &earlier) {
    QStringList types;
    for (const auto &t : kTriggered)
        types.append(t.first);
    QVERIFY2(waitForEventSub(types, earlier), events.err().constData());
    const qsizetype before = events.outLines().size();
    for (const auto &t : kTriggered)
        trigger({{"type", t.first}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1002"}});
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1004"},
             {"amount", 7}});
    auto sentinelSeen = [&] {
        for (const QByteArray &line : events.outLines())
            if (line.contains("\"amount\":7,") && line.contains("\"login\":\"nightjarfm\""))
                return true;
        return false;
    };
    QVERIFY2(events.waitUntil(sentinelSeen), events.err().constData());

    QHash<QString, QJsonObject> byKind;
    const QList<QByteArray> lines = events.outLines().mid(before);
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), line.constData());
        const QJsonObject o = doc.object();
        if (o["user"]["id"].toString() == "1004")
            continue; // the sentinel
        QVERIFY2(!byKind.contains(o["kind"].toString()), ("printed twice: " + line).constData());
        byKind.insert(o["kind"].toString(), o);
    }
    QCOMPARE(byKind.size(), kTriggered.size());
    for (const auto &t : kTriggered) {
        QVERIFY2(byKind.contains(t.second), qPrintable(t.second + " missing"));
        const QJsonObject o = byKind[t.second];
        const QStringList keys = o.keys();
        QCOMPARE(QSet<QString>(keys.begin(), keys.end()),
                 QSet<QString>({"kind", "occurred_at", "user", "amount", "tier", "message", "source", "id"}));
        QCOMPARE(o["user"]["id"].toString(), QStringLiteral("1002"));
        QCOMPARE(o["user"]["login"].toString(), QStringLiteral("ironquill"));
        QVERIFY(!o["id"].toString().isEmpty());
        QVERIFY(!o["source"].toString().isEmpty());
        const QDateTime at = QDateTime::fromString(o["occurred_at"].toString(), Qt::ISODateWithMs);
        QVERIFY2(at.isValid() && qAbs(at.secsTo(QDateTime::currentDateTimeUtc())) < 120,
                 qPrintable(o["occurred_at"].toString()));
    }
    QCOMPARE(byKind["cheer"]["amount"].toInt(), 100); // the sim's defaults
    QCOMPARE(byKind["giftbomb"]["amount"].toInt(), 5);
    QCOMPARE(byKind["raid"]["amount"].toInt(), 42);
    QCOMPARE(byKind["sub"]["tier"].toString(), QStringLiteral("1000"));
    QVERIFY(!events.out().contains(token.toUtf8()));
    QVERIFY(!events.err().contains(token.toUtf8()));
}

void TestStreamsEvents::badArgumentsAreOneLineAndExitTwo_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("named"); // what the line must name
    QTest::newRow("nothing") << QStringList{} << "--channel";
    QTest::newRow("unknown option") << QStringList{"--channel", "lumenwave", "--colour"} << "colour";
    QTest::newRow("no channel value") << QStringList{"--channel"} << "channel";
    QTest::newRow("not a login") << QStringList{"--channel", "lumen wave!"} << "--channel";
    QTest::newRow("since without unit")
        << QStringList{"--channel", "lumenwave", "--since", "10"} << "--since";
    QTest::newRow("since nonsense") << QStringList{"--channel", "lumenwave", "--since", "soon"} << "--since";
    QTest::newRow("relay not http") << QStringList{"--channel", "lumenwave", "--relay", "ftp://relay.example"}
                                    << "--relay";
    QTest::newRow("stray argument") << QStringList{"--channel", "lumenwave", "extra"} << "extra";
}

void TestStreamsEvents::badArgumentsAreOneLineAndExitTwo() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, named);
    QTemporaryDir profile;
    EventsProcess events(QStringList{"--profile", profile.path()} + arguments, twitchEnvironment());
    QVERIFY(events.started());
    QCOMPARE(events.exitCode(), 2);
    QCOMPARE(events.out(), QByteArray());
    QCOMPARE(events.errLines().size(), 1);
    QVERIFY(events.err().endsWith('\n'));
    QVERIFY2(events.err().startsWith("streams-events: ") && events.err().contains(named.toUtf8()),
             events.err().constData());
}

void TestStreamsEvents::withoutALoginItSaysToUseLogin() {
    QTemporaryDir profile;
    EventsProcess events({"--channel", "lumenwave", "--profile", profile.path(), "--client-id", kClientId},
                         twitchEnvironment());
    QVERIFY(events.started());
    const int code = events.exitCode();
    QVERIFY2(code != 0 && code != -1, events.err().constData());
    QCOMPARE(events.out(), QByteArray());
    QCOMPARE(events.errLines().size(), 1);
    QVERIFY2(events.err().contains("--login"), events.err().constData());
}

void TestStreamsEvents::withoutARelayOrApplicationItSaysWhatToGive() {
    QTemporaryDir profile;
    EventsProcess events({"--channel", "lumenwave", "--profile", profile.path()}, twitchEnvironment());
    QVERIFY(events.started());
    QCOMPARE(events.exitCode(), 1);
    QCOMPARE(events.out(), QByteArray());
    QCOMPARE(events.errLines().size(), 1);
    QVERIFY2(events.err().contains("--relay") && events.err().contains("--client-id"),
             events.err().constData());
}

void TestStreamsEvents::anUnknownChannelIsOneLineAndExitOne() {
    QTemporaryDir profile;
    const QString token = userToken(kBroadcaster, kAllScopes);
    storeLogin(profile.path(), token);
    EventsProcess events(
        {"--channel", "nosuchchannel42", "--profile", profile.path(), "--client-id", kClientId},
        twitchEnvironment());
    QVERIFY(events.started());
    QCOMPARE(events.exitCode(), 1);
    QCOMPARE(events.out(), QByteArray());
    QCOMPARE(events.errLines().size(), 1);
    QVERIFY2(events.err().contains("nosuchchannel42"), events.err().constData());
    QVERIFY(!events.err().contains(token.toUtf8()));
}

void TestStreamsEvents::broadcasterGetsEachKindOnceAsJsonLines() {
    QTemporaryDir profile;
    const QString token = userToken(kBroadcaster, kAllScopes);
    storeLogin(profile.path(), token);
    // No relay: EventSub, chat and Helix; the Twitch application named in the environment.
    QProcessEnvironment env = twitchEnvironment();
    env.insert("TWITCH_CLIENT_ID", kClientId);
    const QSet<QString> earlier = eventSubIds();
    EventsProcess events({"--channel", "lumenwave", "--profile", profile.path()}, env);
    QVERIFY(events.started());
    triggerEachKindAndCheck(events, token, earlier);
    if (QTest::currentTestFailed())
        return;
    for (const QByteArray &line : events.outLines())
        QVERIFY2(line.contains("\"source\":\"eventsub\""), line.constData());
    // Helix's latest followers are older than the start: without --since they are history, not printed.
    QCOMPARE(events.outLines().size(), kTriggered.size() + 1);
    QCOMPARE(events.err(), QByteArray()); // nothing went wrong, so nothing is said
    events.signal(SIGINT);
    QCOMPARE(events.exitCode(), 0);

    // Again with --since: what the first run stored comes first, each once.
    EventsProcess again({"--channel", "lumenwave", "--profile", profile.path(), "--since", "10m"}, env);
    QVERIFY(again.started());
    QVERIFY2(again.waitUntil([&] { return again.outLines().size() >= kTriggered.size() + 1; }),
             again.err().constData());
    const QList<QByteArray> history = again.outLines();
    QCOMPARE(history.size(), kTriggered.size() + 1);
    QCOMPARE(QSet<QByteArray>(history.begin(), history.end()).size(), kTriggered.size() + 1);
    again.signal(SIGTERM);
    QCOMPARE(again.exitCode(), 0);
}

void TestStreamsEvents::relayAndEventSubStillGiveEachEventOnce() {
    QTemporaryDir profile;
    const QString token = userToken(kBroadcaster, kAllScopes);
    storeLogin(profile.path(), token);
    const QSet<QString> earlier = eventSubIds();
    EventsProcess events(
        {"--channel", "lumenwave", "--profile", profile.path(), "--relay", m_relay->url().toString()},
        twitchEnvironment());
    QVERIFY(events.started());
    // The relay (webhook) delivers the follow too, once Twitch has its subscription for this moderator.
    QVERIFY2(waitForEnabled("channel.follow", kBroadcaster, kBroadcaster), events.err().constData());
    triggerEachKindAndCheck(events, token, earlier);
    events.signal(SIGINT);
    QCOMPARE(events.exitCode(), 0);
}

void TestStreamsEvents::aViewerGetsTheChatsEvents() {
    auto joined = [this] {
        int n = 0;
        const QJsonArray clients =
            QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/irc"))).body)
                .object()
                .value("clients")
                .toArray();
        for (const QJsonValue c : clients)
            n += c["channels"].toArray().contains(QJsonValue("#lumenwave")) ? 1 : 0;
        return n;
    };
    QTemporaryDir profile;
    storeLogin(profile.path(),
               userToken(kViewer, kAllScopes)); // ironquill: neither broadcaster nor moderator
    const int before = joined();
    EventsProcess events({"--channel", "lumenwave", "--profile", profile.path(), "--client-id", kClientId},
                         twitchEnvironment());
    QVERIFY(events.started());
    QVERIFY2(QTest::qWaitFor([&] { return joined() > before; }, 15000), events.err().constData());
    for (const QJsonObject &line :
         {QJsonObject{{"type", "cheer"}, {"amount", 33}}, QJsonObject{{"type", "raid"}}}) {
        QJsonObject body = line;
        body.insert("broadcaster_user_id", kBroadcaster);
        body.insert("user_id", "1004");
        QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/chat")), QJsonDocument(body).toJson()).status,
                 200);
    }
    QVERIFY2(events.waitUntil([&] { return events.outLines().size() >= 2; }), events.err().constData());
    const QJsonObject cheer = QJsonDocument::fromJson(events.outLines().at(0)).object();
    const QJsonObject raid = QJsonDocument::fromJson(events.outLines().at(1)).object();
    QCOMPARE(cheer["kind"].toString(), QStringLiteral("cheer"));
    QCOMPARE(cheer["amount"].toInt(), 33);
    QCOMPARE(cheer["source"].toString(), QStringLiteral("chat"));
    QCOMPARE(cheer["user"]["login"].toString(), QStringLiteral("nightjarfm"));
    QCOMPARE(raid["kind"].toString(), QStringLiteral("raid"));
    QCOMPARE(raid["source"].toString(), QStringLiteral("chat"));
    // Why there are no follows is said, one line each.
    QVERIFY2(events.err().contains("follows only to the broadcaster"), events.err().constData());
    for (const QByteArray &line : events.errLines())
        QVERIFY2(line.startsWith("streams-events: "), line.constData());
    events.signal(SIGTERM);
    QCOMPARE(events.exitCode(), 0);
}

void TestStreamsEvents::deviceCodeLoginPrintsTheCodeThenRuns() {
    QTemporaryDir profile;
    QSet<QString> earlier = eventSubIds();
    EventsProcess events(
        {"--channel", "lumenwave", "--profile", profile.path(), "--login", "--client-id", kClientId},
        twitchEnvironment());
    QVERIFY(events.started());
    QVERIFY2(events.waitUntil([&] { return events.err().contains("/activate?"); }), events.err().constData());
    QCOMPARE(events.out(), QByteArray()); // stdout stays for the feed
    const QRegularExpressionMatch m = QRegularExpression("(http://\\S+/activate\\?\\S*device-code=(\\w+))")
                                          .match(QString::fromUtf8(events.err()));
    QVERIFY2(m.hasMatch(), events.err().constData());
    const QString code = m.captured(2);
    QVERIFY2(events.err().contains(code.toUtf8() + " ") || events.err().contains(" " + code.toUtf8()),
             events.err().constData());
    QCOMPARE(httpPost(QUrl(m.captured(1)).resolved(QUrl("/activate")),
                      "device-code=" + code.toUtf8() + "&login=lumenwave&decision=authorize",
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    // Logged in, it runs: a follow on Twitch is a line.
    QVERIFY2(waitForEventSub({"channel.follow", "channel.cheer"}, earlier), events.err().constData());
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1004"}});
    QVERIFY2(events.waitUntil([&] { return events.out().contains("\"kind\":\"follow\""); }),
             events.err().constData());
    events.signal(SIGINT);
    QCOMPARE(events.exitCode(), 0);

    // The login was kept in the profile's keychain entry: the next run needs no --login.
    earlier = eventSubIds();
    EventsProcess again({"--channel", "lumenwave", "--profile", profile.path(), "--client-id", kClientId},
                        twitchEnvironment());
    QVERIFY(again.started());
    QVERIFY2(waitForEventSub({"channel.cheer"}, earlier), again.err().constData());
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1002"},
             {"amount", 250}});
    QVERIFY2(again.waitUntil([&] { return again.out().contains("\"amount\":250,"); }),
             again.err().constData());
    again.signal(SIGINT);
    QCOMPARE(again.exitCode(), 0);
}

void TestStreamsEvents::interruptedWhileWaitingForTheCodeExitsZero() {
    QTemporaryDir profile;
    EventsProcess events(
        {"--channel", "lumenwave", "--profile", profile.path(), "--login", "--client-id", kClientId},
        twitchEnvironment());
    QVERIFY(events.started());
    QVERIFY2(events.waitUntil([&] { return events.err().contains("/activate?"); }), events.err().constData());
    events.signal(SIGINT);
    QCOMPARE(events.exitCode(), 0);
    QCOMPARE(events.out(), QByteArray());
}

QTEST_GUILESS_MAIN(TestStreamsEvents)
#include "tst_streamsevents.moc"
