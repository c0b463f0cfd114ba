#pragma once

// Relay <-> client wire protocol, version 1 (see ARCHITECTURE.md). One struct per message type.

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

namespace streams::protocol {

inline constexpr int kVersion = 1;
inline constexpr qsizetype kMaxFrameBytes = 64 * 1024;

// Where a client stands in the relay's event log.
struct Cursor {
    QString epoch;
    qint64 seq = 0;
    friend bool operator==(const Cursor &, const Cursor &) = default;
};

struct UserRef {
    QString id;
    QString login;
    QString name;
    friend bool operator==(const UserRef &, const UserRef &) = default;
};

// Client to relay.
struct Hello {
    int protocol = kVersion;
    QString token;
    friend bool operator==(const Hello &, const Hello &) = default;
};

struct Subscribe {
    QString broadcasterId;
    std::optional<Cursor> after;
    friend bool operator==(const Subscribe &, const Subscribe &) = default;
};

struct Unsubscribe {
    QString broadcasterId;
    friend bool operator==(const Unsubscribe &, const Unsubscribe &) = default;
};

// Relay to client.
struct Welcome {
    int protocol = kVersion;
    QString epoch;
    UserRef user; // id and login; name is not sent
    friend bool operator==(const Welcome &, const Welcome &) = default;
};

struct Subscribed {
    QString broadcasterId;
    QStringList kinds;
    friend bool operator==(const Subscribed &, const Subscribed &) = default;
};

struct Event {
    qint64 seq = 0;
    QString id; // Twitch message id
    QString broadcasterId;
    QString kind;       // follow, online, offline
    QString occurredAt; // RFC 3339
    UserRef user;
    QJsonObject data; // the Twitch event object, unchanged
    friend bool operator==(const Event &, const Event &) = default;
};

struct Reset {
    QString broadcasterId;
    friend bool operator==(const Reset &, const Reset &) = default;
};

struct Revoked {
    QString broadcasterId;
    QString reason;
    friend bool operator==(const Revoked &, const Revoked &) = default;
};

enum class ErrorCode {
    Unauthorized,
    Forbidden,
    BadRequest,
    UnsupportedProtocol,
    RateLimited,
    Unavailable,
    Limit
};

struct Error {
    ErrorCode code = ErrorCode::BadRequest;
    QString message;
    friend bool operator==(const Error &, const Error &) = default;
};

using Message =
    std::variant<Hello, Subscribe, Unsubscribe, Welcome, Subscribed, Event, Reset, Revoked, Error>;

// Why a frame could not be decoded.
enum class DecodeErrorKind {
    FrameTooLarge,       // over kMaxFrameBytes
    InvalidJson,         // not JSON, or JSON that is not an object
    UnknownType,         // "type" names no message of protocol v1
    MissingField,        // a required field is absent
    WrongFieldType,      // a field has the wrong JSON type or an invalid value
    UnsupportedProtocol, // "protocol" is not kVersion
};

struct DecodeError {
    DecodeErrorKind kind = DecodeErrorKind::InvalidJson;
    QString field;  // the offending field, dotted ("after.seq"), where there is one
    QString detail; // one sentence for logs and error frames
    friend bool operator==(const DecodeError &, const DecodeError &) = default;
};

} // namespace streams::protocol
