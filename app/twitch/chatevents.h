#pragma once

// Turns Twitch chat lines into feed events: cheers (PRIVMSG with bits) and USERNOTICE subs, resubs,
// gifts, gift bombs and raids. A gift bomb (submysterygift followed by its N subgift lines sharing
// msg-param-community-gift-id) becomes one event with its count.

#include "twitch/ircmessage.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QMetaType>

#include <vector>

namespace streams::app {

struct ChatUser {
    QString id;
    QString login;
    QString name;
};

struct ChatEvent {
    QString id;         // the line's `id` tag: stable, so the same event from two sources is stored once
    QString kind;       // cheer, sub, resub, subgift, giftbomb, raid
    QString channelId;  // room-id
    ChatUser user;      // who cheered, subscribed, gifted or raided
    int amount = 0;     // bits, cumulative months, gift count, raid viewers
    QString tier;       // "1000", "2000", "3000", "Prime" for subs and gifts
    ChatUser recipient; // subgift only
    QString message;    // the chat text that came with it, if any
    QString systemMessage;
    QDateTime at; // tmi-sent-ts
};

class ChatEventAssembler {
public:
    // Returns the events this line completes (usually zero or one).
    std::vector<ChatEvent> feed(const IrcMessage &message);
    // Gift bombs still waiting for their individual gift lines (bounded; old ones expire).
    int pendingGiftBombs() const { return int(m_bombs.size()); }

private:
    struct Bomb {
        int remaining = 0;
        QElapsedTimer age;
    };
    void expire();
    QHash<QString, Bomb> m_bombs; // community-gift-id -> gift lines still to absorb
};

} // namespace streams::app

Q_DECLARE_METATYPE(streams::app::ChatEvent)
