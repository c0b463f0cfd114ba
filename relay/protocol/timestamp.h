#pragma once

// RFC 3339 timestamps as Twitch writes them ("2021-02-19T23:47:00.8091512Z": up to nanoseconds, Z or an
// offset): one parser for the relay and the app. Qt's own reads at most milliseconds and needs a regular
// expression in front of it; this one is a few hundred nanoseconds on the webhook path.

#include <QByteArrayView>
#include <QDateTime>

#include <optional>

namespace streams::protocol {

// Milliseconds since the Unix epoch (UTC); the fraction is cut, not rounded, to milliseconds. nullopt for
// anything that is not a complete, valid RFC 3339 date-time.
std::optional<qint64> parseRfc3339Ms(QByteArrayView text);
// The same as a UTC QDateTime.
std::optional<QDateTime> parseRfc3339(QByteArrayView text);

} // namespace streams::protocol
