#include "protocol/codec.h"
#include "protocol/timestamp.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace streams::protocol;

Q_DECLARE_METATYPE(streams::protocol::DecodeErrorKind)

namespace {

QByteArray golden(const QString &name) {
    QFile f(QStringLiteral(GOLDEN_DIR "/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing golden file %s", qPrintable(name));
    return f.readAll();
}

QJsonObject followData() {
    return QJsonDocument::fromJson(R"({"user_id":"1234","user_login":"cool_user","user_name":"Cool_User",
        "broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User",
        "followed_at":"2020-07-15T18:16:11.17106713Z"})")
        .object();
}

} // namespace

class TestProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void goldenRoundTrip_data();
    void goldenRoundTrip();
    void everyGoldenFileIsTested();
    void unknownFieldsAreIgnored();
    void malformed_data();
    void malformed();
    void frameLimit();
    void largeSeqSurvives();
    void hostileInputNeverCrashes();
    void timestamps_data();
    void timestamps();
};

void TestProtocol::goldenRoundTrip_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QVariant>("expected");
    auto row = [](const char *file, Message m) {
        QTest::newRow(file) << QString::fromLatin1(file) << QVariant::fromValue(m);
    };
    row("hello.json", Hello{1, QStringLiteral("abcdefghijklmnopqrstuvwxyz0123")});
    row("subscribe.json", Subscribe{QStringLiteral("1337"), Cursor{QStringLiteral("e3b0c442"), 41}});
    row("subscribe-live.json", Subscribe{QStringLiteral("1337"), std::nullopt});
    row("unsubscribe.json", Unsubscribe{QStringLiteral("1337")});
    row("welcome.json", Welcome{1, QStringLiteral("e3b0c442"),
                                UserRef{QStringLiteral("141981764"), QStringLiteral("twitchdev"), {}}});
    row("subscribed.json", Subscribed{QStringLiteral("1337"), {"follow", "online", "offline"}});
    row("event-follow.json",
        Event{42, QStringLiteral("befa7b53-d79d-478f-86b9-120f112b044e"), QStringLiteral("1337"),
              QStringLiteral("follow"), QStringLiteral("2020-07-15T18:16:11.17106713Z"),
              UserRef{QStringLiteral("1234"), QStringLiteral("cool_user"), QStringLiteral("Cool_User")},
              followData()});
    QJsonObject online{{"id", "9001"},
                       {"broadcaster_user_id", "1337"},
                       {"broadcaster_user_login", "cool_user"},
                       {"broadcaster_user_name", "Cool_User"},
                       {"type", "live"},
                       {"started_at", "2020-10-11T10:11:12.123Z"}};
    row("event-online.json",
        Event{43, QStringLiteral("84a3b2c1-0d9e-4f11-9a2b-0c1d2e3f4a5b"), QStringLiteral("1337"),
              QStringLiteral("online"), QStringLiteral("2020-10-11T10:11:12.123Z"),
              UserRef{QStringLiteral("1337"), QStringLiteral("cool_user"), QStringLiteral("Cool_User")},
              online});
    row("reset.json", Reset{QStringLiteral("1337")});
    row("revoked.json", Revoked{QStringLiteral("1337"), QStringLiteral("authorization_revoked")});
    row("error.json", Error{ErrorCode::Forbidden,
                            QStringLiteral("Twitch shows follows only to the broadcaster and moderators.")});
    row("error-limit.json",
        Error{ErrorCode::Limit,
              QStringLiteral("at most 10 broadcasters on one connection; unsubscribe from one first")});
}

void TestProtocol::goldenRoundTrip() {
    QFETCH(QString, file);
    QFETCH(QVariant, expected);
    const QByteArray bytes = golden(file);
    const Decoded decoded = decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().detail));
    const auto want = expected.value<Message>();
    QCOMPARE(decoded.message().index(), want.index());
    QVERIFY(decoded.message() == want);
    QCOMPARE(encode(decoded.message()), bytes);
    QCOMPARE(encode(want), bytes);
}

void TestProtocol::everyGoldenFileIsTested() {
    goldenRoundTrip_data();
    const QStringList files = QDir(QStringLiteral(GOLDEN_DIR)).entryList({"*.json"}, QDir::Files);
    QCOMPARE(files.size(), 12);
}

void TestProtocol::unknownFieldsAreIgnored() {
    const Decoded d = decode(R"({"type":"subscribe","broadcaster_id":"9","future":{"x":[1,2]},"flag":true})");
    QVERIFY(d.ok());
    QCOMPARE(d.as<Subscribe>()->broadcasterId, QStringLiteral("9"));
    const Decoded e =
        decode(R"({"type":"subscribe","broadcaster_id":"9","after":{"epoch":"a","seq":0,"z":1}})");
    QVERIFY(e.ok());
    QCOMPARE(e.as<Subscribe>()->after->seq, 0);
}

void TestProtocol::malformed_data() {
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<DecodeErrorKind>("kind");
    QTest::addColumn<QString>("field");
    using K = DecodeErrorKind;
    auto row = [](const char *name, const char *frame, K kind, const char *field) {
        QTest::newRow(name) << QByteArray(frame) << kind << QString::fromLatin1(field);
    };
    row("empty", "", K::InvalidJson, "");
    row("not json", "hello", K::InvalidJson, "");
    row("truncated", R"({"type":"hello")", K::InvalidJson, "");
    row("array", R"([{"type":"hello"}])", K::InvalidJson, "");
    row("string", R"("hello")", K::InvalidJson, "");
    row("no type", R"({"protocol":1})", K::MissingField, "type");
    row("null type", R"({"type":null})", K::MissingField, "type");
    row("numeric type", R"({"type":7})", K::WrongFieldType, "type");
    row("unknown type", R"({"type":"bogus"})", K::UnknownType, "type");
    row("hello no token", R"({"type":"hello","protocol":1})", K::MissingField, "token");
    row("hello empty token", R"({"type":"hello","protocol":1,"token":""})", K::WrongFieldType, "token");
    row("hello no protocol", R"({"type":"hello","token":"t"})", K::MissingField, "protocol");
    row("hello protocol 2", R"({"type":"hello","protocol":2,"token":"t"})", K::UnsupportedProtocol,
        "protocol");
    row("hello protocol string", R"({"type":"hello","protocol":"1","token":"t"})", K::WrongFieldType,
        "protocol");
    row("hello protocol fraction", R"({"type":"hello","protocol":1.5,"token":"t"})", K::WrongFieldType,
        "protocol");
    row("subscribe no id", R"({"type":"subscribe"})", K::MissingField, "broadcaster_id");
    row("subscribe numeric id", R"({"type":"subscribe","broadcaster_id":1337})", K::WrongFieldType,
        "broadcaster_id");
    row("subscribe after not object", R"({"type":"subscribe","broadcaster_id":"1","after":5})",
        K::WrongFieldType, "after");
    row("subscribe after no seq", R"({"type":"subscribe","broadcaster_id":"1","after":{"epoch":"e"}})",
        K::MissingField, "after.seq");
    row("subscribe negative seq",
        R"({"type":"subscribe","broadcaster_id":"1","after":{"epoch":"e","seq":-1}})", K::WrongFieldType,
        "after.seq");
    row("subscribe huge seq",
        R"({"type":"subscribe","broadcaster_id":"1","after":{"epoch":"e","seq":1e300}})", K::WrongFieldType,
        "after.seq");
    row("welcome wrong protocol",
        R"({"type":"welcome","protocol":3,"epoch":"e","user":{"id":"1","login":"a"}})",
        K::UnsupportedProtocol, "protocol");
    row("welcome user not object", R"({"type":"welcome","protocol":1,"epoch":"e","user":"x"})",
        K::WrongFieldType, "user");
    row("welcome user without id", R"({"type":"welcome","protocol":1,"epoch":"e","user":{"login":"a"}})",
        K::MissingField, "user.id");
    row("subscribed kinds not array", R"({"type":"subscribed","broadcaster_id":"1","kinds":"follow"})",
        K::WrongFieldType, "kinds");
    row("subscribed kinds numbers", R"({"type":"subscribed","broadcaster_id":"1","kinds":[1]})",
        K::WrongFieldType, "kinds");
    row("event no data",
        R"({"type":"event","seq":1,"id":"m","broadcaster_id":"1","kind":"follow","occurred_at":"t","user":{"id":"2","login":"b","name":"B"}})",
        K::MissingField, "data");
    row("event seq zero",
        R"({"type":"event","seq":0,"id":"m","broadcaster_id":"1","kind":"follow","occurred_at":"t","user":{"id":"2","login":"b","name":"B"},"data":{}})",
        K::WrongFieldType, "seq");
    row("event user name number",
        R"({"type":"event","seq":1,"id":"m","broadcaster_id":"1","kind":"follow","occurred_at":"t","user":{"id":"2","login":"b","name":3},"data":{}})",
        K::WrongFieldType, "user.name");
    row("revoked no reason", R"({"type":"revoked","broadcaster_id":"1"})", K::MissingField, "reason");
    row("error unknown code", R"({"type":"error","code":"teapot","message":"m"})", K::WrongFieldType, "code");
    row("error no message", R"({"type":"error","code":"forbidden"})", K::MissingField, "message");
}

void TestProtocol::malformed() {
    QFETCH(QByteArray, frame);
    QFETCH(DecodeErrorKind, kind);
    QFETCH(QString, field);
    const Decoded d = decode(frame);
    QVERIFY(!d.ok());
    QCOMPARE(decodeErrorKindName(d.error().kind), decodeErrorKindName(kind));
    QCOMPARE(d.error().field, field);
    QVERIFY(!d.error().detail.isEmpty());
}

void TestProtocol::frameLimit() {
    const QByteArray pad(kMaxFrameBytes, 'a');
    QByteArray big = R"({"type":"unsubscribe","broadcaster_id":")" + pad + R"("})";
    const Decoded d = decode(big);
    QVERIFY(!d.ok());
    QCOMPARE(d.error().kind, DecodeErrorKind::FrameTooLarge);

    // Exactly at the limit is still a frame.
    QByteArray exact = R"({"type":"unsubscribe","broadcaster_id":")";
    exact += QByteArray(kMaxFrameBytes - exact.size() - 2, 'b') + R"("})";
    QCOMPARE(exact.size(), kMaxFrameBytes);
    QVERIFY(decode(exact).ok());
}

void TestProtocol::largeSeqSurvives() {
    const qint64 seq = (qint64(1) << 53) - 1;
    Subscribe s{QStringLiteral("1"), Cursor{QStringLiteral("e"), seq}};
    const Decoded d = decode(encode(s));
    QVERIFY(d.ok());
    QCOMPARE(d.as<Subscribe>()->after->seq, seq);
}

void TestProtocol::hostileInputNeverCrashes() {
    // Every prefix and every single-byte corruption of every golden frame decodes or errors cleanly.
    const QStringList files = QDir(QStringLiteral(GOLDEN_DIR)).entryList({"*.json"}, QDir::Files);
    int errors = 0;
    for (const QString &file : files) {
        const QByteArray bytes = golden(file);
        for (qsizetype i = 0; i < bytes.size(); ++i) {
            errors += decode(bytes.left(i)).ok() ? 0 : 1;
            for (char c : {'\0', '"', '{', '}', ':', ',', '\xff', 'x'}) {
                QByteArray mutated = bytes;
                mutated[i] = c;
                const Decoded d = decode(mutated);
                if (!d.ok())
                    QVERIFY(!d.error().detail.isEmpty());
            }
        }
    }
    QVERIFY(errors > 0);
}

Q_DECLARE_METATYPE(streams::protocol::Message)

void TestProtocol::timestamps_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("ms"); // -1: refused
    // Twitch's own examples (EventSub payloads, the message timestamp header) and RFC 3339's forms.
    QTest::newRow("nanoseconds") << QByteArray("2021-02-19T23:47:00.8091512Z") << qint64(1613778420809);
    QTest::newRow("followed_at") << QByteArray("2020-07-15T18:16:11.17106713Z") << qint64(1594836971171);
    QTest::newRow("no fraction") << QByteArray("2023-01-01T00:00:00Z") << qint64(1672531200000);
    QTest::newRow("one digit") << QByteArray("2020-10-11T10:11:12.1Z") << qint64(1602411072100);
    QTest::newRow("offset") << QByteArray("2020-10-11T12:11:12.123+02:00") << qint64(1602411072123);
    QTest::newRow("negative offset") << QByteArray("2020-10-11T05:41:12-04:30") << qint64(1602411072000);
    QTest::newRow("lowercase") << QByteArray("2023-01-01t00:00:00z") << qint64(1672531200000);
    QTest::newRow("leap day") << QByteArray("2024-02-29T12:00:00Z") << qint64(1709208000000);
    QTest::newRow("before 1970") << QByteArray("1969-12-31T23:59:59.5Z") << qint64(-500);
    QTest::newRow("no leap day") << QByteArray("2023-02-29T12:00:00Z") << qint64(-1);
    QTest::newRow("month 13") << QByteArray("2023-13-01T00:00:00Z") << qint64(-1);
    QTest::newRow("second 60") << QByteArray("2023-01-01T00:00:60Z") << qint64(-1);
    QTest::newRow("space") << QByteArray("2023-01-01 00:00:00Z") << qint64(-1);
    QTest::newRow("no zone") << QByteArray("2023-01-01T00:00:00") << qint64(-1);
    QTest::newRow("empty fraction") << QByteArray("2023-01-01T00:00:00.Z") << qint64(-1);
    QTest::newRow("ten fraction digits") << QByteArray("2023-01-01T00:00:00.1234567890Z") << qint64(-1);
    QTest::newRow("trailing") << QByteArray("2023-01-01T00:00:00Zx") << qint64(-1);
    QTest::newRow("short") << QByteArray("2023-01-01") << qint64(-1);
    QTest::newRow("empty") << QByteArray() << qint64(-1);
}

void TestProtocol::timestamps() {
    QFETCH(QByteArray, text);
    QFETCH(qint64, ms);
    const auto parsed = streams::protocol::parseRfc3339Ms(text);
    QCOMPARE(parsed.value_or(-1), ms);
    if (ms != -1) // the same instant as Qt reads it (to the millisecond)
        QCOMPARE(streams::protocol::parseRfc3339(text)->toMSecsSinceEpoch(), ms);
}

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
