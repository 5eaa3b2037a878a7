//! The command line in German: clap writes its help and its errors in English ("Usage:",
//! "Print help", "error: unexpected argument"). This module gives every command German headings,
//! a German help and version flag, and turns clap's errors into German messages that name the
//! argument and say what is expected.

use std::error::Error as _;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

const TEMPLATE: &str = "{about-with-newline}\nAufruf: {usage}\n\n{all-args}{after-help}";

/// `cmd` and all its subcommands with German headings and help texts.
pub fn german(cmd: Command) -> Command {
    let root = cmd.get_name() == "zielwerk";
    let mut cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("Befehle")
        .subcommand_value_name("BEFEHL")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .mut_args(|a| {
            let a = with_german_defaults(a);
            if a.get_help_heading().is_some() {
                a
            } else if a.is_positional() {
                a.help_heading("Argumente")
            } else {
                a.help_heading("Optionen")
            }
        })
        .arg(
            Arg::new("hilfe")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Diese Hilfe anzeigen")
                .help_heading("Optionen"),
        );
    if root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Die Version anzeigen")
                .help_heading("Optionen"),
        );
    }
    cmd.mut_subcommands(german)
}

/// clap prints "[default: …]" and "[env: …]": say it in German in the help text instead.
fn with_german_defaults(a: Arg) -> Arg {
    let defaults: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    let env = a.get_env().map(|e| e.to_string_lossy().into_owned());
    let is_flag = matches!(a.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
    let mut notes = Vec::new();
    let mut a = a;
    if !defaults.is_empty() && !is_flag {
        notes.push(format!("Vorgabe: {}", defaults.join(", ")));
        a = a.hide_default_value(true);
    }
    if let Some(env) = env {
        notes.push(format!("auch über die Umgebungsvariable {env}"));
        a = a.hide_env(true);
    }
    if notes.is_empty() {
        return a;
    }
    let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
    let help = format!("{} ({})", help.trim_end_matches('.'), notes.join("; "));
    a.help(help)
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A German message for a clap error, or `None` for help and version output (printed as clap
/// renders them: the German help above).
pub fn message(e: &clap::Error) -> Option<String> {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    let valid = context(e, ContextKind::ValidValue);
    let usage = context(e, ContextKind::Usage)
        .replace("Usage: ", "")
        .replace("Aufruf: ", "");
    let text = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::UnknownArgument => format!("Die Angabe „{arg}“ gibt es hier nicht"),
        ErrorKind::InvalidSubcommand => format!(
            "Den Befehl „{}“ gibt es nicht",
            context(e, ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingSubcommand => "Es fehlt ein Befehl".to_owned(),
        ErrorKind::MissingRequiredArgument => format!("Es fehlt die Angabe {arg}"),
        ErrorKind::InvalidValue if valid.is_empty() => {
            format!("„{value}“ ist kein gültiger Wert für {arg}")
        }
        ErrorKind::InvalidValue => {
            format!("„{value}“ ist kein gültiger Wert für {arg}; möglich: {valid}")
        }
        ErrorKind::ValueValidation => format!(
            "„{value}“ ist kein gültiger Wert für {arg}: {}",
            e.source().map(|s| s.to_string()).unwrap_or_default()
        ),
        ErrorKind::ArgumentConflict => format!(
            "{arg} kann nicht zusammen mit {} angegeben werden",
            context(e, ContextKind::PriorArg)
        ),
        ErrorKind::TooManyValues => format!("Zu viele Werte für {arg}: „{value}“"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("Falsche Zahl von Werten für {arg}")
        }
        ErrorKind::NoEquals => {
            format!("Die Angabe {arg} braucht einen Wert mit =")
        }
        ErrorKind::InvalidUtf8 => "Eine Angabe ist kein gültiges UTF-8".to_owned(),
        _ => "Die Angaben auf der Kommandozeile sind unvollständig oder falsch".to_owned(),
    };
    let mut out = format!("Fehler: {text}.");
    if !usage.trim().is_empty() {
        out.push_str(&format!("\nAufruf: {}", usage.trim()));
    }
    out.push_str("\nMehr mit --help.");
    Some(out)
}
