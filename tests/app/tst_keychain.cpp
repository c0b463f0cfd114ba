// The token store against a real Secret Service (gnome-keyring in a private D-Bus session, started by
// scripts/test-session.sh), and without any (a bus that does not exist).

#include "twitch/authsession.h"
#include "twitch/keychaintokenstore.h"

#include <QNetworkReply>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUuid>

using namespace streams::app;

namespace {
QString loadNow(TokenStore &store) {
    std::optional<QString> token;
    QObject caller;
    store.load(&caller, [&](const QString &t) { token = t; });
    if (!QTest::qWaitFor([&] { return token.has_value(); }, 10000))
        qFatal("keychain did not answer");
    return *token;
}
bool saveNow(TokenStore &store, const QString &token) {
    std::optional<bool> kept;
    QObject caller;
    store.save(token, &caller, [&](bool k) { kept = k; });
    if (!QTest::qWaitFor([&] { return kept.has_value(); }, 10000))
        qFatal("keychain did not answer");
    return *kept;
}
} // namespace

class TestKeychain : public QObject {
    Q_OBJECT
private Q_SLOTS:
#ifndef EXPECT_NO_KEYCHAIN
    void roundTripThroughTheSecretService() {
        const QString key = QStringLiteral("test-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
        KeychainTokenStore store(QStringLiteral("streams-events-viewer-tests"), key);
        QCOMPARE(loadNow(store), QString()); // nothing yet
        QVERIFY(saveNow(store, QStringLiteral("tok-123-secret")));
        QVERIFY(store.limitation().isEmpty());
        KeychainTokenStore again(QStringLiteral("streams-events-viewer-tests"), key); // as after a restart
        QCOMPARE(loadNow(again), QStringLiteral("tok-123-secret"));
        again.clear();
        QTRY_COMPARE_WITH_TIMEOUT(loadNow(store), QString(), 5000);
    }

    void aSessionGoneBeforeTheKeychainAnswers() {
        const QString key = QStringLiteral("test-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
        KeychainTokenStore store(QStringLiteral("streams-events-viewer-tests"), key);
        QVERIFY(saveNow(store, QStringLiteral("tok-of-a-session-gone")));
        QTcpServer twitch; // where the session would validate the token
        QVERIFY(twitch.listen(QHostAddress::LocalHost));
        const QUrl base(QStringLiteral("http://127.0.0.1:%1").arg(twitch.serverPort()));
        QNetworkAccessManager network;
        auto session = std::make_unique<AuthSession>(network, base.resolved(QUrl("/oauth2")),
                                                     QStringLiteral("client"), store);
        session->restore(); // reads the keychain
        session.reset();    // and is gone before it answers (another relay chosen: new services)
        // The keychain answers one job at a time: the session's read is answered before this one.
        QCOMPARE(loadNow(store), QStringLiteral("tok-of-a-session-gone"));
        // Nobody was there to validate the token: the next request this network makes is the first one.
        QNetworkReply *probe = network.get(QNetworkRequest(base.resolved(QUrl("/probe"))));
        QByteArray seen;
        QVERIFY(QTest::qWaitFor(
            [&] {
                while (QTcpSocket *s = twitch.nextPendingConnection())
                    connect(s, &QTcpSocket::readyRead, this, [&seen, s] { seen += s->readAll(); });
                return seen.contains("GET /probe");
            },
            10000));
        QVERIFY2(!seen.contains("/oauth2/validate"), seen.constData());
        probe->abort();
        probe->deleteLater();
        // The same for anyone who asks: no answer once the asker is gone.
        bool answered = false;
        auto caller = std::make_unique<QObject>();
        store.load(caller.get(), [&](const QString &) { answered = true; });
        caller.reset();
        QCOMPARE(loadNow(store), QStringLiteral("tok-of-a-session-gone"));
        QVERIFY(!answered);
        store.clear();
    }
#else
    void withoutAKeychainTheSessionIsMemoryOnly() {
        KeychainTokenStore store(QStringLiteral("streams-events-viewer-tests"), QStringLiteral("k"));
        QVERIFY(!saveNow(store, QStringLiteral("tok-in-memory")));
        QVERIFY(store.limitation().contains("No keychain is available"));
        QCOMPARE(loadNow(store), QStringLiteral("tok-in-memory")); // this run still works
        store.clear();
        QCOMPARE(loadNow(store), QString());
    }
#endif
};

QTEST_GUILESS_MAIN(TestKeychain)
#include "tst_keychain.moc"
