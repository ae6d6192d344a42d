//! Where email goes: an SMTP server (pooled, see [`super::smtp`]; `smtp://`, `smtps://`,
//! or STARTTLS with `?tls=required`, with optional credentials), or, in development
//! without SMTP_URL, `.eml` files under `data/mail/`.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use super::MailContext;
use super::outbox::Outcome;
use super::smtp::Smtp;
use crate::db::models::notifications::OutboxRow;

pub enum Transport {
    Smtp(Smtp),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Transport {
    pub fn smtp(url: &str) -> anyhow::Result<Transport> {
        let smtp = Smtp::from_url(url, Duration::from_secs(30))
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?;
        Ok(Transport::Smtp(smtp))
    }

    pub fn files(dir: PathBuf) -> anyhow::Result<Transport> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create the mail folder {}: {e}", dir.display()))?;
        Ok(Transport::Files(AsyncFileTransport::new(&dir), dir))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, message: Message) -> Outcome {
        match self {
            Transport::Smtp(smtp) => match smtp.send(&message).await {
                Ok(()) => Outcome::Sent,
                Err(e) if e.permanent => Outcome::Failed(e.message),
                Err(e) => Outcome::Retry(e.message),
            },
            Transport::Files(files, _) => match files.send(message).await {
                Ok(_) => Outcome::Sent,
                Err(e) => Outcome::Retry(e.to_string()),
            },
        }
    }
}

/// Builds the message of an outbox row. Its Message-ID is stable (the row id), so a
/// resend after a crash can be recognised as the same message.
pub fn message(ctx: &MailContext, row: &OutboxRow) -> Result<Message, String> {
    let from: Mailbox = ctx
        .from
        .parse()
        .map_err(|e| format!("MAIL_FROM is not an address: {e}"))?;
    let to: Mailbox = row
        .email
        .parse()
        .map_err(|_| "the recipient address is not valid".to_owned())?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<{}@{}>", row.id.0, ctx.domain())));
    if let Some(url) = &row.unsubscribe_url {
        // RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let body = match &row.html {
        Some(html) => MultiPart::alternative_plain_html(row.content.clone(), html.clone()),
        None => MultiPart::alternative().singlepart(SinglePart::plain(row.content.clone())),
    };
    let result = match &row.ics {
        Some(ics) => {
            let method = if ics.contains("METHOD:CANCEL") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let content_type =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| e.to_string())?;
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(
                Attachment::new("appointment.ics".into()).body(ics.clone(), content_type),
            ))
        }
        None => builder.multipart(body),
    };
    result.map_err(|e| e.to_string())
}
