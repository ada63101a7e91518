//! Draws laid-out pages into a PDF with krilla: the text in the embedded,
//! subset font (so Chinese names render and extract), then the footer, then
//! the watermark tiles over everything as semi-transparent vector text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::figure::{plot, Plot, Rect};
use super::layout::{
    wrap, Advance, Page, Style, FIGURE_HEIGHT, MARGIN_BOTTOM, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH,
};
use super::{Footer, Labels, Pdf, Purpose};
use crate::error::{Error, Result};
use crate::view::{ResultSeries, WatermarkView};

/// Where the OS's usual fonts with Chinese glyphs are, best first.
const CJK_FONTS: &[&str] = &[
    // Debian/Ubuntu fonts-noto-cjk, Fedora google-noto-sans-cjk, Arch noto-fonts-cjk.
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    // Windows: Microsoft YaHei, SimSun, SimHei.
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    // macOS.
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
];

/// A font face with Chinese glyphs, loaded for one export.
pub(crate) struct ExportFont {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
}

impl std::fmt::Debug for ExportFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportFont")
            .field("index", &self.index)
            .finish()
    }
}

impl ExportFont {
    /// The configured font, else the first installed one of [`CJK_FONTS`].
    pub(crate) fn load(configured: Option<&Path>) -> Result<ExportFont> {
        let candidates: Vec<PathBuf> = match configured {
            Some(path) => vec![path.to_owned()],
            None => CJK_FONTS.iter().map(PathBuf::from).collect(),
        };
        for path in &candidates {
            let Ok(data) = std::fs::read(path) else {
                continue;
            };
            match ExportFont::from_bytes(data) {
                Ok(font) => return Ok(font),
                Err(e) if configured.is_some() => return Err(e),
                Err(_) => {
                    tracing::warn!(font = %path.display(), "font without Chinese glyphs skipped")
                }
            }
        }
        Err(Error::Export(match configured {
            Some(path) => format!("the font {} (export.font) cannot be read", path.display()),
            None => "no font with Chinese characters is installed; ask IT to install one (e.g. fonts-noto-cjk) or set export.font".into(),
        }))
    }

    /// The face of a font file (or collection) that has Chinese glyphs;
    /// in a collection, the Simplified Chinese face where it is marked.
    pub(crate) fn from_bytes(data: Vec<u8>) -> Result<ExportFont> {
        let faces = skrifa::raw::FileRef::new(&data)
            .map(|file| file.fonts().count())
            .unwrap_or(0);
        let covers =
            |face: &FontRef<'_>| "张伟病历".chars().all(|c| face.charmap().map(c).is_some());
        let mut chosen = None;
        for index in 0..u32::try_from(faces).unwrap_or(0) {
            let Ok(face) = FontRef::from_index(&data, index) else {
                continue;
            };
            if !covers(&face) {
                continue;
            }
            let name: String = face
                .localized_strings(skrifa::string::StringId::POSTSCRIPT_NAME)
                .english_or_first()
                .map(|s| s.chars().collect())
                .unwrap_or_default();
            let simplified = name.contains("SC") || name.contains("sc-") || name.contains("GB");
            let monospaced = name.contains("Mono");
            if chosen.is_none() || (simplified && !monospaced) {
                chosen = Some(index);
            }
            if simplified && !monospaced {
                break;
            }
        }
        let index = chosen
            .ok_or_else(|| Error::Export("the configured font has no Chinese characters".into()))?;
        let data = Arc::new(data);
        let font = Font::new(krilla::Data::from(Arc::clone(&data)), index)
            .ok_or_else(|| Error::Export("the font cannot be used".into()))?;
        Ok(ExportFont { data, index, font })
    }

    pub(crate) fn measure(&self) -> Result<Measure<'_>> {
        let face = FontRef::from_index(&self.data, self.index)
            .map_err(|_| Error::Export("the font cannot be used".into()))?;
        Ok(Measure {
            charmap: face.charmap(),
            metrics: face.glyph_metrics(Size::new(1.0), LocationRef::default()),
        })
    }
}

/// Glyph widths of the export font.
pub(crate) struct Measure<'a> {
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
}

impl Advance for Measure<'_> {
    fn advance(&self, c: char) -> f32 {
        self.charmap
            .map(c)
            .and_then(|gid| self.metrics.advance_width(gid))
            // Layout replaces what the font lacks (see `mark_missing`).
            .unwrap_or(1.0)
    }

    fn has(&self, c: char) -> bool {
        self.charmap.map(c).is_some()
    }
}

fn fill(color: [u8; 3], opacity: f32) -> Fill {
    Fill {
        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
        opacity: NormalizedF32::new(opacity.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE),
        rule: Default::default(),
    }
}

fn grey(style: Style) -> Fill {
    let g = style.grey();
    fill([g, g, g], 1.0)
}

fn text(surface: &mut Surface<'_>, font: &ExportFont, x: f32, y: f32, size: f32, line: &str) {
    surface.draw_text(
        Point::from_xy(x, y),
        font.font.clone(),
        size,
        line,
        false,
        TextDirection::Auto,
    );
}

/// Draws `pages` with the footer and the watermark on each.
pub(super) fn draw(
    pages: &[Page],
    series: &[&ResultSeries],
    watermark: &WatermarkView,
    footer: &Footer<'_>,
    labels: &Labels,
    font: &ExportFont,
    measure: &Measure<'_>,
) -> Result<Pdf> {
    let mut document = Document::new();
    let total = pages.len();
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(Error::Internal("page size"))?;
    let tile = Tile::new(watermark, measure);
    for (n, page) in pages.iter().enumerate() {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        for line in &page.lines {
            if line.style == Style::Figure {
                // The line's baseline sits a fifth of its height above its bottom.
                let bottom = line.y + FIGURE_HEIGHT * 0.22;
                let area = Rect {
                    left: MARGIN_X,
                    top: bottom - FIGURE_HEIGHT + 6.0,
                    right: PAGE_WIDTH - MARGIN_X,
                    bottom,
                };
                if let Some(plot) = plot(series, area) {
                    draw_plot(&mut surface, font, &plot);
                }
                continue;
            }
            surface.set_fill(Some(grey(line.style)));
            text(
                &mut surface,
                font,
                line.x,
                line.y,
                line.style.size(),
                &line.text,
            );
        }
        for &y in &page.rules {
            let mut rule = PathBuilder::new();
            rule.move_to(MARGIN_X, y);
            rule.line_to(PAGE_WIDTH - MARGIN_X, y);
            if let Some(path) = rule.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(170, 170, 170).into(),
                    width: 0.6,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        draw_footer(
            &mut surface,
            font,
            measure,
            watermark,
            footer,
            labels,
            (n + 1, total),
        );
        tile.draw(&mut surface, font);
        surface.finish();
        pdf_page.finish();
    }
    let bytes = document
        .finish()
        .map_err(|_| Error::Export("the PDF could not be assembled".into()))?;
    Ok(Pdf {
        bytes,
        pages: u32::try_from(total).unwrap_or(u32::MAX),
    })
}

fn stroke(surface: &mut Surface<'_>, color: [u8; 3], width: f32, points: &[(f32, f32)]) {
    let mut path = PathBuilder::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 {
            path.move_to(x, y);
        } else {
            path.line_to(x, y);
        }
    }
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(color[0], color[1], color[2]).into(),
            width,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

fn fill_rect(surface: &mut Surface<'_>, color: [u8; 3], opacity: f32, r: Rect) {
    let mut path = PathBuilder::new();
    path.move_to(r.left, r.top);
    path.line_to(r.right, r.top);
    path.line_to(r.right, r.bottom);
    path.line_to(r.left, r.bottom);
    path.close();
    if let Some(path) = path.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(color, opacity)));
        surface.draw_path(&path);
    }
}

/// A trend: the frame, the reference range as a green band, the values as
/// a line with a mark at each result (red where flagged), and the axes'
/// end labels.
fn draw_plot(surface: &mut Surface<'_>, font: &ExportFont, plot: &Plot) {
    let f = plot.frame;
    if let Some((top, bottom)) = plot.band {
        fill_rect(surface, [46, 160, 67], 0.15, Rect { top, bottom, ..f });
    }
    stroke(
        surface,
        [170, 170, 170],
        0.6,
        &[(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)],
    );
    const COLOURS: [[u8; 3]; 3] = [[30, 64, 175], [194, 65, 12], [21, 128, 61]];
    let size = Style::Detail.size();
    for (n, (name, points)) in plot.lines.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let line: Vec<(f32, f32)> = points.iter().map(|p| (p.0, p.1)).collect();
        stroke(surface, colour, 1.2, &line);
        for &(x, y, flagged) in points {
            let color = if flagged { [185, 28, 28] } else { colour };
            let r = if flagged { 2.4 } else { 1.8 };
            fill_rect(
                surface,
                color,
                1.0,
                Rect {
                    left: x - r,
                    top: y - r,
                    right: x + r,
                    bottom: y + r,
                },
            );
        }
        // Several lines: each named at its last point, in its colour.
        if let (true, Some(&(x, y, _))) = (plot.lines.len() > 1, points.last()) {
            surface.set_fill(Some(fill(colour, 1.0)));
            let width = size * 0.6 * name.chars().count() as f32;
            text(surface, font, x - width, y - size * 0.6, size, name);
        }
    }
    surface.set_fill(Some(grey(Style::Detail)));
    for (y, label) in &plot.values {
        text(surface, font, MARGIN_X, y + size * 0.35, size, label);
    }
    let [(x0, first), (x1, last)] = &plot.dates;
    text(surface, font, *x0, f.bottom + size * 1.4, size, first);
    text(
        surface,
        font,
        x1 - size * 0.55 * last.chars().count() as f32,
        f.bottom + size * 1.4,
        size,
        last,
    );
}

/// Two lines under the text: the watermark's words (so they extract as one
/// line even where the tiles do not), and the export ID, exporter, time and
/// page number.
fn draw_footer(
    surface: &mut Surface<'_>,
    font: &ExportFont,
    measure: &Measure<'_>,
    watermark: &WatermarkView,
    footer: &Footer<'_>,
    labels: &Labels,
    (page, pages): (usize, usize),
) {
    let size = 7.5;
    let top = PAGE_HEIGHT - MARGIN_BOTTOM + 22.0;
    let kind = match footer.purpose {
        Purpose::Export => labels.exported,
        Purpose::Print => labels.printed,
    };
    let page_label = labels
        .page
        .replace("{n}", &page.to_string())
        .replace("{m}", &pages.to_string());
    let second = format!(
        "{kind} {} · {} {} · {} · {page_label}",
        footer.export_id, labels.by, footer.exporter, footer.time
    );
    surface.set_fill(Some(grey(Style::Detail)));
    let width = PAGE_WIDTH - 2.0 * MARGIN_X;
    // A long name or host name wraps; four lines fit under the text.
    let lines: Vec<String> = [watermark.lines.join(" · "), second]
        .iter()
        .flat_map(|l| wrap(l, size, width, measure))
        .take(4)
        .collect();
    for (i, line) in lines.iter().enumerate() {
        text(
            surface,
            font,
            MARGIN_X,
            top + i as f32 * size * 1.5,
            size,
            line,
        );
    }
}

/// The watermark's repeating tile, sized from its text.
struct Tile<'a> {
    spec: &'a WatermarkView,
    width: f32,
    height: f32,
    color: [u8; 3],
}

impl<'a> Tile<'a> {
    fn new(spec: &'a WatermarkView, measure: &Measure<'_>) -> Tile<'a> {
        let size = spec.font_size as f32;
        let widest = spec
            .lines
            .iter()
            .map(|l| measure.width(l, size))
            .fold(0.0, f32::max);
        let gap = spec.spacing as f32 * 0.75;
        Tile {
            spec,
            width: widest + gap.max(size * 2.0),
            height: spec.lines.len() as f32 * size * 1.4 + gap,
            color: crate::watermark::parse_color(&spec.color).unwrap_or([90, 90, 90]),
        }
    }

    /// Tiles the page, rotated about its centre, over a square large enough
    /// that the rotation leaves no corner bare.
    fn draw(&self, surface: &mut Surface<'_>, font: &ExportFont) {
        let size = self.spec.font_size as f32;
        surface.set_fill(Some(fill(self.color, self.spec.opacity)));
        let (cx, cy) = (PAGE_WIDTH / 2.0, PAGE_HEIGHT / 2.0);
        // PDF user space here has y pointing down: a negative angle turns
        // the text counter-clockwise, rising to the right.
        surface.push_transform(&Transform::from_rotate_at(-self.spec.angle_deg, cx, cy));
        let reach = (PAGE_WIDTH.hypot(PAGE_HEIGHT) / 2.0).ceil();
        let rows = (2.0 * reach / self.height).ceil() as i32;
        let cols = (2.0 * reach / self.width).ceil() as i32 + 1;
        for row in 0..=rows {
            let y = cy - reach + row as f32 * self.height;
            // Alternate rows are shifted half a tile, so columns do not line up.
            let shift = if row % 2 == 0 { 0.0 } else { self.width / 2.0 };
            for col in -1..cols {
                let x = cx - reach + col as f32 * self.width + shift;
                for (i, line) in self.spec.lines.iter().enumerate() {
                    text(surface, font, x, y + i as f32 * size * 1.3, size, line);
                }
            }
        }
        surface.pop();
    }
}
