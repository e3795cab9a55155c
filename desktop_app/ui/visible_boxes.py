"""`VisibleBoxes`: the application's style, with every unticked check box (and radio button)
edged well enough to be seen. Fusion edges one with its window colour made darker: in a dark
palette about as dark as what is around it (1.1 to 1.3:1), so an unticked box showed no box at
all: the photo kept in each duplicate group, the Retrain dialog's *Mirror images*; on white
it is a pale grey (1.9:1). Where the style's own box does not stand out from its background
at 3:1 (WCAG's contrast for a control's edge), it gets an outline in the text's colour,
faded; a style whose box shows is left as it draws it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from .notice_bar import contrast

_PE = QStyle.PrimitiveElement
_ROLE = QPalette.ColorRole
# The boxes, and the colour of what is around them: a list's base, a dialog's window.
_BOXES = {_PE.PE_IndicatorItemViewItemCheck: (_ROLE.Base, _ROLE.Text),
          _PE.PE_IndicatorCheckBox: (_ROLE.Window, _ROLE.WindowText),
          _PE.PE_IndicatorRadioButton: (_ROLE.Window, _ROLE.WindowText)}
# The colours a box is drawn with (Fusion's, and its outline's), by which it is measured
# again: a palette's cacheKey is new for nearly every box a list or a style sheet draws.
_DRAWN_WITH = (_ROLE.Window, _ROLE.Base, _ROLE.Button, _ROLE.Text, _ROLE.WindowText,
               _ROLE.Highlight)
_KEPT = 64  # measurements remembered (sizes and palettes); more are measured again


class VisibleBoxes(QProxyStyle):
    """The style named `key` (the application's own, so that QT_STYLE_OVERRIDE or the
    platform's theme still chooses it), its unticked boxes outlined where they do not show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        # By box, size and colours: (the edge drawn, or None where the style's own shows).
        self._outlines: dict[tuple, QRect | None] = {}
        self._drawing = False  # drawing a box (styles draw a list's with their check box)

    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        if element not in _BOXES or self._drawing:
            # (A list's box is drawn by the style as a check box: outlined once, as a list's.)
            super().drawPrimitive(element, option, painter, widget)
            return
        self._drawing = True
        try:
            super().drawPrimitive(element, option, painter, widget)
        finally:
            self._drawing = False
        if not option.state & QStyle.StateFlag.State_Enabled or option.rect.isEmpty():
            return  # a disabled box may look disabled
        around, text = _BOXES[element]
        palette = option.palette
        # Measured unticked, so that a ticked box keeps the same edge, but in its other states:
        # the keyboard's focus edges Fusion's box in the highlight colour, left to be seen.
        unticked = (option.state & ~(QStyle.StateFlag.State_On | QStyle.StateFlag.State_NoChange)
                    | QStyle.StateFlag.State_Off)
        key = (element, option.rect.width(), option.rect.height(), unticked.value,
               tuple(palette.color(role).rgba() for role in _DRAWN_WITH))
        if key not in self._outlines:
            if len(self._outlines) >= _KEPT:
                self._outlines.clear()
            self._outlines[key] = self._edge_to_draw(element, option, unticked, widget, around)
        edge = self._outlines[key]
        if edge is None:
            return
        base, ink = palette.color(around), palette.color(text)
        outline = QColor.fromRgbF(*(b + 0.6 * (t - b) for b, t in zip(
            base.getRgbF()[:3], ink.getRgbF()[:3])))
        painter.save()
        painter.setPen(outline)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing,
                              element == _PE.PE_IndicatorRadioButton)
        shape = edge.translated(option.rect.topLeft())
        if element == _PE.PE_IndicatorRadioButton:
            painter.drawEllipse(shape.adjusted(0, 0, -1, -1).toRectF().adjusted(0.5, 0.5, 0.5,
                                                                                  0.5))
        else:
            painter.drawRect(shape.adjusted(0, 0, -1, -1))
        painter.restore()

    def _edge_to_draw(self, element, option: QStyleOption, state: QStyle.StateFlag,
                      widget: QWidget | None, around: QPalette.ColorRole) -> QRect | None:
        """None if the style's box drawn in `state` stands out from `around` at 3:1; else where it
        draws the box in its rectangle (the outline goes on the box's own edge)."""
        background = option.palette.color(around)
        image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)
        image.fill(background)
        drawn = type(option)(option)  # a copy of its kind (a button's, a list row's)
        drawn.rect = QRect(QPoint(0, 0), option.rect.size())
        drawn.state = state
        painter = QPainter(image)
        self._drawing = True  # the style's own box, not outlined
        try:
            self.baseStyle().drawPrimitive(element, drawn, painter, widget)
        finally:
            self._drawing = False
            painter.end()
        left = top = right = bottom = None
        for y in range(image.height()):
            for x in range(image.width()):
                colour = image.pixelColor(x, y)
                if contrast(colour, background) >= 3.0:
                    return None
                if colour.rgb() != background.rgb():
                    left = x if left is None else min(left, x)
                    right = x if right is None else max(right, x)
                    top = y if top is None else top
                    bottom = y
        if left is None:  # nothing drawn: the outline on the rectangle's edge
            return QRect(QPoint(0, 0), option.rect.size())
        return QRect(QPoint(left, top), QPoint(right, bottom))


def use_visible_boxes(app: QApplication) -> VisibleBoxes:
    """The application's style, as chosen (QT_STYLE_OVERRIDE, the platform's), with
    its boxes made visible: set before the style sheet, which then draws over it."""
    if isinstance(app.style(), VisibleBoxes):
        return app.style()
    style = VisibleBoxes(app.style().name())
    app.setStyle(style)
    return style
