//! The typst `World` of one render: the templates, the embedded fonts,
//! the sheet as `sys.inputs`, and the logo. Nothing else exists in it: any
//! other file is not found, and there is no network or package access.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike as _, Utc};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World};

use crate::fonts::FONTS;

/// The sheet kinds, each with its main template.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Template {
    Invoice,
    Receipt,
    Statement,
}

/// The template sources, parsed once.
struct Templates {
    common: Source,
    invoice: Source,
    receipt: Source,
    statement: Source,
}

static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    let source = |path: &str, text: &str| Source::new(file_id(path), text.to_owned());
    Templates {
        common: source("/common.typ", include_str!("../templates/common.typ")),
        invoice: source("/invoice.typ", include_str!("../templates/invoice.typ")),
        receipt: source("/receipt.typ", include_str!("../templates/receipt.typ")),
        statement: source("/statement.typ", include_str!("../templates/statement.typ")),
    }
});

fn file_id(path: &str) -> FileId {
    let path = VirtualPath::new(path).expect("a valid template path");
    RootedPath::new(VirtualRoot::Project, path).intern()
}

impl Templates {
    fn all(&self) -> [&Source; 4] {
        [&self.common, &self.invoice, &self.receipt, &self.statement]
    }
}

pub(crate) struct SheetWorld {
    library: LazyHash<Library>,
    main: FileId,
    logo: Option<(FileId, Bytes)>,
    today: Datetime,
}

impl SheetWorld {
    /// `logo`: the path the inputs name and the image's bytes.
    pub(crate) fn new(
        template: Template,
        inputs: Dict,
        logo: Option<(&str, &[u8])>,
        created: DateTime<Utc>,
    ) -> Self {
        let templates = &*TEMPLATES;
        let main = match template {
            Template::Invoice => &templates.invoice,
            Template::Receipt => &templates.receipt,
            Template::Statement => &templates.statement,
        };
        let library = Library::builder().with_inputs(inputs).build();
        Self {
            library: LazyHash::new(library),
            main: main.id(),
            logo: logo.map(|(path, bytes)| (file_id(path), Bytes::new(bytes.to_vec()))),
            today: datetime(created, false),
        }
    }
}

/// A typst datetime of `at`, to the second (or the day only).
pub(crate) fn datetime(at: DateTime<Utc>, with_time: bool) -> Datetime {
    let time = at.time();
    let (year, month, day) = (at.year(), at.month(), at.day());
    let fallback = || Datetime::from_ymd(1970, 1, 1).expect("a valid date");
    let byte = |n: u32| u8::try_from(n).unwrap_or_default();
    let date = if with_time {
        use chrono::Timelike as _;
        Datetime::from_ymd_hms(
            year,
            byte(month),
            byte(day),
            byte(time.hour()),
            byte(time.minute()),
            byte(time.second()),
        )
    } else {
        Datetime::from_ymd(year, byte(month), byte(day))
    };
    date.unwrap_or_else(fallback)
}

impl World for SheetWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        TEMPLATES
            .all()
            .into_iter()
            .find(|source| source.id() == id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some((logo, bytes)) = &self.logo
            && *logo == id
        {
            return Ok(bytes.clone());
        }
        self.source(id)
            .map(|source| Bytes::from_string(source.text().to_owned()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}
