// The device code login against twitch-sim, end to end: code, activation, polling, token, refresh.

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
    DeviceFlow flow(m_network, authBase(), "simclient0000000000000000000001", {"user:read:follows"});
    QSignalSpy code(&flow, &DeviceFlow::codeReady);
    QSignalSpy ok(&flow, &DeviceFlow::succeeded);
    flow.start();
    QVERIFY(code.wait(10000));
    const QString userCode = code.at(0).at(0).toString();
    QCOMPARE(userCode.size(), 8);
    QVERIFY(code.at(0).at(1).toUrl().toString().contains("/activate?public=true&device-code=" + userCode));
    QTest::qWait(1500); // a poll or two answer authorization_pending
    QCOMPARE(ok.count(), 0);
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/activate")),
                      "device-code=" + userCode.toUtf8() + "&login=quartzfox&decision=authorize",
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    QVERIFY(ok.wait(10000));
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
