#include "settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace streams::ui {

SettingsDialog::SettingsDialog(app::Settings &settings, QNetworkAccessManager &network, bool loggedIn,
                               QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_network(network) {
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_relay = new QLineEdit(settings.relayUrl().toString(), this);
    m_relay->setPlaceholderText(tr("none: events straight from Twitch"));
    m_relay->setToolTip(tr("A relay (https://relay.example.org) keeps what happened while the app was closed "
                           "and serves many clients; leave it empty to use the app without one"));
    m_relay->setAccessibleName(tr("Relay address"));
    form->addRow(tr("&Relay address:"), m_relay);
    m_relayStatus = new QLabel(this);
    m_relayStatus->setWordWrap(true);
    form->addRow(QString(), m_relayStatus);
    m_notifications =
        new QCheckBox(tr("Show a desktop &notification for new follows, cheers, subs and raids"), this);
    m_notifications->setChecked(settings.notificationsEnabled());
    form->addRow(tr("Notifications:"), m_notifications);
    m_dnd = new QCheckBox(tr("&Do not disturb"), this);
    m_dnd->setChecked(settings.doNotDisturb());
    form->addRow(QString(), m_dnd);
    m_theme = new QComboBox(this);
    m_theme->addItem(tr("System"), int(app::Settings::Theme::System));
    m_theme->addItem(tr("Light"), int(app::Settings::Theme::Light));
    m_theme->addItem(tr("Dark"), int(app::Settings::Theme::Dark));
    m_theme->setCurrentIndex(m_theme->findData(int(settings.theme())));
    m_theme->setAccessibleName(tr("Theme"));
    form->addRow(tr("&Theme:"), m_theme);
    layout->addLayout(form);

    auto *logout = new QPushButton(tr("&Log out"), this);
    logout->setToolTip(tr("Revokes the login at Twitch and forgets it on this computer"));
    logout->setEnabled(loggedIn);
    connect(logout, &QPushButton::clicked, this, [this] {
        Q_EMIT logoutRequested();
        reject();
    });
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->addButton(logout, QDialogButtonBox::ResetRole);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);
    connect(m_relay, &QLineEdit::textEdited, this, [this] { m_relayStatus->clear(); });
}

QString SettingsDialog::relayStatus() const {
    return m_relayStatus->text();
}

void SettingsDialog::accept() {
    if (m_checking)
        return;
    const QUrl relay = QUrl::fromUserInput(m_relay->text().trimmed());
    if (m_relay->text().trimmed() == m_settings.relayUrl().toString()) {
        save();
        return;
    }
    if (m_relay->text().trimmed().isEmpty()) { // no relay any more: events straight from Twitch
        m_settings.setRelayUrl({});
        m_relayChanged = true;
        save();
        return;
    }
    // A new relay: make sure it is one before keeping it.
    m_checking = true;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    m_relayStatus->setText(tr("Checking %1…").arg(relay.toString()));
    app::fetchRelayConfig(
        m_network, relay,
        [this, relay](std::optional<app::RelayConfig> config, const QString &error) {
            m_checking = false;
            m_buttons->button(QDialogButtonBox::Ok)->setEnabled(true);
            if (!config) {
                m_relayStatus->setText(tr("Not saved: %1.").arg(error));
                m_relay->setFocus();
                return;
            }
            m_settings.setRelayUrl(relay);
            m_relayChanged = true;
            save();
        },
        this);
}

void SettingsDialog::save() {
    m_settings.setNotificationsEnabled(m_notifications->isChecked());
    m_settings.setDoNotDisturb(m_dnd->isChecked());
    const auto theme = app::Settings::Theme(m_theme->currentData().toInt());
    if (theme != m_settings.theme()) {
        m_settings.setTheme(theme);
        Q_EMIT themeChosen(theme);
    }
    m_settings.sync();
    QDialog::accept();
}

} // namespace streams::ui
