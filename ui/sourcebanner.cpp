#include "sourcebanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace streams::ui {

namespace {
constexpr int kNoticesKept = 5; // the latest; older ones have been read or no longer matter
} // namespace

SourceBanner::SourceBanner(QWidget *parent)
    : QFrame(parent) {
    setObjectName(QStringLiteral("sourceBanner"));
    // A soft amber bar that reads in the light and the dark theme alike.
    setStyleSheet(QStringLiteral("#sourceBanner{background:rgba(255,176,32,0.16);"
                                 "border-bottom:1px solid rgba(255,176,32,0.55)}"));
    setAccessibleName(tr("About this feed's sources"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 6);
    layout->setSpacing(4);

    m_loginRow = new QWidget(this);
    auto *lr = new QHBoxLayout(m_loginRow);
    lr->setContentsMargins(0, 0, 0, 0);
    m_loginText = new QLabel(m_loginRow);
    m_loginText->setWordWrap(true);
    m_loginText->setTextFormat(Qt::PlainText);
    lr->addWidget(m_loginText, 1);
    m_login = new QPushButton(tr("Log in &again"), m_loginRow);
    m_login->setToolTip(tr("Opens Twitch's login, which asks you to grant what these features need"));
    connect(m_login, &QPushButton::clicked, this, &SourceBanner::loginRequested);
    lr->addWidget(m_login, 0, Qt::AlignVCenter);
    layout->addWidget(m_loginRow);

    m_noticeRow = new QWidget(this);
    auto *nr = new QHBoxLayout(m_noticeRow);
    nr->setContentsMargins(0, 0, 0, 0);
    m_noticeText = new QLabel(m_noticeRow);
    m_noticeText->setWordWrap(true);
    m_noticeText->setTextFormat(Qt::PlainText);
    m_noticeText->setAccessibleName(tr("Feed notices"));
    nr->addWidget(m_noticeText, 1);
    m_dismiss = new QPushButton(tr("&Dismiss"), m_noticeRow);
    m_dismiss->setFlat(true);
    connect(m_dismiss, &QPushButton::clicked, this, &SourceBanner::clearNotices);
    nr->addWidget(m_dismiss, 0, Qt::AlignVCenter);
    layout->addWidget(m_noticeRow);
    refresh();
}

void SourceBanner::setFeaturesNeedingLogin(const QStringList &features) {
    m_loginText->setText(
        features.isEmpty()
            ? QString()
            : tr("This channel's %1 can come straight from Twitch, but your login does not allow it yet. "
                 "Log in again and grant it on Twitch's page; until then the feed shows what the relay and "
                 "chat deliver.")
                  .arg(QLocale().createSeparatedList(features)));
    refresh();
}

void SourceBanner::addNotice(const QString &sentence) {
    if (sentence.isEmpty() || (!m_notices.isEmpty() && m_notices.constLast() == sentence))
        return;
    m_notices.append(sentence);
    while (m_notices.size() > kNoticesKept)
        m_notices.removeFirst();
    refresh();
}

void SourceBanner::clearNotices() {
    m_notices.clear();
    refresh();
}

QString SourceBanner::loginText() const {
    return m_loginText->text();
}

bool SourceBanner::loginVisible() const {
    return !m_loginRow->isHidden() && !isHidden();
}

bool SourceBanner::noticesVisible() const {
    return !m_noticeRow->isHidden() && !isHidden();
}

void SourceBanner::refresh() {
    m_noticeText->setText(m_notices.join(QLatin1Char('\n')));
    m_loginRow->setVisible(!m_loginText->text().isEmpty());
    m_noticeRow->setVisible(!m_notices.isEmpty());
    setVisible(!m_loginText->text().isEmpty() || !m_notices.isEmpty());
}

} // namespace streams::ui
