// streams-viewer: the composition root. Reads the command line, opens the profile (settings, event
// history, keychain), and shows the main window. No global application object: everything is passed in.

#include "mainwindow.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "theme.h"
#include "twitch/keychaintokenstore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QLibraryInfo>
#include <QLocale>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QStandardPaths>
#include <QTranslator>

#include <cstdio>

using namespace streams;

int main(int argc, char *argv[]) {
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); // Qt WebEngine needs it before the app
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("streams-viewer"));
    QApplication::setApplicationDisplayName(QStringLiteral("Streams & Events Viewer"));
    QApplication::setApplicationVersion(QStringLiteral(STREAMS_VERSION));
    QApplication::setOrganizationName(QStringLiteral("StreamsEventsViewer"));
    QApplication::setDesktopFileName(QStringLiteral("io.github.streams_events_viewer.StreamsViewer"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));

    QTranslator translator;
    // The user's language when we have it, else English (the source language, with its plural forms).
    if (translator.load(QLocale(), QStringLiteral("streams"), QStringLiteral("_"),
                        QStringLiteral(":/i18n")) ||
        translator.load(QStringLiteral(":/i18n/streams_en.qm")))
        QApplication::installTranslator(&translator);
    QTranslator qtTranslator;
    if (qtTranslator.load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(&qtTranslator);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "Watch a Twitch stream next to its live follows, cheers, subs and raids."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption relayOption(
        QStringLiteral("relay"), QApplication::translate("main", "The relay's address (kept for next time)."),
        QStringLiteral("URL"));
    const QCommandLineOption profileOption(
        QStringLiteral("profile"),
        QApplication::translate("main",
                                "Keep all data (settings, event history) in DIR; default: the system's "
                                "app-data folder."),
        QStringLiteral("DIR"));
    parser.addOptions({relayOption, profileOption});
    parser.process(app);

    const QString profile = parser.isSet(profileOption)
                                ? QDir(parser.value(profileOption)).absolutePath()
                                : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!QDir().mkpath(profile)) {
        std::fprintf(stderr, "streams-viewer: cannot create the profile folder %s\n", qPrintable(profile));
        return 1;
    }
    app::Settings settings(profile);
    if (parser.isSet(relayOption)) {
        const QUrl relay = QUrl::fromUserInput(parser.value(relayOption));
        if (!relay.isValid() || (relay.scheme() != u"http" && relay.scheme() != u"https")) {
            std::fprintf(stderr, "streams-viewer: --relay must be an http:// or https:// URL, got '%s'\n",
                         qPrintable(parser.value(relayOption)));
            return 2;
        }
        settings.setRelayUrl(relay);
    }
    ui::applyTheme(settings.theme());

    auto opened = app::LocalStore::open(profile);
    if (!opened.store) {
        QMessageBox::critical(nullptr, QApplication::applicationDisplayName(), opened.error);
        return 1;
    }
    app::KeychainTokenStore tokens(app::KeychainTokenStore::serviceName(),
                                   app::KeychainTokenStore::accountForProfile(profile));
    QNetworkAccessManager network;

    // Without a relay the app logs in to the Twitch application named here (a relay names its own).
    ui::MainWindow window({network, settings, *opened.store, tokens, app::TwitchEndpoints::fromEnvironment(),
                           opened.notice, qEnvironmentVariable("TWITCH_CLIENT_ID")});
    window.show();
    window.start();
    return app.exec();
}
