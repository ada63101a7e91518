//! Registers the app's commands in Tauri's app manifest, so each one gets an
//! `allow-…` permission and is callable only where a capability grants it.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(chartguard_commands::ALL);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step failed");
}

#[path = "src/commands_list.rs"]
#[allow(
    unreachable_pub,
    reason = "shared with the library, where it is public"
)]
mod chartguard_commands;
