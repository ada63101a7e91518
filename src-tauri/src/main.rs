// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Commands that need no window (`chartguard policy preview …`) run and exit.
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    if let Some(code) = chartguard::cli::run(std::env::args_os().skip(1), &mut out, &mut err) {
        std::process::exit(code);
    }
    drop((out, err));
    chartguard_app::run();
}
