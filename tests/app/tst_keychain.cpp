// The token store against a real Secret Service (gnome-keyring in a private D-Bus session, started by
// scripts/test-session.sh), and without any (a bus that does not exist).

#include "twitch/keychaintokenstore.h"

#include <QTest>
#include <QUuid>

using namespace streams::app;

namespace {
QString loadNow(TokenStore &store) {
    std::optional<QString> token;
    store.load([&](const QString &t) { token = t; });
    if (!QTest::qWaitFor([&] { return token.has_value(); }, 10000))
        qFatal("keychain did not answer");
    return *token;
}
bool saveNow(TokenStore &store, const QString &token) {
    std::optional<bool> kept;
    store.save(token, [&](bool k) { kept = k; });
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
