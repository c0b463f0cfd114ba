// libFuzzer target: EventSub webhook verification (checkWebhook) and normalisation (normalize), then the
// event frame the relay stores and sends for it (written without Qt JSON), which a client must be able to
// decode to what QJsonDocument reads in the body.
//
// Input: header lines ("Name: value", LF or CR LF), an empty line, then the body. An input without an
// empty line is all body, sent as a notification with the documented example's id and timestamp. The
// correct signature header is appended after the input's headers, so the body is parsed unless the input
// brings its own Twitch-Eventsub-Message-Signature (the first header of a name wins), which exercises the
// rejection instead. `now` is fixed three minutes after the documented timestamp, so no input depends on
// the clock.

#include "eventsub/webhook.h"
#include "protocol/codec.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace streams;

namespace {

const QByteArray kSecret = QByteArrayLiteral("0123456789abcdef");
const QByteArray kDefaultId = QByteArrayLiteral("e76c6bd4-55c9-4987-8304-da1588d8988b");
const QByteArray kDefaultTimestamp = QByteArrayLiteral("2021-02-19T23:47:00.8091512Z");

[[noreturn]] void fail(const char *what, const QByteArray &detail = {}) {
    std::fprintf(stderr, "fuzz_webhook: %s %s\n", what, detail.constData());
    std::abort();
}

relay::HeaderList parseHeaders(QByteArrayView head) {
    relay::HeaderList headers;
    for (QByteArrayView line : QByteArray::fromRawData(head.data(), head.size()).split('\n')) {
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        headers.append({line.first(colon).trimmed().toByteArray(), line.sliced(colon + 1).toByteArray()});
    }
    return headers;
}

void checkEventFrame(const relay::NormalizedEvent &normalized, const QByteArray &body) {
    const protocol::Event &event = normalized.event;
    if (event.id.isEmpty() || event.broadcasterId.isEmpty() || event.kind.isEmpty() ||
        event.occurredAt.isEmpty() || event.user.id.isEmpty())
        fail("normalize() returned an event without id, broadcaster, kind, time or user id");
    const QByteArray frame = QByteArray::fromStdString(normalized.frame.withSeq(1)); // the wire requires >= 1
    if (frame.size() > protocol::kMaxFrameBytes)
        fail("a normalised event's frame is over 64 KiB");
    const protocol::Decoded decoded = protocol::decode(frame);
    if (!decoded.ok())
        fail("a normalised event's frame does not decode:", decoded.error().detail.toUtf8());
    // The same event a client would have read when the relay encoded QJsonDocument's reading of the body.
    protocol::Event expected = event;
    expected.seq = 1;
    expected.data = QJsonDocument::fromJson(body).object().value(QLatin1String("event")).toObject();
    const protocol::Event *got = decoded.as<protocol::Event>();
    if (got && got->data == QJsonObject{{QStringLiteral("truncated"), true}})
        expected.data = got->data;
    if (!got || *got != expected)
        fail("a normalised event's frame differs from QJsonDocument's reading of the body:", frame.left(300));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const QDateTime now =
        QDateTime(QDate(2021, 2, 19), QTime(23, 50), QTimeZone::utc()); // kDefaultTimestamp + 3 min
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    relay::HeaderList headers;
    QByteArray body;
    qsizetype split = input.indexOf(QByteArrayView("\n\n"));
    qsizetype bodyStart = split + 2;
    if (const qsizetype crlf = input.indexOf(QByteArrayView("\r\n\r\n"));
        crlf >= 0 && (split < 0 || crlf < split))
        split = crlf, bodyStart = crlf + 4;
    if (split < 0) {
        headers = {{"Twitch-Eventsub-Message-Id", kDefaultId},
                   {"Twitch-Eventsub-Message-Timestamp", kDefaultTimestamp},
                   {"Twitch-Eventsub-Message-Type", "notification"}};
        body = input.toByteArray();
    } else {
        headers = parseHeaders(input.first(split));
        body = input.sliced(bodyStart).toByteArray();
    }
    const QByteArray id = relay::headerValue(headers, "Twitch-Eventsub-Message-Id");
    const QByteArray timestamp = relay::headerValue(headers, "Twitch-Eventsub-Message-Timestamp");
    headers.append(
        {"Twitch-Eventsub-Message-Signature", relay::webhookSignature(kSecret, id, timestamp, body)});

    const relay::WebhookCheck check = relay::checkWebhook(headers, body, kSecret, now);
    if (check.message.has_value() == check.rejection.has_value())
        fail("checkWebhook() must give exactly one of message and rejection");
    if (check.rejection) {
        const int status = check.rejection->status;
        if (status < 400 || status > 499 || check.rejection->reason.isEmpty())
            fail("rejection without a 4xx status and a reason:", check.rejection->reason);
        return 0;
    }
    const relay::WebhookMessage &message = *check.message;
    if (message.messageId.isEmpty() || message.subscription.id.isEmpty() ||
        message.subscription.type.isEmpty())
        fail("accepted a message without id, subscription.id or subscription.type");
    if (message.type == relay::WebhookType::Verification && message.challenge.isEmpty())
        fail("accepted a verification without a challenge");
    if (const auto normalized = relay::normalize(message))
        checkEventFrame(*normalized, body);
    return 0;
}
