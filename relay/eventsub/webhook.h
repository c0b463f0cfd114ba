#pragma once

// Twitch EventSub webhook messages: signature check, replay window, parsing and normalisation
// (twitch-platform.md sections 1.2-1.6 and 2).

#include "protocol/messages.h"

#include "protocol/codec.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>

#include <optional>
#include <string>

namespace streams::relay {

inline constexpr qsizetype kMaxWebhookBody = 64 * 1024;
inline constexpr qint64 kReplayWindowSeconds = 10 * 60;

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// Case-insensitive header lookup; empty when absent.
QByteArray headerValue(const HeaderList &headers, QByteArrayView name);

// "sha256=" + lowercase hex HMAC-SHA256(secret, id + timestamp + body).
QByteArray webhookSignature(const QByteArray &secret, const QByteArray &messageId,
                            const QByteArray &timestamp, const QByteArray &body);
// Constant-time comparison of two byte strings (time depends on the length only).
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);
// Parses Twitch's RFC 3339 timestamps, with nanoseconds ("2021-02-19T23:47:00.8091512Z").
std::optional<QDateTime> parseTwitchTimestamp(QByteArrayView text);

enum class WebhookType { Verification, Notification, Revocation };

struct WebhookSubscription {
    QString id;
    QString type;
    QString version;
    QString status;
};

// A notification's "event": Twitch's object as compact JSON text, and the string members normalize() reads
// (empty when absent or not a string; of a key given twice, the last, as Qt's JSON reads it).
struct WebhookEvent {
    std::string json;
    std::string id, userId, userLogin, userName, followedAt, startedAt;
    std::string broadcasterUserId, broadcasterUserLogin, broadcasterUserName;
};

struct WebhookMessage {
    WebhookType type = WebhookType::Notification;
    QByteArray messageId;
    QDateTime timestamp;
    WebhookSubscription subscription;
    QString challenge;  // verification only
    WebhookEvent event; // notification only
};

// Why a webhook was refused, with the HTTP status to answer.
struct WebhookRejection {
    int status = 400;
    QByteArray reason; // short, safe to log and to send as the body (never includes secrets)
};

// Verifies headers and signature and parses the body. `now` is injected for tests.
struct WebhookCheck {
    std::optional<WebhookMessage> message;
    std::optional<WebhookRejection> rejection;
};
WebhookCheck checkWebhook(const HeaderList &headers, const QByteArray &body, const QByteArray &secret,
                          const QDateTime &now);

// A notification turned into the protocol's event (seq is assigned when it is stored).
struct NormalizedEvent {
    protocol::Event event; // without data: Twitch's object is in `frame`
    // Same follow delivered once per subscription: key on broadcaster, follower and followed_at.
    QString dedupKey;
    // The frame stored and sent, serialised once here (on the I/O thread that parsed the webhook), its data
    // Twitch's event object; {"truncated":true} instead when the frame would pass the clients' 64 KiB limit.
    protocol::EventFrame frame;
};
// nullopt for types the relay does not relay.
std::optional<NormalizedEvent> normalize(const WebhookMessage &message);

} // namespace streams::relay
