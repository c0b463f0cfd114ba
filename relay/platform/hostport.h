#pragma once

#include <QHostAddress>
#include <QString>

namespace streams {

// Parses "HOST:PORT" ("localhost", IPv4, or "[IPv6]"); false when it is not one.
bool parseHostPort(const QString &text, QHostAddress *address, quint16 *port);

} // namespace streams
