// The device code login against twitch-sim, end to end: code, activation, polling, token, refresh.

#include "forwarder.h"
#include "serverprocess.h"
#include "twitch/deviceflow.h"

#include <QSignalSpy>
#include <QTest>

using namespace streams::app;
using namespace streams::test;

class TestDeviceFlow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("TWITCH_SIM_DEVICE_INTERVAL", "1"); // Twitch says 5 s; the test cannot wait that long
        m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
        QVERIFY(m_sim->start());
    }
    void codeActivationTokenAndRefresh();
    void declinedOnTwitch();

private:
    QUrl authBase() const { return m_sim->url().resolved(QUrl("/oauth2")); }
    std::unique_ptr<ServerProcess> m_sim;
    QNetworkAccessManager m_network;
};

void TestDeviceFlow::codeActivationTokenAndRefresh() {
    // Twitch as the app reaches it, so that the test sees the polls and Twitch's answers to them.
    Forwarder twitch(m_sim->url());
    QVERIFY(twitch.listen());
    DeviceFlow flow(m_network, twitch.url().resolved(QUrl("/oauth2")), "simclient0000000000000000000001",
                    {"user:read:follows"});
    QSignalSpy code(&flow, &DeviceFlow::codeReady);
    QSignalSpy ok(&flow, &DeviceFlow::succeeded);
    flow.start();
    QVERIFY(code.wait(10000));
    const QString userCode = code.at(0).at(0).toString();
    QCOMPARE(userCode.size(), 8);
    QVERIFY(code.at(0).at(1).toUrl().toString().contains("/activate?public=true&device-code=" + userCode));
    // The first poll is answered authorization_pending (held until the user has activated): the flow
    // must poll again rather than take it for a success.
    auto polls = [&] { return twitch.requests().count("POST /oauth2/token HTTP/1.1"); };
    twitch.hold(false, true);
    QTRY_VERIFY_WITH_TIMEOUT(twitch.heldForClients().contains("authorization_pending"), 10000);
    QCOMPARE(polls(), 1);
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/activate")),
                      "device-code=" + userCode.toUtf8() + "&login=quartzfox&decision=authorize",
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    twitch.release();
    QVERIFY(ok.wait(10000));
    QCOMPARE(polls(), 2); // the pending answer was no success: it took the next poll
    const auto tokens = ok.at(0).at(0).value<TokenPair>();
    QVERIFY(!tokens.accessToken.isEmpty());
    QVERIFY(!tokens.refreshToken.isEmpty());
    const auto who = httpGet(authBase().toString() + "/validate",
                             {{"Authorization", "OAuth " + tokens.accessToken.toUtf8()}});
    QCOMPARE(who.status, 200);
    QVERIFY(who.body.contains("\"login\":\"quartzfox\""));

    std::optional<TokenPair> renewed;
    QString error;
    bool rejected = false;
    bool done = false;
    DeviceFlow::refresh(m_network, authBase(), "simclient0000000000000000000001", tokens.refreshToken, this,
                        [&](DeviceFlow::Renewal r) {
                            renewed = r.tokens, error = r.error, rejected = r.rejected, done = true;
                        });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY(renewed);
    QVERIFY(!rejected);
    QVERIFY(renewed->refreshToken != tokens.refreshToken); // keep the new one
    // A refresh token works once.
    done = false;
    DeviceFlow::refresh(m_network, authBase(), "simclient0000000000000000000001", tokens.refreshToken, this,
                        [&](DeviceFlow::Renewal r) {
                            renewed = r.tokens, error = r.error, rejected = r.rejected, done = true;
                        });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY(!renewed);
    QVERIFY(error.contains("Invalid refresh token"));
    QVERIFY(rejected);
}

void TestDeviceFlow::declinedOnTwitch() {
    DeviceFlow flow(m_network, authBase(), "simclient0000000000000000000001", {"user:read:follows"});
    QSignalSpy code(&flow, &DeviceFlow::codeReady);
    QSignalSpy failed(&flow, &DeviceFlow::failed);
    flow.start();
    QVERIFY(code.wait(10000));
    httpPost(m_sim->url().resolved(QUrl("/activate")),
             "device-code=" + code.at(0).at(0).toString().toUtf8() + "&decision=cancel",
             {{"Content-Type", "application/x-www-form-urlencoded"}});
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.at(0).at(0).toString().contains("declined"));
}

QTEST_GUILESS_MAIN(TestDeviceFlow)
#include "tst_deviceflow.moc"
