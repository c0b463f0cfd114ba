// libFuzzer target: the app's IRC parser on one WebSocket frame (splitIrcLines, parseIrcLine on each line
// and on the whole frame) and the chat events those lines make (ChatEventAssembler, fresh per input so
// that a run does not depend on the inputs before it).

#include "twitch/chatevents.h"
#include "twitch/ircmessage.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace streams::app;

namespace {

[[noreturn]] void fail(const char *what, const QString &detail = {}) {
    std::fprintf(stderr, "fuzz_irc: %s %s\n", what, qPrintable(detail.left(200)));
    std::abort();
}

void checkParsed(const std::optional<IrcMessage> &message) {
    if (!message)
        return;
    if (message->command.isEmpty())
        fail("parsed a line without a command");
    if (message->command != message->command.toUpper())
        fail("command not upper case:", message->command);
    for (auto it = message->tags.cbegin(); it != message->tags.cend(); ++it)
        if (it.key().isEmpty())
            fail("a tag with an empty key");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const QString frame = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    checkParsed(parseIrcLine(frame));

    ChatEventAssembler assembler;
    for (const QString &line : splitIrcLines(frame)) {
        const std::optional<IrcMessage> message = parseIrcLine(line);
        checkParsed(message);
        if (!message)
            continue;
        (void)message->nick();
        for (const ChatEvent &event : assembler.feed(*message)) {
            if (event.kind.isEmpty() || event.amount < 0)
                fail("a chat event without a kind or with a negative amount:", event.kind);
        }
    }
    if (assembler.pendingGiftBombs() > 256)
        fail("gift bombs pending over the bound");
    return 0;
}
