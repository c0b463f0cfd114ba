#pragma once

#include "protocol/messages.h"

#include <QByteArray>
#include <QByteArrayView>

#include <string>
#include <string_view>

namespace streams::protocol {

// Compact JSON for one message (keys in JSON-object order, as QJsonDocument writes them).
QByteArray encode(const Message &message);

// An event's frame with its seq left out, for a writer that learns the seq only when it stores the event:
// head + the seq in decimal + tail is the frame.
struct EventFrame {
    std::string head; // ends with "seq":
    std::string tail;
    std::string withSeq(qint64 seq) const;
};

// The frame of `event` (its seq and data aside) without Qt JSON, in encode()'s key order and escaping:
// `dataJson`, the text of a JSON object the caller has validated, is written as the value of "data" as it
// is. With dataJson = QJsonDocument(event.data).toJson(Compact) the result is byte for byte encode(event).
EventFrame encodeEventFrame(const Event &event, std::string_view dataJson);

class Decoded {
public:
    Decoded(Message message)
        : m_value(std::move(message)) {}
    Decoded(DecodeError error)
        : m_value(std::move(error)) {}

    bool ok() const { return std::holds_alternative<Message>(m_value); }
    const Message &message() const { return std::get<Message>(m_value); }
    const DecodeError &error() const { return std::get<DecodeError>(m_value); }
    template <typename T>
    const T *as() const {
        return ok() ? std::get_if<T>(&message()) : nullptr;
    }

private:
    std::variant<Message, DecodeError> m_value;
};

// Parses one text frame. Never throws; every malformed input yields a DecodeError.
Decoded decode(QByteArrayView frame);

QString errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(QStringView name);
QString messageTypeName(const Message &message);
QString decodeErrorKindName(DecodeErrorKind kind);

} // namespace streams::protocol
