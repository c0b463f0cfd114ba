#include "store/settings.h"

#include <QDir>

namespace streams::app {

Settings::Settings(const QString &profileDirectory)
    : m_settings(std::make_unique<QSettings>(QDir(profileDirectory).filePath(QStringLiteral("settings.ini")),
                                             QSettings::IniFormat)) {}

Settings::Streamer Settings::favoriteStreamer() const {
    return {m_settings->value(QStringLiteral("favorite/id")).toString(),
            m_settings->value(QStringLiteral("favorite/login")).toString(),
            m_settings->value(QStringLiteral("favorite/displayName")).toString()};
}

void Settings::setFavoriteStreamer(const Streamer &streamer) {
    m_settings->setValue(QStringLiteral("favorite/id"), streamer.id);
    m_settings->setValue(QStringLiteral("favorite/login"), streamer.login);
    m_settings->setValue(QStringLiteral("favorite/displayName"), streamer.displayName);
}

QUrl Settings::relayUrl() const {
    return QUrl(m_settings->value(QStringLiteral("relay/url")).toString());
}

void Settings::setRelayUrl(const QUrl &url) {
    m_settings->setValue(QStringLiteral("relay/url"), url.toString());
}

QString Settings::themeName(Theme theme) {
    switch (theme) {
    case Theme::Light:
        return QStringLiteral("light");
    case Theme::Dark:
        return QStringLiteral("dark");
    case Theme::System:
        break;
    }
    return QStringLiteral("system");
}

Settings::Theme Settings::theme() const {
    const QString name = m_settings->value(QStringLiteral("appearance/theme")).toString();
    if (name == u"light")
        return Theme::Light;
    if (name == u"dark")
        return Theme::Dark;
    return Theme::System; // also for anything a hand-edited file may hold
}

void Settings::setTheme(Theme theme) {
    m_settings->setValue(QStringLiteral("appearance/theme"), themeName(theme));
}

bool Settings::notificationsEnabled() const {
    return m_settings->value(QStringLiteral("notifications/enabled"), true).toBool();
}

void Settings::setNotificationsEnabled(bool on) {
    m_settings->setValue(QStringLiteral("notifications/enabled"), on);
}

bool Settings::doNotDisturb() const {
    return m_settings->value(QStringLiteral("notifications/doNotDisturb"), false).toBool();
}

void Settings::setDoNotDisturb(bool on) {
    m_settings->setValue(QStringLiteral("notifications/doNotDisturb"), on);
}

QByteArray Settings::windowGeometry() const {
    return m_settings->value(QStringLiteral("window/geometry")).toByteArray();
}

void Settings::setWindowGeometry(const QByteArray &state) {
    m_settings->setValue(QStringLiteral("window/geometry"), state);
}

QByteArray Settings::splitterState() const {
    return m_settings->value(QStringLiteral("window/splitter")).toByteArray();
}

void Settings::setSplitterState(const QByteArray &state) {
    m_settings->setValue(QStringLiteral("window/splitter"), state);
}

} // namespace streams::app
