// Logging in against twitch-sim: the consent page, the implicit-grant redirect, validation at start and
// on a (shortened) hourly clock, logout revoking the token, and a device-code login's refresh token renewing
// the access token before it expires, after a 401 from Helix, and when the app starts with an expired one.

#include "forwarder.h"
#include "serverprocess.h"
#include "twitch/authsession.h"
#include "twitch/deviceflow.h"
#include "twitch/helixclient.h"
#include "twitch/implicitgrant.h"
#include "twitch/tokenstore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QProcessEnvironment>
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
    void unreachableAtStartLogsInOnceTwitchAnswers();
    void logoutRevokesTheToken();
    void renewedShortlyBeforeExpiryOnce();
    void helix401RenewsAndRetries();
    void deadRefreshTokenLogsOutOnce();
    void restoringAnExpiredLoginRenewsIt();
    void storedLoginFormats();

private:
    // POSTs the consent decision without following the redirect; returns the Location.
    QUrl decide(const QUrl &authorizeUrl, const QByteArray &form, int *status = nullptr);
    QString loginToken(const QString &login);
    TokenPair deviceLogin(const QString &login);
    void expireAccessTokens(const QString &userId);
    QUrl authBase() const { return m_sim->url().resolved(QUrl("/oauth2")); }
    std::unique_ptr<ServerProcess> m_sim;
    QNetworkAccessManager m_network;
};

void TestAuth::initTestCase() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_SIM_DEVICE_INTERVAL", "1");
    m_sim = std::make_unique<ServerProcess>(QStringLiteral(TWITCH_SIM_PATH), QStringList{}, env);
    QVERIFY(m_sim->start());
}

TokenPair TestAuth::deviceLogin(const QString &login) {
    DeviceFlow flow(m_network, authBase(), kClientId, kScopes);
    QSignalSpy code(&flow, &DeviceFlow::codeReady);
    QSignalSpy ok(&flow, &DeviceFlow::succeeded);
    flow.start();
    if (!code.wait(10000))
        return {};
    httpPost(m_sim->url().resolved(QUrl("/activate")),
             "device-code=" + code.at(0).at(0).toString().toUtf8() + "&login=" + login.toUtf8() +
                 "&decision=authorize",
             {{"Content-Type", "application/x-www-form-urlencoded"}});
    if (!ok.wait(10000))
        return {};
    return ok.at(0).at(0).value<TokenPair>();
}

void TestAuth::expireAccessTokens(const QString &userId) {
    const auto r = httpPost(m_sim->url().resolved(QUrl("/sim/users/" + userId + "/expire-tokens")), {});
    QVERIFY(QJsonDocument::fromJson(r.body).object().value("expired").toInt() > 0);
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
    store.load(this, [&](const QString &t) { kept = t; });
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
    int answered = 0; // validations answered and handled (the session's slot runs in the same emission)
    connect(&m_network, &QNetworkAccessManager::finished, &session,
            [&](QNetworkReply *reply) { answered += reply->url().path().endsWith("/validate"); });
    session.signIn(token);
    QVERIFY(in.wait(10000));
    QTRY_VERIFY_WITH_TIMEOUT(answered >= 3, 10000); // the login's check and two more pass quietly
    QCOMPARE(in.count(), 1);
    QCOMPARE(out.count(), 0);
    QCOMPARE(httpPost(authBase().toString() + "/revoke",
                      "client_id=" + kClientId.toUtf8() + "&token=" + token.toUtf8(),
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    QVERIFY(out.wait(5000));
    QCOMPARE(out.count(), 1); // once, not a stream of errors: nothing is left to check
    QCOMPARE(session.nextCheckInMs(), 0);
    QVERIFY(out.at(0).at(0).toString().contains("log in again"));
    QCOMPARE(session.state(), AuthSession::State::LoggedOut);
    QString kept = "x";
    store.load(this, [&](const QString &t) { kept = t; });
    QVERIFY(kept.isEmpty());
}

void TestAuth::unreachableAtStartLogsInOnceTwitchAnswers() {
    const QString token = loginToken("lumenwave");
    MemoryTokenStore store;
    store.save(token, this, [](bool) {});
    Forwarder twitch(m_sim->url()); // Twitch, as the app reaches it: down when the app starts
    QVERIFY(twitch.listen());
    twitch.setReachable(false);
    AuthSession session(m_network, twitch.url().resolved(QUrl("/oauth2")), kClientId, store);
    session.setValidationInterval(200); // the hourly check, shortened
    QSignalSpy in(&session, &AuthSession::loggedIn);
    QSignalSpy out(&session, &AuthSession::loggedOut);
    QSignalSpy unreachable(&session, &AuthSession::validationFailed);
    session.restore();
    QVERIFY(unreachable.wait(10000));
    QCOMPARE(in.count(), 0); // nobody is logged in before Twitch says who
    QVERIFY(session.state() != AuthSession::State::LoggedIn);
    QString none = "x";
    session.withToken(false, [&](const QString &t) { none = t; });
    QVERIFY(none.isEmpty());

    QVERIFY(twitch.setReachable(true));
    QVERIFY(in.wait(10000));
    QCOMPARE(in.at(0).at(0).value<Account>().login, QStringLiteral("lumenwave"));
    QCOMPARE(session.state(), AuthSession::State::LoggedIn);
    QCOMPARE(session.token(), token);
    // Later checks pass quietly: one login, not one per check.
    auto checks = [&] {
        const auto requests = twitch.requests();
        return std::count_if(requests.begin(), requests.end(),
                             [](const QByteArray &r) { return r.contains("/oauth2/validate"); });
    };
    const auto before = checks();
    QTRY_VERIFY_WITH_TIMEOUT(checks() >= before + 3, 10000);
    QCOMPARE(in.count(), 1);
    QCOMPARE(out.count(), 0);
    QString kept;
    store.load(this, [&](const QString &t) { kept = t; });
    QCOMPARE(kept, token);
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

void TestAuth::renewedShortlyBeforeExpiryOnce() {
    const TokenPair pair = deviceLogin("quartzfox");
    QVERIFY(!pair.refreshToken.isEmpty());
    qint64 now = QDateTime::currentSecsSinceEpoch();
    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    session.setClock([&] { return now; });
    QSignalSpy in(&session, &AuthSession::loggedIn);
    QSignalSpy renewed(&session, &AuthSession::tokenRenewed);
    session.signIn(pair);
    QVERIFY(in.wait(10000));
    QString first;
    session.withToken(false, [&](const QString &t) { first = t; });
    QCOMPARE(first, pair.accessToken); // far from expiry: no renewal
    QCOMPARE(renewed.count(), 0);

    now += pair.expiresIn - 60; // a minute before Twitch would refuse it
    QString a, b;
    session.withToken(false, [&](const QString &t) { a = t; });
    session.withToken(false, [&](const QString &t) { b = t; }); // shares the refresh in flight
    QTRY_VERIFY_WITH_TIMEOUT(!a.isEmpty() && !b.isEmpty(), 10000);
    QCOMPARE(a, b);
    QVERIFY(a != pair.accessToken);
    QCOMPARE(renewed.count(), 1);
    QCOMPARE(in.count(), 1); // the same login, not a new one
    QCOMPARE(httpGet(authBase().toString() + "/validate", {{"Authorization", "OAuth " + a.toUtf8()}}).status,
             200);
    // The keychain keeps the new pair; the old refresh token is spent.
    StoredLogin kept;
    store.load(this, [&](const QString &t) { kept = decodeLogin(t); });
    QCOMPARE(kept.accessToken, a);
    QVERIFY(!kept.refreshToken.isEmpty() && kept.refreshToken != pair.refreshToken);
    QVERIFY(kept.expiresAt > now);
    bool rejected = false;
    bool done = false;
    DeviceFlow::refresh(m_network, authBase(), kClientId, pair.refreshToken, this,
                        [&](DeviceFlow::Renewal r) {
                            rejected = r.rejected;
                            done = true;
                        });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY(rejected);
}

void TestAuth::helix401RenewsAndRetries() {
    const TokenPair pair = deviceLogin("ironquill");
    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    QSignalSpy in(&session, &AuthSession::loggedIn);
    session.signIn(pair);
    QVERIFY(in.wait(10000));
    HelixClient helix(m_network, m_sim->url().resolved(QUrl("/helix")), kClientId);
    helix.setTokenSource([&](bool renew, auto use) { session.withToken(renew, std::move(use)); });
    QSignalSpy unauthorized(&helix, &HelixClient::unauthorized);
    QSignalSpy renewed(&session, &AuthSession::tokenRenewed);
    QSignalSpy out(&session, &AuthSession::loggedOut);

    expireAccessTokens("1002"); // Twitch's four hours are over
    std::optional<HelixResult<QList<HelixUser>>> answer;
    helix.self(this, [&](HelixResult<QList<HelixUser>> r) { answer = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 10000);
    QVERIFY(std::holds_alternative<QList<HelixUser>>(*answer));
    QCOMPARE(std::get<QList<HelixUser>>(*answer).value(0).login, QStringLiteral("ironquill"));
    QCOMPARE(renewed.count(), 1);
    QCOMPARE(unauthorized.count(), 0);
    QCOMPARE(out.count(), 0);
    QVERIFY(session.token() != pair.accessToken);
}

void TestAuth::deadRefreshTokenLogsOutOnce() {
    const TokenPair pair = deviceLogin("nightjarfm");
    MemoryTokenStore store;
    AuthSession session(m_network, authBase(), kClientId, store);
    QSignalSpy in(&session, &AuthSession::loggedIn);
    session.signIn(pair);
    QVERIFY(in.wait(10000));
    // The refresh token is spent elsewhere (or revoked), then the access token expires.
    bool done = false;
    DeviceFlow::refresh(m_network, authBase(), kClientId, pair.refreshToken, this,
                        [&](DeviceFlow::Renewal) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    const QString userId = session.account().userId;
    expireAccessTokens(userId);

    HelixClient helix(m_network, m_sim->url().resolved(QUrl("/helix")), kClientId);
    helix.setTokenSource([&](bool renew, auto use) { session.withToken(renew, std::move(use)); });
    QSignalSpy out(&session, &AuthSession::loggedOut);
    int answers = 0;
    HelixErrorKind kind = HelixErrorKind::Server;
    for (int i = 0; i < 3; ++i)
        helix.self(this, [&](HelixResult<QList<HelixUser>> r) {
            ++answers;
            if (auto *e = std::get_if<HelixError>(&r))
                kind = e->kind;
        });
    // Each answer comes after the renewal its 401 waited for: with the third, every renewal has settled.
    QTRY_COMPARE_WITH_TIMEOUT(answers, 3, 10000);
    QCOMPARE(kind, HelixErrorKind::Unauthorized);
    QCOMPARE(out.count(), 1);
    QCOMPARE(session.state(), AuthSession::State::LoggedOut);
    QString kept = "x";
    store.load(this, [&](const QString &t) { kept = t; });
    QVERIFY(kept.isEmpty());
}

void TestAuth::restoringAnExpiredLoginRenewsIt() {
    const TokenPair pair = deviceLogin("emberlynx");
    MemoryTokenStore store;
    store.save(encodeLogin({pair.accessToken, pair.refreshToken, QDateTime::currentSecsSinceEpoch() + 10}),
               this, [](bool) {});
    expireAccessTokens(
        QJsonDocument::fromJson(httpGet(authBase().toString() + "/validate",
                                        {{"Authorization", "OAuth " + pair.accessToken.toUtf8()}})
                                    .body)
            .object()
            .value("user_id")
            .toString());
    AuthSession session(m_network, authBase(), kClientId, store);
    QSignalSpy in(&session, &AuthSession::loggedIn);
    QSignalSpy out(&session, &AuthSession::loggedOut);
    session.restore();
    QVERIFY(in.wait(10000));
    QCOMPARE(in.at(0).at(0).value<Account>().login, QStringLiteral("emberlynx"));
    QCOMPARE(out.count(), 0);
    QVERIFY(session.token() != pair.accessToken);
    StoredLogin kept;
    store.load(this, [&](const QString &t) { kept = decodeLogin(t); });
    QCOMPARE(kept.accessToken, session.token());
}

void TestAuth::storedLoginFormats() {
    QCOMPARE(decodeLogin("plaintoken123").accessToken, QStringLiteral("plaintoken123"));
    QVERIFY(decodeLogin("plaintoken123").refreshToken.isEmpty());
    QCOMPARE(encodeLogin({"abc", {}, 0}), QStringLiteral("abc")); // implicit grant: the token alone
    const StoredLogin back = decodeLogin(encodeLogin({"abc", "def", 1700000000}));
    QCOMPARE(back.accessToken, QStringLiteral("abc"));
    QCOMPARE(back.refreshToken, QStringLiteral("def"));
    QCOMPARE(back.expiresAt, 1700000000);
    QVERIFY(decodeLogin("{not json").accessToken.isEmpty()); // garbage in the keychain: no login
}

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
