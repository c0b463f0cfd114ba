#pragma once

namespace streams::relay {

// One line per message, as text ("2026-11-28T02:00:00.000Z info streams.relay.webhook: …") or JSON.
// Messages never carry tokens, secrets or signatures; that is the callers' rule, kept by review and tests.
void installLogHandler(bool json);

} // namespace streams::relay
