#include "theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace streams::ui {
namespace {

QString &systemStyleName() {
    static QString name;
    return name;
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(0x1f, 0x1f, 0x23), base(0x18, 0x18, 0x1b), text(0xef, 0xef, 0xf1);
    const QColor muted(0x8a, 0x8a, 0x93), accent(0x91, 0x47, 0xff);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x2a, 0x2a, 0x2f));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, accent);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0xbf, 0x94, 0xff));
    p.setColor(QPalette::PlaceholderText, muted);
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, muted);
    return p;
}

QPalette lightPalette() {
    QPalette p = QStyleFactory::create(QStringLiteral("Fusion"))->standardPalette();
    p.setColor(QPalette::Highlight, QColor(0x91, 0x47, 0xff));
    p.setColor(QPalette::Link, QColor(0x77, 0x2c, 0xe8));
    return p;
}

} // namespace

void applyTheme(app::Settings::Theme theme) {
    if (systemStyleName().isEmpty())
        systemStyleName() = QApplication::style()->name();
    switch (theme) {
    case app::Settings::Theme::Dark:
        QApplication::setStyle(QStringLiteral("Fusion"));
        QApplication::setPalette(darkPalette());
        break;
    case app::Settings::Theme::Light:
        QApplication::setStyle(QStringLiteral("Fusion"));
        QApplication::setPalette(lightPalette());
        break;
    case app::Settings::Theme::System:
        QApplication::setStyle(systemStyleName());
        QApplication::setPalette(QApplication::style()->standardPalette());
        break;
    }
}

bool isDarkPalette() {
    const QPalette p = QApplication::palette();
    return p.color(QPalette::Window).lightness() < p.color(QPalette::WindowText).lightness();
}

} // namespace streams::ui
