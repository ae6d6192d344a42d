//! `mediconnect-smtp-sink --dir DIR`: the loopback SMTP server as a process, for the
//! browser tests. It prints its URL (`smtp://127.0.0.1:PORT`) on the first line, then
//! writes each message it accepts to DIR as `0001.eml`, `0002.eml`, ..., each file
//! complete once it has its name, until it is killed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mediconnect_smtp_sink::SmtpServer;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = match (args.next().as_deref(), args.next(), args.next()) {
        (Some("--dir"), Some(dir), None) => PathBuf::from(dir),
        _ => {
            eprintln!("usage: mediconnect-smtp-sink --dir DIR");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&dir) {
        eprintln!("mediconnect-smtp-sink: {e}");
        std::process::exit(1);
    }
}

fn run(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = SmtpServer::start().await?;
        let mut out = std::io::stdout();
        writeln!(out, "{}", server.url())?;
        out.flush()?;
        let mut written = 0;
        loop {
            if server.tally().messages > written {
                let received = server.received();
                for (i, message) in received.iter().enumerate().skip(written) {
                    let path = dir.join(format!("{:04}.eml", i + 1));
                    let partial = path.with_extension("part");
                    std::fs::write(&partial, &message.data)?;
                    std::fs::rename(&partial, &path)?;
                }
                written = received.len();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}
