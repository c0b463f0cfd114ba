#pragma once

#include "protocol/messages.h"

#include <QByteArray>
#include <QByteArrayView>

namespace streams::protocol {

// Compact JSON for one message (keys in JSON-object order, as QJsonDocument writes them).
QByteArray encode(const Message &message);

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
