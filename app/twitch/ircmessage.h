#pragma once

// Twitch chat over IRC: one parsed line (IRCv3 tags, prefix, command, parameters).

#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace streams::app {

struct IrcMessage {
    QHash<QString, QString> tags; // values unescaped
    QString prefix;               // "nick!user@host" or "tmi.twitch.tv", without ':'
    QString command;              // "PRIVMSG", "USERNOTICE", "PING", "001", …
    QStringList params;           // the trailing parameter (after " :") is the last one

    QString tag(const QString &key) const { return tags.value(key); }
    // The nick of the prefix ("ronni" of "ronni!ronni@ronni.tmi.twitch.tv").
    QString nick() const;
    // The trailing text, e.g. the chat message of a PRIVMSG.
    QString trailing() const { return params.isEmpty() ? QString() : params.last(); }
};

inline constexpr qsizetype kMaxIrcLine = 16 * 1024;

// IRCv3 message-tags unescaping: \: ; \s space, \\ backslash, \r CR, \n LF; other escapes drop the
// backslash; a trailing lone backslash is dropped.
QString unescapeTagValue(QStringView value);
// One line without its CR LF. nullopt for lines that are not IRC (empty, no command, over kMaxIrcLine).
std::optional<IrcMessage> parseIrcLine(QStringView line);
// A WebSocket frame may carry several CR LF separated lines.
QStringList splitIrcLines(const QString &frame);

} // namespace streams::app
