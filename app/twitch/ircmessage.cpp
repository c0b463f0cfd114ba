#include "twitch/ircmessage.h"

namespace streams::app {

QString IrcMessage::nick() const {
    const qsizetype bang = prefix.indexOf(QLatin1Char('!'));
    return bang < 0 ? prefix : prefix.left(bang);
}

QString unescapeTagValue(QStringView value) {
    QString out;
    out.reserve(value.size());
    for (qsizetype i = 0; i < value.size(); ++i) {
        const QChar c = value[i];
        if (c != QLatin1Char('\\')) {
            out.append(c);
            continue;
        }
        if (++i >= value.size())
            break; // trailing lone backslash
        switch (value[i].unicode()) {
        case ':':
            out.append(QLatin1Char(';'));
            break;
        case 's':
            out.append(QLatin1Char(' '));
            break;
        case '\\':
            out.append(QLatin1Char('\\'));
            break;
        case 'r':
            out.append(QLatin1Char('\r'));
            break;
        case 'n':
            out.append(QLatin1Char('\n'));
            break;
        default:
            out.append(value[i]); // unknown escape: the backslash goes
        }
    }
    return out;
}

std::optional<IrcMessage> parseIrcLine(QStringView line) {
    while (!line.isEmpty() && (line.back() == QLatin1Char('\r') || line.back() == QLatin1Char('\n')))
        line.chop(1);
    if (line.isEmpty() || line.size() > kMaxIrcLine)
        return std::nullopt;
    IrcMessage m;
    qsizetype pos = 0;
    auto nextSpace = [&](qsizetype from) {
        const qsizetype at = line.indexOf(QLatin1Char(' '), from);
        return at < 0 ? line.size() : at;
    };
    auto skipSpaces = [&] {
        while (pos < line.size() && line[pos] == QLatin1Char(' '))
            ++pos;
    };
    if (line[pos] == QLatin1Char('@')) {
        const qsizetype end = nextSpace(pos);
        // Split on ';' and '=' first, unescape after (escaped ';' is "\:").
        for (QStringView tag : line.mid(pos + 1, end - pos - 1).split(QLatin1Char(';'))) {
            if (tag.isEmpty())
                continue;
            const qsizetype eq = tag.indexOf(QLatin1Char('='));
            const QString key = (eq < 0 ? tag : tag.left(eq)).toString();
            if (!key.isEmpty())
                m.tags.insert(key, eq < 0 ? QString() : unescapeTagValue(tag.mid(eq + 1)));
        }
        pos = end;
        skipSpaces();
    }
    if (pos < line.size() && line[pos] == QLatin1Char(':')) {
        const qsizetype end = nextSpace(pos);
        m.prefix = line.mid(pos + 1, end - pos - 1).toString();
        pos = end;
        skipSpaces();
    }
    if (pos >= line.size())
        return std::nullopt;
    const qsizetype commandEnd = nextSpace(pos);
    m.command = line.mid(pos, commandEnd - pos).toString().toUpper();
    pos = commandEnd;
    while (pos < line.size()) {
        skipSpaces();
        if (pos >= line.size())
            break;
        if (line[pos] == QLatin1Char(':')) {
            m.params.append(line.mid(pos + 1).toString());
            break;
        }
        const qsizetype end = nextSpace(pos);
        m.params.append(line.mid(pos, end - pos).toString());
        pos = end;
    }
    if (m.command.isEmpty())
        return std::nullopt;
    return m;
}

QStringList splitIrcLines(const QString &frame) {
    QStringList out;
    for (QStringView l : QStringView(frame).split(QLatin1Char('\n'))) {
        if (l.endsWith(QLatin1Char('\r')))
            l.chop(1);
        if (!l.isEmpty())
            out.append(l.toString());
    }
    return out;
}

} // namespace streams::app
