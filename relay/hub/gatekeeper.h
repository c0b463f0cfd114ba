#pragma once

// What hub threads ask of the control plane. Implementations may answer later; the callbacks are
// invoked on the thread of the `context` object passed in.

#include "eventsub/subscriptionmanager.h"
#include "protocol/messages.h"

#include <QObject>

#include <functional>
#include <optional>

namespace streams::relay {

struct AuthResult {
    std::optional<protocol::UserRef> user; // set when the token is valid for this relay
    protocol::Error error;                 // otherwise why not
};

class Gatekeeper {
public:
    virtual ~Gatekeeper() = default;
    virtual void authenticate(const QString &token, QObject *context,
                              std::function<void(AuthResult)> done) = 0;
    virtual void subscribe(const QString &broadcasterId, const QString &userId, QObject *context,
                           std::function<void(EnsureResult)> done) = 0;
    virtual void release(const QString &broadcasterId, const QString &userId) = 0;
};

} // namespace streams::relay
