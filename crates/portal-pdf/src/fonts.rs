//! The fonts built into the binary, and the text they can print.
//!
//! Under PDF/A a glyph missing from every font fails the export, so text
//! is cleaned before it reaches typst: every character no font covers
//! becomes U+FFFD (itself covered), control characters become spaces.

use std::sync::LazyLock;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// The font files, primary family first. Noto Sans prints Latin, Greek and
/// Cyrillic; Noto Sans Hebrew and Noto Sans Arabic shape those scripts;
/// DejaVu Sans catches symbols and the rest; Noto Color Emoji prints
/// emoji (as bitmaps, which PDF/A allows).
const FILES: [&[u8]; 8] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSansHebrew-Regular.ttf"),
    include_bytes!("../fonts/NotoSansHebrew-Bold.ttf"),
    include_bytes!("../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../fonts/NotoSansArabic-Bold.ttf"),
    include_bytes!("../fonts/DejaVuSans.ttf"),
    include_bytes!("../fonts/NotoColorEmoji.ttf"),
];

/// What stands for a character no font has.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';

/// The fallback order of upright text, as indices into [`FILES`]: the
/// template lists the families in this order.
const REGULAR: [usize; 5] = [0, 2, 4, 6, 7];
const BOLD: [usize; 5] = [1, 3, 5, 6, 7];

pub(crate) struct Fonts {
    pub(crate) fonts: Vec<Font>,
    pub(crate) book: LazyHash<FontBook>,
    faces: Vec<ttf_parser::Face<'static>>,
    /// Covered code points as sorted, disjoint, inclusive ranges.
    coverage: Vec<(u32, u32)>,
}

pub(crate) static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    assert_eq!(fonts.len(), FILES.len(), "an embedded font failed to load");
    let book = LazyHash::new(FontBook::from_fonts(&fonts));
    let faces = FILES
        .iter()
        .map(|data| ttf_parser::Face::parse(data, 0).expect("an embedded font parses"))
        .collect::<Vec<_>>();
    let coverage = coverage(&faces);
    Fonts {
        fonts,
        book,
        faces,
        coverage,
    }
});

/// The code points some font maps to a real glyph (not `.notdef`), read
/// from each font's `cmap`.
fn coverage(faces: &[ttf_parser::Face<'_>]) -> Vec<(u32, u32)> {
    let mut points = Vec::new();
    for face in faces {
        let Some(cmap) = face.tables().cmap else {
            continue;
        };
        for subtable in cmap.subtables {
            if subtable.is_unicode() {
                subtable.codepoints(|c| {
                    if subtable.glyph_index(c).is_some_and(|g| g.0 != 0) {
                        points.push(c);
                    }
                });
            }
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in points {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == c => *end = c,
            _ => ranges.push((c, c)),
        }
    }
    ranges
}

impl Fonts {
    /// Whether some font has a glyph for `c`.
    pub(crate) fn covers(&self, c: char) -> bool {
        let c = u32::from(c);
        let at = self.coverage.partition_point(|&(start, _)| start <= c);
        at > 0 && self.coverage[at - 1].1 >= c
    }

    /// `text` with every character the fonts cannot print replaced: line
    /// breaks stay, other control characters become spaces, and what no
    /// font covers becomes [`REPLACEMENT`]. Default-ignorable characters
    /// (joiners, variation selectors, direction marks) stay: shaping
    /// hides them when a font lacks them.
    pub(crate) fn printable(&self, text: &str) -> Option<String> {
        let keep = |c: char| c == '\n' || (!c.is_control() && (self.covers(c) || ignorable(c)));
        if text.chars().all(keep) {
            return None;
        }
        Some(
            text.replace("\r\n", "\n")
                .chars()
                .map(|c| match c {
                    c if keep(c) => c,
                    '\r' | '\t' => ' ',
                    c if c.is_control() => ' ',
                    _ => REPLACEMENT,
                })
                .collect(),
        )
    }
}

impl Fonts {
    /// The width of `text` on one line, in ems, as the sum of its glyphs'
    /// advances in the first font of the fallback order that has them;
    /// `None` when shaping may change widths (marks, joining scripts,
    /// invisible characters) or the text has a line break.
    pub(crate) fn estimate(&self, text: &str, bold: bool) -> Option<f64> {
        let order = if bold { &BOLD } else { &REGULAR };
        let mut width = 0.0;
        for c in text.chars() {
            if !plain(c) {
                return None;
            }
            let (face, glyph) = order.iter().find_map(|&i| {
                let face = &self.faces[i];
                face.glyph_index(c).filter(|g| g.0 != 0).map(|g| (face, g))
            })?;
            let advance = f64::from(face.glyph_hor_advance(glyph)?);
            width += advance / f64::from(face.units_per_em());
        }
        Some(width)
    }
}

/// Characters whose printed width is their glyph's advance: not control
/// characters, combining marks, right-to-left or joining scripts, or
/// invisible formatting characters.
fn plain(c: char) -> bool {
    !(c.is_control()
        || ignorable(c)
        || matches!(
            c,
            '\u{0300}'..='\u{036F}'
                | '\u{0483}'..='\u{0489}'
                | '\u{0590}'..='\u{08FF}'
                | '\u{1AB0}'..='\u{1AFF}'
                | '\u{1DC0}'..='\u{1DFF}'
                | '\u{20D0}'..='\u{20FF}'
                | '\u{FB1D}'..='\u{FDFF}'
                | '\u{FE20}'..='\u{FE2F}'
                | '\u{FE70}'..='\u{FEFF}'
        ))
}

/// Unicode's default-ignorable code points that shaping drops when the
/// font has no glyph for them.
fn ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_the_scripts_and_the_replacement() {
        for c in ['a', 'é', 'Ω', 'Ж', 'א', 'ع', '€', '→', REPLACEMENT] {
            assert!(FONTS.covers(c), "{c:?}");
        }
        assert!(!FONTS.covers('\u{E000}'));
    }

    #[test]
    fn widths_are_estimated_for_plain_text_only() {
        let digits = FONTS.estimate("0123456789", false).unwrap();
        assert!((5.0..6.5).contains(&digits), "{digits}");
        assert!(FONTS.estimate("Total", true).unwrap() > FONTS.estimate("Total", false).unwrap());
        assert_eq!(FONTS.estimate("", false), Some(0.0));
        for complex in ["مرحبا", "e\u{301}", "a\nb", "zero\u{200B}width"] {
            assert_eq!(FONTS.estimate(complex, false), None, "{complex:?}");
        }
    }

    #[test]
    fn uncovered_characters_are_replaced() {
        assert_eq!(FONTS.printable("plain text, €5"), None);
        assert_eq!(
            FONTS.printable("a\u{E000}b\u{7}c\r\nd\te").as_deref(),
            Some("a\u{FFFD}b c\nd e")
        );
    }
}
