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

mod figure;
mod labels;
mod layout;
mod pdf;

pub(crate) use labels::Labels;
pub(crate) use pdf::ExportFont;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::view::{Chart, ExportScope, ResultSeries, WatermarkView};

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
    /// The zone of `time`: the document shows every time in it.
    pub(crate) zone: chrono::FixedOffset,
}

/// A finished PDF.
#[derive(Debug)]
pub(crate) struct Pdf {
    pub(crate) bytes: Vec<u8>,
    pub(crate) pages: u32,
}

/// The whole export: loads the font (`export.font`, else the OS's), then
/// [`render`].
pub(crate) fn document(
    chart: &Chart,
    scope: ExportScope,
    series: &[&ResultSeries],
    labels: &Labels,
    watermark: &WatermarkView,
    footer: &Footer<'_>,
    font: Option<&Path>,
) -> Result<Pdf> {
    let font = ExportFont::load(font)?;
    render(chart, scope, series, labels, watermark, footer, &font)
}

/// Lays out `scope` of `chart` and draws it with `font`, the watermark on
/// every page.
pub(crate) fn render(
    chart: &Chart,
    scope: ExportScope,
    series: &[&ResultSeries],
    labels: &Labels,
    watermark: &WatermarkView,
    footer: &Footer<'_>,
    font: &ExportFont,
) -> Result<Pdf> {
    let measure = font.measure()?;
    let blocks = layout::mark_missing(
        layout::blocks(chart, scope, series, labels, &footer.zone),
        &measure,
        labels,
    );
    let pages = layout::paginate(&blocks, &measure);
    pdf::draw(&pages, series, watermark, footer, labels, font, &measure)
}

pub(crate) fn receipt(export_id: String, pdf: &Pdf) -> crate::view::ExportReceipt {
    crate::view::ExportReceipt {
        export_id,
        pages: pdf.pages,
        bytes: pdf.bytes.len() as u64,
    }
}

/// Where an export goes, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) path: PathBuf,
    /// The save dialog asked about this very name (and whether to replace
    /// it); a name we completed with `.pdf` must not replace a file.
    pub(crate) may_replace: bool,
}

/// The file an export goes to: `chosen` (from the save dialog), with
/// `.pdf` appended when its name does not end so ("张伟 2024.01.05" becomes
/// "张伟 2024.01.05.pdf"). Only absolute paths.
pub(crate) fn export_target(chosen: &Path) -> Result<Target> {
    if !chosen.is_absolute() {
        return Err(Error::Export("the export needs a full path".into()));
    }
    if chosen.file_name().is_none() {
        return Err(Error::Export("the export needs a file name".into()));
    }
    let is_pdf = chosen
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("pdf"));
    Ok(match is_pdf {
        true => Target {
            path: chosen.to_owned(),
            may_replace: true,
        },
        false => {
            let mut name = chosen.as_os_str().to_owned();
            name.push(".pdf");
            Target {
                path: PathBuf::from(name),
                may_replace: false,
            }
        }
    })
}

/// Writes the PDF straight to the target (no temporary file that could be
/// left behind), readable by this OS user only; a partial file is removed
/// when the write fails. The message names no path: the doctor may have
/// typed the patient's name into it.
pub(crate) fn write_file(target: &Target, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    match target.may_replace {
        true => options.create(true).truncate(true),
        false => options.create_new(true),
    };
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&target.path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Error::Export("a file of that name (with .pdf added) already exists".into())
        }
        kind => Error::Export(format!("the file could not be written ({kind})")),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            drop(file);
            let _ = std::fs::remove_file(&target.path);
            Error::Export(format!("the file could not be written ({})", e.kind()))
        })
}

/// The program and arguments of the print command, if one is configured.
pub(crate) fn print_program(command: &[String]) -> Result<(&String, &[String])> {
    command.split_first().ok_or_else(|| {
        Error::Print(
            "no print command is configured on this workstation (export.print_command)".into(),
        )
    })
}

/// How long a print command may take to accept a job.
const PRINT_DEADLINE: Duration = Duration::from_secs(120);

/// Hands `pdf` to the print command on its standard input; `{title}` in an
/// argument becomes the export ID. A command that has not finished after
/// two minutes is stopped.
pub(crate) fn spool(command: &[String], export_id: &str, pdf: &[u8]) -> Result<()> {
    let (program, args) = print_program(command)?;
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
    let stdin = child.stdin.take();
    std::thread::scope(|scope| {
        // Fed from its own thread: a command that stops reading must not
        // block the deadline.
        let feeding = scope.spawn(move || match stdin {
            Some(mut stdin) => stdin.write_all(pdf),
            None => Ok(()),
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() < PRINT_DEADLINE => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(Error::Print(
                        "the print command did not finish within two minutes".into(),
                    ));
                }
                Err(e) => {
                    break Err(Error::Print(format!(
                        "the print command failed ({})",
                        e.kind()
                    )))
                }
            }
        };
        let fed = feeding.join().unwrap_or(Ok(()));
        match (status?, fed) {
            (status, Ok(())) if status.success() => Ok(()),
            (status, Err(e)) if status.success() => Err(Error::Print(format!(
                "the print command did not take the document ({})",
                e.kind()
            ))),
            (status, _) => Err(Error::Print(format!(
                "the print command failed ({status}); is a printer set up?"
            ))),
        }
    })
}
