#pragma once

// What the UI test executables share: an app as a user would have it (a profile folder, settings, the event
// store, a token store, the main window) against twitch-sim and the relay as real processes, logged in or
// not; screenshots on request; events to put in the store beforehand.

#include "mainwindow.h"
#include "relayharness.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "twitch/tokenstore.h"
#include "welcomepage.h"

#include <QApplication>
#include <QDir>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

namespace streams::test {

struct App {
    QTemporaryDir profile;
    std::unique_ptr<app::Settings> settings;
    std::unique_ptr<app::LocalStore> store;
    app::MemoryTokenStore tokens;
    QNetworkAccessManager network;
    QUrl helix; // set by `prepare` to reach Helix another way than straight to the sim
    app::TwitchEndpoints endpoints;
    QString clientId = kClientId; // the Twitch application without a relay (TWITCH_CLIENT_ID)
    std::unique_ptr<ui::MainWindow> window;

    App(const QUrl &sim, const QUrl &relay, const std::function<void(App &)> &prepare = {}) {
        settings = std::make_unique<app::Settings>(profile.path());
        settings->setRelayUrl(relay);
        store = app::LocalStore::open(profile.path()).store;
        if (prepare)
            prepare(*this);
        endpoints = {sim.resolved(QUrl("/oauth2")), helix.isEmpty() ? sim.resolved(QUrl("/helix")) : helix,
                     QUrl(sim.toString().replace("http://", "ws://") + "/irc"), sim.resolved(QUrl("/player")),
                     QUrl(sim.toString().replace("http://", "ws://") + "/eventsub/ws")};
        open();
    }
    ~App() { window.reset(); }

    // Quits and starts again with the same profile (settings, store, keychain): a restart of the app.
    void restart() {
        window.reset();
        store.reset();
        settings = std::make_unique<app::Settings>(profile.path());
        store = app::LocalStore::open(profile.path()).store;
        open();
    }

private:
    void open() {
        window = std::make_unique<ui::MainWindow>(
            ui::MainWindow::Context{network, *settings, *store, tokens, endpoints, QString(), clientId});
        window->resize(1100, 700);
        window->show();
        window->start();
    }
};

// STREAMS_UI_SCREENSHOTS=DIR keeps a picture of the window at the interesting moments, for reviewing the
// look.
inline void shot(QWidget *window, const QString &name) {
    const QString dir = qEnvironmentVariable("STREAMS_UI_SCREENSHOTS");
    if (dir.isEmpty())
        return;
    QTest::qWait(300); // let the web views paint
    window->grab().save(QDir(dir).filePath(name + ".png"));
}

inline app::FeedEvent follow(const QString &broadcasterId, int n, const QDateTime &at) {
    app::FeedEvent e;
    e.key = QStringLiteral("follow:%1:stored%2").arg(broadcasterId).arg(n);
    e.broadcasterId = broadcasterId;
    e.kind = "follow";
    e.userId = QString::number(5000 + n);
    e.userLogin = QStringLiteral("earlier_fan_%1").arg(n);
    e.userName = e.userLogin;
    e.occurredAt = at;
    e.source = "relay";
    return e;
}

class UiHarness : public RelayHarness {
protected:
    // An app whose keychain already holds a login for `userId`, with `favorite` chosen (or none), on the
    // page it opens with.
    std::unique_ptr<App> loggedIn(const QString &userId, const QString &favoriteId = {},
                                  const std::function<void(App &)> &prepare = {}) {
        const QString token =
            userToken(userId, "moderator:read:followers user:read:follows user:read:moderated_channels");
        auto a = std::make_unique<App>(m_sim->url(), m_relay->url(), [&](App &app) {
            app.tokens.save(token, qApp, [](bool) {});
            if (!favoriteId.isEmpty()) {
                const auto world =
                    QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/world"))).body)
                        .object()
                        .value("users")
                        .toArray();
                for (const QJsonValue u : world)
                    if (u.toObject().value("id").toString() == favoriteId)
                        app.settings->setFavoriteStreamer({favoriteId, u.toObject().value("login").toString(),
                                                           u.toObject().value("display_name").toString()});
            }
            if (prepare)
                prepare(app);
        });
        const auto expected =
            favoriteId.isEmpty() ? ui::MainWindow::Page::Picker : ui::MainWindow::Page::Stream;
        if (!QTest::qWaitFor([&] { return a->window->page() == expected; }, 15000))
            qWarning("the app did not reach its page; welcome says: %s",
                     qPrintable(a->window->welcomePage()->message()));
        return a;
    }
};

} // namespace streams::test
