#pragma once

// Settings: the relay's address (checked against its /api/v1/config before it is saved), notifications,
// do not disturb, theme, and logging out.

#include "relayclient/relayconfig.h"
#include "store/settings.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QNetworkAccessManager;

namespace streams::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(app::Settings &settings, QNetworkAccessManager &network, bool loggedIn,
                   QWidget *parent = nullptr);

    QLineEdit *relayField() const { return m_relay; }
    QString relayStatus() const;
    bool relayChanged() const { return m_relayChanged; }

public Q_SLOTS:
    void accept() override;

Q_SIGNALS:
    void logoutRequested();
    void themeChosen(streams::app::Settings::Theme theme);

private:
    void save();

    app::Settings &m_settings;
    QNetworkAccessManager &m_network;
    QLineEdit *m_relay;
    QLabel *m_relayStatus;
    QCheckBox *m_notifications;
    QCheckBox *m_dnd;
    QComboBox *m_theme;
    QDialogButtonBox *m_buttons;
    bool m_checking = false;
    bool m_relayChanged = false;
};

} // namespace streams::ui
