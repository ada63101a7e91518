//! Exports and print jobs: the chart as the doctor's tier sees it, laid out
//! on A4 pages, with the watermark burned into every page as vector text and
//! a footer naming the export ID, the exporter, the time and the page.
//!
//! **Architecture Invariant:** an export holds exactly what the exporting
//! tier may see: it is built from the [`Chart`] the masking pipeline made
//! for this request, never from raw records. The PDF is made in memory; it
//! reaches the disk only at the path the doctor chose (or the print
//! spooler's standard input), never through a temporary file.
//!
//! Layout ([`layout`]) is pure: chart and labels in, positioned lines out.
//! [`pdf`] draws them with the embedded (subset) font.

mod labels;
mod layout;
mod pdf;

pub(crate) use labels::Labels;
pub(crate) use pdf::ExportFont;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::view::{Chart, ExportScope, WatermarkView};

/// Whether a document is saved as a file or sent to a printer: the footer
/// says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Export,
    Print,
}

/// What the footer of every page says besides the page number.
#[derive(Debug, Clone)]
pub(crate) struct Footer<'a> {
    pub(crate) export_id: &'a str,
    pub(crate) purpose: Purpose,
    /// The exporting doctor (name and staff number).
    pub(crate) exporter: &'a str,
    /// Local time, to the minute.
    pub(crate) time: &'a str,
}

/// A finished PDF.
#[derive(Debug)]
pub(crate) struct Pdf {
    pub(crate) bytes: Vec<u8>,
    pub(crate) pages: u32,
}

/// Lays out `scope` of `chart` and draws it with `font`, the watermark on
/// every page.
pub(crate) fn render(
    chart: &Chart,
    scope: ExportScope,
    labels: &Labels,
    watermark: &WatermarkView,
    footer: &Footer<'_>,
    font: &ExportFont,
) -> Result<Pdf> {
    let measure = font.measure()?;
    let pages = layout::paginate(&layout::blocks(chart, scope, labels), &measure);
    pdf::draw(&pages, watermark, footer, labels, font, &measure)
}

pub(crate) fn receipt(export_id: String, pdf: &Pdf) -> crate::view::ExportReceipt {
    crate::view::ExportReceipt {
        export_id,
        pages: pdf.pages,
        bytes: pdf.bytes.len() as u64,
    }
}

/// The file an export goes to: `chosen`, with `.pdf` added when it has no
/// extension. Only absolute paths (from the save dialog) and PDF files.
pub(crate) fn export_path(chosen: &Path) -> Result<PathBuf> {
    if !chosen.is_absolute() {
        return Err(Error::Export("the export needs a full path".into()));
    }
    match chosen.extension() {
        None => Ok(chosen.with_extension("pdf")),
        Some(ext) if ext.eq_ignore_ascii_case("pdf") => Ok(chosen.to_owned()),
        Some(_) => Err(Error::Export(
            "exports are PDF files: the name must end in .pdf".into(),
        )),
    }
}

/// Writes the PDF straight to `path` (no temporary file that could be left
/// behind); a partial file is removed when the write fails. The message
/// names no path: the doctor may have typed the patient's name into it.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let written = std::fs::File::create(path).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(path);
        Error::Export(format!("the file could not be written ({})", e.kind()))
    })
}

/// Hands `pdf` to the print command on its standard input; `{title}` in an
/// argument becomes the export ID.
pub(crate) fn spool(command: &[String], export_id: &str, pdf: &[u8]) -> Result<()> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Print(
            "no print command is configured on this workstation (export.print_command)".into(),
        ));
    };
    let mut child = Command::new(program)
        .args(args.iter().map(|a| a.replace("{title}", export_id)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Print(format!(
                "the print command {program:?} is not installed; ask IT to set up printing"
            )),
            kind => Error::Print(format!("the print command could not start ({kind})")),
        })?;
    let fed = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(pdf))
        .unwrap_or(Ok(()));
    let status = child
        .wait()
        .map_err(|e| Error::Print(format!("the print command failed ({})", e.kind())))?;
    match (status.success(), fed) {
        (true, Ok(())) => Ok(()),
        (true, Err(e)) => Err(Error::Print(format!(
            "the print command did not take the document ({})",
            e.kind()
        ))),
        (false, _) => Err(Error::Print(format!(
            "the print command failed ({status}); is a printer set up?"
        ))),
    }
}
