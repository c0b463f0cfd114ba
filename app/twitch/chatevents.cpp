#include "twitch/chatevents.h"

#include <QTimeZone>

namespace streams::app {
namespace {

constexpr int kMaxPendingBombs = 256;
constexpr qint64 kBombLifetimeMs = 2 * 60 * 1000;

ChatEvent baseEvent(const IrcMessage &m, const QString &kind) {
    ChatEvent e;
    e.id = m.tag(QStringLiteral("id"));
    e.kind = kind;
    e.channelId = m.tag(QStringLiteral("room-id"));
    e.user = {m.tag(QStringLiteral("user-id")),
              m.tag(QStringLiteral("login")).isEmpty() ? m.nick() : m.tag(QStringLiteral("login")),
              m.tag(QStringLiteral("display-name"))};
    if (e.user.name.isEmpty())
        e.user.name = e.user.login;
    bool ok = false;
    const qint64 ms = m.tag(QStringLiteral("tmi-sent-ts")).toLongLong(&ok);
    e.at = ok ? QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()) : QDateTime::currentDateTimeUtc();
    e.systemMessage = m.tag(QStringLiteral("system-msg"));
    return e;
}

int intTag(const IrcMessage &m, const char *key) {
    bool ok = false;
    const int v = m.tag(QLatin1String(key)).toInt(&ok);
    return ok && v >= 0 ? v : 0;
}

} // namespace

void ChatEventAssembler::expire() {
    for (auto it = m_bombs.begin(); it != m_bombs.end();)
        it = it->age.elapsed() > kBombLifetimeMs ? m_bombs.erase(it) : std::next(it);
}

std::vector<ChatEvent> ChatEventAssembler::feed(const IrcMessage &m) {
    std::vector<ChatEvent> out;
    if (m.command == u"PRIVMSG") {
        const int bits = intTag(m, "bits");
        if (bits > 0) {
            ChatEvent e = baseEvent(m, QStringLiteral("cheer"));
            e.amount = bits;
            e.message = m.trailing();
            out.push_back(e);
        }
        return out;
    }
    if (m.command != u"USERNOTICE")
        return out;

    const QString type = m.tag(QStringLiteral("msg-id"));
    if (type == u"sub" || type == u"resub") {
        ChatEvent e = baseEvent(m, type);
        e.amount = qMax(1, intTag(m, "msg-param-cumulative-months"));
        e.tier = m.tag(QStringLiteral("msg-param-sub-plan"));
        e.message = m.params.size() >= 2 ? m.trailing() : QString();
        out.push_back(e);
    } else if (type == u"submysterygift") {
        ChatEvent e = baseEvent(m, QStringLiteral("giftbomb"));
        e.amount = intTag(m, "msg-param-mass-gift-count");
        e.tier = m.tag(QStringLiteral("msg-param-sub-plan"));
        const QString bombId = m.tag(QStringLiteral("msg-param-community-gift-id"));
        if (!bombId.isEmpty() && e.amount > 0) {
            expire();
            if (m_bombs.size() < kMaxPendingBombs) {
                Bomb &b = m_bombs[bombId];
                b.remaining = e.amount;
                b.age.start();
            }
        }
        out.push_back(e);
    } else if (type == u"subgift") {
        const QString bombId = m.tag(QStringLiteral("msg-param-community-gift-id"));
        auto bomb = bombId.isEmpty() ? m_bombs.end() : m_bombs.find(bombId);
        if (bomb != m_bombs.end()) { // one of the bomb's gifts: already counted
            if (--bomb->remaining <= 0)
                m_bombs.erase(bomb);
            return out;
        }
        ChatEvent e = baseEvent(m, QStringLiteral("subgift"));
        e.amount = 1;
        e.tier = m.tag(QStringLiteral("msg-param-sub-plan"));
        QString recipientLogin = m.tag(QStringLiteral("msg-param-recipient-user-name"));
        if (recipientLogin.isEmpty()) // the documented example spells it this way
            recipientLogin = m.tag(QStringLiteral("msg-param-recipient-name"));
        e.recipient = {m.tag(QStringLiteral("msg-param-recipient-id")), recipientLogin,
                       m.tag(QStringLiteral("msg-param-recipient-display-name"))};
        out.push_back(e);
    } else if (type == u"raid") {
        ChatEvent e = baseEvent(m, QStringLiteral("raid"));
        e.amount = intTag(m, "msg-param-viewerCount"); // camelCase, as Twitch sends it
        if (!m.tag(QStringLiteral("msg-param-login")).isEmpty())
            e.user.login = m.tag(QStringLiteral("msg-param-login"));
        if (!m.tag(QStringLiteral("msg-param-displayName")).isEmpty())
            e.user.name = m.tag(QStringLiteral("msg-param-displayName"));
        out.push_back(e);
    }
    return out;
}

} // namespace streams::app
