#include "twitch/implicitgrant.h"

#include <QTest>
#include <QUrlQuery>

using namespace streams::app;

class TestImplicitGrant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void authorizeUrlHasEverythingTwitchWants();
    void tokenFromTheFragment();
    void denialFromTheQuery();
    void wrongStateIsRefused();
    void otherPagesAreNotMine();
    void statesDiffer();
};

namespace {
const QUrl kAuth(QStringLiteral("https://id.twitch.tv/oauth2"));
const QUrl kRedirect(QStringLiteral("http://localhost:3000"));
const QStringList kScopes{"moderator:read:followers", "user:read:follows", "user:read:moderated_channels"};
} // namespace

void TestImplicitGrant::authorizeUrlHasEverythingTwitchWants() {
    ImplicitGrant grant(kAuth, QStringLiteral("abc123"), kRedirect, kScopes, true);
    const QUrl url = grant.authorizeUrl();
    QCOMPARE(url.toString(QUrl::RemoveQuery), QStringLiteral("https://id.twitch.tv/oauth2/authorize"));
    const QString query = url.query(QUrl::FullyEncoded);
    QVERIFY(query.contains("response_type=token"));
    QVERIFY(query.contains("client_id=abc123"));
    QVERIFY2(query.contains("redirect_uri=http%3A%2F%2Flocalhost%3A3000"), qPrintable(query));
    QVERIFY2(query.contains("scope=moderator%3Aread%3Afollowers%20user%3Aread%3Afollows%20"),
             qPrintable(query));
    QVERIFY(query.contains("state=" + grant.state()));
    QVERIFY(query.contains("force_verify=true"));
    QVERIFY(
        !ImplicitGrant(kAuth, "abc123", kRedirect, kScopes).authorizeUrl().query().contains("force_verify"));
}

void TestImplicitGrant::tokenFromTheFragment() {
    ImplicitGrant grant(kAuth, "abc123", kRedirect, kScopes);
    // Twitch's documented success redirect, with our state.
    const QUrl redirect(QStringLiteral("http://localhost:3000/#access_token=73d0f8mkabpbmjp921asv2jaidwxn"
                                       "&scope=channel%3Amanage%3Apolls+channel%3Aread%3Apolls&state=%1"
                                       "&token_type=bearer")
                            .arg(grant.state()));
    const auto v = grant.inspect(redirect);
    QCOMPARE(v.outcome, ImplicitGrant::Outcome::Success);
    QCOMPARE(v.token, QStringLiteral("73d0f8mkabpbmjp921asv2jaidwxn"));
    QCOMPARE(v.scopes, QStringList({"channel:manage:polls", "channel:read:polls"}));
}

void TestImplicitGrant::denialFromTheQuery() {
    ImplicitGrant grant(kAuth, "abc123", kRedirect, kScopes);
    const QUrl redirect(QStringLiteral("http://localhost:3000/?error=access_denied"
                                       "&error_description=The+user+denied+you+access&state=%1")
                            .arg(grant.state()));
    const auto v = grant.inspect(redirect);
    QCOMPARE(v.outcome, ImplicitGrant::Outcome::Failure);
    QCOMPARE(v.error, QStringLiteral("access_denied"));
    QVERIFY(v.description.contains("declined"));
    QVERIFY(v.token.isEmpty());

    const QUrl mismatch(QStringLiteral("http://localhost:3000/?error=redirect_mismatch&error_description="
                                       "Parameter+redirect_uri+does+not+match+registered+URI&state=%1")
                            .arg(grant.state()));
    const auto m = grant.inspect(mismatch);
    QCOMPARE(m.error, QStringLiteral("redirect_mismatch"));
    QCOMPARE(m.description, QStringLiteral("Parameter redirect_uri does not match registered URI"));
}

void TestImplicitGrant::wrongStateIsRefused() {
    ImplicitGrant grant(kAuth, "abc123", kRedirect, kScopes);
    const auto v = grant.inspect(QUrl(
        QStringLiteral("http://localhost:3000/"
                       "#access_token=stolen&state=c3ab8aa609ea11e793ae92361f002671&token_type=bearer")));
    QCOMPARE(v.outcome, ImplicitGrant::Outcome::Failure);
    QCOMPARE(v.error, QStringLiteral("state_mismatch"));
    QVERIFY(v.token.isEmpty());
    const auto none = grant.inspect(QUrl(QStringLiteral("http://localhost:3000/#access_token=x")));
    QCOMPARE(none.error, QStringLiteral("state_mismatch"));
}

void TestImplicitGrant::otherPagesAreNotMine() {
    ImplicitGrant grant(kAuth, "abc123", kRedirect, kScopes);
    for (const char *u :
         {"https://id.twitch.tv/oauth2/authorize?client_id=abc123", "https://www.twitch.tv/login",
          "http://localhost:3001/#access_token=x", "https://localhost:3000/#access_token=x",
          "http://localhost:3000/other#access_token=x"})
        QCOMPARE(grant.inspect(QUrl(QString::fromLatin1(u))).outcome, ImplicitGrant::Outcome::NotMine);
}

void TestImplicitGrant::statesDiffer() {
    QVERIFY(ImplicitGrant(kAuth, "a", kRedirect, kScopes).state() !=
            ImplicitGrant(kAuth, "a", kRedirect, kScopes).state());
    QCOMPARE(ImplicitGrant(kAuth, "a", kRedirect, kScopes).state().size(), 32);
}

QTEST_GUILESS_MAIN(TestImplicitGrant)
#include "tst_implicitgrant.moc"
