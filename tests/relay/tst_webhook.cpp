#include "eventsub/webhook.h"

#include <QJsonDocument>
#include <QTest>

using namespace streams::relay;

namespace {
const QByteArray kSecret = "s3cRe7-s3cRe7-s3cRe7";
const QByteArray kBody =
    R"({"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"enabled","type":"channel.follow","version":"2","condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"}},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}})";

HeaderList headers(const QByteArray &id, const QByteArray &ts, const QByteArray &sig,
                   const QByteArray &type) {
    return {{"twitch-eventsub-message-id", id},
            {"TWITCH-EVENTSUB-MESSAGE-TIMESTAMP", ts},
            {"Twitch-Eventsub-Message-Signature", sig},
            {"Twitch-Eventsub-Message-Type", type}};
}
} // namespace

class TestWebhook : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void signatureMatchesTwitchConstruction();
    void acceptsSignedNotification();
    void rejects_data();
    void rejects();
    void timestampsWithNanoseconds();
    void normalizesFollowAndStream();
};

void TestWebhook::signatureMatchesTwitchConstruction() {
    // HMAC-SHA256(secret, id + timestamp + body), computed independently with `openssl dgst -sha256 -hmac`.
    const QByteArray sig = webhookSignature("0123456789abcdef", "e76c6bd4-55c9-4987-8304-da1588d8988b",
                                            "2019-11-16T10:11:12.634234626Z", "{\"a\":1}");
    QCOMPARE(sig, QByteArray("sha256=264bcf4757882a54e895e6e599f713885ffcc4c39a4fd621ce19f4cce21ec6d7"));
    QVERIFY(
        constantTimeEquals(sig, webhookSignature("0123456789abcdef", "e76c6bd4-55c9-4987-8304-da1588d8988b",
                                                 "2019-11-16T10:11:12.634234626Z", "{\"a\":1}")));
    QVERIFY(
        !constantTimeEquals(sig, webhookSignature("0123456789abcdeF", "e76c6bd4-55c9-4987-8304-da1588d8988b",
                                                  "2019-11-16T10:11:12.634234626Z", "{\"a\":1}")));
}

void TestWebhook::acceptsSignedNotification() {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray ts = now.toString(Qt::ISODateWithMs).toLatin1().chopped(1) + "123456Z";
    const auto check = checkWebhook(
        headers("m1", ts, webhookSignature(kSecret, "m1", ts, kBody), "notification"), kBody, kSecret, now);
    QVERIFY(!check.rejection);
    QCOMPARE(check.message->type, WebhookType::Notification);
    QCOMPARE(check.message->subscription.type, QStringLiteral("channel.follow"));
}

void TestWebhook::rejects_data() {
    QTest::addColumn<int>("what");
    QTest::addColumn<int>("status");
    QTest::newRow("forged signature") << 0 << 403;
    QTest::newRow("missing signature") << 1 << 403;
    QTest::newRow("stale timestamp") << 2 << 403;
    QTest::newRow("future timestamp") << 3 << 403;
    QTest::newRow("bad json") << 4 << 400;
    QTest::newRow("unknown type") << 5 << 400;
    QTest::newRow("oversized") << 6 << 413;
    QTest::newRow("body changed after signing") << 7 << 403;
}

void TestWebhook::rejects() {
    QFETCH(int, what);
    QFETCH(int, status);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QDateTime sent = now;
    if (what == 2)
        sent = now.addSecs(-11 * 60);
    if (what == 3)
        sent = now.addSecs(11 * 60);
    const QByteArray ts = sent.toString(Qt::ISODateWithMs).toLatin1();
    QByteArray body = what == 4 ? QByteArray("{not json") : kBody;
    if (what == 6)
        body = QByteArray(65 * 1024, ' ');
    QByteArray sig = webhookSignature(kSecret, "m1", ts, body);
    if (what == 0)
        sig = webhookSignature("another-secret-value", "m1", ts, body);
    if (what == 1)
        sig.clear();
    if (what == 7)
        body.replace("1234", "9999");
    const QByteArray type = what == 5 ? "telepathy" : "notification";
    const auto check = checkWebhook(headers("m1", ts, sig, type), body, kSecret, now);
    QVERIFY(check.rejection);
    QCOMPARE(check.rejection->status, status);
    QVERIFY(!check.rejection->reason.contains(kSecret));
}

void TestWebhook::timestampsWithNanoseconds() {
    const auto t = parseTwitchTimestamp("2021-02-19T23:47:00.8091512Z");
    QVERIFY(t);
    QCOMPARE(t->toString(Qt::ISODateWithMs), QStringLiteral("2021-02-19T23:47:00.809Z"));
    QVERIFY(parseTwitchTimestamp("2021-02-19T23:47:00Z"));
    QVERIFY(!parseTwitchTimestamp("yesterday"));
    QVERIFY(!parseTwitchTimestamp("2021-02-19 23:47:00Z"));
}

void TestWebhook::normalizesFollowAndStream() {
    WebhookMessage m;
    m.messageId = "abc";
    m.timestamp = QDateTime::currentDateTimeUtc();
    m.subscription.type = QStringLiteral("channel.follow");
    m.event = QJsonDocument::fromJson(kBody).object().value("event").toObject();
    const auto follow = normalize(m);
    QVERIFY(follow);
    QCOMPARE(follow->event.kind, QStringLiteral("follow"));
    QCOMPARE(follow->event.user.login, QStringLiteral("cool_user"));
    QCOMPARE(follow->event.occurredAt, QStringLiteral("2020-07-15T18:16:11.17106713Z"));
    QCOMPARE(follow->event.data, m.event);
    QCOMPARE(follow->dedupKey, QStringLiteral("follow:1337:1234:2020-07-15T18:16:11.17106713Z"));

    m.subscription.type = QStringLiteral("stream.offline");
    m.event = QJsonObject{{"broadcaster_user_id", "1337"},
                          {"broadcaster_user_login", "cool_user"},
                          {"broadcaster_user_name", "Cool_User"}};
    const auto offline = normalize(m);
    QVERIFY(offline);
    QCOMPARE(offline->event.kind, QStringLiteral("offline"));
    QCOMPARE(offline->event.user.id, QStringLiteral("1337"));

    m.subscription.type = QStringLiteral("channel.update");
    QVERIFY(!normalize(m));
}

QTEST_GUILESS_MAIN(TestWebhook)
#include "tst_webhook.moc"
