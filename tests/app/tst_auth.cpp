// Logging in against twitch-sim: the consent page, the implicit-grant redirect, validation at start and
// on a (shortened) hourly clock, and logout revoking the token.

#include "serverprocess.h"
#include "twitch/authsession.h"
#include "twitch/implicitgrant.h"
#include "twitch/tokenstore.h"

#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

using namespace streams::app;
using namespace streams::test;

namespace {
const QString kClientId = QStringLiteral("simclient0000000000000000000001");
const QUrl kRedirect(QStringLiteral("http://localhost:17563"));
const QStringList kScopes{"moderator:read:followers", "user:read:follows", "user:read:moderated_channels"};
} // namespace

class TestAuth : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void consentGivesATokenThatLogsIn();
    void cancelIsADenial();
    void unregisteredRedirectIsRefused();
    void revokedTokenLogsOutOnceAtTheNextCheck();
    void logoutRevokesTheToken();

private:
    // POSTs the consent decision without following the redirect; returns the Location.
    QUrl decide(const QUrl &authorizeUrl, const QByteArray &form, int *status = nullptr);
    QString loginToken(const QString &login);
    QUrl authBase() const { return m_sim->url().resolved(QUrl("/oauth2")); }
    std::unique_ptr<ServerProcess> m_sim;
    QNetworkAccessManager m_network;
};

void TestAuth::initTestCase() {
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{});
    QVERIFY(m_sim->start());
}

QUrl TestAuth::decide(const QUrl &authorizeUrl, const QByteArray &form, int *status) {
    QNetworkRequest request(authorizeUrl);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = m_network.post(request, form);
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(10000);
    reply->deleteLater();
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    return QUrl(QString::fromUtf8(reply->rawHeader("Location")));
}

QString TestAuth::loginToken(const QString &login) {
    ImplicitGrant grant(authBase(), kClientId, kRedirect, kScopes);
    const auto verdict =
        grant.inspect(decide(grant.authorizeUrl(), "login=" + login.toUtf8() + "&decision=authorize"));
    return verdict.token;
}

void TestAuth::consentGivesATokenThatLogsIn() {
    ImplicitGrant grant(authBase(), kClientId, kRedirect, kScopes);
    const auto page = httpGet(grant.authorizeUrl());
    QCOMPARE(page.status, 200);
    QVERIFY(page.body.contains("Authorize"));
    QVERIFY(page.body.contains("moderator:read:followers"));
    int status = 0;
    const QUrl location = decide(grant.authorizeUrl(), "login=lumenwave&decision=authorize", &status);
    QCOMPARE(status, 302);
    const auto verdict = grant.inspect(location);
    QCOMPARE(verdict.outcome, ImplicitGrant::Outcome::Success);
    QCOMPARE(verdict.scopes, kScopes);

    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    QSignalSpy in(&session, &AuthSession::loggedIn);
    session.signIn(verdict.token);
    QVERIFY(in.wait(10000));
    QCOMPARE(session.account().login, QStringLiteral("lumenwave"));
    QCOMPARE(session.account().userId, QStringLiteral("1001"));
    QString kept;
    store.load([&](const QString &t) { kept = t; });
    QCOMPARE(kept, verdict.token);
}

void TestAuth::cancelIsADenial() {
    ImplicitGrant grant(authBase(), kClientId, kRedirect, kScopes);
    const auto verdict = grant.inspect(decide(grant.authorizeUrl(), "login=lumenwave&decision=cancel"));
    QCOMPARE(verdict.outcome, ImplicitGrant::Outcome::Failure);
    QCOMPARE(verdict.error, QStringLiteral("access_denied"));
}

void TestAuth::unregisteredRedirectIsRefused() {
    ImplicitGrant grant(authBase(), kClientId, QUrl("http://localhost:9999"), kScopes);
    const auto page = httpGet(grant.authorizeUrl());
    QCOMPARE(page.status, 400);
    QVERIFY(page.body.contains("redirect_uri does not match"));
}

void TestAuth::revokedTokenLogsOutOnceAtTheNextCheck() {
    const QString token = loginToken("ironquill");
    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    session.setValidationInterval(200); // the hourly check, shortened
    QSignalSpy in(&session, &AuthSession::loggedIn);
    QSignalSpy out(&session, &AuthSession::loggedOut);
    session.signIn(token);
    QVERIFY(in.wait(10000));
    QTest::qWait(500); // a few checks pass quietly while the token is good
    QCOMPARE(in.count(), 1);
    QCOMPARE(out.count(), 0);
    QCOMPARE(httpPost(authBase().toString() + "/revoke",
                      "client_id=" + kClientId.toUtf8() + "&token=" + token.toUtf8(),
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    QVERIFY(out.wait(5000));
    QTest::qWait(700);
    QCOMPARE(out.count(), 1); // once, not a stream of errors
    QVERIFY(out.at(0).at(0).toString().contains("log in again"));
    QCOMPARE(session.state(), AuthSession::State::LoggedOut);
    QString kept = "x";
    store.load([&](const QString &t) { kept = t; });
    QVERIFY(kept.isEmpty());
}

void TestAuth::logoutRevokesTheToken() {
    const QString token = loginToken("nightjarfm");
    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    QSignalSpy in(&session, &AuthSession::loggedIn);
    session.signIn(token);
    QVERIFY(in.wait(10000));
    QSignalSpy out(&session, &AuthSession::loggedOut);
    session.logout();
    QCOMPARE(out.count(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(
        httpGet(authBase().toString() + "/validate", {{"Authorization", "OAuth " + token.toUtf8()}}).status,
        401, 5000);
}

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
