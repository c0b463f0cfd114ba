#pragma once

// What the hub asks of the control plane. Implementations may answer later, on any thread: the hub
// moves each answer to the I/O thread of the client it is for.

#include "eventsub/subscriptionmanager.h"
#include "protocol/messages.h"

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
    virtual void authenticate(const QString &token, std::function<void(AuthResult)> done) = 0;
    virtual void subscribe(const QString &broadcasterId, const QString &userId,
                           std::function<void(EnsureResult)> done) = 0;
    virtual void release(const QString &broadcasterId, const QString &userId) = 0;
};

} // namespace streams::relay
