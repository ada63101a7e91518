//! The command line of the `chartguard` binary, for what needs no window:
//! the workstation check, the default config, `chartguard policy preview …`
//! and `chartguard audit verify`. The shell calls [`run`] first and opens
//! the window only when it returns `None` (no arguments).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use crate::preview::{policy_preview, preview_pdf, PreviewRequest};

const USAGE: &str = "\
usage:
  chartguard                      open the window
  chartguard policy preview --policy FILE (--tier TIER | --claims FILE)
                            [--pdf OUT.pdf [--locale zh-CN|en]] BUNDLE.json
      print, as JSON, the chart the app would show for that tier (or for the
      tier those token claims resolve to) from a FHIR bundle: masked, sealed
      and sanitised; with --pdf, write instead the PDF an export of the whole
      chart would be, marked POLICY PREVIEW. No window, no login, no
      network. A policy that does not validate is refused with the key and
      line.
  chartguard --check [--json]
      check this workstation without a window, a login or patient data, in
      order: config and policy, CA bundle, the platform's TLS and metadata,
      the clock against the platform's, the login service's discovery and
      keys, the OS keyring, the cache and audit folders, free disk, the
      audit trail. One PASS/FAIL/SKIP line each (or JSON); exits 0 only when
      every check passed.
  chartguard audit verify [--json]
      check this workstation account's audit trail: every record's hash
      chain and seal from the first kept record to the last. Prints the
      number of records checked, or the first broken record and what is
      wrong with it; exits 0 when the trail holds, 1 when it does not, 2
      when it cannot be read. Uses the machine config (CHARTGUARD_CONFIG
      overrides) and the keys in this account's OS keyring.
  chartguard --print-default-config
      print a config file with every key at its default and what it does,
      to start the machine-wide config from (docs/config.md is the same).
  chartguard --version
  chartguard --help
";

/// Runs the command `args` name (without the program name), writing its
/// output to `out` and problems to `err`; the process exit code, or `None`
/// when there is no command and the window should open.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<i32> {
    let args: Vec<OsString> = args.into_iter().collect();
    let first = args.first()?.to_string_lossy().into_owned();
    let code = match first.as_str() {
        "--help" | "-h" | "help" => write_all(out, USAGE, 0),
        "--version" | "-V" => write_all(
            out,
            &format!("chartguard {}\n", env!("CARGO_PKG_VERSION")),
            0,
        ),
        "--print-default-config" if args.len() == 1 => {
            write_all(out, &crate::config::reference::default_config_toml(), 0)
        }
        "--check" => match args
            .get(1)
            .map(|a| a.to_string_lossy().into_owned())
            .as_deref()
        {
            None => check(false, out),
            Some("--json") if args.len() == 2 => check(true, out),
            _ => write_all(err, USAGE, 2),
        },
        "policy" => match args
            .get(1)
            .map(|a| a.to_string_lossy().into_owned())
            .as_deref()
        {
            Some("preview") => preview(&args[2..], out, err),
            _ => write_all(err, USAGE, 2),
        },
        "audit" => {
            let rest: Vec<String> = args[1..]
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            match rest
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice()
            {
                ["verify"] => verify(false, out, err),
                ["verify", "--json"] => verify(true, out, err),
                _ => write_all(err, USAGE, 2),
            }
        }
        _ => {
            let _ = writeln!(err, "chartguard: unknown command {first:?}");
            write_all(err, USAGE, 2)
        }
    };
    Some(code)
}

fn write_all(to: &mut dyn Write, text: &str, code: i32) -> i32 {
    match to.write_all(text.as_bytes()) {
        Ok(()) => code,
        Err(_) => 1,
    }
}

fn preview(args: &[OsString], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (request, pdf) = match parse_preview(args) {
        Ok(parsed) => parsed,
        Err(problem) => {
            let _ = writeln!(err, "chartguard policy preview: {problem}");
            return write_all(err, USAGE, 2);
        }
    };
    let done = match &pdf {
        Some((path, locale)) => preview_pdf(&request, locale)
            .and_then(|bytes| {
                let target = crate::export::Target {
                    path: path.clone(),
                    may_replace: true,
                };
                crate::export::write_file(&target, &bytes)
            })
            .map(|()| format!("wrote {}", path.display())),
        None => policy_preview(&request),
    };
    match done {
        Ok(text) => match writeln!(out, "{text}") {
            Ok(()) => 0,
            Err(_) => 1,
        },
        Err(e) => {
            let _ = writeln!(err, "chartguard policy preview: {e}");
            1
        }
    }
}

/// `chartguard --check`: 0 when every check passed, else 1.
fn check(json: bool, out: &mut dyn Write) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(_) => return 1,
    };
    let report = runtime.block_on(crate::check::run(
        crate::config::Config::load(),
        &crate::config::Config::source(),
    ));
    let text = match json {
        true => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        false => report.lines(),
    };
    match (out.write_all(text.as_bytes()), report.ok) {
        (Ok(()), true) => 0,
        _ => 1,
    }
}

/// `chartguard audit verify`: 0 the trail holds, 1 it does not, 2 it
/// cannot be read.
fn verify(json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let report =
        crate::config::Config::load().and_then(|config| crate::audit::verify_trail(&config));
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            let _ = writeln!(err, "chartguard audit verify: {e}");
            return 2;
        }
    };
    let text = match json {
        true => serde_json::to_string_pretty(&report).unwrap_or_default(),
        false => match (&report.first_broken, &report.problem) {
            (Some(seq), Some(problem)) => format!(
                "audit trail BROKEN at record #{seq}: {problem} ({} records before it hold)",
                report.checked
            ),
            _ => format!("audit trail OK: {} records checked", report.checked),
        },
    };
    match (writeln!(out, "{text}"), report.ok) {
        (Ok(()), true) => 0,
        _ => 1,
    }
}

/// A preview request, and where its PDF goes (in which language), if asked.
type PreviewArgs = (PreviewRequest, Option<(PathBuf, String)>);

fn parse_preview(args: &[OsString]) -> Result<PreviewArgs, String> {
    let (mut policy, mut tier, mut claims, mut bundle) = (None, None, None, None);
    let (mut pdf, mut locale) = (None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.to_string_lossy().as_ref() {
            "--policy" => policy = Some(PathBuf::from(value("--policy")?)),
            "--tier" => tier = Some(value("--tier")?.to_string_lossy().into_owned()),
            "--claims" => claims = Some(PathBuf::from(value("--claims")?)),
            "--pdf" => pdf = Some(PathBuf::from(value("--pdf")?)),
            "--locale" => locale = Some(value("--locale")?.to_string_lossy().into_owned()),
            other if other.starts_with('-') => return Err(format!("unknown option {other:?}")),
            _ if bundle.is_none() => bundle = Some(PathBuf::from(arg)),
            _ => return Err("give one bundle".into()),
        }
    }
    if tier.is_none() && claims.is_none() {
        return Err("give --tier or --claims".into());
    }
    if locale.is_some() && pdf.is_none() {
        return Err("--locale is for --pdf".into());
    }
    let request = PreviewRequest {
        policy: policy.ok_or("--policy FILE is required")?,
        tier,
        claims,
        bundle: bundle.ok_or("BUNDLE.json is required")?,
    };
    Ok((
        request,
        pdf.map(|p| (p, locale.unwrap_or_else(|| "zh-CN".into()))),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (Option<i32>, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(args.iter().map(OsString::from), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn no_arguments_open_the_window() {
        assert_eq!(run_args(&[]).0, None);
    }

    #[test]
    fn bad_command_lines_are_refused_with_the_usage() {
        let cases: [(&[&str], &str); 7] = [
            (&["--frobnicate"], "unknown command"),
            (&["policy"], "usage"),
            (&["audit"], "usage"),
            (&["audit", "verify", "--yaml"], "usage"),
            (&["policy", "preview", "b.json"], "--tier or --claims"),
            (
                &["policy", "preview", "--tier", "clinician", "b.json"],
                "--policy FILE is required",
            ),
            (
                &["policy", "preview", "--policy", "p.toml", "--tier"],
                "--tier needs a value",
            ),
        ];
        for (args, why) in cases {
            let (code, out, err) = run_args(args);
            assert_eq!(code, Some(2), "{args:?}");
            assert!(out.is_empty(), "{args:?}");
            assert!(
                err.contains(why) && err.contains("usage"),
                "{args:?}: {err}"
            );
        }
        let (code, out, _) = run_args(&["--help"]);
        assert_eq!(code, Some(0));
        assert!(out.contains("policy preview") && out.contains("--check"));
        let (code, out, _) = run_args(&["--version"]);
        assert_eq!(code, Some(0));
        assert_eq!(out, format!("chartguard {}\n", env!("CARGO_PKG_VERSION")));
    }
}
