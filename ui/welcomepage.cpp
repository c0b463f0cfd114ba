#include "welcomepage.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

namespace streams::ui {

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(48, 32, 48, 32);
    layout->addStretch(2);
    auto *logo = new QLabel(this);
    logo->setPixmap(QIcon(QStringLiteral(":/icons/app.svg")).pixmap(96, 96));
    logo->setAlignment(Qt::AlignCenter);
    layout->addWidget(logo);
    auto *title = new QLabel(tr("<h1>Streams &amp; Events Viewer</h1>"), this);
    title->setAlignment(Qt::AlignCenter);
    layout->addWidget(title);
    auto *pitch = new QLabel(tr("Watch your favorite streamer next to a live feed of follows, cheers, subs, "
                                "gifts and raids as they happen."),
                             this);
    pitch->setWordWrap(true);
    pitch->setAlignment(Qt::AlignCenter);
    layout->addWidget(pitch);
    layout->addSpacing(16);

    m_notice = new QLabel(this);
    m_notice->setWordWrap(true);
    m_notice->setAlignment(Qt::AlignCenter);
    m_notice->setVisible(false);
    layout->addWidget(m_notice);

    m_login = new QPushButton(tr("&Log in with Twitch"), this);
    m_login->setDefault(true);
    m_login->setAutoDefault(true);
    m_login->setMinimumHeight(40);
    m_login->setStyleSheet(
        QStringLiteral("QPushButton{background:#9147ff;color:white;border:none;border-radius:6px;"
                       "padding:8px 28px;font-weight:bold}QPushButton:hover{background:#772ce8}"
                       "QPushButton:disabled{background:#8a8a93}"));
    m_code = new QPushButton(tr("Log in with a &code instead"), this);
    m_code->setFlat(true);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_login);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    auto *codeRow = new QHBoxLayout;
    codeRow->addStretch(1);
    codeRow->addWidget(m_code);
    codeRow->addStretch(1);
    layout->addLayout(codeRow);

    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_message);
    m_useRelay = new QPushButton(tr("Use a &relay…"), this);
    m_useRelay->setFlat(true);
    m_useRelay->setToolTip(
        tr("A relay keeps what happened while the app was closed and serves many clients"));
    m_useRelay->setVisible(false);
    auto *useRelayRow = new QHBoxLayout;
    useRelayRow->addStretch(1);
    useRelayRow->addWidget(m_useRelay);
    useRelayRow->addStretch(1);
    layout->addLayout(useRelayRow);
    m_relayRow = new QWidget(this);
    auto *rl = new QHBoxLayout(m_relayRow);
    rl->setContentsMargins(0, 0, 0, 0);
    m_relay = new QLineEdit(m_relayRow);
    m_relay->setPlaceholderText(QStringLiteral("https://relay.example.org"));
    m_relay->setAccessibleName(tr("Relay address"));
    auto *connectButton = new QPushButton(tr("Co&nnect"), m_relayRow);
    rl->addStretch(1);
    rl->addWidget(new QLabel(tr("&Relay:"), m_relayRow));
    static_cast<QLabel *>(rl->itemAt(1)->widget())->setBuddy(m_relay);
    rl->addWidget(m_relay, 3);
    rl->addWidget(connectButton);
    rl->addStretch(1);
    m_relayRow->setVisible(false);
    layout->addWidget(m_relayRow);
    layout->addStretch(3);

    connect(m_login, &QPushButton::clicked, this, &WelcomePage::loginRequested);
    connect(m_code, &QPushButton::clicked, this, &WelcomePage::codeLoginRequested);
    connect(m_useRelay, &QPushButton::clicked, this, [this] {
        m_useRelay->setVisible(false);
        m_relayRow->setVisible(true);
        m_relay->setFocus();
    });
    auto submit = [this] { Q_EMIT relayChosen(QUrl::fromUserInput(m_relay->text().trimmed())); };
    connect(connectButton, &QPushButton::clicked, this, submit);
    connect(m_relay, &QLineEdit::returnPressed, this, submit);
}

void WelcomePage::setState(State state, const QString &message) {
    m_state = state;
    m_login->setEnabled(state == State::Ready);
    m_code->setEnabled(state == State::Ready);
    // Without a relay the field, once asked for, stays while the user types in it.
    const bool asked = m_relayOptional && !m_relayRow->isHidden();
    m_relayRow->setVisible(state == State::RelayProblem || (state == State::Ready && asked));
    m_useRelay->setVisible(state == State::Ready && m_relayOptional && m_relayRow->isHidden());
    m_message->setText(state == State::Connecting && message.isEmpty() ? tr("Connecting to the relay…")
                                                                       : message);
    if (state == State::Ready)
        m_login->setFocus();
}

void WelcomePage::setNotice(const QString &text) {
    m_notice->setText(text);
    m_notice->setVisible(!text.isEmpty());
}

void WelcomePage::setRelayUrl(const QUrl &url) {
    m_relay->setText(url.toString());
}

void WelcomePage::setRelayOptional(bool optional) {
    m_relayOptional = optional;
    if (!optional && m_state != State::RelayProblem)
        m_relayRow->setVisible(false);
    m_useRelay->setVisible(m_state == State::Ready && optional && m_relayRow->isHidden());
}

bool WelcomePage::relayFieldVisible() const {
    return !m_relayRow->isHidden();
}

QString WelcomePage::message() const {
    return m_message->text();
}

QString WelcomePage::notice() const {
    return m_notice->text();
}

} // namespace streams::ui
