#include "eventsub/webhook.h"
#include "protocol/codec.h"

#include <QJsonDocument>
#include <QJsonObject>
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

// A notification as Twitch would send it now, checked.
WebhookCheck signedCheck(const QByteArray &body, const QByteArray &id = "m1") {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray ts = now.toString(Qt::ISODateWithMs).toLatin1();
    return checkWebhook(headers(id, ts, webhookSignature(kSecret, id, ts, body), "notification"), body,
                        kSecret, now);
}

const QByteArray kFollowFields =
    R"("user_id":"1","user_login":"u","user_name":"U","followed_at":"t","broadcaster_user_id":"2")";

QByteArray followBody(const QByteArray &event) {
    return R"({"subscription":{"id":"s1","type":"channel.follow","version":"2"},"event":)" + event + "}";
}

// The frame as the relay wrote it before it stopped using Qt JSON for frames: the Twitch object read by
// QJsonDocument and encoded with protocol::encode.
QByteArray qtFrame(const NormalizedEvent &normalized, const QByteArray &body, qint64 seq) {
    streams::protocol::Event event = normalized.event;
    event.seq = seq;
    event.data = QJsonDocument::fromJson(body).object().value("event").toObject();
    return streams::protocol::encode(event);
}

const streams::protocol::Event *eventOf(const streams::protocol::Decoded &decoded) {
    return decoded.as<streams::protocol::Event>();
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
    void frameIsEncodeOfTheEvent();
    void frameMatchesQtJson_data();
    void frameMatchesQtJson();
    void acceptsWhatQtJsonAccepts_data();
    void acceptsWhatQtJsonAccepts();
    void oversizedEventIsTruncated();
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
    const auto check = signedCheck(kBody, "abc");
    QVERIFY(check.message);
    const auto follow = normalize(*check.message);
    QVERIFY(follow);
    QCOMPARE(follow->event.id, QStringLiteral("abc"));
    QCOMPARE(follow->event.kind, QStringLiteral("follow"));
    QCOMPARE(follow->event.broadcasterId, QStringLiteral("1337"));
    QCOMPARE(follow->event.user.id, QStringLiteral("1234"));
    QCOMPARE(follow->event.user.login, QStringLiteral("cool_user"));
    QCOMPARE(follow->event.user.name, QStringLiteral("Cool_User"));
    QCOMPARE(follow->event.occurredAt, QStringLiteral("2020-07-15T18:16:11.17106713Z"));
    QCOMPARE(follow->dedupKey, QStringLiteral("follow:1337:1234:2020-07-15T18:16:11.17106713Z"));
    // What a client receives: Twitch's object as data, the seq the log issued.
    const auto decoded = streams::protocol::decode(QByteArray::fromStdString(follow->frame.withSeq(42)));
    QVERIFY(decoded.ok());
    QVERIFY(eventOf(decoded));
    streams::protocol::Event expected = follow->event;
    expected.seq = 42;
    expected.data = QJsonDocument::fromJson(kBody).object().value("event").toObject();
    QCOMPARE(*eventOf(decoded), expected);

    const QByteArray offlineBody =
        R"({"subscription":{"id":"s2","type":"stream.offline","version":"1"},"event":{"broadcaster_user_id":"1337","broadcaster_user_login":"cool_user","broadcaster_user_name":"Cool_User"}})";
    const auto offlineCheck = signedCheck(offlineBody);
    QVERIFY(offlineCheck.message);
    const auto offline = normalize(*offlineCheck.message);
    QVERIFY(offline);
    QCOMPARE(offline->event.kind, QStringLiteral("offline"));
    QCOMPARE(offline->event.user.id, QStringLiteral("1337"));
    QCOMPARE(offline->event.user.login, QStringLiteral("cool_user"));
    QCOMPARE(offline->event.occurredAt, offlineCheck.message->timestamp.toString(Qt::ISODateWithMs));
    QVERIFY(offline->dedupKey.isEmpty());

    const QByteArray onlineBody =
        R"({"subscription":{"id":"s3","type":"stream.online","version":"1"},"event":{"id":"9001","broadcaster_user_id":"1337","broadcaster_user_login":"cool_user","broadcaster_user_name":"Cool_User","type":"live","started_at":"2020-10-11T10:11:12.123Z"}})";
    const auto onlineCheck = signedCheck(onlineBody);
    QVERIFY(onlineCheck.message);
    const auto online = normalize(*onlineCheck.message);
    QVERIFY(online);
    QCOMPARE(online->event.kind, QStringLiteral("online"));
    QCOMPARE(online->event.occurredAt, QStringLiteral("2020-10-11T10:11:12.123Z"));
    QCOMPARE(online->dedupKey, QStringLiteral("online:1337:9001"));

    WebhookMessage update = *offlineCheck.message;
    update.subscription.type = QStringLiteral("channel.update");
    QVERIFY(!normalize(update));
}

void TestWebhook::frameIsEncodeOfTheEvent() {
    // Given Qt's own text of the data, the frame is byte for byte protocol::encode's, with every kind of
    // escape in the strings (control characters, quotes, a lone surrogate, characters past the BMP).
    streams::protocol::Event event;
    event.seq = 123456789;
    event.id = QStringLiteral("id \"quoted\" \\ / \x01\x1f\t\n\b\f\r");
    event.broadcasterId = QStringLiteral("1337");
    event.kind = QStringLiteral("follow");
    event.occurredAt = QStringLiteral("2020-07-15T18:16:11.17106713Z");
    event.user = {QStringLiteral("1234"), QString(QChar(0xd800)) + QStringLiteral("x\u00e9\u2028"),
                  QString::fromUtf8("\xf0\x9f\x98\x80 \x7f") + QChar(0xdc00)};
    event.data = QJsonObject{{"a", 1}, {"b", QStringLiteral("\x02\"")}, {"c", QJsonObject{{"d", 0.5}}}};
    const QByteArray data = QJsonDocument(event.data).toJson(QJsonDocument::Compact);
    const auto frame = streams::protocol::encodeEventFrame(event, data.toStdString());
    QCOMPARE(QByteArray::fromStdString(frame.withSeq(event.seq)), streams::protocol::encode(event));
    QVERIFY(frame.head.ends_with("\"seq\":"));
}

void TestWebhook::frameMatchesQtJson_data() {
    // Twitch's object in the frame is, read by a client, what QJsonDocument reads in the body.
    QTest::addColumn<QByteArray>("event");
    const QByteArray &f = kFollowFields;
    QTest::newRow("plain") << "{" + f + "}";
    QTest::newRow("spaces") << "{ " + f + R"( , "x" : [ 1 , 2 ] , "y" : { } } )";
    QTest::newRow("numbers")
        << "{" + f +
               R"(,"n":[0,-0,1.0,1E2,0.1,-1.5e-3,123456789012345678,18446744073709551616,-9223372036854775809,1e-310,1.7976931348623157e308]})";
    QTest::newRow("escapes") << "{" + f + R"(,"s":"\"\\\/\b\f\n\r\t\u0001\u00e9\u2028\ud83d\ude00 )" +
                                    QByteArray("\xc3\xa9 \xf0\x9f\x98\x80\x7f\"}");
    QTest::newRow("nested") << "{" + f + R"(,"a":[[],{},[{"b":[null,true,false]}]],"c":{"d":{"e":"f"}}})";
    QTest::newRow("duplicate keys") << "{" + f + R"(,"user_login":"later","x":1,"x":{"y":2},"user_name":7})";
    QTest::newRow("key escapes") << "{" + f + R"(,"k\"\u0041\n":1,"":2})";
    // Read by QJsonDocument where Boost.JSON refuses them.
    QTest::newRow("lone surrogate") << "{" + f + R"(,"s":"\ud800"})";
    QTest::newRow("deep") << "{" + f + R"(,"d":)" + QByteArray(40, '[') + QByteArray(40, ']') + "}";
}

void TestWebhook::frameMatchesQtJson() {
    QFETCH(QByteArray, event);
    const QByteArray body = followBody(event);
    const QJsonObject qtEvent = QJsonDocument::fromJson(body).object().value("event").toObject();
    QVERIFY(!qtEvent.isEmpty());
    const auto check = signedCheck(body);
    QVERIFY2(check.message, check.rejection ? check.rejection->reason.constData() : "");
    const auto normalized = normalize(*check.message);
    QVERIFY(normalized);
    QCOMPARE(normalized->event.user.login, qtEvent.value("user_login").toString());
    QCOMPARE(normalized->event.user.name, qtEvent.value("user_name").toString());
    const QByteArray frame = QByteArray::fromStdString(normalized->frame.withSeq(7));
    const auto decoded = streams::protocol::decode(frame);
    QVERIFY2(decoded.ok(), frame.constData());
    const auto old = streams::protocol::decode(qtFrame(*normalized, body, 7));
    QVERIFY(old.ok());
    QCOMPARE(*eventOf(decoded), *eventOf(old));
    QCOMPARE(eventOf(decoded)->data, qtEvent);
}

void TestWebhook::acceptsWhatQtJsonAccepts_data() {
    QTest::addColumn<QByteArray>("body");
    const QByteArray plain = followBody("{" + kFollowFields + "}");
    QTest::newRow("overflow") << followBody("{" + kFollowFields + R"(,"n":1e400})");
    QTest::newRow("underflow") << followBody("{" + kFollowFields + R"(,"n":-1.5e-400})");
    QTest::newRow("zero with exponent") << followBody("{" + kFollowFields + R"(,"n":0.0e-400})");
    QTest::newRow("number 1.") << followBody("{" + kFollowFields + R"(,"n":1.})");
    QTest::newRow("trailing garbage") << plain + "x";
    QTest::newRow("trailing space") << plain + " \n";
    QTest::newRow("array root") << "[" + plain + "]";
    QTest::newRow("comment") << "/*c*/" + plain;
    QTest::newRow("invalid utf-8") << followBody("{" + kFollowFields + ",\"s\":\"\xff\"}");
    QTest::newRow("byte order mark") << "\xef\xbb\xbf" + plain;
    QTest::newRow("event not an object")
        << QByteArray(R"({"subscription":{"id":"s","type":"channel.follow"},"event":[]})");
    QTest::newRow("subscription not an object") << QByteArray(R"({"subscription":["id","type"],"event":{}})");
    QTest::newRow("the later event counts")
        << QByteArray(R"({"subscription":{"id":"s","type":"channel.follow"},"event":{},"event":7})");
    QTest::newRow("the later subscription counts") << "{\"subscription\":{\"id\":\"s\"}," + plain.mid(1);
}

void TestWebhook::acceptsWhatQtJsonAccepts() {
    // A body is accepted exactly when QJsonDocument reads it and finds the members, whichever parser read it.
    QFETCH(QByteArray, body);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    const QJsonObject sub = doc.object().value("subscription").toObject();
    const bool accepted = error.error == QJsonParseError::NoError && doc.isObject() &&
                          !sub.value("id").toString().isEmpty() && !sub.value("type").toString().isEmpty() &&
                          doc.object().value("event").isObject();
    const auto check = signedCheck(body);
    QCOMPARE(bool(check.message), accepted);
    if (!accepted) {
        QCOMPARE(check.rejection->status, 400);
        return;
    }
    const auto normalized = normalize(*check.message);
    QVERIFY(normalized);
    const auto decoded = streams::protocol::decode(QByteArray::fromStdString(normalized->frame.withSeq(1)));
    QVERIFY(decoded.ok());
    QCOMPARE(eventOf(decoded)->data, doc.object().value("event").toObject());
}

void TestWebhook::oversizedEventIsTruncated() {
    // A 40 KB user name is in Twitch's object and in the frame's user: the frame would pass the clients'
    // 64 KiB limit, so the event is kept without Twitch's object.
    const QByteArray name(40000, 'n');
    const QByteArray body = followBody(R"({"user_id":"1","user_login":"u","user_name":")" + name +
                                       R"(","followed_at":"t","broadcaster_user_id":"2"})");
    QVERIFY(body.size() < kMaxWebhookBody);
    const auto check = signedCheck(body);
    QVERIFY(check.message);
    const auto normalized = normalize(*check.message);
    QVERIFY(normalized);
    const QByteArray frame = QByteArray::fromStdString(normalized->frame.withSeq(99999999999));
    QVERIFY(frame.size() <= streams::protocol::kMaxFrameBytes);
    const auto decoded = streams::protocol::decode(frame);
    QVERIFY(decoded.ok());
    QCOMPARE(eventOf(decoded)->data, QJsonObject({{"truncated", true}}));
    QCOMPARE(eventOf(decoded)->user.name, QString::fromLatin1(name));
    QCOMPARE(eventOf(decoded)->id, QStringLiteral("m1"));
}

QTEST_GUILESS_MAIN(TestWebhook)
#include "tst_webhook.moc"
