//! A bare actix-ws server: the floor that the memory-per-socket figure is read
//! against. It upgrades every request to a WebSocket, sends one text message (the
//! real server's snapshot, byte for byte), and then only reads, on one worker like
//! the pinned server.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

pub const SUBCOMMAND: &str = "reference-ws-server";

/// `mediconnect-bench reference-ws-server PORT FIRST_MESSAGE_FILE`
pub fn main(args: &[String]) -> crate::Result {
    let [port, first] = args else {
        return Err(format!("usage: {SUBCOMMAND} PORT FIRST_MESSAGE_FILE"));
    };
    let port: u16 = port.parse().map_err(|_| format!("bad port {port}"))?;
    let first = std::fs::read_to_string(first).map_err(|e| format!("{first}: {e}"))?;
    actix_web::rt::System::new().block_on(async move {
        let first = web::Data::new(first);
        HttpServer::new(move || {
            App::new()
                .app_data(first.clone())
                .default_service(web::get().to(upgrade))
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .map_err(|e| e.to_string())?
        .run()
        .await
        .map_err(|e| e.to_string())
    })
}

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    first: web::Data<String>,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
    let first = first.get_ref().clone();
    actix_web::rt::spawn(async move {
        if session.text(first).await.is_ok() {
            while let Some(Ok(_)) = stream.recv().await {}
        }
    });
    Ok(response)
}
