#include "protocol/codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace streams::protocol {
namespace {

constexpr std::pair<ErrorCode, const char *> kErrorCodes[] = {
    {ErrorCode::Unauthorized, "unauthorized"},
    {ErrorCode::Forbidden, "forbidden"},
    {ErrorCode::BadRequest, "bad_request"},
    {ErrorCode::UnsupportedProtocol, "unsupported_protocol"},
    {ErrorCode::RateLimited, "rate_limited"},
    {ErrorCode::Unavailable, "unavailable"},
    {ErrorCode::Limit, "limit"},
};

QJsonObject userObject(const UserRef &user, bool withName) {
    QJsonObject o{{"id", user.id}, {"login", user.login}};
    if (withName)
        o.insert("name", user.name);
    return o;
}

struct Encoder {
    QJsonObject operator()(const Hello &m) const {
        return {{"type", "hello"}, {"protocol", m.protocol}, {"token", m.token}};
    }
    QJsonObject operator()(const Subscribe &m) const {
        QJsonObject o{{"type", "subscribe"}, {"broadcaster_id", m.broadcasterId}};
        if (m.after)
            o.insert("after", QJsonObject{{"epoch", m.after->epoch}, {"seq", m.after->seq}});
        return o;
    }
    QJsonObject operator()(const Unsubscribe &m) const {
        return {{"type", "unsubscribe"}, {"broadcaster_id", m.broadcasterId}};
    }
    QJsonObject operator()(const Welcome &m) const {
        return {{"type", "welcome"},
                {"protocol", m.protocol},
                {"epoch", m.epoch},
                {"user", userObject(m.user, false)}};
    }
    QJsonObject operator()(const Subscribed &m) const {
        return {{"type", "subscribed"},
                {"broadcaster_id", m.broadcasterId},
                {"kinds", QJsonArray::fromStringList(m.kinds)}};
    }
    QJsonObject operator()(const Event &m) const {
        return {{"type", "event"},
                {"seq", m.seq},
                {"id", m.id},
                {"broadcaster_id", m.broadcasterId},
                {"kind", m.kind},
                {"occurred_at", m.occurredAt},
                {"user", userObject(m.user, true)},
                {"data", m.data}};
    }
    QJsonObject operator()(const Reset &m) const {
        return {{"type", "reset"}, {"broadcaster_id", m.broadcasterId}};
    }
    QJsonObject operator()(const Revoked &m) const {
        return {{"type", "revoked"}, {"broadcaster_id", m.broadcasterId}, {"reason", m.reason}};
    }
    QJsonObject operator()(const Error &m) const {
        return {{"type", "error"}, {"code", errorCodeName(m.code)}, {"message", m.message}};
    }
};

// Reads typed fields from one JSON object and keeps the first problem it meets.
class FieldReader {
public:
    FieldReader(const QJsonObject &object, QString prefix = {})
        : m_object(object)
        , m_prefix(std::move(prefix)) {}

    QString string(const char *key, bool nonEmpty = true) {
        const QJsonValue v = lookup(key);
        if (v.isUndefined())
            return {};
        if (!v.isString())
            return fail(DecodeErrorKind::WrongFieldType, key, "must be a string"), QString();
        if (nonEmpty && v.toString().isEmpty())
            return fail(DecodeErrorKind::WrongFieldType, key, "must not be empty"), QString();
        return v.toString();
    }

    qint64 integer(const char *key, qint64 min) {
        const QJsonValue v = lookup(key);
        if (v.isUndefined())
            return 0;
        const double d = v.toDouble(std::nan(""));
        // Exactly representable integers only: 2^53 is where doubles stop counting by one.
        if (!v.isDouble() || std::trunc(d) != d || d < double(min) || std::fabs(d) > 9007199254740992.0)
            return fail(DecodeErrorKind::WrongFieldType, key, "must be a whole number"), 0;
        return v.toInteger();
    }

    QJsonObject object(const char *key) {
        const QJsonValue v = lookup(key);
        if (v.isUndefined())
            return {};
        if (!v.isObject())
            return fail(DecodeErrorKind::WrongFieldType, key, "must be an object"), QJsonObject();
        return v.toObject();
    }

    QStringList stringList(const char *key) {
        const QJsonValue v = lookup(key);
        if (v.isUndefined())
            return {};
        if (!v.isArray())
            return fail(DecodeErrorKind::WrongFieldType, key, "must be an array of strings"), QStringList();
        QStringList out;
        for (const QJsonValue item : v.toArray()) {
            if (!item.isString())
                return fail(DecodeErrorKind::WrongFieldType, key, "must be an array of strings"),
                       QStringList();
            out.append(item.toString());
        }
        return out;
    }

    bool has(const char *key) const { return m_object.contains(QLatin1String(key)); }
    QString path(const char *key) const { return m_prefix + QLatin1String(key); }

    void fail(DecodeErrorKind kind, const char *key, const char *what) {
        if (!m_error)
            m_error = DecodeError{kind, path(key), path(key) + QLatin1Char(' ') + QLatin1String(what)};
    }
    void adopt(const std::optional<DecodeError> &error) {
        if (!m_error && error)
            m_error = error;
    }
    const std::optional<DecodeError> &error() const { return m_error; }

private:
    QJsonValue lookup(const char *key) {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            fail(DecodeErrorKind::MissingField, key, "is missing");
        return v.isNull() ? QJsonValue(QJsonValue::Undefined) : v;
    }

    const QJsonObject &m_object;
    QString m_prefix;
    std::optional<DecodeError> m_error;
};

UserRef readUser(FieldReader &parent, const char *key, bool withName) {
    const QJsonObject o = parent.object(key);
    if (parent.error())
        return {};
    FieldReader r(o, parent.path(key) + QLatin1Char('.'));
    UserRef user;
    user.id = r.string("id");
    user.login = r.string("login", false);
    if (withName)
        user.name = r.string("name", false);
    parent.adopt(r.error());
    return user;
}

int readProtocol(FieldReader &r) {
    const qint64 version = r.integer("protocol", 0);
    if (!r.error() && version != kVersion)
        r.fail(DecodeErrorKind::UnsupportedProtocol, "protocol", "is not 1, the version this side speaks");
    return int(version);
}

std::optional<Message> readMessage(const QString &type, FieldReader &r) {
    if (type == u"hello") {
        Hello m;
        m.protocol = readProtocol(r);
        m.token = r.string("token");
        return m;
    }
    if (type == u"subscribe") {
        Subscribe m;
        m.broadcasterId = r.string("broadcaster_id");
        if (r.has("after")) {
            const QJsonObject after = r.object("after");
            FieldReader a(after, QStringLiteral("after."));
            Cursor c;
            c.epoch = a.string("epoch");
            c.seq = a.integer("seq", 0);
            r.adopt(a.error());
            m.after = c;
        }
        return m;
    }
    if (type == u"unsubscribe")
        return Unsubscribe{r.string("broadcaster_id")};
    if (type == u"welcome") {
        Welcome m;
        m.protocol = readProtocol(r);
        m.epoch = r.string("epoch");
        m.user = readUser(r, "user", false);
        return m;
    }
    if (type == u"subscribed") {
        Subscribed m;
        m.broadcasterId = r.string("broadcaster_id");
        m.kinds = r.stringList("kinds");
        return m;
    }
    if (type == u"event") {
        Event m;
        m.seq = r.integer("seq", 1);
        m.id = r.string("id");
        m.broadcasterId = r.string("broadcaster_id");
        m.kind = r.string("kind");
        m.occurredAt = r.string("occurred_at");
        m.user = readUser(r, "user", true);
        m.data = r.object("data");
        return m;
    }
    if (type == u"reset")
        return Reset{r.string("broadcaster_id")};
    if (type == u"revoked") {
        Revoked m;
        m.broadcasterId = r.string("broadcaster_id");
        m.reason = r.string("reason");
        return m;
    }
    if (type == u"error") {
        Error m;
        const QString code = r.string("code");
        if (!r.error()) {
            if (const auto parsed = errorCodeFromName(code))
                m.code = *parsed;
            else
                r.fail(DecodeErrorKind::WrongFieldType, "code", "is not a known error code");
        }
        m.message = r.string("message", false);
        return m;
    }
    return std::nullopt;
}

// A JSON string as QJsonDocument writes it (compact): UTF-8, control characters and lone surrogates as
// escapes, '/' left alone.
void appendJsonString(std::string &out, const QString &text) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto escape = [&out](char16_t unit) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4)
            out += kHex[(unit >> shift) & 0xf];
    };
    out += '"';
    const char16_t *p = reinterpret_cast<const char16_t *>(text.utf16());
    const char16_t *const end = p + text.size();
    while (p < end) {
        const char16_t c = *p++;
        if (c >= 0x20 && c < 0x80) {
            if (c == u'"' || c == u'\\')
                out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            switch (c) {
            case u'\b':
                out += "\\b";
                break;
            case u'\f':
                out += "\\f";
                break;
            case u'\n':
                out += "\\n";
                break;
            case u'\r':
                out += "\\r";
                break;
            case u'\t':
                out += "\\t";
                break;
            default:
                escape(c);
            }
        } else if (c < 0x800) {
            out += char(0xc0 | (c >> 6));
            out += char(0x80 | (c & 0x3f));
        } else if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p)) {
            const char32_t u = QChar::surrogateToUcs4(c, *p++);
            out += char(0xf0 | (u >> 18));
            out += char(0x80 | ((u >> 12) & 0x3f));
            out += char(0x80 | ((u >> 6) & 0x3f));
            out += char(0x80 | (u & 0x3f));
        } else if (QChar::isSurrogate(c)) {
            escape(c);
        } else {
            out += char(0xe0 | (c >> 12));
            out += char(0x80 | ((c >> 6) & 0x3f));
            out += char(0x80 | (c & 0x3f));
        }
    }
    out += '"';
}

} // namespace

std::string EventFrame::withSeq(qint64 seq) const {
    const std::string digits = std::to_string(seq);
    std::string frame;
    frame.reserve(head.size() + digits.size() + tail.size());
    frame.append(head).append(digits).append(tail);
    return frame;
}

EventFrame encodeEventFrame(const Event &event, std::string_view dataJson) {
    // The keys in QJsonObject's order (sorted), as encode() writes them.
    EventFrame f;
    std::string &h = f.head;
    h.reserve(dataJson.size() + 160);
    h += "{\"broadcaster_id\":";
    appendJsonString(h, event.broadcasterId);
    h += ",\"data\":";
    h += dataJson;
    h += ",\"id\":";
    appendJsonString(h, event.id);
    h += ",\"kind\":";
    appendJsonString(h, event.kind);
    h += ",\"occurred_at\":";
    appendJsonString(h, event.occurredAt);
    h += ",\"seq\":";
    std::string &t = f.tail;
    t.reserve(120);
    t += ",\"type\":\"event\",\"user\":{\"id\":";
    appendJsonString(t, event.user.id);
    t += ",\"login\":";
    appendJsonString(t, event.user.login);
    t += ",\"name\":";
    appendJsonString(t, event.user.name);
    t += "}}";
    return f;
}

QByteArray encode(const Message &message) {
    return QJsonDocument(std::visit(Encoder{}, message)).toJson(QJsonDocument::Compact);
}

Decoded decode(QByteArrayView frame) {
    if (frame.size() > kMaxFrameBytes)
        return DecodeError{DecodeErrorKind::FrameTooLarge,
                           {},
                           QStringLiteral("frame of %1 bytes is over the 64 KiB limit").arg(frame.size())};

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(frame.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return DecodeError{DecodeErrorKind::InvalidJson,
                           {},
                           QStringLiteral("invalid JSON at offset %1: %2")
                               .arg(parseError.offset)
                               .arg(parseError.errorString())};
    if (!doc.isObject())
        return DecodeError{DecodeErrorKind::InvalidJson, {}, QStringLiteral("a frame must be a JSON object")};

    const QJsonObject object = doc.object();
    FieldReader r(object);
    const QString type = r.string("type");
    if (r.error())
        return *r.error();

    std::optional<Message> message = readMessage(type, r);
    if (!message)
        return DecodeError{DecodeErrorKind::UnknownType, QStringLiteral("type"),
                           QStringLiteral("unknown message type \"%1\"").arg(type.left(64))};
    if (r.error())
        return *r.error();
    return std::move(*message);
}

QString errorCodeName(ErrorCode code) {
    for (const auto &[value, name] : kErrorCodes)
        if (value == code)
            return QLatin1String(name);
    return QStringLiteral("bad_request");
}

std::optional<ErrorCode> errorCodeFromName(QStringView name) {
    for (const auto &[value, text] : kErrorCodes)
        if (name == QLatin1String(text))
            return value;
    return std::nullopt;
}

QString messageTypeName(const Message &message) {
    return std::visit(Encoder{}, message).value(QLatin1String("type")).toString();
}

QString decodeErrorKindName(DecodeErrorKind kind) {
    switch (kind) {
    case DecodeErrorKind::FrameTooLarge:
        return QStringLiteral("frame_too_large");
    case DecodeErrorKind::InvalidJson:
        return QStringLiteral("invalid_json");
    case DecodeErrorKind::UnknownType:
        return QStringLiteral("unknown_type");
    case DecodeErrorKind::MissingField:
        return QStringLiteral("missing_field");
    case DecodeErrorKind::WrongFieldType:
        return QStringLiteral("wrong_field_type");
    case DecodeErrorKind::UnsupportedProtocol:
        return QStringLiteral("unsupported_protocol");
    }
    return {};
}

} // namespace streams::protocol
